//! Go module zips, the source of most downloads: upstream projects publish the files the labs
//! fetch (an IAM policy, an install manifest, a chart) in their repositories, and a module zip
//! holds the repository's tree at a tag. Where they are: the Go module cache
//! (`$GOMODCACHE`, else `go env GOMODCACHE`, else ~/go/pkg/mod; the zip at
//! `cache/download/<escaped path>/@v/<escaped version>.zip`, `go help gomodcache`) or the
//! sandbox's own cache; when absent, fetched from `$GOPROXY` (`<proxy>/<escaped path>/@v/<version>.zip`,
//! the GOPROXY protocol in `go help goproxy`; default https://proxy.golang.org, `off` never) and
//! kept in the sandbox's cache. A module zip's files are under `<module>@<version>/`
//! (golang.org/x/mod/zip).

use std::path::{Path, PathBuf};

/// A module at a version, its zip read into memory.
pub struct ModuleZip {
    prefix: String,
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

struct Entry {
    name: String,
    method: u16,
    compressed: usize,
    offset: usize,
}

/// Go's case escaping of module paths and versions (golang.org/x/mod/module `EscapePath`):
/// an upper-case letter becomes `!` and the letter in lower case.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `v` can be a module version (and is safe in a path): `v`, then letters, digits, `.`, `-`, `+`.
pub fn is_version(v: &str) -> bool {
    v.len() > 1 && v.starts_with('v') && v[1..].starts_with(|c: char| c.is_ascii_digit()) && v.chars().all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c))
}

/// The Go module cache's folder.
fn go_mod_cache() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("GOMODCACHE").filter(|d| !d.is_empty()) {
        return Some(d.into());
    }
    if let Some(go) = crate::sandbox::find_on_path("go") {
        let out = std::process::Command::new(go).args(["env", "GOMODCACHE"]).stdin(std::process::Stdio::null()).output().ok()?;
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() && !dir.is_empty() {
            return Some(dir.into());
        }
    }
    std::env::var_os("HOME").map(|h| Path::new(&h).join("go/pkg/mod"))
}

/// The sandbox's own cache of fetched module zips.
fn own_cache() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    Some(base.join("kubedojo/downloads/modules"))
}

fn zip_path(root: &Path, module: &str, version: &str) -> PathBuf {
    root.join(format!("{}/@v/{}.zip", escape(module), escape(version)))
}

/// The module proxies `$GOPROXY` names, in order (`direct` skipped: the sandbox fetches no
/// repositories); `None` when it says `off` before any.
fn proxies() -> Option<Vec<String>> {
    let value = std::env::var("GOPROXY").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| "https://proxy.golang.org".into());
    let mut out = Vec::new();
    for p in value.split([',', '|']).map(str::trim) {
        match p {
            "off" => return if out.is_empty() { None } else { Some(out) },
            "direct" | "" => {}
            url => out.push(url.trim_end_matches('/').to_string()),
        }
    }
    Some(out)
}

/// The module's zip: from a cache, else from the module proxy (then cached).
pub async fn open(module: &str, version: &str, http: &reqwest::Client) -> Result<ModuleZip, String> {
    let cached: Vec<PathBuf> =
        [go_mod_cache().map(|d| d.join("cache/download")), own_cache()].into_iter().flatten().map(|r| zip_path(&r, module, version)).collect();
    if let Some(bytes) = cached.iter().find_map(|p| std::fs::read(p).ok()) {
        return ModuleZip::read(module, version, bytes);
    }
    let places = cached.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let fix = format!("run `go mod download {module}@{version}` where the internet is reached (it fills the Go module cache), then try again");
    let Some(proxies) = proxies() else {
        return Err(format!("the Go module {module}@{version} is not in the module cache (looked for {places}) and GOPROXY=off fetches nothing: {fix}"));
    };
    let mut tried = Vec::new();
    for proxy in &proxies {
        let url = format!("{proxy}/{}/@v/{}.zip", escape(module), escape(version));
        match http.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                let bytes = r.bytes().await.map_err(|e| format!("reading {url}: {e}"))?.to_vec();
                let zip = ModuleZip::read(module, version, bytes.clone())?;
                if let Some(path) = own_cache().map(|r| zip_path(&r, module, version)) {
                    let _ = path.parent().map(std::fs::create_dir_all);
                    let _ = std::fs::write(&path, &bytes);
                }
                return Ok(zip);
            }
            Ok(r) => tried.push(format!("{url} answered {}", r.status())),
            Err(e) => tried.push(format!("{url}: {e}")),
        }
    }
    Err(format!(
        "the Go module {module}@{version} is not in the module cache (looked for {places}) and the module proxy did not give it ({}): {fix}",
        if tried.is_empty() { "GOPROXY names no proxy".to_string() } else { tried.join("; ") }
    ))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

impl ModuleZip {
    /// Read a zip's central directory (PKWARE APPNOTE 4.3.12, 4.3.16; no ZIP64: Go module zips
    /// are under 500 MB, golang.org/x/mod/zip `MaxZipFile`).
    pub fn read(module: &str, version: &str, bytes: Vec<u8>) -> Result<ModuleZip, String> {
        let bad = |what: &str| {
            format!("the zip of {module}@{version} is damaged ({what}): delete it from the module cache and run `go mod download {module}@{version}`")
        };
        let end = (0..bytes.len().saturating_sub(21))
            .rev()
            .find(|&i| bytes[i..].starts_with(&[0x50, 0x4b, 0x05, 0x06]))
            .ok_or_else(|| bad("no end of central directory"))?;
        let count = usize::from(u16_at(&bytes, end + 10).ok_or_else(|| bad("short"))?);
        let mut at = u32_at(&bytes, end + 16).ok_or_else(|| bad("short"))?;
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            if !bytes.get(at..).is_some_and(|b| b.starts_with(&[0x50, 0x4b, 0x01, 0x02])) {
                return Err(bad("central directory"));
            }
            let field = |o| u16_at(&bytes, at + o).map(usize::from).ok_or_else(|| bad("short"));
            let (name_len, extra_len, comment_len) = (field(28)?, field(30)?, field(32)?);
            let name = bytes.get(at + 46..at + 46 + name_len).ok_or_else(|| bad("short"))?;
            entries.push(Entry {
                name: String::from_utf8_lossy(name).into_owned(),
                method: u16_at(&bytes, at + 10).ok_or_else(|| bad("short"))?,
                compressed: u32_at(&bytes, at + 20).ok_or_else(|| bad("short"))?,
                offset: u32_at(&bytes, at + 42).ok_or_else(|| bad("short"))?,
            });
            at += 46 + name_len + extra_len + comment_len;
        }
        Ok(ModuleZip { prefix: format!("{module}@{version}/"), bytes, entries })
    }

    fn contents(&self, e: &Entry) -> Result<Vec<u8>, String> {
        let bad = || format!("{}: the zip entry {} is damaged", self.prefix.trim_end_matches('/'), e.name);
        let local = self.bytes.get(e.offset..).filter(|b| b.starts_with(&[0x50, 0x4b, 0x03, 0x04])).ok_or_else(bad)?;
        let start = 30 + usize::from(u16_at(local, 26).ok_or_else(bad)?) + usize::from(u16_at(local, 28).ok_or_else(bad)?);
        let data = local.get(start..start + e.compressed).ok_or_else(bad)?;
        match e.method {
            0 => Ok(data.to_vec()),
            8 => {
                use std::io::Read as _;
                let mut out = Vec::new();
                flate2::read::DeflateDecoder::new(data).read_to_end(&mut out).map_err(|_| bad())?;
                Ok(out)
            }
            m => Err(format!("{}: zip entry {} uses compression method {m}, not stored or deflate", self.prefix, e.name)),
        }
    }

    /// A file of the module, by its path in the repository.
    pub fn file(&self, path: &str) -> Result<Vec<u8>, String> {
        let name = format!("{}{path}", self.prefix);
        let e = self.entries.iter().find(|e| e.name == name).ok_or_else(|| format!("{} has no file {path}", self.prefix.trim_end_matches('/')))?;
        self.contents(e)
    }

    /// Every file under `folder`, with its path inside it, in the zip's order.
    pub fn folder(&self, folder: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
        let prefix = format!("{}{}/", self.prefix, folder.trim_end_matches('/'));
        let files: Vec<(String, Vec<u8>)> = self
            .entries
            .iter()
            .filter_map(|e| e.name.strip_prefix(&prefix).filter(|n| !n.is_empty() && !n.ends_with('/')).map(|n| (n.to_string(), e)))
            .map(|(n, e)| self.contents(e).map(|c| (n, c)))
            .collect::<Result<_, _>>()?;
        if files.is_empty() {
            return Err(format!("{} has no folder {folder}", self.prefix.trim_end_matches('/')));
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip as Go writes module zips (deflate), made by hand: one local header and one central
    /// directory entry per file.
    pub fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write as _;
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for (name, data) in files {
            let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).expect("deflate");
            let packed = enc.finish().expect("deflate");
            let offset = out.len() as u32;
            let common = |b: &mut Vec<u8>| {
                b.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0]); // version, flags, method 8, time, date
                b.extend_from_slice(&0u32.to_le_bytes()); // crc (not checked by the reader)
                b.extend_from_slice(&(packed.len() as u32).to_le_bytes());
                b.extend_from_slice(&(data.len() as u32).to_le_bytes());
                b.extend_from_slice(&(name.len() as u16).to_le_bytes());
                b.extend_from_slice(&0u16.to_le_bytes());
            };
            out.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04]);
            common(&mut out);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&packed);
            central.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 0]);
            common(&mut central);
            central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
            central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn escaping_is_gos() {
        assert_eq!(escape("github.com/BurntSushi/toml"), "github.com/!burnt!sushi/toml");
        assert!(is_version("v1.9.1") && is_version("v3.6.2") && is_version("v0.0.0-20240101-abcdef"));
        assert!(!is_version("latest") && !is_version("v1/../x") && !is_version("v"));
    }

    #[test]
    fn files_and_folders_come_out_of_a_module_zip() {
        let bytes = zip(&[("m@v1.0.0/a/b.txt", b"bee"), ("m@v1.0.0/a/c/d.yaml", b"dee: 1"), ("m@v1.0.0/e", b"e")]);
        let z = ModuleZip::read("m", "v1.0.0", bytes).expect("zip");
        assert_eq!(z.file("a/b.txt").expect("b"), b"bee");
        assert_eq!(z.folder("a").expect("a").iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["b.txt", "c/d.yaml"]);
        assert_eq!(z.file("x").expect_err("x"), "m@v1.0.0 has no file x");
        assert!(ModuleZip::read("m", "v1.0.0", b"not a zip".to_vec()).is_err_and(|e| e.contains("go mod download m@v1.0.0")));
    }
}
