//! Every failure path of every check kind is driven by a test, and says what it found, what it
//! expected and what to run or change next.
//!
//! `outcome::fail` only builds a failure with all three (the type will not let a check return
//! one without), and with `KUBEDOJO_FAILURE_LOG` set it appends each failure it builds to that
//! file with the file:line of its `fail(` call. `tests/run-all.sh` sets the variable for the whole
//! suite, then runs this test, which reads the log and lists every `fail(` in `src/checks` that no
//! test reached, and every failure whose found, expected or next was empty.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The `fail(` calls in the checks' source (outside unit tests), as `file:line` -> the line.
fn sites(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.join("src/checks")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src/checks") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&path).expect("read source");
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("#[cfg(test)]") {
                    break;
                }
                let code = line.split("//").next().unwrap_or_default();
                if calls_fail(code) {
                    out.insert(format!("{rel}:{}", n + 1), line.trim().to_string());
                }
            }
        }
    }
    out
}

/// `fail(` as a call (`fail(`, `::fail(`), not `fn fail(` nor a longer name ending in `fail`.
fn calls_fail(code: &str) -> bool {
    code.match_indices("fail(").any(|(i, _)| {
        let before = &code[..i];
        let prev = before.chars().next_back();
        !prev.is_some_and(|c| c.is_alphanumeric() || c == '_') && !before.trim_end().ends_with("fn")
    })
}

#[test]
fn the_site_scanner_finds_calls_only() {
    assert!(calls_fail("        return Ok(fail(format!(\"x\"))"));
    assert!(calls_fail("ok_or_else(|| super::outcome::fail(\"x\"))"));
    assert!(!calls_fail("pub fn fail(message: impl Into<String>) -> Failing {"));
    assert!(!calls_fail("let r = will_fail(x);"));
}

#[derive(serde::Deserialize)]
struct Logged {
    site: String,
    message: String,
    found: Option<String>,
    expected: Option<String>,
    next: Option<String>,
}

#[test]
#[ignore = "reads the failure log the whole suite writes: tests/run-all.sh runs it after the suite"]
fn every_failure_path_is_driven_and_says_found_expected_and_next() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let log = std::env::var_os("KUBEDOJO_FAILURE_LOG").expect("KUBEDOJO_FAILURE_LOG is not set: run the suite with it set first (tests/run-all.sh does both)");
    let text = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("cannot read the failure log {}: {e}", Path::new(&log).display()));
    let sites = sites(root);
    assert!(sites.len() > 100, "found only {} fail( calls under src/checks: is the scanner broken?", sites.len());

    let mut driven = BTreeSet::new();
    let mut incomplete = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let l: Logged = serde_json::from_str(line).unwrap_or_else(|e| panic!("failure log line {}: {e}: {line}", n + 1));
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        let mut missing = Vec::new();
        if blank(&l.found) {
            missing.push("found");
        }
        if blank(&l.expected) {
            missing.push("expected");
        }
        if blank(&l.next) {
            missing.push("next");
        }
        if l.next.as_deref().is_some_and(|n| n.trim() == l.message.trim()) {
            missing.push("a next that is not the message again");
        }
        if !missing.is_empty() {
            incomplete.entry(l.site.clone()).or_insert_with(|| format!("{} lacks {}: {:?}", l.site, missing.join(", "), l.message));
        }
        driven.insert(l.site);
    }
    let undriven: Vec<String> = sites.iter().filter(|(site, _)| !driven.contains(*site)).map(|(site, line)| format!("{site}: {line}")).collect();
    println!("{} of {} failure paths driven; {} failures logged", sites.len() - undriven.len(), sites.len(), text.lines().count());
    assert!(incomplete.is_empty(), "failures without found, expected and next:\n{}", incomplete.into_values().collect::<Vec<_>>().join("\n"));
    assert!(
        undriven.is_empty(),
        "{} of {} failure paths were not driven by any test (write a test that makes the check fail this way):\n{}",
        undriven.len(),
        sites.len(),
        undriven.join("\n")
    );
}
