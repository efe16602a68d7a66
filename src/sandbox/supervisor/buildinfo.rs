//! The Go build info a Go binary carries (what `go version -m BINARY` prints): the version of
//! the module its main package came from, for a program that prints no version of its own.
//!
//! Format (Go 1.18 and later, `debug/buildinfo` in the standard library, `readRawBuildInfo`): a
//! 32-byte header that starts with the magic `\xff Go buildinf:` at a 16-byte aligned offset,
//! then, when flag bit 2 is set (the strings are inline), two strings each prefixed by its
//! length as an unsigned varint: the Go version, then the module info. The module info is
//! wrapped in 16-byte sentinels and holds tab-separated lines: `path`, `mod PATH VERSION SUM`,
//! `dep PATH VERSION SUM`.

use std::io::Read as _;
use std::path::Path;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const CHUNK: usize = 1 << 20;

/// The version the binary's build info gives `module` (as its main module or a dependency).
pub fn module_version(path: &Path, module: &str) -> Result<String, String> {
    let info = modinfo(path)?;
    info.lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let kind = f.next()?;
            (kind == "mod" || kind == "dep").then_some(())?;
            (f.next()? == module).then_some(())?;
            f.next().map(str::to_string)
        })
        .next()
        .ok_or_else(|| format!("{}: its Go build info names no module {module}", path.display()))
}

/// The module info text of a Go binary.
fn modinfo(path: &Path) -> Result<String, String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // the header and its strings are near the start of the data section: read in chunks,
    // keeping enough of the previous one that a header across the boundary is still whole
    let mut window: Vec<u8> = Vec::with_capacity(2 * CHUNK);
    let mut offset = 0usize; // file offset of window[0]
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut chunk).map_err(|e| format!("{}: {e}", path.display()))?;
        window.extend_from_slice(&chunk[..n]);
        let mut at = (16 - offset % 16) % 16;
        while at + MAGIC.len() <= window.len() {
            if &window[at..at + MAGIC.len()] == MAGIC {
                // the strings follow the header; read a little more if they run past the window
                let mut rest = vec![0u8; 64 * 1024];
                let extra = file.read(&mut rest).map_err(|e| format!("{}: {e}", path.display()))?;
                window.extend_from_slice(&rest[..extra]);
                return parse(&window[at..]).ok_or_else(|| format!("{}: its Go build info cannot be read (not Go 1.18 or later?)", path.display()));
            }
            at += 16;
        }
        if n == 0 {
            return Err(format!("{}: no Go build info (not a Go program?)", path.display()));
        }
        let keep = window.len().min(64);
        let cut = window.len() - keep;
        // keep the cut aligned, so the 16-byte steps stay on file offsets that are multiples of 16
        let cut = cut - (offset + cut) % 16;
        window.drain(..cut);
        offset += cut;
    }
}

fn parse(b: &[u8]) -> Option<String> {
    let flags = *b.get(15)?;
    if flags & 2 == 0 {
        return None; // pre-1.18 layout: pointers into the data, not inline strings
    }
    let mut at = 32;
    let (_, next) = string(b, at)?; // the Go version
    at = next;
    let (info, _) = string(b, at)?;
    // the 16-byte sentinels around the text
    let text = if info.len() >= 33 && info[info.len() - 17] == b'\n' { &info[16..info.len() - 16] } else { info };
    Some(String::from_utf8_lossy(text).into_owned())
}

/// A varint-length-prefixed string at `at`, and the offset after it.
fn string(b: &[u8], mut at: usize) -> Option<(&[u8], usize)> {
    let (mut len, mut shift) = (0usize, 0u32);
    loop {
        let byte = *b.get(at)?;
        at += 1;
        len |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    Some((b.get(at..at.checked_add(len)?)?, at + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// A file laid out as the Go linker writes the build info, `pad` bytes into it.
    fn binary(pad: usize, info: &str) -> Vec<u8> {
        let mut b = vec![0u8; pad];
        let mut header = MAGIC.to_vec();
        header.push(8); // pointer size
        header.push(2); // inline strings
        header.resize(32, 0);
        b.extend_from_slice(&header);
        let version = b"go1.27.3";
        varint(version.len(), &mut b);
        b.extend_from_slice(version);
        let wrapped = format!("{}{info}\n{}", "0".repeat(16), "1".repeat(16));
        varint(wrapped.len(), &mut b);
        b.extend_from_slice(wrapped.as_bytes());
        b.extend_from_slice(&[0u8; 100]);
        b
    }

    #[test]
    fn the_main_module_and_dependencies_have_versions() {
        let info = "path\tgithub.com/aws/karpenter-provider-aws/cmd/controller\nmod\tgithub.com/aws/karpenter-provider-aws\tv1.14.4\th1:x=\ndep\tsigs.k8s.io/karpenter\tv1.14.3\th1:y=";
        let dir = tempfile::tempdir().expect("tempdir");
        // across the first chunk's end, to read the window's carry-over
        for pad in [0, 4096, CHUNK - 16] {
            let path = dir.path().join(format!("bin-{pad}"));
            std::fs::write(&path, binary(pad, info)).expect("write");
            assert_eq!(module_version(&path, "github.com/aws/karpenter-provider-aws").as_deref(), Ok("v1.14.4"), "pad {pad}");
            assert_eq!(module_version(&path, "sigs.k8s.io/karpenter").as_deref(), Ok("v1.14.3"));
            let e = module_version(&path, "example.com/other").expect_err("absent");
            assert!(e.contains("names no module example.com/other"), "{e}");
        }
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"#!/bin/sh\necho hi\n").expect("write");
        assert!(module_version(&plain, "x").expect_err("no info").contains("no Go build info"));
    }
}
