//! A lab's files (`assets/<lab>/...`) as the learner receives them: with `{{vars}}` replaced by
//! the lab's values (cluster, region, account, namespace, and the version table), so a file
//! copied or written out works with any values of the lab's variables.

use std::collections::BTreeMap;

use super::files::PackFiles;
use super::model::Pack;

/// The variables an asset is rendered with when no step asks for it: those of the exercise it
/// belongs to (its folder), else of the first exercise whose solution lists it, else the table's.
pub fn vars_for(pack: &Pack, rel: &str) -> BTreeMap<String, String> {
    let folder = rel.split('/').next().unwrap_or_default();
    pack.exercise(folder)
        .or_else(|| pack.exercises.iter().find(|e| e.steps.iter().any(|s| s.solution.files.iter().any(|f| f == rel))))
        .map(|e| e.vars.clone())
        .unwrap_or_else(|| pack.versions.vars())
}

/// The asset as a lab shows it: the owner's values (`vars_for`) under `vars` (the lab's own,
/// with the learner's overrides), so another lab's file gets every value it needs.
pub fn render_for(pack: &Pack, files: &PackFiles, rel: &str, vars: &BTreeMap<String, String>) -> Option<String> {
    let mut all = vars_for(pack, rel);
    all.extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
    render(files, rel, &all)
}

/// The asset at `assets/<rel>` with its placeholders replaced, or `None` when it is missing or
/// not text.
pub fn render(files: &PackFiles, rel: &str, vars: &BTreeMap<String, String>) -> Option<String> {
    let bytes = files.get(&format!("assets/{rel}"))?;
    let text = std::str::from_utf8(bytes).ok()?;
    Some(super::vars::expand(text, vars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_take_their_labs_values() {
        let files = PackFiles::from_memory([
            ("course.toml", "id = \"p\"\ntitle = \"P\"\n[[parts]]\ntitle = \"A\"\nitems = [\"lab\"]\n"),
            (
                "exercises/lab/exercise.toml",
                "id = \"lab\"\ntitle = \"Lab\"\n[vars]\nappNs = \"shop\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\ninstructions = \"x\"\n",
            ),
            ("assets/lab/app.yaml", "metadata:\n  namespace: {{appNs}}\n  labels: {x: \"{{unknown}}\"}\n"),
        ]);
        let pack = super::super::load(&files, &super::super::CheckKinds::default()).pack;
        let mut vars = vars_for(&pack, "lab/app.yaml");
        assert_eq!(render(&files, "lab/app.yaml", &vars).unwrap(), "metadata:\n  namespace: shop\n  labels: {x: \"{{unknown}}\"}\n");
        vars.insert("appNs".into(), "payments-team".into());
        assert!(render(&files, "lab/app.yaml", &vars).unwrap().contains("namespace: payments-team"));
        assert!(render(&files, "lab/none.yaml", &vars).is_none());
    }
}
