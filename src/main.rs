use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use kubedojo::cli::{Cli, Command};
use kubedojo::commands::{self, EXIT_USAGE};
use kubedojo::session;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(message) => {
            eprintln!("kubedojo: {message}");
            ExitCode::from(EXIT_USAGE as u8)
        }
    }
}

fn run(cli: Cli) -> Result<i32, String> {
    match cli.command {
        Some(Command::Lint { kinds: true, .. }) => {
            print!("{}", commands::lint::kinds());
            Ok(0)
        }
        Some(Command::Lint { dir, strict, on, .. }) => {
            let dir = dir.or(cli.pack).or_else(|| std::path::Path::new("course.toml").is_file().then(|| ".".into()));
            let files = commands::pack_files(dir.as_deref())?;
            let today = on.unwrap_or_else(|| jiff::Zoned::now().date());
            let (text, code) = commands::lint::lint(&files, strict, today);
            print!("{text}");
            Ok(code)
        }
        Some(Command::List) => {
            let start = session::start(commands::pack_files(cli.pack.as_deref())?)?;
            if let Some(w) = start.progress.warning() {
                eprintln!("kubedojo: {w}");
            }
            let pp = start.progress.progress().pack(&start.pack.id).cloned().unwrap_or_default();
            print!("{}", commands::list::list(&start.pack, &pp));
            Ok(0)
        }
        Some(Command::Check(args)) => check(cli.pack.as_deref(), &args),
        Some(Command::Cleanup(args)) => cleanup(cli.pack.as_deref(), &args),
        Some(Command::Files(args)) => files(cli.pack.as_deref(), &args),
        Some(Command::Sandbox { action }) => {
            use kubedojo::cli::SandboxAction;
            let dir = kubedojo::progress::store::state_dir().ok_or("no state folder: set KUBEDOJO_STATE_DIR")?;
            let text = match action {
                SandboxAction::Up { name } => kubedojo::sandbox::up(&dir, &name, &exe()?, &mut |line| eprintln!("{line}"))?,
                SandboxAction::Front { emulator, port, kubeconfig, pod_identities } => {
                    let (pack, _) = session::load_pack(commands::pack_files(cli.pack.as_deref())?)?;
                    let addons = kubedojo::sandbox::front::addon_versions(&pack.versions);
                    let releases = kubedojo::sandbox::front::kubernetes_releases(&pack.versions);
                    runtime()?.block_on(kubedojo::sandbox::front::serve(emulator, port, (kubeconfig, pod_identities), addons, releases))?;
                    return Ok(0);
                }
                SandboxAction::Supervise { kubeconfig } => {
                    runtime()?.block_on(kubedojo::sandbox::supervisor::run(dir, kubeconfig))?;
                    return Ok(0);
                }
                SandboxAction::Downloads { port, ca } => {
                    runtime()?.block_on(kubedojo::sandbox::downloads::serve(&ca, port))?;
                    return Ok(0);
                }
                SandboxAction::Down { yes } => match kubedojo::sandbox::down_question(&dir) {
                    None => "no sandbox to remove (nothing was touched)\n".to_string(),
                    Some(question) if commands::prompt::confirm(&question, yes)? => kubedojo::sandbox::down(&dir)?,
                    Some(_) => "left as it is\n".to_string(),
                },
                SandboxAction::Status => kubedojo::sandbox::status(&dir),
                SandboxAction::Eksctl { args } => {
                    let s = kubedojo::sandbox::load(&dir).ok_or("no sandbox: `kubedojo sandbox up` creates one")?;
                    return Ok(runtime()?.block_on(kubedojo::sandbox::eksctl::run(&s, &args)));
                }
                SandboxAction::Shell | SandboxAction::Exec { .. } => {
                    let s = kubedojo::sandbox::load(&dir).ok_or("no sandbox: `kubedojo sandbox up` creates one")?;
                    return match action {
                        SandboxAction::Exec { command } => kubedojo::sandbox::shell::exec(&dir, &s, &command, &exe()?),
                        _ => kubedojo::sandbox::shell::shell(&dir, &s, &exe()?),
                    };
                }
            };
            print!("{text}");
            Ok(0)
        }
        Some(Command::Doctor(args)) => {
            let lab = session::lab_config()?;
            let (text, code) = runtime()?.block_on(commands::doctor::doctor(&args.target_options(&lab.target)));
            print!("{text}");
            Ok(code)
        }
        Some(Command::Drill(ref args)) => tui(&cli, Some(args)),
        Some(Command::Scenario { ref action }) => scenario(&cli, action),
        Some(Command::Serve(ref args)) => {
            init_server_logging();
            let state = kubedojo::progress::store::state_dir();
            runtime()?.block_on(commands::workshop::serve(args, state.as_deref()))
        }
        Some(Command::Workshop { ref action }) => workshop(&cli, action),
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            commands::docs::completions(shell, &mut script);
            write_out(&script)
        }
        Some(Command::Man { ref dir }) => match dir {
            Some(dir) => {
                print!("{}", commands::docs::man_pages(dir)?);
                Ok(0)
            }
            None => {
                let mut page = Vec::new();
                commands::docs::man(&mut page).map_err(|e| format!("rendering the manual page: {e}"))?;
                write_out(&page)
            }
        },
        Some(Command::Join(ref args)) => {
            let state = kubedojo::progress::store::state_dir();
            let text = runtime()?.block_on(commands::workshop::join(args, state.as_deref()))?;
            print!("{text}");
            Ok(0)
        }
        Some(Command::Board(ref args)) => {
            let state = kubedojo::progress::store::state_dir();
            runtime()?.block_on(commands::workshop::board(args, state.as_deref())).map_err(|e| format!("{e:#}"))?;
            Ok(0)
        }
        None => tui(&cli, None),
    }
}

/// The kubedojo binary: it serves the sandbox's AWS front and its `eksctl`.
fn exe() -> Result<std::path::PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("cannot find the kubedojo binary (it serves the sandbox's AWS front and eksctl): {e}"))
}

fn tui(cli: &Cli, drill: Option<&kubedojo::cli::DrillArgs>) -> Result<i32, String> {
    init_logging();
    let start = session::start(commands::pack_files(cli.pack.as_deref())?)?;
    if let Some(topic) = drill.and_then(|d| d.topic.as_deref())
        && start.pack.lesson(topic).is_none()
    {
        let near = kubedojo::content::suggest::closest(topic, start.pack.lessons.iter().map(|l| l.id.as_str()));
        let ids: Vec<&str> = start.pack.lessons.iter().map(|l| l.id.as_str()).collect();
        return Err(match near {
            Some(n) => format!("--topic {topic}: no such lesson; did you mean {n}?"),
            None => format!("--topic {topic}: no such lesson; lessons: {}", ids.join(", ")),
        });
    }
    let size = crossterm::terminal::size().unwrap_or((80, 24));
    let lab_target = start.lab.target.clone();
    let target = kubedojo::checks::backend::TargetOptions::from_lab(&lab_target);
    let (mut app, store) = start.into_app(size);
    app.scenario_access = scenario_access(&app.pack, &lab_target);
    if let Some(d) = drill {
        commands::drill::open(&mut app, d);
    }
    let runtime = runtime()?;
    let engine = Arc::new(kubedojo::checks::lazy::LazyEngine::new(target));
    let workshop = joined_workshop(&mut app);
    let session = kubedojo::tui::Session { app, store, engine, target: lab_target, workshop };
    runtime.block_on(kubedojo::tui::run(session)).map_err(|e| format!("{e:#}"))?;
    Ok(0)
}

/// The workshop this learner joined, if any (a damaged membership file is said, not fatal).
fn joined_workshop(app: &mut kubedojo::app::App) -> Option<(kubedojo::workshop::client::saved::Membership, kubedojo::workshop::client::outbox::Outbox)> {
    use kubedojo::workshop::client::{outbox::Outbox, saved};
    let dir = kubedojo::progress::store::state_dir()?;
    match saved::Membership::load(&dir) {
        Ok(Some(m)) => {
            app.workshop = Some(kubedojo::app::workshop::WorkshopStatus::default());
            Some((m, Outbox::new(saved::outbox_path(&dir))))
        }
        Ok(None) => None,
        Err(e) => {
            app.flash(kubedojo::app::Level::Warning, format!("Workshop: {e:#}"));
            None
        }
    }
}

fn files(pack: Option<&std::path::Path>, args: &kubedojo::cli::FilesArgs) -> Result<i32, String> {
    let files = commands::pack_files(pack)?;
    let (mut pack, files) = session::load_pack(files)?;
    let lab = session::lab_config()?;
    lab.apply(Arc::make_mut(&mut pack));
    let overrides = commands::check::parse_vars(&args.vars)?;
    let mut chosen = Vec::new();
    for id in &args.exercises {
        let ex = pack.exercise(id).ok_or_else(|| {
            let ids: Vec<&str> = pack.exercises.iter().map(|e| e.id.as_str()).collect();
            format!("no exercise {id:?}: the exercises are {}", ids.join(", "))
        })?;
        chosen.push(ex);
    }
    let rendered = commands::files::render(&pack, &files, &chosen, &overrides);
    if args.stdout {
        for (rel, text, _) in &rendered {
            println!("==> {rel} <==\n{}", text.trim_end());
        }
        return Ok(0);
    }
    let report = commands::files::write(&args.dir, &rendered, args.force)?;
    print!("{}", commands::files::summary(&args.dir, &report));
    Ok(0)
}

/// Generated text to stdout; a reader that stops early (`| head`) is no error.
fn write_out(bytes: &[u8]) -> Result<i32, String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(format!("writing to standard output: {e}")),
    }
}

fn cleanup(pack: Option<&std::path::Path>, args: &kubedojo::cli::CleanupArgs) -> Result<i32, String> {
    let (mut pack, _) = session::load_pack(commands::pack_files(pack)?)?;
    let lab = session::lab_config()?;
    lab.apply(Arc::make_mut(&mut pack));
    let vars = commands::check::parse_vars(&args.report.vars)?;
    runtime()?.block_on(async {
        let backend = kubedojo::checks::backend::Backend::connect(&args.report.target.target_options(&lab.target)).await;
        let report = commands::cleanup::run(&backend, &pack, &vars).await;
        if args.report.json {
            println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
        } else {
            print!("{}", report.human());
        }
        Ok(report.exit_code())
    })
}

fn check(pack: Option<&std::path::Path>, args: &kubedojo::cli::CheckArgs) -> Result<i32, String> {
    let (mut pack, _) = session::load_pack(commands::pack_files(pack)?)?;
    let lab = session::lab_config()?;
    lab.apply(Arc::make_mut(&mut pack));
    let selection = commands::check::select(&pack, &args.select)?;
    let vars = commands::check::parse_vars(&args.report.vars)?;
    runtime()?.block_on(async {
        let backend = Arc::new(kubedojo::checks::backend::Backend::connect(&args.report.target.target_options(&lab.target)).await);
        let print = |report: &commands::check::Report| -> Result<(), String> {
            if args.report.json && args.watch {
                // one document per line, so a consumer can read a stream
                println!("{}", serde_json::to_string(report).map_err(|e| e.to_string())?);
            } else if args.report.json {
                println!("{}", serde_json::to_string_pretty(report).map_err(|e| e.to_string())?);
            } else {
                print!("{}", report.human());
            }
            Ok(())
        };
        let report = commands::check::run(&backend, &selection, &vars).await;
        print(&report)?;
        // a kubeconfig that cannot be read, or a context it does not have, is a configuration
        // error (2), not a check that errored (3: the API server did not answer)
        if let Err(problem) = &backend.kube {
            eprintln!("kubedojo check: {problem}; the Kubernetes checks could not run");
            return Ok(commands::EXIT_USAGE);
        }
        if !args.watch {
            return Ok(report.exit_code());
        }
        let checks: Vec<_> = selection.iter().flat_map(|(ex, steps)| steps.iter().flat_map(|&i| ex.steps[i].checks.clone())).collect();
        let mut changes = kubedojo::checks::watch::changes(backend.clone(), &checks);
        use futures::StreamExt;
        while changes.next().await.is_some() {
            let report = commands::check::run(&backend, &selection, &vars).await;
            if !args.report.json {
                println!("\n--- {} ---", kubedojo::clock::unix_now());
            }
            print(&report)?;
        }
        Ok(report.exit_code())
    })
}

/// Where the TUI may start or reset each scenario: the sandbox, or the target lab.toml names.
fn scenario_access(
    pack: &kubedojo::content::Pack,
    lab: &kubedojo::labconfig::TargetDefaults,
) -> std::collections::BTreeMap<String, Result<(kubedojo::checks::backend::TargetOptions, String), String>> {
    let sandbox = kubedojo::progress::store::state_dir().as_deref().and_then(kubedojo::sandbox::load);
    let args = kubedojo::cli::TargetArgs {
        target: None,
        context: lab.context.clone(),
        kubeconfig: lab.kubeconfig.clone(),
        aws_profile: lab.aws_profile.clone(),
        aws_region: lab.aws_region.clone(),
        aws_endpoint_url: lab.aws_endpoint_url.clone(),
    };
    pack.scenarios
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                commands::scenario::allowed(s, &args, lab, sandbox.as_ref(), kubedojo::scenario::access::Naming::LabToml).map(|a| (a.options, a.label)),
            )
        })
        .collect()
}

fn scenario(cli: &Cli, action: &kubedojo::cli::ScenarioAction) -> Result<i32, String> {
    use kubedojo::cli::ScenarioAction;
    use kubedojo::commands::scenario as sc;
    let start = session::start(commands::pack_files(cli.pack.as_deref())?)?;
    let (pack, files, mut store, lab) = (start.pack.clone(), start.files.clone(), start.store, start.lab);
    let mut progress = start.progress.into_progress();
    let now = kubedojo::clock::unix_now();
    let save = |store: &mut kubedojo::progress::store::Store, progress: &kubedojo::progress::Progress| {
        store.save(progress).map_err(|e| format!("saving progress to {}: {e}", store.path().display()))
    };
    match action {
        ScenarioAction::List => {
            print!("{}", sc::list(&pack, progress.pack(&pack.id), now));
            Ok(0)
        }
        ScenarioAction::Hint { id } => {
            let s = sc::find(&pack, id)?;
            let vars = sc::vars(&pack, s, &[])?;
            let Some(run) = progress.pack_mut(&pack.id).scenarios.get_mut(id) else {
                return Err(format!("scenario {id} is not started (kubedojo scenario start {id})"));
            };
            print!("{}", sc::hint(s, run, &vars));
            save(&mut store, &progress)?;
            Ok(0)
        }
        ScenarioAction::Start(args) | ScenarioAction::Status(args) | ScenarioAction::Reset(args) => {
            let s = sc::find(&pack, &args.id)?;
            let vars = sc::vars(&pack, s, &args.vars)?;
            let dir = kubedojo::progress::store::state_dir();
            let sandbox = dir.as_deref().and_then(kubedojo::sandbox::load);
            let allowed = sc::allowed(s, &args.target, &lab.target, sandbox.as_ref(), kubedojo::scenario::access::Naming::Flags)?;
            let rt = runtime()?;
            let backend = rt.block_on(kubedojo::checks::backend::Backend::connect(&allowed.options));
            let pp = progress.pack_mut(&pack.id);
            match action {
                ScenarioAction::Start(_) => {
                    if pp.scenarios.get(&s.id).is_some_and(|r| r.fixed_at.is_none()) {
                        return Err(format!(
                            "scenario {} is already broken: fix it (kubedojo scenario status {}) or put it back (kubedojo scenario reset {})",
                            s.id, s.id, s.id
                        ));
                    }
                    print!("{}", sc::plan_text(&pack, &files, s, &vars, &allowed.label));
                    if !commands::prompt::confirm("Break it?", args.yes)? {
                        println!("Nothing was changed.");
                        return Ok(0);
                    }
                    let (run, text) = rt.block_on(sc::start(&backend, &pack, &files, s, &vars, now, &allowed.label))?;
                    pp.scenarios.insert(s.id.clone(), run);
                    save(&mut store, &progress)?;
                    print!("{text}");
                    Ok(0)
                }
                ScenarioAction::Status(_) => {
                    let Some(run) = pp.scenarios.get_mut(&s.id) else {
                        return Err(format!("scenario {} is not started (kubedojo scenario start {})", s.id, s.id));
                    };
                    let (text, fixed) = rt.block_on(sc::status(&backend, s, &vars, run, now));
                    save(&mut store, &progress)?;
                    print!("{text}");
                    Ok(if fixed { 0 } else { 1 })
                }
                _ => {
                    let Some(run) = pp.scenarios.get(&s.id).cloned() else {
                        println!("scenario {} is not started: nothing to put back", s.id);
                        return Ok(0);
                    };
                    println!("Put back in {}:", run.target);
                    for u in &run.undo {
                        println!("  - {}", kubedojo::scenario::action::describe_undo(u));
                    }
                    if !commands::prompt::confirm("Reset?", args.yes)? {
                        println!("Nothing was changed.");
                        return Ok(0);
                    }
                    let failed = rt.block_on(kubedojo::scenario::reset(&backend, &run.undo));
                    if failed.is_empty() {
                        pp.scenarios.remove(&s.id);
                        save(&mut store, &progress)?;
                        println!("Done: the working state is back.");
                        Ok(0)
                    } else {
                        save(&mut store, &progress)?;
                        Err(format!("could not put back:\n  - {}", failed.join("\n  - ")))
                    }
                }
            }
        }
    }
}

fn workshop(cli: &Cli, action: &kubedojo::cli::WorkshopAction) -> Result<i32, String> {
    use kubedojo::cli::WorkshopAction as W;
    use kubedojo::workshop::model::PacingChange;
    let state = kubedojo::progress::store::state_dir();
    let state = state.as_deref();
    let text = runtime()?.block_on(async {
        match action {
            W::Create { name, stuck_after, server, database } => {
                let (mut pack, _) = session::load_pack(commands::pack_files(cli.pack.as_deref())?)?;
                session::lab_config()?.apply(Arc::make_mut(&mut pack));
                commands::workshop::create(&pack, name, *stuck_after, server, database, state).await
            }
            W::List { database } => commands::workshop::list(database, state).await,
            W::Lock { exercises, instructor } => {
                commands::workshop::pace(&instructor.into(), PacingChange { lock: exercises.clone(), ..Default::default() }, state).await
            }
            W::Release { exercises, instructor } => {
                commands::workshop::pace(&instructor.into(), PacingChange { release: exercises.clone(), ..Default::default() }, state).await
            }
            W::Message { text, instructor } => {
                commands::workshop::pace(instructor, PacingChange { message: Some(text.clone()), ..Default::default() }, state).await
            }
            W::Code { action, instructor } => commands::workshop::code(instructor, *action, state).await,
            W::Export { format, output, instructor } => commands::workshop::export(instructor, *format, output.as_deref(), state).await,
        }
    })?;
    print!("{text}");
    Ok(0)
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// The workshop server logs to stderr (one line per request: route, status, time; never
/// tokens or learner data). `KUBEDOJO_LOG=debug` for more.
fn init_server_logging() {
    let level = std::env::var("KUBEDOJO_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(level).with_ansi(false).try_init();
}

/// Logs go to a file in the state folder (never to the screen): `KUBEDOJO_LOG=debug` for more.
fn init_logging() {
    let Some(dir) = kubedojo::progress::store::state_dir() else { return };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("kubedojo.log")) else { return };
    let level = std::env::var("KUBEDOJO_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(tracing::Level::WARN);
    let _ = tracing_subscriber::fmt().with_writer(std::sync::Mutex::new(file)).with_max_level(level).with_ansi(false).try_init();
}
