//! Where a pack's files come from: the course embedded in the binary, or a folder on disk.
//! Both become the same in-memory map, so loading and linting never touch the disk again.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

static LESSONS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/lessons");
static EXERCISES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/exercises");
static ASSETS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets");
static COURSE: &str = include_str!("../../course.toml");
static VERSIONS: &str = include_str!("../../versions.toml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Embedded,
    Dir(PathBuf),
}

/// All files of a pack, keyed by their path relative to the pack root with `/` separators.
#[derive(Debug, Clone)]
pub struct PackFiles {
    pub origin: Origin,
    files: BTreeMap<String, Cow<'static, [u8]>>,
}

impl PackFiles {
    /// The built-in course. Borrows the embedded bytes: nothing is copied.
    pub fn embedded() -> Self {
        let mut files = BTreeMap::new();
        files.insert("course.toml".to_string(), Cow::Borrowed(COURSE.as_bytes()));
        files.insert(super::versions::FILE.to_string(), Cow::Borrowed(VERSIONS.as_bytes()));
        for (dir, prefix) in [(&LESSONS, "lessons"), (&EXERCISES, "exercises"), (&ASSETS, "assets")] {
            add_embedded(dir, prefix, &mut files);
        }
        Self { origin: Origin::Embedded, files }
    }

    /// A pack folder on disk: `course.toml`, `versions.toml`, `lessons/` (with `lessons/cards/`),
    /// `exercises/`, `assets/`.
    pub fn from_dir(root: &Path) -> io::Result<Self> {
        let meta = std::fs::metadata(root).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", root.display())))?;
        if !meta.is_dir() {
            return Err(io::Error::other(format!("{} is not a folder", root.display())));
        }
        let mut files = BTreeMap::new();
        for name in ["course.toml", super::versions::FILE] {
            let path = root.join(name);
            if path.is_file() {
                files.insert(name.into(), Cow::Owned(read(&path)?));
            }
        }
        for sub in ["lessons", "exercises", "assets"] {
            let dir = root.join(sub);
            if dir.is_dir() {
                walk(&dir, sub, &mut files)?;
            }
        }
        Ok(Self { origin: Origin::Dir(root.to_path_buf()), files })
    }

    /// An in-memory pack (tests and tools).
    pub fn from_memory<I, K, V>(entries: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<Vec<u8>>,
    {
        let files = entries.into_iter().map(|(k, v)| (k.into(), Cow::Owned(v.into()))).collect();
        Self { origin: Origin::Dir(PathBuf::from("<memory>")), files }
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|c| c.as_ref())
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Paths under `prefix/` (sorted).
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files.range(format!("{prefix}/")..).map(|(k, _)| k.as_str()).take_while(move |k| k.starts_with(prefix) && k[prefix.len()..].starts_with('/'))
    }

    /// How to name a file of this pack in a message a person reads.
    pub fn display_path(&self, rel: &str) -> String {
        match &self.origin {
            Origin::Embedded => format!("<built-in>/{rel}"),
            Origin::Dir(root) if root.as_os_str() == "<memory>" => rel.to_string(),
            Origin::Dir(root) => root.join(rel).display().to_string(),
        }
    }
}

fn add_embedded(dir: &'static Dir<'static>, prefix: &str, out: &mut BTreeMap<String, Cow<'static, [u8]>>) {
    for file in dir.files() {
        let rel = file.path().to_string_lossy().replace('\\', "/");
        out.insert(format!("{prefix}/{rel}"), Cow::Borrowed(file.contents()));
    }
    for sub in dir.dirs() {
        add_embedded(sub, prefix, out);
    }
}

fn read(path: &Path) -> io::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, Cow<'static, [u8]>>) -> io::Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let child = format!("{rel}/{name}");
        if path.is_dir() {
            walk(&path, &child, out)?;
        } else {
            out.insert(child, Cow::Owned(read(&path)?));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_lists_only_that_folder() {
        let files = PackFiles::from_memory([("lessons/01-a.md", "a"), ("lessons/02-b.md", "b"), ("lessonsx/c.md", "c"), ("assets/x/y.yaml", "y")]);
        let got: Vec<_> = files.under("lessons").collect();
        assert_eq!(got, ["lessons/01-a.md", "lessons/02-b.md"]);
        assert_eq!(files.under("assets").count(), 1);
    }

    #[test]
    fn embedded_course_has_course_toml_and_lessons() {
        let files = PackFiles::embedded();
        assert!(files.contains("course.toml"));
        assert!(files.under("lessons").count() >= 10);
    }
}
