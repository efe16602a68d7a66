//! `kubedojo board`: the live board in the terminal. The stream is followed in a task; keys,
//! stream messages and a clock tick go through one `update`; drawing is `render::render`.

pub mod render;
pub mod state;

use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt as _;
use tokio::sync::mpsc;

use self::render::Palette;
use self::state::{BoardScreen, Effect, Msg};
use super::instructor::Instructor;
use crate::input::keymap::Keymap;
use crate::workshop::model::now_ms;

/// Take over the terminal and show the board of `instructor`'s workshop, with the caller's key
/// map and colours, until the instructor quits.
pub async fn run(instructor: Instructor, keymap: &Keymap, palette: &Palette) -> anyhow::Result<()> {
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, instructor, keymap, palette).await;
    ratatui::restore();
    result
}

async fn event_loop(terminal: &mut ratatui::DefaultTerminal, instructor: Instructor, keymap: &Keymap, palette: &Palette) -> anyhow::Result<()> {
    let size = terminal.size()?;
    let mut screen = BoardScreen::new((size.width, size.height));
    let (stream_tx, mut stream_rx) = mpsc::unbounded_channel();
    let (paced_tx, mut paced_rx) = mpsc::unbounded_channel();
    let follower = {
        let instructor = instructor.clone();
        tokio::spawn(async move { instructor.follow(stream_tx).await })
    };
    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        terminal.draw(|f| render::render(f, &screen, keymap, palette))?;
        let msg = tokio::select! {
            Some(m) = stream_rx.recv() => Msg::Stream(m),
            Some(p) = paced_rx.recv() => Msg::Paced(p),
            _ = tick.tick() => Msg::Tick(now_ms()),
            e = keys.next() => match e {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => Msg::Key(k),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
        };
        match screen.update(msg, keymap) {
            Some(Effect::Quit) => break,
            Some(Effect::Pace(change)) => {
                let instructor = instructor.clone();
                let tx = paced_tx.clone();
                tokio::spawn(async move {
                    let result = instructor.pacing(&change).await.map(|p| describe(&change, &p)).map_err(|e| e.to_string());
                    let _ = tx.send(result);
                });
            }
            None => {}
        }
    }
    follower.abort();
    Ok(())
}

fn describe(change: &crate::workshop::model::PacingChange, p: &crate::workshop::model::Pacing) -> String {
    if !change.lock.is_empty() {
        format!("Locked {}: learners cannot open it until you release it (x).", change.lock.join(", "))
    } else if !change.release.is_empty() {
        format!("Released {}.", change.release.join(", "))
    } else if p.message.is_some() {
        "Message sent to every learner's status bar.".to_string()
    } else {
        "Message cleared.".to_string()
    }
}
