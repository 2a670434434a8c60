//! Keys that cannot go stale, end to end (issue 14): a scratch crate that
//! depends on `phasic` is built, run against a graph cache, edited the way
//! a model author edits between builds, and run again. An edit that
//! changes the graph must be a miss that serves the new graph — a hit on
//! an edited model must be impossible — and an unchanged model a hit.
//!
//! The scratch crate builds offline with this workspace's `Cargo.lock`
//! in its own target folder (`target/stale-keys-e2e`), so the first run
//! compiles `phasic`'s dependencies once.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const MANIFEST: &str = r#"[package]
name = "scratch"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
phasic = { path = "PHASIC" }

[workspace]
"#;

/// The model as first written: a death chain whose rate is the
/// discriminant of a parameter enum (`x as i32`) times a declared const.
const MODEL: &str = r#"
use phasic::prelude::*;
use phasic::cache::{CacheMode, CacheOptions, CacheStatus, build_graph};

const SCALE: f64 = 1.0;

#[derive(phasic::Key, Clone, Copy, Debug)]
pub enum Mode {
    Slow = 1,
    Fast = 3,
}

#[phasic::callback(initial = [4], consts(SCALE))]
fn chain(state: &[i32], out: &mut Transitions, mode: Mode) {
    let k = state[0];
    if k > 0 {
        out.add(&[k - 1], SCALE * f64::from(mode as i32) * f64::from(k));
    }
}

fn main() {
    let root = std::env::args().nth(1).expect("cache root");
    let options = CacheOptions { mode: CacheMode::ReadWrite, root: Some(root.into()) };
    let built = build_graph(chain, Mode::Fast, &options).expect("build");
    let e = PhaseType::new(&built.graph).unwrap().expectation(None).unwrap();
    let status = if built.status == CacheStatus::Hit { "hit" } else { "miss" };
    println!("{status} {e:.17e} {}", Mode::Slow as i32);
}
"#;

struct Scratch {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    cache: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("scratch");
        fs::create_dir_all(dir.join("src")).unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        fs::write(
            dir.join("Cargo.toml"),
            MANIFEST.replace("PHASIC", &repo.display().to_string()),
        )
        .unwrap();
        fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        let cache = tmp.path().join("cache");
        Scratch {
            _tmp: tmp,
            dir,
            cache,
        }
    }

    fn write(&self, source: &str) {
        fs::write(self.dir.join("src/main.rs"), source).unwrap();
    }

    /// Builds and runs the scratch crate: `(hit, E[T])`.
    fn run(&self, what: &str) -> (bool, f64) {
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/stale-keys-e2e");
        let out = Command::new(env!("CARGO"))
            .args(["run", "--quiet", "--offline", "-j2", "--"])
            .arg(&self.cache)
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", target)
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{what}: the scratch crate failed:\n{}{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut words = stdout.split_whitespace();
        let hit = match words.next() {
            Some("hit") => true,
            Some("miss") => false,
            other => panic!("{what}: unexpected output {other:?}: {stdout}"),
        };
        let e = words.next().unwrap().parse().unwrap();
        (hit, e)
    }
}

/// E[T] of the death chain from 4 at rate `c·k`: `H_4 / c`.
fn expected(c: f64) -> f64 {
    (1.0 + 1.0 / 2.0 + 1.0 / 3.0 + 1.0 / 4.0) / c
}

#[test]
fn an_edited_model_is_never_served_from_the_cache() {
    let s = Scratch::new();
    s.write(MODEL);
    let (hit, e) = s.run("first build");
    assert!(!hit, "the first build is a miss");
    assert!((e - expected(3.0)).abs() < 1e-15, "{e}");
    let (hit, again) = s.run("unchanged");
    assert!(hit, "an unchanged model is a hit");
    assert_eq!(again, e);

    // kind 1: a discriminant the body reads through `as`
    s.write(&MODEL.replace("Fast = 3,", "Fast = 5,"));
    let (hit, e) = s.run("discriminant edited");
    assert!(!hit, "an edited discriminant was served from the cache");
    assert!((e - expected(5.0)).abs() < 1e-15, "{e}");

    // a declared const's value
    s.write(
        &MODEL
            .replace("Fast = 3,", "Fast = 5,")
            .replace("const SCALE: f64 = 1.0;", "const SCALE: f64 = 2.0;"),
    );
    let (hit, e) = s.run("const edited");
    assert!(!hit, "an edited const was served from the cache");
    assert!((e - expected(10.0)).abs() < 1e-15, "{e}");

    // kind 2: a `macro_rules! vec` that would shadow the body's `vec!`
    // is not the one the body uses: the graph, and so the hit, stay
    let shadowed = MODEL
        .replace("Fast = 3,", "Fast = 5,")
        .replace("const SCALE: f64 = 1.0;", "const SCALE: f64 = 2.0;\n#[allow(unused_macros)]\nmacro_rules! vec { ($($t:tt)*) => { compile_error!(\"shadowed\") }; }")
        .replace("let k = state[0];", "let k = vec![state[0]][0];");
    s.write(&shadowed);
    let (hit, e2) = s.run("body edited, std macro shadowed");
    assert!(!hit, "an edited body was served from the cache");
    assert_eq!(e2, e);
}
