//! The folder tree is the architecture, and this keeps it so: every `crate::` and `super::` path
//! in src/ is resolved to the file it names, and
//! - an arrow between top-level modules only points down the floors below (README,
//!   Architecture);
//! - no files import each other in a circle.
//!
//! A module's root file naming its own parts (`pub mod x; use x::Y;`, paths without `crate::`
//! or `super::`) is not an arrow: a parent declares its children.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top to bottom: a module may import only the ones after it.
const FLOORS: &[&str] = &[
    "main.rs",
    "commands",
    "cli.rs",
    "tui.rs",
    "session.rs",
    "ui",
    "app",
    "workshop",
    "input",
    "drill",
    "progress",
    "scenario",
    "sandbox",
    "checks",
    "iam",
    "kube_text.rs",
    "target.rs",
    "labconfig.rs",
    "content",
    "markdown",
    "clock.rs",
];

/// src-relative file -> the files it imports.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    walk(&root, &root, &mut files);
    let modules: BTreeMap<Vec<String>, String> = files.keys().map(|f| (module_path(f), f.clone())).collect();
    let resolve = |path: &[String]| (1..=path.len()).rev().find_map(|n| modules.get(&path[..n]).cloned());
    let paths = regex::Regex::new(r"\b(crate|super)((?:::\w+)+)(?:::\{([^;]*?)\})?").expect("regex");
    let mut graph = BTreeMap::new();
    for (file, text) in &files {
        let me = module_path(file);
        let code: String = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or_default()
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let mut to = BTreeSet::new();
        for m in paths.captures_iter(&code) {
            let mut base: Vec<String> = if &m[1] == "crate" { vec![] } else { me[..me.len().saturating_sub(1)].to_vec() };
            let mut rest: Vec<String> = m[2].split("::").skip(1).map(str::to_string).collect();
            while rest.first().is_some_and(|r| r == "super") {
                base.pop();
                rest.remove(0);
            }
            base.extend(rest);
            let mut named = vec![base.clone()];
            if let Some(group) = m.get(3) {
                for item in group.as_str().split(',') {
                    let head = item.split('{').next().unwrap_or_default().split(" as ").next().unwrap_or_default();
                    let mut p = base.clone();
                    p.extend(head.split("::").map(str::trim).filter(|s| !s.is_empty() && *s != "self").map(str::to_string));
                    named.push(p);
                }
            }
            to.extend(named.iter().filter_map(|p| resolve(p)).filter(|t| t != file));
        }
        graph.insert(file.clone(), to);
    }
    graph
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            walk(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("under src").to_string_lossy().replace('\\', "/");
            out.insert(rel, std::fs::read_to_string(&path).expect("read"));
        }
    }
}

/// `app/mod.rs` -> [app]; `app/exercise.rs` -> [app, exercise]; `lib.rs` -> [].
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.trim_end_matches(".rs").split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib" || p == "main") {
        parts.pop();
    }
    parts
}

fn top(file: &str) -> &str {
    file.split('/').next().unwrap_or(file)
}

#[test]
fn every_arrow_points_down() {
    let graph = imports();
    let floor = |f: &str| FLOORS.iter().position(|m| *m == top(f));
    let mut up = Vec::new();
    for (from, tos) in &graph {
        if from == "lib.rs" {
            continue;
        }
        let Some(a) = floor(from) else {
            up.push(format!("src/{from}: its module {} has no floor in FLOORS (add it where it belongs)", top(from)));
            continue;
        };
        for to in tos {
            match floor(to) {
                Some(b) if top(to) == top(from) || b > a => {}
                Some(_) => up.push(format!("src/{from} imports src/{to}: {} is above {}", top(to), top(from))),
                None => up.push(format!("src/{to}: its module has no floor in FLOORS")),
            }
        }
    }
    assert!(up.is_empty(), "arrows that run up (move what is shared down, or pass it in):\n{}", up.join("\n"));
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let graph = imports();
    // Tarjan's strongly connected components
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        circles: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for to in w.graph.get(v).into_iter().flatten() {
            if !w.index.contains_key(to.as_str()) {
                visit(w, to);
                let l = w.low[to.as_str()].min(w.low[v]);
                w.low.insert(v, l);
            } else if w.stack.contains(&to.as_str()) {
                let l = w.index[to.as_str()].min(w.low[v]);
                w.low.insert(v, l);
            }
        }
        if w.low[v] == w.index[v] {
            let at = w.stack.iter().position(|s| *s == v).unwrap_or(0);
            let component: Vec<&str> = w.stack.split_off(at);
            if component.len() > 1 {
                w.circles.push(component);
            }
        }
    }
    let mut w = Walk { graph: &graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: vec![], circles: vec![] };
    for v in graph.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    let circles: Vec<String> = w.circles.iter().map(|c| c.join(" <-> ")).collect();
    assert!(circles.is_empty(), "files that import each other (move what they share to a file both use):\n{}", circles.join("\n"));
}
