//! `kubedojo files`: write the labs' files (eksctl configs, manifests, policies, scripts) into
//! a working folder, rendered with the learner's values, so every command of a lab runs from
//! that folder as written. A file the learner has changed is never overwritten without --force.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::content::{Exercise, Pack, PackFiles, assets};

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
    Unchanged,
    /// The file on disk differs from what kubedojo would write: left alone.
    Kept,
}

/// The labs' files of `exercises` (all when empty), each rendered with its lab's vars plus
/// `overrides`: (path relative to the working folder, content, executable).
pub fn render(pack: &Pack, files: &PackFiles, exercises: &[&Exercise], overrides: &BTreeMap<String, String>) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for path in files.under("assets") {
        let rel = &path["assets/".len()..];
        let folder = rel.split('/').next().unwrap_or_default();
        // the labs' own folders (the workshop server's deployment files are not a lab's)
        let Some(owner) = pack.exercise(folder) else { continue };
        if !exercises.is_empty() && !exercises.iter().any(|e| e.id == owner.id) && !used_by(exercises, rel) {
            continue;
        }
        let Some(text) = assets::render_for(pack, files, rel, overrides) else { continue };
        out.push((rel.to_string(), text, rel.ends_with(".sh")));
    }
    out
}

/// A lab may use another lab's files (irsa-s3 creates its cluster from eks-cluster/cluster.yaml).
fn used_by(exercises: &[&Exercise], rel: &str) -> bool {
    exercises.iter().any(|e| e.steps.iter().any(|s| s.solution.files.iter().any(|f| f == rel)))
}

/// Write `rendered` under `dir`. Returns each file with what happened, or the first I/O error
/// with the path it concerns.
pub fn write(dir: &Path, rendered: &[(String, String, bool)], force: bool) -> Result<Vec<(PathBuf, Written)>, String> {
    let mut report = Vec::new();
    for (rel, text, executable) in rendered {
        let path = dir.join(rel);
        let what = match std::fs::read(&path) {
            Ok(old) if old == text.as_bytes() => Written::Unchanged,
            Ok(_) if !force => Written::Kept,
            Ok(_) => Written::Updated,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Written::Created,
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        if matches!(what, Written::Created | Written::Updated) {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            if *executable {
                make_executable(&path)?;
            }
        }
        report.push((path, what));
    }
    Ok(report)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|e| format!("cannot make {} executable: {e}", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<(), String> {
    Ok(())
}

/// The summary a person reads, and whether anything was kept back.
pub fn summary(dir: &Path, report: &[(PathBuf, Written)]) -> String {
    let count = |w: Written| report.iter().filter(|(_, x)| *x == w).count();
    let mut out = String::new();
    for (path, what) in report {
        let label = match what {
            Written::Created => "wrote",
            Written::Updated => "updated",
            Written::Unchanged => continue,
            Written::Kept => "kept (yours differs)",
        };
        let shown = path.strip_prefix(dir).unwrap_or(path);
        let _ = writeln!(out, "  {label:<22} {}", shown.display());
    }
    let _ = writeln!(
        out,
        "{}: {} written, {} updated, {} unchanged, {} kept",
        dir.display(),
        count(Written::Created),
        count(Written::Updated),
        count(Written::Unchanged),
        count(Written::Kept)
    );
    if count(Written::Kept) > 0 {
        let _ = writeln!(out, "Files you changed were left as they are: compare with `kubedojo files --stdout`, or overwrite them with --force.");
    }
    let _ = writeln!(out, "Run the labs' commands from {}.", dir.display());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack() -> (Pack, PackFiles) {
        let files = PackFiles::from_memory([
            ("course.toml", "id = \"p\"\ntitle = \"P\"\n[[parts]]\ntitle = \"A\"\nitems = [\"lab\", \"other\"]\n"),
            (
                "exercises/lab/exercise.toml",
                "id = \"lab\"\ntitle = \"Lab\"\n[vars]\nappNs = \"shop\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\ninstructions = \"x\"\n",
            ),
            (
                "exercises/other/exercise.toml",
                "id = \"other\"\ntitle = \"O\"\n[vars]\nappNs = \"web\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\ninstructions = \"x\"\n[steps.solution]\nfiles = [\"lab/app.yaml\"]\n",
            ),
            ("assets/lab/app.yaml", "namespace: {{appNs}}\n"),
            ("assets/lab/run.sh", "echo {{appNs}}\n"),
            ("assets/other/b.yaml", "b: {{appNs}}\n"),
            ("assets/k8s/server.yaml", "not a lab's\n"),
        ]);
        let pack = crate::content::load(&files, &crate::content::CheckKinds::default()).pack;
        (pack, files)
    }

    #[test]
    fn renders_each_labs_files_with_its_values() {
        let (pack, files) = pack();
        let all = render(&pack, &files, &[], &BTreeMap::new());
        let names: Vec<_> = all.iter().map(|(p, t, x)| (p.as_str(), t.as_str(), *x)).collect();
        assert_eq!(names, [("lab/app.yaml", "namespace: shop\n", false), ("lab/run.sh", "echo shop\n", true), ("other/b.yaml", "b: web\n", false)]);
        let other = render(&pack, &files, &[pack.exercise("other").unwrap()], &BTreeMap::from([("appNs".into(), "team-a".into())]));
        let names: Vec<_> = other.iter().map(|(p, t, _)| (p.as_str(), t.as_str())).collect();
        assert_eq!(names, [("lab/app.yaml", "namespace: team-a\n"), ("other/b.yaml", "b: team-a\n")], "another lab's file it uses comes along");
    }

    #[test]
    fn never_overwrites_a_changed_file_without_force() {
        let (pack, files) = pack();
        let dir = tempfile::tempdir().unwrap();
        let all = render(&pack, &files, &[], &BTreeMap::new());
        let first = write(dir.path(), &all, false).unwrap();
        assert!(first.iter().all(|(_, w)| *w == Written::Created));
        std::fs::write(dir.path().join("lab/app.yaml"), "namespace: mine\n").unwrap();
        let second = write(dir.path(), &all, false).unwrap();
        assert_eq!(second.iter().map(|(_, w)| w.clone()).collect::<Vec<_>>(), [Written::Kept, Written::Unchanged, Written::Unchanged]);
        assert_eq!(std::fs::read_to_string(dir.path().join("lab/app.yaml")).unwrap(), "namespace: mine\n");
        assert!(summary(dir.path(), &second).contains("kept (yours differs)"));
        let forced = write(dir.path(), &all, true).unwrap();
        assert_eq!(forced[0].1, Written::Updated);
        assert_eq!(std::fs::read_to_string(dir.path().join("lab/app.yaml")).unwrap(), "namespace: shop\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(dir.path().join("lab/run.sh")).unwrap().permissions().mode() & 0o111, 0o111);
        }
    }
}
