//! The binary's non-interactive commands against good and bad packs (assert_cmd).

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn kubedojo(state: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kubedojo").expect("binary");
    cmd.env("KUBEDOJO_STATE_DIR", state).env_remove("KUBECONFIG");
    cmd
}

/// Copy the fixture pack to a temp folder and apply edits (path, old, new) to break it.
fn broken_pack(edits: &[(&str, &str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pack"), dir.path());
    for (file, old, new) in edits {
        let path = dir.path().join(file);
        let text = fs::read_to_string(&path).unwrap_or_default();
        assert!(old.is_empty() || text.contains(old), "{file} has no {old:?}");
        let text = if old.is_empty() { format!("{text}{new}") } else { text.replacen(old, new, 1) };
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn lint(edits: &[(&str, &str, &str)]) -> (String, i32) {
    let pack = broken_pack(edits);
    let state = tempfile::tempdir().expect("tempdir");
    let out = kubedojo(state.path()).arg("lint").arg(pack.path()).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout).replace(&format!("{}/", pack.path().display()), "");
    (text, out.status.code().unwrap_or(-1))
}

#[test]
fn the_built_in_course_lints_clean() {
    let state = tempfile::tempdir().expect("tempdir");
    kubedojo(state.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", "--strict"])
        .assert()
        .success()
        .stdout(predicate::str::contains("10 lessons, 9 exercises").and(predicate::str::contains("0 errors, 0 warnings")));
}

#[test]
fn the_fixture_pack_lints_clean() {
    let (out, code) = lint(&[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn bad_front_matter_is_located() {
    let (out, code) = lint(&[("lessons/01-every-element.md", "minutes: 7", "minutes: seven")]);
    assert_eq!(code, 1);
    assert!(out.contains("lessons/01-every-element.md:4:10: error: front matter"), "{out}");
}

#[test]
fn duplicate_ids_name_the_first_definition() {
    let (out, code) = lint(&[("lessons/02-copy.md", "", "---\nid: every-element\ntitle: Copy\nminutes: 1\n---\nbody\n")]);
    assert_eq!(code, 1);
    assert!(out.contains("lessons/02-copy.md:2:1: error: duplicate id \"every-element\""), "{out}");
    assert!(out.contains("first defined at lessons/01-every-element.md:2"), "{out}");
}

#[test]
fn unknown_check_kind_suggests_the_near_one() {
    let (out, code) = lint(&[("exercises/demo/exercise.toml", "kind = \"k8s.namespace\"", "kind = \"k8s.namespaces\"")]);
    assert_eq!(code, 1);
    assert!(out.contains("exercises/demo/exercise.toml:29:1: error: unknown check kind \"k8s.namespaces\""), "{out}");
    assert!(out.contains("did you mean \"k8s.namespace\"?"), "{out}");
}

#[test]
fn unknown_check_parameter_lists_the_allowed_ones() {
    let (out, code) = lint(&[("exercises/demo/exercise.toml", "name = \"{{ns}}\"", "nmae = \"{{ns}}\"")]);
    assert_eq!(code, 1);
    assert!(out.contains("k8s.namespace: unknown parameter \"nmae\""), "{out}");
    assert!(out.contains("k8s.namespace takes: name"), "{out}");
}

/// A teardown entry the checker could not look up is reported where it is written, not when a
/// learner runs the check.
#[test]
fn a_teardown_entry_of_the_wrong_shape_is_an_error() {
    let (out, code) = lint(&[(
        "exercises/demo/exercise.toml",
        "kind = \"k8s.namespace\"\nname = \"{{ns}}\"",
        "kind = \"teardown.cluster-clean\"\nobjects = [\"Deployment {{ns}}/web\", \"Deployment\", \"Service a/b/c\"]\n\n[[steps.checks]]\nkind = \"teardown.clean\"\niamServiceAccounts = [\"kube-system/ca\"]",
    )]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("teardown.cluster-clean: the objects entry \"Deployment\" is not `Kind NAME` or `Kind NAMESPACE/NAME`"), "{out}");
    assert!(out.contains("the objects entry \"Service a/b/c\" is not"), "{out}");
    assert!(!out.contains("\"Deployment {{ns}}/web\" is not"), "a good entry passes: {out}");
    assert!(out.contains("teardown.clean: the iamServiceAccounts entry \"kube-system/ca\" is not NAMESPACE/NAME:ROLE"), "{out}");
}

#[test]
fn missing_asset_file() {
    let (out, code) = lint(&[("exercises/demo/exercise.toml", "demo/namespace.yaml", "demo/nope.yaml")]);
    assert_eq!(code, 1);
    assert!(out.contains("exercises/demo/exercise.toml:26:10: error: solution file assets/demo/nope.yaml does not exist"), "{out}");
}

#[test]
fn broken_internal_links() {
    let (out, code) = lint(&[
        ("lessons/01-every-element.md", "(exercise:demo)", "(exercise:demo/nostep)"),
        ("lessons/01-every-element.md", "A paragraph with", "See [missing](lesson:every-elemen) and [file](02-none.md). A paragraph with"),
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("lessons/01-every-element.md:12:5: error: link to unknown lesson \"every-elemen\""), "{out}");
    assert!(out.contains("did you mean \"every-element\"?"), "{out}");
    assert!(out.contains("error: link target \"02-none.md\" does not exist"), "{out}");
    assert!(out.contains("error: exercise \"demo\" has no step \"nostep\""), "{out}");
}

#[test]
fn fenced_yaml_that_does_not_parse() {
    let (out, code) = lint(&[("lessons/01-every-element.md", "  namespace: shop\n", "  namespace: [shop\n")]);
    assert_eq!(code, 1);
    assert!(out.contains("lessons/01-every-element.md:"), "{out}");
    assert!(out.contains("error: yaml block does not parse"), "{out}");
}

#[test]
fn a_shell_block_with_an_unknown_word_is_refused() {
    let (out, code) = lint(&[("lessons/01-every-element.md", "```bash\n", "```bash if-neded\n")]);
    assert_eq!(code, 1);
    assert!(out.contains("lessons/01-every-element.md:55:1: error: ```bash if-neded: unknown word after the language"), "{out}");
    assert!(out.contains("or, if-needed, afterwards, watch"), "{out}");
}

#[test]
fn a_code_block_never_closed_is_refused() {
    let (out, code) = lint(&[("lessons/01-every-element.md", "}\n```\n\n### Check yourself", "}\n\n### Check yourself")]);
    assert_eq!(code, 1);
    assert!(out.contains("lessons/01-every-element.md:65:1: error: code block is never closed: the rest of the text renders as code"), "{out}");
    assert_eq!(out.matches("never closed").count(), 1, "only the open one: {out}");
}

#[test]
fn fenced_yaml_error_points_at_its_line_in_an_exercise() {
    let (out, code) = lint(&[("exercises/demo/exercise.toml", "\"Deploy something.\"", "\"\"\"\nDeploy:\n\n```yaml\na: b\n  c: d\n```\n\"\"\"")]);
    assert_eq!(code, 1);
    // the bad line `  c: d` is line 45 of the file
    assert!(out.contains("exercises/demo/exercise.toml:45:"), "{out}");
}

#[test]
fn undefined_variables_and_items_outside_the_course() {
    let (out, code) =
        lint(&[("exercises/demo/exercise.toml", "Deploy something.", "Deploy in {{namespace}}."), ("course.toml", "items = [\"demo\"]", "items = []")]);
    assert_eq!(code, 1);
    assert!(out.contains("error: unknown variable {{namespace}}"), "{out}");
    assert!(out.contains("error: exercise \"demo\" is not in course.toml"), "{out}");
}

#[test]
fn too_few_hints_is_a_warning_and_strict_fails_on_it() {
    let pack = broken_pack(&[("exercises/demo/exercise.toml", "hints = [\"one\", \"two\", \"three\"]", "hints = [\"one\"]")]);
    let state = tempfile::tempdir().expect("tempdir");
    kubedojo(state.path()).arg("lint").arg(pack.path()).assert().success().stdout(predicate::str::contains("warning: step \"deploy\" has 1 hint level(s)"));
    kubedojo(state.path()).args(["lint", "--strict"]).arg(pack.path()).assert().code(1);
}

/// Completion scripts and manual pages come from the clap definitions: bash reads its script
/// without a syntax error and it completes the subcommands; man renders the page.
#[test]
fn completions_and_manual_pages_are_generated() {
    let state = tempfile::tempdir().expect("tempdir");
    let bash = kubedojo(state.path()).args(["completions", "bash"]).output().expect("run");
    assert!(bash.status.success());
    let script = state.path().join("kubedojo.bash");
    fs::write(&script, &bash.stdout).expect("write");
    let syntax = std::process::Command::new("bash").arg("-n").arg(&script).output().expect("bash");
    assert!(syntax.status.success(), "{}", String::from_utf8_lossy(&syntax.stderr));
    let completed = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {}; COMP_WORDS=(kubedojo sand); COMP_CWORD=1; _kubedojo kubedojo sand kubedojo; echo \"${{COMPREPLY[*]}}\"", script.display()))
        .output()
        .expect("bash");
    assert_eq!(String::from_utf8_lossy(&completed.stdout).trim(), "sandbox", "{}", String::from_utf8_lossy(&completed.stderr));
    let zsh = kubedojo(state.path()).args(["completions", "zsh"]).output().expect("run");
    assert!(String::from_utf8_lossy(&zsh.stdout).starts_with("#compdef kubedojo"));
    let fish = kubedojo(state.path()).args(["completions", "fish"]).output().expect("run");
    assert!(String::from_utf8_lossy(&fish.stdout).contains("complete -c kubedojo"));

    let man = kubedojo(state.path()).arg("man").output().expect("run");
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(page.contains(".TH kubedojo 1") && page.contains("sandbox"), "{page}");
    let dir = state.path().join("man");
    kubedojo(state.path()).args(["man", "--dir"]).arg(&dir).assert().success().stdout(predicate::str::contains("manual pages in"));
    for page in ["kubedojo.1", "kubedojo-sandbox-up.1", "kubedojo-scenario-start.1"] {
        assert!(dir.join(page).is_file(), "{page} not written");
    }
}

#[test]
fn lint_lists_the_check_kinds() {
    let state = tempfile::tempdir().expect("tempdir");
    kubedojo(state.path())
        .args(["lint", "--kinds"])
        .assert()
        .success()
        .stdout(predicate::str::contains("irsa.trust-policy").and(predicate::str::contains("namespace, serviceAccount")));
}

#[test]
fn list_prints_the_course_and_progress() {
    let state = tempfile::tempdir().expect("tempdir");
    fs::write(
        state.path().join("progress.json"),
        r#"{"version":1,"packs":{"eks-production":{"lessons":{"why-production":{"opened_at":1,"completed_at":2}},"exercises":{"eks-cluster":{"steps":{"preflight":{"completed_at":3}}}}}}}"#,
    )
    .expect("write");
    let out = kubedojo(state.path()).arg("list").assert().success().get_output().stdout.clone();
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("Production Kubernetes on AWS EKS (eks-production): 1/19 done"), "{out}");
    assert!(out.contains("●  1. Why production Kubernetes is different"), "{out}");
    assert!(out.contains("1/6 steps   $0.83/h    in progress"), "what the cluster lab bills per hour: {out}");
    assert!(out.contains("IRSA: an app that reads S3 with its own IAM role         0/5 steps   +$0/h"), "a lab that adds nothing to the cluster: {out}");
    // a title longer than its column is cut, and the counts stay in their column
    assert!(out.contains("Expose a service over HTTPS with the AWS Load Balancer…  0/6 steps"), "{out}");
    let columns: std::collections::BTreeSet<usize> =
        out.lines().filter(|l| l.contains(" steps ")).map(|l| l[..l.find(" steps ").unwrap_or(0)].chars().count()).collect();
    assert_eq!(columns.len(), 1, "the step counts in one column: {out}");
}

#[test]
fn a_corrupt_progress_file_is_moved_aside_not_lost() {
    let state = tempfile::tempdir().expect("tempdir");
    fs::write(state.path().join("progress.json"), "{\"version\": 1, \"packs\": {").expect("write");
    kubedojo(state.path())
        .arg("list")
        .assert()
        .success()
        .stderr(predicate::str::contains("could not be read").and(predicate::str::contains("progress.json.corrupt-")))
        .stdout(predicate::str::contains("0/19 done"));
    let moved: Vec<_> =
        fs::read_dir(state.path()).expect("dir").filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().contains("corrupt")).collect();
    assert_eq!(moved.len(), 1);
    assert_eq!(fs::read_to_string(moved[0].path()).expect("read"), "{\"version\": 1, \"packs\": {");
}

#[test]
fn a_broken_pack_refuses_to_start_with_located_errors() {
    let pack = broken_pack(&[("course.toml", "id = \"fixture\"", "id = \"Fixture Pack\"")]);
    let state = tempfile::tempdir().expect("tempdir");
    kubedojo(state.path())
        .arg("--pack")
        .arg(pack.path())
        .arg("list")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("course.toml:1:6: error: pack id \"Fixture Pack\" is not a valid id"));
}

#[test]
fn a_missing_pack_folder_is_a_clear_error() {
    let state = tempfile::tempdir().expect("tempdir");
    kubedojo(state.path()).args(["--pack", "/nonexistent/pack", "list"]).assert().code(2).stderr(predicate::str::contains("/nonexistent/pack"));
}

const TABLE: &str = r#"[kubernetes]
lab = "1.36"
source = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"
verified = 2026-12-06

[[kubernetes.releases]]
version = "1.36"
released = 2026-06-02
end_of_standard = 2027-08-02
end_of_extended = 2028-08-02

[components.busybox]
name = "BusyBox image"
version = "1.37"
repository = "public.ecr.aws/docker/library/busybox"
source = "https://github.com/docker-library/official-images"
verified = 2026-12-06
"#;

#[test]
fn the_version_table_ages_and_versions_outside_it_are_reported() {
    let pack = broken_pack(&[
        ("versions.toml", "", TABLE),
        (
            "assets/demo/job.yaml",
            "",
            "spec:\n  containers:\n    - image: public.ecr.aws/docker/library/busybox:1.36\n    - image: {{versions.busybox.image}}\n    - image: quay.io/other/tool:2.1.0\n",
        ),
        ("lessons/01-every-element.md", "", "\nCreate it with `eksctl create cluster --version 1.35`, on {{versions.kubernetes}}, with {{versions.nosuch}}.\n"),
    ]);
    let state = tempfile::tempdir().expect("tempdir");
    let lint_on = |day: &str| {
        let out = kubedojo(state.path()).arg("lint").arg(pack.path()).args(["--on", day]).output().expect("run");
        (String::from_utf8_lossy(&out.stdout).replace(&format!("{}/", pack.path().display()), ""), out.status.code().unwrap_or(-1))
    };
    let (out, code) = lint_on("2026-12-06");
    assert_eq!(code, 1, "an unknown table variable is an error: {out}");
    assert!(out.contains("assets/demo/job.yaml:3:14: warning: image public.ecr.aws/docker/library/busybox:1.36 is pinned outside the version table\n  hint: write {{versions.busybox.image}}"), "{out}");
    assert!(
        out.contains(
            "assets/demo/job.yaml:5:14: warning: image quay.io/other/tool:2.1.0 is pinned outside the version table\n  hint: add the component to versions.toml"
        ),
        "{out}"
    );
    assert!(out.contains("warning: Kubernetes 1.35 is pinned outside the version table"), "{out}");
    assert!(out.contains("error: unknown variable {{versions.nosuch}}"), "{out}");
    assert!(!out.contains("was verified on"), "fresh on the day it was verified: {out}");

    let pack_ok =
        broken_pack(&[("versions.toml", "", TABLE), ("lessons/01-every-element.md", "version  = \"1.35\"", "version  = \"{{versions.kubernetes}}\"")]);
    let lint_ok = |day: &str| {
        let out = kubedojo(state.path()).arg("lint").arg(pack_ok.path()).args(["--strict", "--on", day]).output().expect("run");
        (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code().unwrap_or(-1))
    };
    assert_eq!(lint_ok("2026-12-06").1, 0, "{}", lint_ok("2026-12-06").0);
    let (out, code) = lint_ok("2027-07-01");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("versions.toml:4:1: warning: kubernetes was verified on 2026-12-06, 207 days ago"), "{out}");
    assert!(out.contains("warning: the lab's Kubernetes 1.36 leaves standard support in 32 days (2027-08-02)"), "{out}");
    let (out, _) = lint_ok("2027-08-03");
    assert!(out.contains("error: the lab's Kubernetes 1.36 is in extended support since 2027-08-02"), "{out}");
}

#[test]
fn files_writes_the_labs_files_with_the_learners_values_and_keeps_their_edits() {
    let state = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("lab");
    let files = |extra: &[&str]| {
        kubedojo(state.path())
            .env("KUBEDOJO_LAB_CONFIG", state.path().join("none.toml"))
            .args(["files", "eks-cluster", "irsa-s3", "--var", "appNs=team-a", "--var", "cluster=blue", "--dir"])
            .arg(&dir)
            .args(extra)
            .output()
            .expect("run")
    };
    let out = files(&[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let app = fs::read_to_string(dir.join("irsa-s3/app.yaml")).expect("app.yaml written");
    assert!(app.contains("namespace: team-a") && !app.contains("{{"), "rendered with the learner's values: {app}");
    assert!(!dir.join("alb-ingress").exists(), "only the labs asked for");
    let cluster = fs::read_to_string(dir.join("eks-cluster/cluster.yaml")).expect("cluster.yaml");
    assert!(cluster.contains("name: blue") && cluster.contains("version: \"1.36\""), "{cluster}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("wrote") && text.contains("Run the labs' commands from"), "{text}");

    fs::write(dir.join("irsa-s3/app.yaml"), "mine\n").expect("edit");
    let out = files(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l.contains("kept (yours differs)") && l.ends_with("irsa-s3/app.yaml")), "{text}");
    assert_eq!(fs::read_to_string(dir.join("irsa-s3/app.yaml")).expect("read"), "mine\n");
    assert!(files(&["--force"]).status.success());
    assert!(fs::read_to_string(dir.join("irsa-s3/app.yaml")).expect("read").contains("namespace: team-a"));

    kubedojo(state.path()).args(["files", "nosuch"]).assert().code(2).stderr(predicate::str::contains("no exercise \"nosuch\": the exercises are"));
}
