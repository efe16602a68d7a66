// The built-in course is embedded with include_dir!, which cargo does not track: rebuild when
// any content file changes.
fn main() {
    for path in ["lessons", "exercises", "assets", "course.toml", "versions.toml", "src/input/keymap.toml", "src/markdown/shell.sublime-syntax"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
