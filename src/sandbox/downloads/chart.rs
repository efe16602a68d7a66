//! A Helm chart repository made from Go modules: each chart packaged from its folder in the
//! module as `helm package` does (a gzipped tar with the chart's folder, named as the chart, at
//! its top, the files `.helmignore` ignores left out; `<name>-<version>.tgz` by Chart.yaml), and
//! `index.yaml` listing them with Chart.yaml's fields, `urls`, `created` and the archive's
//! SHA-256 `digest` (Helm's pkg/repo `IndexFile`, the chart repository guide's index format).
//! The index is written as JSON, which is YAML too (Helm reads it with sigs.k8s.io/yaml).

use std::io::Write as _;

use sha2::{Digest as _, Sha256};

/// A packaged chart.
pub struct Packaged {
    pub name: String,
    pub version: String,
    /// Chart.yaml's fields.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub archive: Vec<u8>,
}

impl Packaged {
    pub fn file_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }

    pub fn digest(&self) -> String {
        Sha256::digest(&self.archive).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Package a chart from its files (paths inside the chart's folder).
pub fn package(files: &[(String, Vec<u8>)], whence: &str) -> Result<Packaged, String> {
    let chart_yaml = files.iter().find(|(n, _)| n == "Chart.yaml").ok_or_else(|| format!("{whence} has no Chart.yaml"))?;
    let metadata: serde_json::Value =
        serde_saphyr::from_str(&String::from_utf8_lossy(&chart_yaml.1)).map_err(|e| format!("{whence}/Chart.yaml is not YAML Helm can read: {e}"))?;
    let metadata = metadata.as_object().cloned().ok_or_else(|| format!("{whence}/Chart.yaml is not a mapping"))?;
    let field = |k: &str| metadata.get(k).and_then(|v| v.as_str()).map(str::to_string).ok_or_else(|| format!("{whence}/Chart.yaml has no `{k}`"));
    let (name, version) = (field("name")?, field("version")?);
    let ignore = Ignore::new(files.iter().find(|(n, _)| n == ".helmignore").map(|(_, t)| String::from_utf8_lossy(t).into_owned()).as_deref());
    let mut kept: Vec<&(String, Vec<u8>)> = files.iter().filter(|(n, _)| !ignore.ignores(n)).collect();
    // Chart.yaml first, as helm's chartutil.Save writes it; then by path
    kept.sort_by_key(|(n, _)| (n != "Chart.yaml", n.clone()));
    let mut tar = Vec::new();
    for (path, data) in kept {
        tar_entry(&mut tar, &format!("{name}/{path}"), data)?;
    }
    tar.extend_from_slice(&[0; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).map_err(|e| e.to_string())?;
    Ok(Packaged { name, version, metadata, archive: gz.finish().map_err(|e| e.to_string())? })
}

/// One file in a POSIX ustar archive (POSIX.1-2001 pax, "ustar Interchange Format"): a 512-byte
/// header (a name over 100 bytes split into `prefix` and `name` at a `/`), then the data padded to 512.
fn tar_entry(out: &mut Vec<u8>, path: &str, data: &[u8]) -> Result<(), String> {
    let mut h = [0u8; 512];
    let (prefix, name) = if path.len() <= 100 {
        ("", path)
    } else {
        let cut =
            path[..path.len().min(156)].rfind('/').filter(|&i| path.len() - i - 1 <= 100).ok_or_else(|| format!("{path}: too long a path for a tar header"))?;
        (&path[..cut], &path[cut + 1..])
    };
    let put = |h: &mut [u8; 512], at: usize, s: &[u8]| h[at..at + s.len()].copy_from_slice(s);
    put(&mut h, 0, name.as_bytes());
    put(&mut h, 100, b"0000644\0");
    put(&mut h, 108, b"0000000\0");
    put(&mut h, 116, b"0000000\0");
    put(&mut h, 124, format!("{:011o}\0", data.len()).as_bytes());
    put(&mut h, 136, b"00000000000\0");
    put(&mut h, 148, b"        ");
    h[156] = b'0';
    put(&mut h, 257, b"ustar\0");
    put(&mut h, 263, b"00");
    put(&mut h, 345, prefix.as_bytes());
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    put(&mut h, 148, format!("{sum:06o}\0 ").as_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    Ok(())
}

/// The repository's index.yaml for `charts`, whose archives are at `base`/NAME-VERSION.tgz.
pub fn index(charts: &[Packaged], base: &str, created: &str) -> String {
    let mut entries = serde_json::Map::new();
    for c in charts {
        let mut entry = c.metadata.clone();
        entry.insert("urls".into(), serde_json::json!([format!("{base}/{}", c.file_name())]));
        entry.insert("created".into(), created.into());
        entry.insert("digest".into(), c.digest().into());
        if let Some(list) = entries.entry(c.name.clone()).or_insert_with(|| serde_json::json!([])).as_array_mut() {
            list.push(entry.into());
        }
    }
    let index = serde_json::json!({"apiVersion": "v1", "entries": entries, "generated": created});
    serde_json::to_string_pretty(&index).unwrap_or_default() + "\n"
}

/// `.helmignore`, as Helm's pkg/ignore reads it: one pattern a line, `#` comments, `!` negates,
/// a trailing `/` matches folders only, a pattern without `/` matches the base name, one with
/// `/` the path from the chart's folder; `*` and `?` as in Go's filepath.Match (no `[...]`
/// classes: none of the served charts uses them). Helm's default `templates/.?*` is added.
struct Ignore {
    rules: Vec<(bool, bool, String)>,
}

impl Ignore {
    fn new(text: Option<&str>) -> Ignore {
        let mut rules = vec![(false, false, "templates/.?*".to_string())];
        for line in text.unwrap_or_default().lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (negate, p) = line.strip_prefix('!').map_or((false, line), |p| (true, p));
            let (dir_only, p) = p.strip_suffix('/').map_or((false, p), |p| (true, p));
            rules.push((negate, dir_only, p.trim_start_matches("/").to_string()));
        }
        Ignore { rules }
    }

    fn matches(pattern: &str, path: &str) -> bool {
        if pattern.contains('/') {
            glob(pattern.as_bytes(), path.as_bytes())
        } else {
            glob(pattern.as_bytes(), path.rsplit('/').next().unwrap_or(path).as_bytes())
        }
    }

    /// Whether the file at `path` (or a folder it is in) is ignored.
    fn ignores(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        let folders: Vec<String> = (1..parts.len()).map(|i| parts[..i].join("/")).collect();
        let mut ignored = false;
        for (negate, dir_only, p) in &self.rules {
            let hit = folders.iter().any(|f| Self::matches(p, f)) || (!dir_only && Self::matches(p, path));
            if hit {
                ignored = !negate;
            }
        }
        ignored
    }
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (s.first().is_some_and(|&c| c != b'/') && glob(p, &s[1..])),
        (Some(b'?'), Some(&c)) if c != b'/' => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<(String, Vec<u8>)> {
        [
            ("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: v1.2.3\ndescription: d\n"),
            (".helmignore", "# c\n*.swp\n.git/\ntest.yaml\ncrds/kustomization.yaml\n"),
            ("values.yaml", "a: 1\n"),
            ("templates/x.yaml", "kind: X\n"),
            ("templates/.hidden", "x"),
            ("crds/crds.yaml", "kind: CRD\n"),
            ("crds/kustomization.yaml", "k"),
            ("test.yaml", "t"),
            ("a.swp", "s"),
            (".git/config", "g"),
        ]
        .iter()
        .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
        .collect()
    }

    fn names_in(archive: &[u8]) -> Vec<String> {
        use std::io::Read as _;
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(archive).read_to_end(&mut tar).expect("gzip");
        let (mut at, mut names) = (0, Vec::new());
        while at + 512 <= tar.len() && tar[at] != 0 {
            let field = |o: usize, l: usize| String::from_utf8_lossy(&tar[at + o..at + o + l]).trim_end_matches('\0').to_string();
            let size = usize::from_str_radix(field(124, 11).trim(), 8).expect("size");
            let sum: u32 = tar[at..at + 512].iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u32::from(b) }).sum();
            assert_eq!(u32::from_str_radix(field(148, 6).trim(), 8).expect("sum"), sum, "checksum");
            names.push(field(0, 100));
            at += 512 + size.div_ceil(512) * 512;
        }
        names
    }

    #[test]
    fn a_chart_is_packaged_as_helm_package_does() {
        let p = package(&files(), "m@v1/helm/demo").expect("package");
        assert_eq!(p.file_name(), "demo-1.2.3.tgz");
        assert_eq!(
            names_in(&p.archive),
            ["demo/Chart.yaml", "demo/.helmignore", "demo/crds/crds.yaml", "demo/templates/x.yaml", "demo/values.yaml"],
            "Chart.yaml first; .helmignore's patterns and templates/.?* left out"
        );
        let index: serde_json::Value = serde_json::from_str(&index(&[p], "https://charts.example/r", "2026-12-07T00:00:00Z")).expect("json");
        let e = &index["entries"]["demo"][0];
        assert_eq!(index["apiVersion"], "v1");
        assert_eq!(e["urls"][0], "https://charts.example/r/demo-1.2.3.tgz");
        assert_eq!((e["version"].as_str(), e["appVersion"].as_str()), (Some("1.2.3"), Some("v1.2.3")));
        assert_eq!(e["digest"].as_str().map(str::len), Some(64));
    }

    #[test]
    fn a_chart_without_chart_yaml_is_refused() {
        assert_eq!(package(&[("values.yaml".into(), vec![])], "m@v1/helm/x").err().as_deref(), Some("m@v1/helm/x has no Chart.yaml"));
    }
}
