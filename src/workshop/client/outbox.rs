//! The learner's outbox: progress events on disk (JSON lines, fsynced) until the server
//! acknowledges them. Events are appended as they happen and removed only once acknowledged,
//! so a crash, a closed laptop or a server outage loses none; the server's idempotency keys
//! make a re-send after a lost acknowledgement harmless.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::workshop::model::Event;

#[derive(Debug, Clone)]
pub struct Outbox {
    path: PathBuf,
}

impl Outbox {
    pub fn new(path: impl Into<PathBuf>) -> Outbox {
        Outbox { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Only one process at a time reads or changes the outbox (two terminals of one learner).
    fn lock(&self) -> anyhow::Result<std::fs::File> {
        let path = self.path.with_extension("lock");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
        }
        let f =
            std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).with_context(|| format!("could not open {}", path.display()))?;
        f.lock().with_context(|| format!("could not lock {}", path.display()))?;
        Ok(f)
    }

    /// Append events and make them durable before returning.
    pub fn push(&self, events: &[Event]) -> anyhow::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let _lock = self.lock()?;
        self.append(events)
    }

    fn append(&self, events: &[Event]) -> anyhow::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
        }
        let mut text = String::new();
        // a line cut short by a crash must not swallow the next event
        if !ends_with_newline(&self.path) {
            text.push('\n');
        }
        for e in events {
            text.push_str(&serde_json::to_string(e)?);
            text.push('\n');
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("could not open the outbox {}", self.path.display()))?;
        file.write_all(text.as_bytes()).and_then(|()| file.sync_data()).with_context(|| format!("could not write the outbox {}", self.path.display()))?;
        Ok(())
    }

    /// The events waiting, oldest first. A line cut short by a crash mid-write is skipped (it
    /// was never reported as written); any other unreadable line is kept aside in
    /// `<outbox>.damaged`, not dropped.
    pub fn pending(&self) -> anyhow::Result<Vec<Event>> {
        let _lock = self.lock()?;
        self.read()
    }

    fn read(&self) -> anyhow::Result<Vec<Event>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("could not read the outbox {}", self.path.display())),
        };
        let complete = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        let mut events = Vec::new();
        let mut damaged = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Event>(line) {
                Ok(e) => events.push(e),
                Err(_) if i + 1 == lines.len() && !complete => {}
                Err(_) => damaged.push(*line),
            }
        }
        if !damaged.is_empty() {
            let aside = self.path.with_extension("damaged");
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&aside)?;
            for line in damaged {
                writeln!(f, "{line}")?;
            }
            self.rewrite(&events)?;
        }
        Ok(events)
    }

    /// Remove acknowledged events.
    pub fn acknowledge(&self, ids: &HashSet<String>) -> anyhow::Result<()> {
        let _lock = self.lock()?;
        self.remove(ids)
    }

    fn remove(&self, ids: &HashSet<String>) -> anyhow::Result<()> {
        let left: Vec<Event> = self.read()?.into_iter().filter(|e| !ids.contains(&e.id)).collect();
        self.rewrite(&left)
    }

    /// Move events the server will never accept (a 400 naming them) aside, to
    /// `<outbox>.rejected`, so they do not block the others.
    pub fn reject(&self, events: &[Event]) -> anyhow::Result<()> {
        let _lock = self.lock()?;
        Outbox::new(self.path.with_extension("rejected")).append(events)?;
        let ids: HashSet<String> = events.iter().map(|e| e.id.clone()).collect();
        self.remove(&ids)
    }

    /// Move every waiting event aside (`<outbox>.discarded`), e.g. when joining another
    /// workshop while the old server is gone; returns how many.
    pub fn discard(&self) -> anyhow::Result<usize> {
        let _lock = self.lock()?;
        let events = self.read()?;
        Outbox::new(self.path.with_extension("discarded")).append(&events)?;
        self.rewrite(&[])?;
        Ok(events.len())
    }

    fn rewrite(&self, events: &[Event]) -> anyhow::Result<()> {
        let dir = self.path.parent().context("the outbox has no folder")?;
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        for e in events {
            writeln!(tmp, "{}", serde_json::to_string(e)?)?;
        }
        tmp.as_file().sync_data()?;
        tmp.persist(&self.path).with_context(|| format!("could not rewrite the outbox {}", self.path.display()))?;
        // the rename itself durable too
        std::fs::File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("could not sync {}", dir.display()))?;
        Ok(())
    }
}

fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else { return true };
    if f.seek(SeekFrom::End(-1)).is_err() {
        return true; // empty
    }
    let mut last = [0u8; 1];
    f.read_exact(&mut last).map_or(true, |()| last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshop::model::EventKind;

    fn ev(id: &str) -> Event {
        Event {
            id: id.into(),
            at: 1,
            kind: EventKind::StepOpened,
            exercise: Some("e".into()),
            step: Some("s".into()),
            status: None,
            message: None,
            hints: None,
            reviewed: None,
            correct: None,
        }
    }

    #[test]
    fn events_stay_until_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox.jsonl"));
        outbox.push(&[ev("a"), ev("b")]).unwrap();
        outbox.push(&[ev("c")]).unwrap();
        outbox.acknowledge(&HashSet::from(["b".to_string()])).unwrap();
        let ids: Vec<String> = outbox.pending().unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["a", "c"]);
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_damage_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.jsonl");
        let good = serde_json::to_string(&ev("a")).unwrap();
        std::fs::write(&path, format!("{good}\nnot json\n{good}\n{{\"id\":\"tor")).unwrap();
        let outbox = Outbox::new(&path);
        outbox.push(&[ev("b")]).unwrap();
        let ids: Vec<String> = outbox.pending().unwrap().into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["a", "a", "b"]);
        assert!(std::fs::read_to_string(path.with_extension("damaged")).unwrap().starts_with("not json\n"));
    }
}
