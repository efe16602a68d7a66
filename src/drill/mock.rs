//! Timed mock interviews: questions drawn across topics and difficulty, the learner's notes and
//! timings, the self-scores against each model answer's key points, and the transcript written
//! as markdown (a record to review later or to share with a mentor).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::grade;
use crate::content::{CardKind, Pack};
use crate::progress::drill::Grade;

pub const DEFAULT_QUESTIONS: usize = 5;
pub const DEFAULT_MINUTES: u32 = 25;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    pub questions: usize,
    pub minutes: u32,
    pub topic: Option<String>,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self { questions: DEFAULT_QUESTIONS, minutes: DEFAULT_MINUTES, topic: None }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub card: String,
    pub notes: String,
    pub secs: u32,
    /// Key points the learner ticked against the model answer.
    pub ticked: Vec<bool>,
    /// The self-score; `None` until scored (or when time ran out first).
    pub grade: Option<Grade>,
}

/// A mock interview in progress or finished.
#[derive(Debug, Clone, PartialEq)]
pub struct Mock {
    pub config: MockConfig,
    /// Unix seconds.
    pub started_at: u64,
    pub answers: Vec<Answer>,
}

/// Deterministic shuffling for a seed (the start time): no global randomness, testable.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0.max(1);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Questions for a mock: open cards (an interviewer's question has a model answer and key
/// points), interview discussion points first, then one per topic in turn so the set spans
/// topics, harder cards before easier ones. `seed` varies the draw.
pub fn pick(pack: &Pack, config: &MockConfig, seed: u64) -> Vec<String> {
    let mut rng = XorShift(seed ^ 0x9E37_79B9_7F4A_7C15);
    let mut open: Vec<&crate::content::Card> =
        pack.cards.iter().filter(|c| matches!(c.kind, CardKind::Open { .. })).filter(|c| config.topic.as_ref().is_none_or(|t| &c.topic == t)).collect();
    rng.shuffle(&mut open);
    // interview-tagged first, harder first, and topics interleaved
    open.sort_by_key(|c| (!c.tags.iter().any(|t| t == "interview"), std::cmp::Reverse(c.difficulty.clamp(2, 3))));
    let mut chosen: Vec<String> = Vec::new();
    let mut topics_used: Vec<String> = Vec::new();
    while chosen.len() < config.questions {
        let before = chosen.len();
        // one pass: at most one card per topic not yet used in this round
        for c in &open {
            if chosen.len() >= config.questions {
                break;
            }
            if chosen.contains(&c.id) || topics_used.contains(&c.topic) {
                continue;
            }
            chosen.push(c.id.clone());
            topics_used.push(c.topic.clone());
        }
        topics_used.clear();
        if chosen.len() == before {
            break; // no more cards
        }
    }
    chosen
}

impl Mock {
    pub fn new(pack: &Pack, config: MockConfig, started_at: u64) -> Self {
        let answers = pick(pack, &config, started_at)
            .into_iter()
            .map(|card| {
                let points = match pack.card(&card).map(|c| &c.kind) {
                    Some(CardKind::Open { points, .. }) => points.len(),
                    _ => 0,
                };
                Answer { card, notes: String::new(), secs: 0, ticked: vec![false; points], grade: None }
            })
            .collect();
        Self { config, started_at, answers }
    }

    /// Seconds each question gets.
    pub fn budget_secs(&self) -> u32 {
        (self.config.minutes * 60 / self.answers.len().max(1) as u32).max(30)
    }

    pub fn total_secs(&self) -> u32 {
        self.answers.iter().map(|a| a.secs).sum()
    }

    /// Points ticked out of all key points, over the scored questions.
    pub fn points(&self) -> (usize, usize) {
        self.answers.iter().filter(|a| a.grade.is_some()).fold((0, 0), |(t, n), a| (t + a.ticked.iter().filter(|x| **x).count(), n + a.ticked.len()))
    }

    /// The grade the ticked points suggest for one answer.
    pub fn suggested(&self, i: usize) -> Grade {
        let a = &self.answers[i];
        grade::open(a.ticked.iter().filter(|x| **x).count(), a.ticked.len())
    }

    /// The transcript: questions, the learner's notes, timings, scores, and the model answers.
    pub fn transcript(&self, pack: &Pack, finished: bool) -> String {
        let mut out = String::new();
        let when = stamp(self.started_at);
        let (ticked, points) = self.points();
        let scored = self.answers.iter().filter(|a| a.grade.is_some()).count();
        let _ = writeln!(out, "# Mock interview, {}", when.replace('T', " "));
        let _ = writeln!(out);
        let topic = self.config.topic.as_deref().map_or_else(|| "all topics".to_string(), |t| format!("topic {t}"));
        let _ = writeln!(
            out,
            "{} question{}, {} minute{} planned ({} per question), {topic}. Time taken: {}.{}",
            self.answers.len(),
            if self.answers.len() == 1 { "" } else { "s" },
            self.config.minutes,
            if self.config.minutes == 1 { "" } else { "s" },
            clock(self.budget_secs()),
            clock(self.total_secs()),
            if finished { "" } else { " **Ended before the last question.**" }
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "**Score: {ticked} of {points} key points** ({}%) over {scored} scored question{}.",
            percent(ticked, points),
            if scored == 1 { "" } else { "s" }
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "| # | question | time | points | grade |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for (i, a) in self.answers.iter().enumerate() {
            let card = pack.card(&a.card);
            let title = card.map_or(a.card.clone(), |c| first_line(&c.prompt.text, 60));
            let over = if a.secs > self.budget_secs() { " (over)" } else { "" };
            let grade = a.grade.map_or("not scored", |g| g.label());
            let _ = writeln!(
                out,
                "| {} | {} | {}{over} | {}/{} | {grade} |",
                i + 1,
                title.replace('|', "\\|"),
                clock(a.secs),
                a.ticked.iter().filter(|x| **x).count(),
                a.ticked.len()
            );
        }
        for (i, a) in self.answers.iter().enumerate() {
            let Some(card) = pack.card(&a.card) else { continue };
            let _ = writeln!(out);
            let _ = writeln!(out, "## {}. {}", i + 1, first_line(&card.prompt.text, 80));
            let _ = writeln!(out);
            let _ = writeln!(out, "*{} · difficulty {} · {} of {} allowed*", card.topic, card.difficulty, clock(a.secs), clock(self.budget_secs()));
            let _ = writeln!(out);
            let _ = writeln!(out, "{}", card.prompt.text.trim());
            let _ = writeln!(out);
            let _ = writeln!(out, "### My notes");
            let _ = writeln!(out);
            if a.notes.trim().is_empty() {
                let _ = writeln!(out, "*(none)*");
            } else {
                // two trailing spaces: a hard line break, as the learner typed it
                for line in a.notes.trim_end().lines() {
                    let _ = writeln!(out, "> {line}  ");
                }
            }
            if let CardKind::Open { answer, points } = &card.kind {
                let _ = writeln!(out);
                let _ = writeln!(out, "### Key points ({})", a.grade.map_or("not scored".to_string(), |g| format!("graded {}", g.label())));
                let _ = writeln!(out);
                for (p, t) in points.iter().zip(a.ticked.iter().chain(std::iter::repeat(&false))) {
                    let _ = writeln!(out, "- [{}] {p}", if *t { "x" } else { " " });
                }
                let _ = writeln!(out);
                let _ = writeln!(out, "### Model answer");
                let _ = writeln!(out);
                let _ = writeln!(out, "{}", answer.text.trim());
            }
        }
        out
    }
}

fn percent(a: usize, b: usize) -> usize {
    (a * 100).checked_div(b).unwrap_or(0)
}

fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    let line = line.trim_start_matches('#').trim();
    if line.chars().count() <= max {
        line.to_string()
    } else {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// mm:ss
pub fn clock(secs: u32) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// `2026-11-26T03-10-00` in the learner's time zone (file names and titles).
pub fn stamp(unix: u64) -> String {
    let ts = jiff::Timestamp::from_second(unix as i64).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let zoned = ts.to_zoned(jiff::tz::TimeZone::system());
    zoned.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Where transcripts are kept: `KUBEDOJO_DATA_DIR`, else the platform data folder.
pub fn transcripts_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KUBEDOJO_DATA_DIR") {
        return Some(PathBuf::from(dir).join("mocks"));
    }
    directories::ProjectDirs::from("", "", "kubedojo").map(|d| d.data_dir().join("mocks"))
}

/// Write a transcript atomically; returns its path.
pub fn save(dir: &Path, started_at: u64, text: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name = format!("mock-{}.md", stamp(started_at).replace(':', "-"));
    let path = dir.join(name);
    let tmp = path.with_extension("md.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// A saved transcript: its file and the first lines a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub path: PathBuf,
    pub title: String,
    pub score: String,
}

/// Saved transcripts, newest first. Unreadable files are skipped.
pub fn list(dir: &Path) -> Vec<Saved> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<Saved> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let title = text.lines().next()?.trim_start_matches('#').trim().to_string();
            let score = text.lines().find(|l| l.starts_with("**Score:")).unwrap_or_default().replace("**", "");
            Some(Saved { path, title, score })
        })
        .collect();
    out.sort_by(|a, b| b.path.cmp(&a.path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{CheckKinds, PackFiles, load};

    fn pack() -> Pack {
        let mut files = Vec::new();
        for (n, topic) in ["alpha", "beta", "gamma"].iter().enumerate() {
            files.push((format!("lessons/0{}-{topic}.md", n + 1), format!("---\nid: {topic}\ntitle: {topic}\nminutes: 5\n---\n\n# {topic}\n")));
            let mut cards = format!("topic = \"{topic}\"\n");
            for i in 0..4 {
                let tags = if i == 0 && *topic == "gamma" { "tags = [\"interview\"]\n" } else { "" };
                cards += &format!(
                    "[[cards]]\nid = \"q{i}\"\nkind = \"open\"\ndifficulty = {}\n{tags}prompt = \"Question {topic} {i}?\"\nanswer = \"Answer {i}.\"\npoints = [\"one\", \"two\", \"three\", \"four\"]\n",
                    1 + i % 3
                );
            }
            cards += "[[cards]]\nid = \"r\"\nkind = \"recall\"\nprompt = \"?\"\nanswers = [\"x\"]\n";
            files.push((format!("lessons/cards/{topic}.toml"), cards));
        }
        load(&PackFiles::from_memory(files), &CheckKinds::default()).pack
    }

    #[test]
    fn questions_span_topics_start_with_interview_points_and_are_open_cards() {
        let p = pack();
        let picked = pick(&p, &MockConfig { questions: 3, ..Default::default() }, 42);
        assert_eq!(picked.len(), 3);
        assert_eq!(picked[0], "gamma/q0", "the interview discussion point comes first");
        let topics: std::collections::BTreeSet<&str> = picked.iter().map(|c| c.split('/').next().unwrap_or_default()).collect();
        assert_eq!(topics.len(), 3, "one per topic: {picked:?}");
        assert!(picked.iter().all(|c| !c.ends_with("/r")), "only open cards");
        // more questions than topics: a second round, no repeats
        let many = pick(&p, &MockConfig { questions: 7, ..Default::default() }, 7);
        assert_eq!(many.len(), 7);
        let unique: std::collections::BTreeSet<&String> = many.iter().collect();
        assert_eq!(unique.len(), 7);
        // all there is
        assert_eq!(pick(&p, &MockConfig { questions: 50, ..Default::default() }, 1).len(), 12);
        let topic = pick(&p, &MockConfig { questions: 3, minutes: 10, topic: Some("beta".into()) }, 3);
        assert!(topic.iter().all(|c| c.starts_with("beta/")), "{topic:?}");
        // the same seed draws the same set; another seed may not
        assert_eq!(pick(&p, &MockConfig::default(), 9), pick(&p, &MockConfig::default(), 9));
    }

    #[test]
    fn transcript_has_notes_timings_scores_and_model_answers() {
        let p = pack();
        let mut m = Mock::new(&p, MockConfig { questions: 2, minutes: 10, topic: None }, 1_800_000_000);
        assert_eq!(m.budget_secs(), 300);
        m.answers[0].notes = "IRSA: OIDC provider\ntrust on sub and aud".into();
        m.answers[0].secs = 200;
        m.answers[0].ticked = vec![true, true, true, false];
        m.answers[0].grade = Some(m.suggested(0));
        m.answers[1].secs = 330;
        let t = m.transcript(&p, false);
        assert!(t.starts_with("# Mock interview, "), "{t}");
        assert!(t.contains("2 questions, 10 minutes planned (5:00 per question)"), "{t}");
        assert!(t.contains("**Score: 3 of 4 key points** (75%) over 1 scored question."), "{t}");
        assert!(t.contains("| 1 | Question gamma 0? | 3:20 | 3/4 | hard |"), "{t}");
        assert!(t.contains("| 5:30 (over) | 0/4 | not scored |"), "{t}");
        assert!(t.contains("> IRSA: OIDC provider  \n> trust on sub and aud  "), "{t}");
        assert!(t.contains("- [x] one\n- [x] two\n- [x] three\n- [ ] four"), "{t}");
        assert!(t.contains("### Model answer\n\nAnswer 0."), "{t}");
        assert!(t.contains("Ended before the last question"), "{t}");
        // it is markdown the reader can show
        let doc = crate::markdown::parse(&t);
        assert!(!crate::markdown::layout(&doc, 80).lines.is_empty());
        // one of each is said in the singular
        let one = Mock::new(&p, MockConfig { questions: 1, minutes: 1, topic: None }, 1_800_000_000).transcript(&p, true);
        assert!(one.contains("1 question, 1 minute planned (1:00 per question)"), "{one}");
    }

    #[test]
    fn transcripts_are_saved_and_listed_newest_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = pack();
        for (i, at) in [1_800_000_000u64, 1_800_100_000].iter().enumerate() {
            let mut m = Mock::new(&p, MockConfig { questions: 1, ..Default::default() }, *at);
            m.answers[0].ticked = vec![true; 4];
            m.answers[0].grade = Some(Grade::Good);
            m.answers[0].secs = 60 + i as u32;
            save(dir.path(), *at, &m.transcript(&p, true)).expect("save");
        }
        std::fs::write(dir.path().join("notes.txt"), "not a transcript").expect("write");
        let list = list(dir.path());
        assert_eq!(list.len(), 2);
        assert!(list[0].path > list[1].path, "newest first");
        assert!(list[0].title.starts_with("Mock interview, "));
        assert_eq!(list[0].score, "Score: 4 of 4 key points (100%) over 1 scored question.");
    }
}
