//! End to end: the real binary in a pseudo-terminal. Open a lesson, scroll, open an exercise,
//! reveal a hint, quit, and read the saved progress.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Tty {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Tty {
    fn spawn(state: &std::path::Path, home: &std::path::Path) -> Self {
        Self::spawn_with(state, home, &[])
    }

    /// The binary with arguments; transcripts go to `home/data`.
    fn spawn_with(state: &std::path::Path, home: &std::path::Path, args: &[&str]) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 100,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_kubedojo"));
        cmd.args(args);
        cmd.env("KUBEDOJO_STATE_DIR", state);
        cmd.env("KUBEDOJO_DATA_DIR", home.join("data"));
        cmd.env("HOME", home);
        cmd.env("XDG_CONFIG_HOME", home.join(".config"));
        cmd.env("TERM", "xterm-256color");
        for var in [
            "KUBECONFIG",
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
        ] {
            cmd.env_remove(var);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn kubedojo");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZero::new(30).expect("rows"),
            std::num::NonZero::new(100).expect("cols"),
            0,
        )));
        let sink = screen.clone();
        std::thread::spawn(move || {
            let _master = pty.master; // keep the pty open while reading
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("screen").process(&buf[..n]);
            }
        });
        Self {
            screen,
            writer,
            child,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().expect("screen").screen().contents()
    }

    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let contents = self.contents();
            if contents.contains(text) {
                return contents;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{contents}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "kubedojo did not exit; screen:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// After exit: the main screen is back, the mouse released, the cursor shown.
    fn assert_restored(&self) {
        std::thread::sleep(Duration::from_millis(100));
        let parser = self.screen.lock().expect("screen");
        let screen = parser.screen();
        assert!(!screen.alternate_screen(), "still on the alternate screen");
        assert_eq!(
            screen.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "mouse still captured"
        );
        assert!(!screen.hide_cursor(), "cursor still hidden");
    }

    fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).expect("write");
        self.writer.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(60));
    }
}

#[test]
fn a_learner_reads_scrolls_takes_a_hint_and_progress_is_saved() {
    let state = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("tempdir");
    let mut tty = Tty::spawn(state.path(), home.path());

    tty.wait_for("Production Kubernetes on AWS EKS");
    tty.wait_for("no cluster configured");
    // open the first lesson
    tty.send("\r");
    tty.wait_for("Lesson · Why production Kubernetes is different");
    let top = tty.contents();
    // scroll: two pages down, then a line with j
    tty.send("\x1b[6~");
    tty.send("\x1b[6~");
    tty.send("j");
    let scrolled = tty.contents();
    assert_ne!(top, scrolled, "the lesson did not scroll");
    // back home, down to the first lab (3 lessons, then the lab), open it
    tty.send("q");
    tty.wait_for("0/17 done");
    tty.send("jjj");
    tty.send("\r");
    tty.wait_for("Exercise · ");
    // reveal the first hint
    tty.send("h");
    tty.wait_for("Hint 1 of 3");
    // quit from the exercise: back, then quit
    tty.send("q");
    tty.send("q");
    let status = tty.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    tty.assert_restored();

    let saved =
        std::fs::read_to_string(state.path().join("progress.json")).expect("progress.json written");
    let progress: serde_json::Value = serde_json::from_str(&saved).expect("valid JSON");
    let pack = &progress["packs"]["eks-production"];
    let lesson = &pack["lessons"]["why-production"];
    assert!(lesson["opened_at"].as_u64().is_some(), "{saved}");
    assert!(
        lesson["scroll"].as_u64().unwrap_or(0) > 0,
        "scroll position not saved: {saved}"
    );
    let steps = pack["exercises"]["eks-cluster"]["steps"]
        .as_object()
        .expect("eks-cluster steps");
    let first = steps
        .values()
        .find(|s| s["hints_revealed"] == 1)
        .unwrap_or_else(|| panic!("no step with a hint: {saved}"));
    assert!(first["hint_revealed_at"].as_u64().is_some());
    assert_eq!(pack["last"]["item"], "eks-cluster");
}

#[test]
fn ctrl_c_quits_from_a_lesson_and_restores_the_terminal() {
    let state = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("tempdir");
    let mut tty = Tty::spawn(state.path(), home.path());
    tty.wait_for("Production Kubernetes on AWS EKS");
    tty.send("\r");
    tty.wait_for("Lesson · ");
    tty.send("\x03");
    assert!(tty.wait_exit().success());
    tty.assert_restored();
    assert!(
        state.path().join("progress.json").exists(),
        "progress saved on Ctrl-C"
    );
}

#[test]
fn sigterm_saves_and_restores_the_terminal() {
    let state = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("tempdir");
    let mut tty = Tty::spawn(state.path(), home.path());
    tty.wait_for("Production Kubernetes on AWS EKS");
    tty.send("jj\r");
    tty.wait_for("Lesson · ");
    let pid = tty.child.process_id().expect("pid");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(tty.wait_exit().success());
    tty.assert_restored();
    let saved = std::fs::read_to_string(state.path().join("progress.json")).expect("saved");
    assert!(saved.contains("eks-architecture"), "{saved}");
}

#[test]
fn a_short_mock_interview_is_timed_scored_and_saved_as_a_transcript() {
    let state = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("tempdir");
    let mut tty = Tty::spawn_with(state.path(), home.path(), &["drill", "--mock", "--questions", "2", "--minutes", "4"]);

    tty.wait_for("Mock interview · question 1 of 2");
    tty.wait_for("/ 2:00");
    // the per-question timer runs
    tty.wait_for("⏱ 0:01");
    tty.send("control plane is AWS's job");
    tty.send("\r");
    tty.send("data plane stays ours");
    tty.wait_for("data plane stays ours");
    // Tab: done, the model answer and the key points
    tty.send("\t");
    tty.wait_for("Model answer");
    tty.wait_for("Key points");
    tty.send(" j "); // tick the first two
    tty.send("\r");
    tty.wait_for("Question 2 of 2");
    tty.send("\t");
    tty.wait_for("Model answer");
    tty.send("3\r");
    let card = tty.wait_for("Scorecard");
    assert!(card.contains("2 of "), "{card}");
    tty.wait_for("Transcript saved");
    // back to the course, then quit
    tty.send("q");
    tty.wait_for("Production Kubernetes on AWS EKS");
    tty.send("q");
    let status = tty.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    tty.assert_restored();

    let dir = home.path().join("data/mocks");
    let files: Vec<_> = std::fs::read_dir(&dir).expect("transcripts folder").filter_map(Result::ok).collect();
    assert_eq!(files.len(), 1, "one transcript in {}", dir.display());
    let text = std::fs::read_to_string(files[0].path()).expect("transcript");
    assert!(text.starts_with("# Mock interview, "), "{text}");
    assert!(text.contains("> control plane is AWS's job  \n> data plane stays ours"), "the notes, line by line: {text}");
    assert!(text.contains("- [x] "), "ticked key points: {text}");
    assert!(text.contains("### Model answer"), "{text}");
    assert!(text.contains("| 2 | "), "both questions in the table: {text}");
    // the scored answers count as reviews in the drills
    let saved = std::fs::read_to_string(state.path().join("progress.json")).expect("progress.json");
    let progress: serde_json::Value = serde_json::from_str(&saved).expect("JSON");
    let log = progress["packs"]["eks-production"]["drill"]["log"].as_array().cloned().unwrap_or_default();
    assert_eq!(log.len(), 2, "{saved}");
}
