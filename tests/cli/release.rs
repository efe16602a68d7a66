//! The release pieces agree with each other: the workflow's archive names are the ones
//! cargo-binstall's metadata points at, the Homebrew formula has an archive and a checksum for
//! each target the workflow builds, and the `dist` profile is what the README says. The workflow
//! itself cannot run here (no GitHub runners); CI builds the host target of the same profile.

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn manifest() -> toml::Table {
    toml::from_str(&read("Cargo.toml")).expect("Cargo.toml")
}

fn workflow() -> Value {
    serde_saphyr::from_str(&read(".github/workflows/release.yml")).expect("release.yml is YAML")
}

fn targets(wf: &Value) -> Vec<String> {
    wf["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a matrix")
        .iter()
        .map(|e| e["target"].as_str().expect("target").to_string())
        .collect()
}

#[test]
fn the_workflow_builds_the_four_archives_on_a_tag() {
    let wf = workflow();
    assert_eq!(wf["on"]["push"]["tags"][0], "v*");
    let mut t = targets(&wf);
    t.sort();
    assert_eq!(t, ["aarch64-apple-darwin", "aarch64-unknown-linux-musl", "x86_64-apple-darwin", "x86_64-unknown-linux-musl"]);
    let steps = wf["jobs"]["build"]["steps"].as_array().expect("steps");
    let build = steps.iter().find(|s| s["name"] == "Build").expect("a Build step");
    assert_eq!(build["run"], "cargo build --locked --profile dist --bin kubedojo --target ${{ matrix.target }}");
    let archive = steps.iter().find(|s| s["name"] == "Archive").expect("an Archive step")["run"].as_str().expect("run").to_string();
    assert!(archive.contains(r#"name="kubedojo-$GITHUB_REF_NAME-${{ matrix.target }}""#), "{archive}");
    assert!(archive.contains("shasum -a 256"), "each archive has its SHA-256");
    assert!(archive.contains(r#"cp "$bin" README.md LICENSE "$name/""#), "the archive carries the licence: {archive}");
}

/// The licence Cargo.toml names is in the repository and in the published crate.
#[test]
fn the_licence_ships_with_the_crate_and_the_archives() {
    let m = manifest();
    assert_eq!(m["package"]["license"].as_str(), Some("Apache-2.0"));
    let include: Vec<&str> = m["package"]["include"].as_array().expect("include").iter().filter_map(|v| v.as_str()).collect();
    assert!(include.contains(&"/LICENSE"), "{include:?}");
    let text = read("LICENSE");
    assert!(text.contains("Apache License") && text.contains("Version 2.0, January 2004") && text.contains("END OF TERMS AND CONDITIONS"));
}

#[test]
fn binstall_points_at_the_archives_the_workflow_makes() {
    let m = manifest();
    let package = m["package"].as_table().expect("[package]");
    let version = package["version"].as_str().expect("version");
    let repo = package["repository"].as_str().expect("repository");
    let bin = &package["metadata"]["binstall"];
    assert_eq!(bin["pkg-fmt"].as_str(), Some("tgz"));
    for target in targets(&workflow()) {
        // the templates of cargo-binstall's SUPPORT.md, expanded as it does for this target
        let expand = |t: &str| {
            t.replace("{ repo }", repo)
                .replace("{ version }", version)
                .replace("{ name }", "kubedojo")
                .replace("{ target }", &target)
                .replace("{ archive-suffix }", ".tar.gz")
                .replace("{ bin }", "kubedojo")
                .replace("{ binary-ext }", "")
        };
        // what the workflow's Archive step names them for tag v{version}
        let dir = format!("kubedojo-v{version}-{target}");
        assert_eq!(expand(bin["pkg-url"].as_str().expect("pkg-url")), format!("{repo}/releases/download/v{version}/{dir}.tar.gz"));
        assert_eq!(expand(bin["bin-dir"].as_str().expect("bin-dir")), format!("{dir}/kubedojo"));
    }
}

#[test]
fn the_formula_has_each_archive_and_its_checksum() {
    let formula = read("packaging/homebrew/kubedojo.rb.in");
    let wf = read(".github/workflows/release.yml");
    for target in targets(&workflow()) {
        assert!(formula.contains(&format!("kubedojo-v@VERSION@-{target}.tar.gz\"")), "the formula's url for {target}");
        assert!(formula.contains(&format!("sha256 \"@SHA256_{target}@\"")), "the formula's sha256 for {target}");
        assert!(wf.contains(target.as_str()), "the workflow fills in {target}");
    }
    assert!(formula.contains(r#"generate_completions_from_executable(bin/"kubedojo", "completions")"#));
}

#[test]
fn the_dist_profile_is_small_and_keeps_unwinding() {
    let m = manifest();
    let dist = m["profile"]["dist"].as_table().expect("[profile.dist]");
    assert_eq!(dist["inherits"].as_str(), Some("release"));
    assert_eq!(dist["lto"].as_str(), Some("fat"));
    assert_eq!(dist["codegen-units"].as_integer(), Some(1));
    assert_eq!(dist["strip"].as_bool(), Some(true));
    // cargo 1.95 took the binary's strip from its package table (debuginfo only without this)
    assert_eq!(dist["package"]["kubedojo"]["strip"].as_bool(), Some(true), "[profile.dist.package.kubedojo] strip");
    // a panic in a task ends that task, not the TUI or a workshop server; the hook restores the terminal
    assert!(dist.get("panic").is_none_or(|p| p.as_str() == Some("unwind")));
    let package = m["package"].as_table().expect("[package]");
    let include: Vec<&str> = package["include"].as_array().expect("include").iter().filter_map(|v| v.as_str()).collect();
    for embedded in ["/lessons/**", "/exercises/**", "/assets/**", "/course.toml", "/versions.toml", "/src/**", "/build.rs"] {
        assert!(include.contains(&embedded), "cargo package ships {embedded}, which the binary embeds");
    }
}
