//! Performance figures of the foundation, measured (not asserted): `cargo bench --bench perf`.
//! - start to first frame, in-process and for the real binary in a pseudo-terminal
//! - loading and validating the built-in course
//! - one frame of the longest lesson, scrolled
//! - max RSS of the binary while reading every lesson
//! - the drills: the next card among 10,000 review records; opening the drill screen

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kubedojo::app::{self, Action, App};
use kubedojo::checks::catalog;
use kubedojo::content::{self, ItemRef, PackFiles};
use kubedojo::input::Keymap;
use kubedojo::progress::store::Store;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let state = tempfile::tempdir().expect("tempdir");
    println!("{:<58} {:>12}", "measure", "median");

    let load = time(50, || content::load(&PackFiles::embedded(), &catalog::known_kinds()));
    println!("{:<58} {:>9.2} ms", "load + validate the built-in course", ms(load));
    let today = jiff::Zoned::now().date();
    let lint = time(20, || content::lint::lint(&PackFiles::embedded(), &catalog::known_kinds(), today));
    println!("{:<58} {:>9.2} ms", "full lint (links, fenced YAML, assets)", ms(lint));

    let first_frame = time(30, || {
        let (pack, files) = kubedojo::session::load_pack(PackFiles::embedded()).expect("pack");
        let mut store = Store::at(state.path().join("progress.json"));
        let progress = store.load().into_progress();
        let app = App::new(pack, files, progress, Keymap::built_in(), (120, 40));
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        terminal.draw(|f| kubedojo::ui::draw(f, &app)).expect("draw");
    });
    println!("{:<58} {:>9.2} ms", "start to first frame, in process (load, progress, draw)", ms(first_frame));

    // the longest lesson, scrolled to its middle
    let (pack, files) = kubedojo::session::load_pack(PackFiles::embedded()).expect("pack");
    let longest = (0..pack.lessons.len()).max_by_key(|&i| pack.lessons[i].body.text.len()).expect("lessons");
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let open = time(20, || {
            let mut a = App::new(pack.clone(), files.clone(), Default::default(), Keymap::built_in(), (w, h));
            app::update(&mut a, Action::Resize(w, h));
            kubedojo::app::update::open_item(&mut a, ItemRef::Lesson(longest))
        });
        let kb = pack.lessons[longest].body.text.len() / 1024;
        println!("{:<58} {:>9.2} ms", format!("open the longest lesson ({kb} KB): parse, highlight, layout ({w}x{h})"), ms(open));
    }
    let mut app = App::new(pack.clone(), files.clone(), Default::default(), Keymap::built_in(), (80, 24));
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        app::update(&mut app, Action::Resize(w, h));
        kubedojo::app::update::open_item(&mut app, ItemRef::Lesson(longest));
        for _ in 0..60 {
            app::update(&mut app, Action::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)));
        }
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        let frame = time(500, || terminal.draw(|f| kubedojo::ui::draw(f, &app)).map(|_| ()));
        println!("{:<58} {:>9.3} ms", format!("one frame of the longest lesson, scrolled ({w}x{h})"), ms(frame));
    }
    let mut width = 100;
    let relayout = time(50, || {
        width = if width == 100 { 90 } else { 100 };
        app::update(&mut app, Action::Resize(width, 40))
    });
    println!("{:<58} {:>9.2} ms", "re-wrap the longest lesson on resize", ms(relayout));

    drill_figures(&pack, &files);
    binary_figures(state.path());
}

/// The drills with a large record: the next card among 10,000 review records, and opening the
/// drill screen (deck index, queue, first card laid out).
fn drill_figures(pack: &Arc<content::Pack>, files: &Arc<PackFiles>) {
    use kubedojo::drill::queue::{Deck, Session};
    use kubedojo::drill::schedule::Scheduler;
    use kubedojo::progress::drill::Grade;
    use kubedojo::progress::drill::{DrillProgress, ReviewEntry};
    // a pack with 10,000 cards (the built-in ones, repeated) and a review record for each
    let mut big = (**pack).clone();
    let base = big.cards.clone();
    big.cards.clear();
    for i in 0..10_000 {
        let mut c = base[i % base.len()].clone();
        c.id = format!("{}-{i}", c.id);
        big.cards.push(c);
    }
    let sched = Scheduler::default();
    let today = kubedojo::drill::day_at(kubedojo::clock::unix_now());
    let mut drill = DrillProgress::default();
    for (i, c) in big.cards.iter().enumerate() {
        let day = today - 400 + (i % 400) as i64;
        let grade = Grade::ALL[i % 4];
        let state = sched.review(None, grade, day);
        drill.record(ReviewEntry { day, at: 0, item: c.id.clone(), grade, new: true, secs: 10 }, state);
    }
    let deck = Deck::new(&big);
    let session = Session::new(None);
    let due = session.counts(&big, &deck, &drill, today).due;
    let next = time(50, || session.next(&big, &deck, &drill, &sched, today));
    println!("{:<58} {:>9.3} ms", format!("next card among 10,000 review records ({due} due)"), ms(next));

    let mut progress = kubedojo::progress::Progress::default();
    progress.pack_mut(&pack.id).drill = drill.clone();
    let big = Arc::new(big);
    let opens: Vec<Duration> = (0..20)
        .map(|_| {
            let mut a = App::new(big.clone(), files.clone(), progress.clone(), Keymap::built_in(), (120, 40));
            app::update(&mut a, Action::Resize(120, 40));
            let t = Instant::now();
            kubedojo::app::drill::open(&mut a, None);
            let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
            terminal.draw(|f| kubedojo::ui::draw(f, &a)).expect("draw");
            t.elapsed()
        })
        .collect();
    println!("{:<58} {:>9.2} ms", "open the drill screen (10,000 records) and draw it", ms(median(opens)));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The real binary in a pseudo-terminal: time to the first frame, and max RSS while reading.
fn binary_figures(state: &std::path::Path) {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/kubedojo");
    let bin = std::env::var("KUBEDOJO_BIN").map(std::path::PathBuf::from).unwrap_or(bin);
    if !bin.exists() {
        println!("(build the release binary for the binary figures: cargo build --release)");
        return;
    }
    let mut firsts = Vec::new();
    let mut rss = 0;
    for run in 0..10 {
        let pty = native_pty_system().openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 }).expect("pty");
        let mut cmd = CommandBuilder::new(&bin);
        cmd.env("KUBEDOJO_STATE_DIR", state);
        cmd.env("TERM", "xterm-256color");
        // reading only: no cluster to connect to
        cmd.env_remove("KUBECONFIG");
        cmd.env("HOME", state);
        let started = Instant::now();
        let mut child = pty.slave.spawn_command(cmd).expect("spawn");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let mut writer = pty.master.take_writer().expect("writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(std::num::NonZero::new(40).expect("rows"), std::num::NonZero::new(120).expect("cols"), 0)));
        let sink = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("lock").process(&buf[..n]);
            }
        });
        while !parser.lock().expect("lock").screen().contents().contains("Production Kubernetes") {
            std::thread::sleep(Duration::from_micros(200));
        }
        firsts.push(started.elapsed());
        if run == 0 {
            // read every lesson: open, page to the end, back
            let pid = child.process_id().expect("pid");
            for _ in 0..17 {
                writer.write_all(b"\r").expect("w");
                std::thread::sleep(Duration::from_millis(40));
                for _ in 0..40 {
                    writer.write_all(b"\x1b[6~").expect("w");
                }
                std::thread::sleep(Duration::from_millis(80));
                writer.write_all(b"q").expect("w");
                writer.write_all(b"j").expect("w");
                std::thread::sleep(Duration::from_millis(40));
            }
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            rss = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()).unwrap_or(0);
        }
        writer.write_all(b"\x03").expect("w");
        let _ = child.wait();
        drop(pty.master);
    }
    println!("{:<58} {:>9.2} ms", "start to first frame, release binary in a pty", ms(median(firsts)));
    println!("{:<58} {:>9.1} MB", "max RSS after reading every lesson and lab", rss as f64 / 1024.0);
}
