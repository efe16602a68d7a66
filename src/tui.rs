//! The runtime: terminal set-up and restore, the event loop that owns the state, and the
//! effects (saving, check runs, clipboard) carried out in tokio tasks.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event, EventStream};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::app::{self, Action, App, Effect};
use crate::checks::CheckEngine;
use crate::progress::store::Store;

pub struct Session {
    pub app: App,
    pub store: Store,
    pub engine: Arc<dyn CheckEngine>,
    /// The lab config's target defaults, for the status bar.
    pub target: crate::labconfig::TargetDefaults,
    /// The workshop the learner joined and the outbox its events wait in.
    pub workshop: Option<(crate::workshop::client::saved::Membership, crate::workshop::client::outbox::Outbox)>,
}

/// Run the TUI until the learner quits. The terminal is restored on every path out:
/// return, error, and panic (ratatui's hook, with ours chained before it).
pub async fn run(session: Session) -> anyhow::Result<()> {
    // Installed before the terminal turns raw, so a signal in between is held for the loop
    // instead of ending the process with the terminal left raw.
    let signals = Signals::install()?;
    let mut terminal = ratatui::init();
    install_panic_hook();
    let _ = crossterm::execute!(io::stdout(), EnableMouseCapture, EnableBracketedPaste);
    let result = event_loop(&mut terminal, session, signals).await;
    restore();
    result
}

fn restore() {
    let _ = crossterm::execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
    ratatui::restore();
}

fn install_panic_hook() {
    let ratatui_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
        ratatui_hook(info);
    }));
}

fn map_event(event: Event) -> Option<Action> {
    match event {
        Event::Key(k) => Some(Action::Key(k)),
        Event::Mouse(m) => Some(Action::Mouse(m)),
        Event::Paste(p) => Some(Action::Paste(p)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

async fn event_loop(terminal: &mut DefaultTerminal, session: Session, signals: Signals) -> anyhow::Result<()> {
    let Session { mut app, store, engine, target, workshop } = session;
    let size = terminal.size()?;
    // the one place the TUI reads the clock: `update` and every frame get the time from the state
    app.now = crate::clock::unix_now();
    app::update(&mut app, Action::Resize(size.width, size.height));
    terminal.draw(|f| crate::ui::draw(f, &app))?;

    // Everything slow starts after the first frame.
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    tokio::task::spawn_blocking(crate::markdown::highlight::warm_up);
    {
        let tx = tx.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(Action::TargetDetected(crate::target::detect_with(&crate::target::ProcessEnv, &target)));
        });
    }
    tokio::spawn(engine.warm_up());
    let saver = Saver::spawn(store.clone(), tx.clone());
    let reporting = workshop.and_then(|(membership, outbox)| start_reporting(membership, outbox, tx.clone()));
    let mut runs: HashMap<(String, String), JoinHandle<()>> = HashMap::new();
    let mut watching: Option<JoinHandle<()>> = None;
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(1000 / app::TICKS_PER_SECOND));
    let Signals { mut terminate, mut hangup, mut interrupt, mut quit } = signals;

    loop {
        let first = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => map_event(ev),
                Some(Err(e)) => return Err(anyhow::anyhow!("reading the terminal failed: {e}")),
                None => Some(Action::Terminate),
            },
            Some(a) = rx.recv() => Some(a),
            _ = ticker.tick() => Some(Action::Tick),
            _ = terminate.recv() => Some(Action::Terminate),
            _ = hangup.recv() => Some(Action::Terminate),
            _ = interrupt.recv() => Some(Action::Terminate),
            _ = quit.recv() => Some(Action::Terminate),
        };
        // handle everything already waiting, then draw once
        let mut pending: Vec<Action> = first.into_iter().collect();
        while let Ok(a) = rx.try_recv() {
            pending.push(a);
        }
        for action in pending {
            app.now = crate::clock::unix_now();
            let effects = app::update(&mut app, action);
            for effect in effects {
                match effect {
                    Effect::Save => saver.save(&app.progress),
                    Effect::RunChecks(request, id) => {
                        let key = (request.exercise.clone(), request.step.clone());
                        if let Some(previous) = runs.remove(&key) {
                            previous.abort();
                        }
                        let (engine, tx) = (engine.clone(), tx.clone());
                        runs.insert(
                            key,
                            tokio::spawn(async move {
                                let (exercise, step) = (request.exercise.clone(), request.step.clone());
                                let run = engine.run(request).await;
                                let _ = tx.send(Action::ChecksFinished { exercise, step, run, id });
                            }),
                        );
                    }
                    Effect::Watch(request) => {
                        if let Some(previous) = watching.take() {
                            previous.abort();
                        }
                        if let Some(request) = request {
                            let mut changes = engine.watch(&request);
                            let tx = tx.clone();
                            watching = Some(tokio::spawn(async move {
                                while changes.next().await.is_some() {
                                    let action = Action::Changed { exercise: request.exercise.clone(), step: request.step.clone() };
                                    if tx.send(action).is_err() {
                                        break;
                                    }
                                }
                            }));
                        }
                    }
                    Effect::Copy(text) => {
                        let mut out = io::stdout();
                        let _ = crossterm::execute!(out, crossterm::clipboard::CopyToClipboard::to_clipboard_from(text));
                        let _ = out.flush();
                    }
                    Effect::SaveTranscript { started_at, text } => {
                        let tx = tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let result = match crate::drill::mock::transcripts_dir() {
                                Some(dir) => crate::drill::mock::save(&dir, started_at, &text)
                                    .map(|p| p.display().to_string())
                                    .map_err(|e| format!("{}: {e}", dir.display())),
                                None => Err("no data folder on this system (set KUBEDOJO_DATA_DIR)".to_string()),
                            };
                            let _ = tx.send(Action::TranscriptSaved(result));
                        });
                    }
                    Effect::ListTranscripts(dir) => {
                        let tx = tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let _ = tx.send(Action::TranscriptsListed(crate::drill::mock::list(&dir)));
                        });
                    }
                    Effect::ReadTranscript(path) => {
                        let tx = tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string());
                            let _ = tx.send(Action::TranscriptRead(path, text));
                        });
                    }
                    Effect::Scenario(op) => {
                        let (tx, pack, files) = (tx.clone(), app.pack.clone(), app.files.clone());
                        tokio::spawn(async move {
                            let id = op.id().to_string();
                            let outcome = run_scenario(&pack, &files, op).await;
                            let _ = tx.send(Action::ScenarioDone { id, outcome });
                        });
                    }
                    Effect::Progress(done) => {
                        if let Some((reporter, observer)) = &reporting {
                            for e in observer.events(&done) {
                                reporter.report(e);
                            }
                        }
                    }
                    Effect::Quit => app.quit = true,
                }
            }
        }
        if app.quit {
            break;
        }
        runs.retain(|_, h| !h.is_finished());
        terminal.draw(|f| crate::ui::draw(f, &app))?;
    }
    for (_, h) in runs.into_iter().chain(watching.map(|w| ((String::new(), String::new()), w))) {
        h.abort();
    }
    // wait for a background write in flight, then write the final state: nothing is lost
    saver.finish().await;
    if let Some((reporter, _)) = reporting {
        // a last try; what does not get through stays in the outbox for next time
        reporter.flush(Duration::from_secs(2)).await;
    }
    store.save(&app.progress).map_err(|e| anyhow::anyhow!("saving progress to {}: {e}", store.path().display()))
}

/// Report the learner's progress to their workshop in the background; the instructor's
/// pacing and the delivery state come back as actions.
fn start_reporting(
    membership: crate::workshop::client::saved::Membership,
    outbox: crate::workshop::client::outbox::Outbox,
    tx: mpsc::UnboundedSender<Action>,
) -> Option<(crate::workshop::client::reporter::Reporter, crate::workshop::client::observe::Observer)> {
    let observer = crate::workshop::client::observe::Observer::new(&membership.steps, membership.share_drills);
    let (notice_tx, mut notice_rx) = mpsc::unbounded_channel();
    let reporter = match crate::workshop::client::reporter::Reporter::spawn(membership, outbox, notice_tx) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "workshop reporting is off");
            return None;
        }
    };
    tokio::spawn(async move {
        while let Some(n) = notice_rx.recv().await {
            if tx.send(Action::Workshop(n)).is_err() {
                break;
            }
        }
    });
    Some((reporter, observer))
}

/// A scenario operation against its target (connected for it).
async fn run_scenario(
    pack: &crate::content::Pack,
    files: &crate::content::PackFiles,
    op: crate::app::scenarios::ScenarioOp,
) -> crate::app::scenarios::ScenarioOutcome {
    use crate::app::scenarios::{ScenarioOp, ScenarioOutcome};
    let Some(s) = pack.scenario(op.id()) else { return ScenarioOutcome::Started(Err(format!("no scenario {}", op.id()))) };
    let vars = crate::scenario::vars(pack, s);
    match op {
        ScenarioOp::Start { options, label, .. } => {
            let b = crate::checks::backend::Backend::connect(&options).await;
            let now = crate::clock::unix_now();
            let result = crate::scenario::start(&b, pack, files, s, &vars, now, label).await.map_err(|e| e.explain(s));
            ScenarioOutcome::Started(result)
        }
        ScenarioOp::Check { options, .. } => {
            let b = crate::checks::backend::Backend::connect(&options).await;
            ScenarioOutcome::Checked(crate::scenario::check(&b, s, &vars).await)
        }
        ScenarioOp::Reset { options, run, .. } => {
            let b = crate::checks::backend::Backend::connect(&options).await;
            ScenarioOutcome::Reset(crate::scenario::reset(&b, &run.undo).await)
        }
    }
}

/// The signals that ask the TUI to end. In raw mode Ctrl-C and Ctrl-\\ are keys, but
/// `kill -INT` / `kill -QUIT` still arrive as signals, whose default action would end the
/// process with the terminal left raw.
struct Signals {
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let on = |kind: SignalKind, name: &str| signal(kind).map_err(|e| anyhow::anyhow!("could not install the handler for {name}: {e}"));
        Ok(Self {
            terminate: on(SignalKind::terminate(), "SIGTERM")?,
            hangup: on(SignalKind::hangup(), "SIGHUP")?,
            interrupt: on(SignalKind::interrupt(), "SIGINT")?,
            quit: on(SignalKind::quit(), "SIGQUIT")?,
        })
    }
}

/// Writes progress in the background; a newer snapshot replaces one not yet written.
struct Saver {
    latest: watch::Sender<Option<Vec<u8>>>,
    task: JoinHandle<()>,
}

impl Saver {
    fn spawn(store: Store, tx: mpsc::UnboundedSender<Action>) -> Self {
        let (latest, mut rx) = watch::channel::<Option<Vec<u8>>>(None);
        let task = tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let Some(bytes) = rx.borrow_and_update().clone() else { continue };
                let store = store.clone();
                let result = tokio::task::spawn_blocking(move || store.save_bytes(&bytes)).await;
                let outcome = match result {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let _ = tx.send(Action::Saved(outcome));
            }
        });
        Self { latest, task }
    }

    async fn finish(self) {
        drop(self.latest);
        let _ = self.task.await;
    }

    fn save(&self, progress: &crate::progress::Progress) {
        match serde_json::to_vec_pretty(progress) {
            Ok(bytes) => {
                let _ = self.latest.send(Some(bytes));
            }
            Err(e) => tracing::error!("serializing progress: {e}"),
        }
    }
}
