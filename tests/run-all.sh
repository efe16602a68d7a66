#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one: checks the toolchains, builds the
# test environment (a real Kubernetes control plane from Go modules, the moto AWS emulator
# from PyPI) and starts it, builds kubedojo, lints the built-in course and runs every test.
# Slow builds are cached outside the repo (~/.cache/kubedojo: Rust target dir, Kubernetes
# binaries, the emulator's virtualenv), so a second run is fast.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kubedojo/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_INCREMENTAL=0

timings=()
phase() {
    local name=$1
    shift
    echo "==> $name"
    local start=$SECONDS
    if ! "$@"; then
        echo "FAILED in phase: $name" >&2
        exit 1
    fi
    timings+=("$(printf '%-22s %4ds' "$name" $((SECONDS - start)))")
}

require() {
    # a missing component fails the run with its name
    command -v "$1" >/dev/null 2>&1 || { echo "missing component: $1 ($2)" >&2; exit 1; }
}

[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
require cargo "install Rust with rustup: https://rustup.rs"
require rustc "install Rust with rustup"
require go "install Go 1.26+ (the test cluster is built from Go modules)"
require python3 "install Python 3 (the AWS emulator)"
cargo clippy --version >/dev/null 2>&1 || { echo "missing component: clippy (rustup component add clippy)" >&2; exit 1; }
cargo fmt --version >/dev/null 2>&1 || { echo "missing component: rustfmt (rustup component add rustfmt)" >&2; exit 1; }
echo "rust: $(rustc --version)"
echo "cache: $CARGO_TARGET_DIR"

start_testenv() {
    local env
    env=$(bash tests/testenv.sh up) || return 1
    eval "$env"
    trap 'bash tests/testenv.sh down >/dev/null 2>&1 || true' EXIT
}

# the layout rustfmt.toml asks for; first, as it takes a second and needs nothing built
phase "format"       cargo fmt --check
phase "test environment" start_testenv
phase "build"        cargo build --locked --all-targets
phase "clippy"       cargo clippy --locked --all-targets -- -D warnings
# the binary the build phase made: `cargo run` would rebuild the dependencies without the
# dev-dependencies' features (minutes on a cold machine)
phase "lint course"  "$CARGO_TARGET_DIR/debug/kubedojo" lint --strict
# every failure a check builds is logged, then the failure-path test proves from the log that
# each `fail(` in src/checks was driven by a test and said found, expected and next
export KUBEDOJO_FAILURE_LOG="$CARGO_TARGET_DIR/failure-paths.log"
: > "$KUBEDOJO_FAILURE_LOG"
phase "tests"        cargo test --locked --no-fail-fast
phase "failure paths" cargo test --locked --test failure_paths -- --ignored --nocapture

# what a user installs: the crate as `cargo package` ships it (everything the binary embeds),
# built with the distribution profile (LTO, one codegen unit, stripped), under its size budget,
# and that binary runs: its version, and a strict lint of the course it carries
dist_build() {
    local version crate dir bin size budget=$((30 * 1024 * 1024))
    version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
    cargo package --locked --no-verify --allow-dirty --quiet || return 1
    crate="$CARGO_TARGET_DIR/package/kubedojo-$version.crate"
    dir="$CARGO_TARGET_DIR/package/unpacked"
    rm -rf "$dir" && mkdir -p "$dir" && tar -xzf "$crate" -C "$dir" || return 1
    [ -s "$dir/kubedojo-$version/LICENSE" ] || { echo "the packaged crate has no LICENSE" >&2; return 1; }
    (cd "$dir/kubedojo-$version" && cargo build --locked --profile dist --bin kubedojo) || return 1
    bin="$CARGO_TARGET_DIR/dist/kubedojo"
    size=$(stat -c %s "$bin")
    echo "dist binary: $bin, $size bytes ($((size / 1024 / 1024)) MB; budget 30 MB)"
    if [ "$size" -gt "$budget" ]; then
        echo "the dist binary is $size bytes, over the 30 MB budget: see README, Install" >&2
        return 1
    fi
    "$bin" --version && "$bin" lint --strict
}
phase "package + dist build" dist_build

echo
echo "timings:"
printf '  %s\n' "${timings[@]}"
