//! The README documents what the code does: its key map is generated from the key map data.

#[test]
fn readme_key_map_is_the_keymap() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let table = kubedojo::input::Keymap::built_in().markdown();
    assert!(readme.contains(&table), "README.md's key map is out of date; replace it with:\n\n{table}");
    // the key map section holds the tables and nothing pasted after them
    let section = readme.split("## Key map").nth(1).and_then(|s| s.split("\n## ").next()).unwrap_or_default();
    assert!(!section.contains("stack backtrace"), "README's key map section has stray text");
}

#[test]
fn readme_names_the_test_command_that_ci_runs() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).expect(".ci/run");
    assert!(readme.contains("bash tests/run-all.sh"));
    assert!(ci.contains("tests/run-all.sh"));
}

#[test]
fn readme_sandbox_table_is_the_parts_data() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let table = kubedojo::sandbox::parts::markdown();
    assert!(readme.contains(&table), "README.md's sandbox table is out of date (src/sandbox/parts.toml is the source); replace it with:\n\n{table}");
}
