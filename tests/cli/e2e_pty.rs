//! End to end: the real binary in a pseudo-terminal. Open a lesson, scroll, open an exercise,
//! reveal a hint, quit, and read the saved progress.

use crate::common::tty::Tty;

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
    // back home, down to the first lab (five lessons, then the lab), open it
    tty.send("q");
    tty.wait_for("0/19 done");
    tty.send("jjjjj");
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

    let saved = std::fs::read_to_string(state.path().join("progress.json")).expect("progress.json written");
    let progress: serde_json::Value = serde_json::from_str(&saved).expect("valid JSON");
    let pack = &progress["packs"]["eks-production"];
    let lesson = &pack["lessons"]["why-production"];
    assert!(lesson["opened_at"].as_u64().is_some(), "{saved}");
    assert!(lesson["scroll"].as_u64().unwrap_or(0) > 0, "scroll position not saved: {saved}");
    let steps = pack["exercises"]["eks-cluster"]["steps"].as_object().expect("eks-cluster steps");
    let first = steps.values().find(|s| s["hints_revealed"] == 1).unwrap_or_else(|| panic!("no step with a hint: {saved}"));
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
    tty.wait_for("Lesson · Why production");
    tty.send("\x03");
    assert!(tty.wait_exit().success());
    tty.assert_restored();
    assert!(state.path().join("progress.json").exists(), "progress saved on Ctrl-C");
}

/// Every signal that asks a program to end (kill's TERM, HUP, INT and QUIT; in raw mode Ctrl-C
/// and Ctrl-\\ are keys, so INT and QUIT come only from outside): progress is saved and the
/// terminal restored, as `q` leaves.
#[test]
fn a_signal_to_end_saves_and_restores_the_terminal() {
    for signal in ["TERM", "HUP", "INT", "QUIT"] {
        let state = tempfile::tempdir().expect("tempdir");
        let home = tempfile::tempdir().expect("tempdir");
        let mut tty = Tty::spawn(state.path(), home.path());
        tty.wait_for("Production Kubernetes on AWS EKS");
        tty.send("jj\r");
        // the lesson's own title bar (the home screen's details say "Lesson · N min" too)
        tty.wait_for("Lesson · EKS architecture");
        let pid = tty.child.process_id().expect("pid");
        let status = std::process::Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status().expect("kill");
        assert!(status.success());
        let exit = tty.wait_exit();
        tty.assert_restored();
        assert!(exit.success(), "SIG{signal}: exit status {exit:?}");
        let saved = std::fs::read_to_string(state.path().join("progress.json")).unwrap_or_else(|e| panic!("SIG{signal}: progress not saved ({e})"));
        assert!(saved.contains("eks-architecture"), "SIG{signal}: {saved}");
    }
}

/// A signal during start-up, before or after the terminal turns raw, never leaves it raw: the
/// handlers are installed before raw mode, so a signal in that window waits for the loop.
/// Sent at delays that sweep start-up (content loading, raw mode, the first frame).
#[test]
fn a_signal_during_start_up_never_leaves_the_terminal_raw() {
    for delay in (0..=80).step_by(8) {
        let state = tempfile::tempdir().expect("tempdir");
        let home = tempfile::tempdir().expect("tempdir");
        let mut tty = Tty::spawn(state.path(), home.path());
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let pid = tty.child.process_id().expect("pid");
        let status = std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status().expect("kill");
        assert!(status.success());
        // killed before its handlers were installed, or ended by the loop: either way it ends
        let _ = tty.wait_exit();
        tty.assert_restored();
    }
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
