//! Sharded trace computation (docs/CLUSTER.md): the subproblems of a trace
//! written as work units into a session folder, computed by threads, by
//! local `phasic worker` processes or by a SLURM job array, published into
//! the trace store and composed by the coordinator.
//!
//! The model is the parameterized isolation-with-migration graph
//! (`isolation_migration_theta`, θ = (1/P, m12, m21)) with
//! `min_subproblem: 2`: n1 = n2 = 4 has 1432 vertices and 73 distinct keyed
//! subproblems, n1 = n2 = 3 has 269 vertices and 21. The reference is the
//! trace recorded in this process (`Trace::record_with`); a sharded trace
//! runs the same code, so its expectations must agree bit for bit, and
//! both agree with `PhaseType` on the re-weighted graph within 1e-12.
//!
//! The faults: workers killed mid-unit, corrupted and truncated unit
//! files, a damaged manifest, two coordinators on one session, an
//! unwritable store, stale sessions (`phasic work gc`), and a failing SLURM
//! array task. The SLURM tests need `sbatch` on PATH and a controller that
//! answers `scontrol ping` (a local cluster:
//! `eval "$(scripts/slurm-local.sh start)"`); without them they print
//! "skipped" and why, and pass, unless `PHASIC_REQUIRE_SLURM=1`.

#[path = "../../tests/support/verified.rs"]
mod verified;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};
use verified::verified;

use phasic::cache::{
    CacheMode, CacheOptions, Error, Executor, Processes, Session, ShardOptions, ShardReport, Slurm,
    Threads, TraceStore, prepare_session, run_worker, sharded_trace,
};
use phasic::core::{trace::Trace, trace::TraceOptions};
use phasic::models::isolation_migration_theta;
use phasic::prelude::PhaseTypeDistribution;
use phasic::prelude::{Graph, GraphView, PhaseType};
use serde_json::Value;

const PHASIC: &str = env!("CARGO_BIN_EXE_phasic");
const OPTS: TraceOptions = TraceOptions { min_subproblem: 2 };
const THETAS: [[f64; 3]; 4] = [
    [1.0, 0.5, 0.5],
    [2.0, 0.25, 1.0],
    [0.5, 1.5, 0.1],
    [3.0, 0.05, 2.0],
];
/// Trace against direct elimination (relative).
const TOL: f64 = 1e-12;

// ------------------------------------------------------------------ models

/// A model with its in-process reference values.
struct Model {
    graph: Graph,
    /// Distinct keyed subproblems.
    subproblems: usize,
    /// Their content keys (hex), the names of the store entries.
    keys: BTreeSet<String>,
    rewards: Vec<f64>,
    /// `(E[T], E[R])` at each θ of `THETAS` from `Trace::record_with`.
    expected: Vec<(f64, f64)>,
}

fn build(n: i32) -> Model {
    let graph = Graph::from_callback(isolation_migration_theta, (n, n)).unwrap();
    let plan = Trace::plan(&graph, OPTS).unwrap();
    let subproblems = plan.subproblems().len();
    let keys: BTreeSet<String> = plan.keys().iter().map(|k| k.hex()).collect();
    assert_eq!(keys.len(), subproblems, "n = {n}: keys are not distinct");
    let reference = Trace::record_with(&graph, OPTS).unwrap();
    let rewards: Vec<f64> = (0..graph.vertex_count())
        .map(|v| 0.25 + (v % 7) as f64 * 0.5)
        .collect();
    let mut weighted = Graph::from_view(&graph).unwrap();
    let expected = THETAS
        .iter()
        .map(|theta| {
            let e = reference.expectation(theta, None).unwrap();
            let er = reference.expectation(theta, Some(&rewards)).unwrap();
            // the reference itself agrees with direct elimination at θ
            weighted.update_weights(theta).unwrap();
            let ph = PhaseType::new(&weighted).unwrap();
            close(
                e,
                ph.expectation(None).unwrap(),
                &format!("n={n} E[T] at {theta:?}"),
            );
            close(
                er,
                ph.expectation(Some(&rewards)).unwrap(),
                &format!("n={n} E[R] at {theta:?}"),
            );
            (e, er)
        })
        .collect();
    Model {
        graph,
        subproblems,
        keys,
        rewards,
        expected,
    }
}

/// n1 = n2 = `n` (3 or 4), built once per test binary.
fn model(n: i32) -> &'static Model {
    static M3: OnceLock<Model> = OnceLock::new();
    static M4: OnceLock<Model> = OnceLock::new();
    let m = match n {
        3 => M3.get_or_init(|| build(3)),
        4 => M4.get_or_init(|| build(4)),
        _ => unreachable!(),
    };
    assert_eq!(
        (m.graph.vertex_count(), m.subproblems),
        if n == 3 { (269, 21) } else { (1432, 73) },
        "the model changed"
    );
    m
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        got.is_finite() && (got - want).abs() <= TOL * want.abs(),
        "{what}: got {got:?}, expected {want:?}"
    );
}

/// `trace` gives the reference expectations of `m`, bit for bit.
fn check_trace(trace: &Trace, m: &Model, what: &str) {
    assert_eq!(trace.vertex_count(), m.graph.vertex_count(), "{what}");
    assert_eq!(trace.param_dim(), 3, "{what}");
    for (theta, &(e, er)) in THETAS.iter().zip(&m.expected) {
        let got = trace.expectation(theta, None).unwrap();
        assert_eq!(
            got.to_bits(),
            e.to_bits(),
            "{what}: E[T] at {theta:?}: {got:?}, in process {e:?}"
        );
        let got = trace.expectation(theta, Some(&m.rewards)).unwrap();
        assert_eq!(
            got.to_bits(),
            er.to_bits(),
            "{what}: E[R] at {theta:?}: {got:?}, in process {er:?}"
        );
    }
}

// ----------------------------------------------------------------- helpers

fn cache_opts(root: &Path) -> CacheOptions {
    CacheOptions {
        mode: CacheMode::ReadWrite,
        root: Some(root.to_path_buf()),
    }
}

fn shard_opts(work: &Path, retries: usize) -> ShardOptions {
    ShardOptions {
        work_dir: Some(work.to_path_buf()),
        retries,
    }
}

fn processes(n: usize) -> Processes {
    Processes {
        n,
        exe: PathBuf::from(PHASIC),
    }
}

fn no_progress(_: usize, _: usize) {}

/// A fresh temporary dir with `cache/` (the store root) and `work/`.
struct Dirs {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    cache: PathBuf,
    work: PathBuf,
}

fn dirs() -> Dirs {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    Dirs {
        cache: root.join("cache"),
        work: root.join("work"),
        root,
        _tmp: tmp,
    }
}

/// A session with every subproblem of `m` pending, in `d`.
fn prepared(m: &Model, d: &Dirs) -> Session {
    prepare_session(
        &m.graph,
        &cache_opts(&d.cache),
        OPTS,
        &shard_opts(&d.work, 2),
    )
    .unwrap()
    .unwrap()
}

/// Every file under `dir`, recursively (none if it does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The `.trace` files in the store's shard folders.
fn trace_files(store: &TraceStore) -> Vec<PathBuf> {
    files_under(store.dir())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect()
}

/// The session folders under `<work>/work/`.
fn sessions(work: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(work.join("work"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// The store holds exactly the entries of `m`'s keys, all valid, and
/// nothing else in its shard folders; nothing was quarantined.
fn assert_store_complete(store: &TraceStore, m: &Model, what: &str) {
    assert_store_entries(store, m, false, what);
}

/// As [`assert_store_complete`], but temporary files (`.tmp-*`, left by
/// killed writers; never entries) are allowed in the shard folders when
/// `temporaries`.
fn assert_store_entries(store: &TraceStore, m: &Model, temporaries: bool, what: &str) {
    let files = files_under(store.dir());
    let mut entries = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(store.dir()).unwrap();
        let name = f.file_name().unwrap().to_string_lossy();
        if rel == Path::new("stats") || (temporaries && name.starts_with(".tmp-")) {
            continue;
        }
        assert_eq!(
            f.extension().and_then(|e| e.to_str()),
            Some("trace"),
            "{what}: stray file {}",
            f.display()
        );
        let stem = f.file_stem().unwrap().to_str().unwrap().to_string();
        assert_eq!(
            rel.parent().unwrap(),
            Path::new(&stem[..2]),
            "{what}: {} is not in its shard folder",
            f.display()
        );
        assert!(entries.insert(stem), "{what}: duplicate {}", f.display());
    }
    assert_eq!(entries, m.keys, "{what}: the entries are not the keys");
    let (good, bad) = verified(store);
    assert!(bad.is_empty(), "{what}: bad entries {bad:?}");
    assert_eq!(good as usize, m.subproblems, "{what}");
    assert!(
        !store.dir().join("quarantine").exists(),
        "{what}: quarantine"
    );
}

/// `phasic worker --session DIR args…` without scheduler variables.
fn worker(session: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(PHASIC);
    c.arg("worker")
        .arg("--session")
        .arg(session)
        .args(args)
        .stdin(Stdio::null())
        .env_remove("RUST_LOG");
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_PROCID",
        "SLURM_NTASKS",
    ] {
        c.env_remove(v);
    }
    c
}

/// `phasic args…` with a clean environment for the cache and work roots.
fn phasic(args: &[&str]) -> Output {
    Command::new(PHASIC)
        .args(args)
        .stdin(Stdio::null())
        .env_remove("RUST_LOG")
        .env_remove("PHASIC_CACHE_DIR")
        .env_remove("PHASIC_WORK_DIR")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts exit code 2, nothing on stdout, and exactly one stderr line
/// starting with `error:`; returns that line and the whole stderr.
fn failed(out: &Output, what: &str) -> (String, String) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{what}: stdout {}",
        text(&out.stdout)
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{what}: stderr {stderr:?}");
    (errors[0].to_string(), stderr)
}

/// Asserts success, empty stderr and one JSON line on stdout.
fn json_ok(out: &Output, what: &str) -> Value {
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{what}: {stderr}");
    assert!(stderr.is_empty(), "{what}: unexpected stderr {stderr}");
    assert_eq!(stdout.lines().count(), 1, "{what}: {stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{what}: bad JSON ({e}): {stdout}"))
}

/// Truncates `path` to half its length.
fn truncate(path: &Path) {
    let len = fs::metadata(path).unwrap().len();
    assert!(len > 64, "{}: only {len} bytes", path.display());
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
}

/// Flips one bit of the byte in the middle of `path`'s payload (past the
/// 64-byte header).
fn flip(path: &Path) {
    let mut b = fs::read(path).unwrap();
    let at = 64 + (b.len() - 64) / 2;
    b[at] ^= 0x04;
    fs::write(path, b).unwrap();
}

/// The logs of a session, by file name.
fn read_logs(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        fs::read_to_string(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What one executor run saw.
#[derive(Debug, Clone)]
struct Run {
    session: PathBuf,
    pending: Vec<u32>,
    /// Whether each pending unit's file passed its check before the run.
    valid: Vec<bool>,
    /// The session's logs right after the run.
    logs: BTreeMap<String, String>,
    /// The batch scripts in the session folder after the run.
    scripts: BTreeMap<String, String>,
}

/// Wraps an executor and records every run (the session is removed on
/// success, so its logs are read here).
struct Recording<E> {
    inner: E,
    runs: Mutex<Vec<Run>>,
}

impl<E> Recording<E> {
    fn new(inner: E) -> Self {
        Recording {
            inner,
            runs: Mutex::new(Vec::new()),
        }
    }
    fn runs(&self) -> Vec<Run> {
        self.runs.lock().unwrap().clone()
    }
}

impl<E: Executor> Executor for Recording<E> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn run(
        &self,
        session: &Session,
        pending: &[u32],
        poll: &(dyn Fn() + Sync),
    ) -> phasic::cache::Result<()> {
        let valid = pending
            .iter()
            .map(|&u| session.read_unit(u as usize).is_ok())
            .collect();
        let result = self.inner.run(session, pending, poll);
        let scripts = read_logs(session.dir())
            .into_iter()
            .filter(|(k, _)| k.starts_with("submit-"))
            .collect();
        self.runs.lock().unwrap().push(Run {
            session: session.dir().to_path_buf(),
            pending: pending.to_vec(),
            valid,
            logs: read_logs(&session.logs()),
            scripts,
        });
        result
    }
}

/// Sets the modification time of every file and folder under `dir` (and
/// of `dir`) to `t`, files before their folder.
fn set_mtime_tree(dir: &Path, t: SystemTime) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            set_mtime_tree(&p, t);
        } else {
            fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
    }
    fs::File::open(dir).unwrap().set_modified(t).unwrap();
}

// ------------------------------------------------------------------- tests

/// `executor` computes the traces of an empty store: the in-process
/// results, every subproblem a unit, one attempt, progress ending at
/// (total, total), the session removed; a second run finds everything in
/// the store.
fn computes_the_in_process_trace(name: &str, executor: &dyn Executor) {
    let m = model(4);
    let d = dirs();
    let cache = cache_opts(&d.cache);
    let shard = shard_opts(&d.work, 2);
    let calls = Mutex::new(Vec::new());
    let progress = |done: usize, total: usize| calls.lock().unwrap().push((done, total));
    let (trace, report) =
        sharded_trace(&m.graph, &cache, OPTS, &shard, executor, &progress).unwrap();
    check_trace(&trace, m, name);
    let session = report.session.clone().expect("a session was used");
    assert!(
        session.starts_with(d.work.join("work")),
        "{name}: session {} not under the work dir",
        session.display()
    );
    assert_eq!(
        report,
        ShardReport {
            subproblems: m.subproblems,
            in_store: 0,
            units: m.subproblems,
            attempts: 1,
            session: Some(session.clone()),
            seconds: report.seconds,
        },
        "{name}"
    );
    assert!(report.seconds > 0.0, "{name}: {report:?}");
    assert!(!session.exists(), "{name}: session folder left behind");
    assert_eq!(sessions(&d.work), Vec::<PathBuf>::new(), "{name}");
    let store = TraceStore::new(&d.cache);
    assert_store_complete(&store, m, name);

    // everything is in the store now
    let (trace, report) =
        sharded_trace(&m.graph, &cache, OPTS, &shard, executor, &no_progress).unwrap();
    check_trace(&trace, m, &format!("{name}, second run"));
    assert_eq!(
        report,
        ShardReport {
            subproblems: m.subproblems,
            in_store: m.subproblems,
            units: 0,
            attempts: 0,
            session: None,
            seconds: 0.0,
        },
        "{name}, second run"
    );
    assert!(
        prepare_session(&m.graph, &cache, OPTS, &shard)
            .unwrap()
            .is_none(),
        "{name}: a session with nothing missing"
    );
    assert_eq!(sessions(&d.work), Vec::<PathBuf>::new(), "{name}");

    // progress, checked last (the rest holds either way)
    let calls = calls.into_inner().unwrap();
    assert!(!calls.is_empty(), "{name}: progress never called");
    assert!(
        calls.iter().all(|&(_, t)| t == m.subproblems),
        "{name}: totals {calls:?}"
    );
    assert!(
        calls.windows(2).all(|w| w[0].0 <= w[1].0),
        "{name}: done goes back: {calls:?}"
    );
    assert_eq!(
        calls.last(),
        Some(&(m.subproblems, m.subproblems)),
        "{name}: progress does not end at (total, total): {calls:?}"
    );
}

#[test]
fn threads_compute_the_in_process_trace() {
    computes_the_in_process_trace("threads", &Threads);
}

#[test]
fn processes_compute_the_in_process_trace() {
    computes_the_in_process_trace("processes:2", &processes(2));
}

/// A worker killed (SIGKILL) in the middle of its units never leaves a
/// partial entry: every `.trace` file is valid after each kill. Run again,
/// it computes the rest; the coordinator then finds everything.
#[test]
fn worker_killed_mid_unit_leaves_only_valid_entries() {
    let m = model(4);
    let d = dirs();
    let cache = cache_opts(&d.cache);
    let shard = shard_opts(&d.work, 2);
    let session = prepare_session(&m.graph, &cache, OPTS, &shard)
        .unwrap()
        .expect("everything is missing");
    assert_eq!(session.units().len(), m.subproblems);
    let store = session.store();
    assert_eq!(store.dir(), d.cache.join("traces"));
    let total = m.subproblems;
    let mut rounds = Vec::new();
    let mut killed_mid_run = 0;
    let mut before = 0;
    for round in 0..10 {
        if before == total {
            break;
        }
        let mut child = worker(session.dir(), &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        match round {
            0 => std::thread::sleep(Duration::from_millis(150)),
            1 => std::thread::sleep(Duration::from_millis(250)),
            _ => {
                // as soon as this worker has published something, and a
                // few milliseconds later: it is busy with the next unit
                let t = Instant::now();
                while trace_files(&store).len() <= before
                    && child.try_wait().unwrap().is_none()
                    && t.elapsed() < Duration::from_secs(20)
                {
                    std::thread::sleep(Duration::from_micros(500));
                }
                std::thread::sleep(Duration::from_millis((round % 4) as u64));
            }
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        let files = trace_files(&store);
        let (good, bad) = verified(&store);
        assert!(
            bad.is_empty(),
            "round {round}: partial or bad entries visible after SIGKILL: {bad:?}"
        );
        assert!(!store.dir().join("quarantine").exists(), "round {round}");
        assert_eq!(good as usize, files.len(), "round {round}");
        assert!(good as usize >= before, "round {round}: entries vanished");
        for f in &files {
            let stem = f.file_stem().unwrap().to_str().unwrap();
            assert!(m.keys.contains(stem), "round {round}: foreign entry {f:?}");
        }
        if status.signal() == Some(9) && (good as usize) < total {
            killed_mid_run += 1;
        }
        rounds.push((good, status));
        before = good as usize;
    }
    let temporaries = files_under(store.dir())
        .iter()
        .filter(|f| {
            f.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".tmp-")
        })
        .count();
    eprintln!("kills (entries after, status): {rounds:?}; {temporaries} temporary file(s) left");
    assert!(
        killed_mid_run >= 2,
        "fewer than two workers were killed mid-run: {rounds:?}"
    );

    // run the worker to completion
    let out = worker(session.dir(), &[]).output().unwrap();
    let report = json_ok(&out, "worker after the kills");
    assert_eq!(report["assigned"], total, "{report}");
    assert_eq!(report["skipped"], before, "{report}");
    assert_eq!(report["computed"], total - before, "{report}");
    assert_eq!(report["failed"], serde_json::json!([]), "{report}");
    assert_store_entries(&store, m, true, "after the kills");

    // the coordinator finds everything in the store
    let (trace, report) =
        sharded_trace(&m.graph, &cache, OPTS, &shard, &processes(2), &no_progress).unwrap();
    check_trace(&trace, m, "composed after the kills");
    assert_eq!(
        (report.in_store, report.units, report.attempts),
        (total, 0, 0),
        "{report:?}"
    );
}

/// `phasic worker` on a session with a truncated and a corrupted unit
/// file: exit code 2, the error and the task's log name the bad unit
/// files, every other unit is computed.
#[test]
fn worker_reports_corrupted_and_truncated_units() {
    let m = model(3);
    let d = dirs();
    let cache = cache_opts(&d.cache);
    let shard = shard_opts(&d.work, 2);
    let session = prepare_session(&m.graph, &cache, OPTS, &shard)
        .unwrap()
        .unwrap();
    let (t, c) = (1, 3);
    truncate(&session.unit_path(t));
    flip(&session.unit_path(c));
    for u in 0..session.units().len() {
        assert_eq!(session.read_unit(u).is_ok(), u != t && u != c, "unit {u}");
    }
    let (tp, cp) = (
        session.unit_path(t).display().to_string(),
        session.unit_path(c).display().to_string(),
    );

    let out = worker(session.dir(), &[]).output().unwrap();
    let (line, stderr) = failed(&out, "worker with bad units");
    assert!(line.contains("2 unit(s) failed"), "{line}");
    assert!(line.contains(&tp), "{line} does not name {tp}");
    assert!(stderr.contains(&cp), "stderr does not name {cp}: {stderr}");
    let log = fs::read_to_string(session.logs().join("task-0000.log")).unwrap();
    for (u, p) in [(t, &tp), (c, &cp)] {
        let failure = log
            .lines()
            .find(|l| l.contains(&format!("unit {u:06} FAILED")))
            .unwrap_or_else(|| panic!("the log does not report unit {u}: {log}"));
        assert!(failure.contains(p.as_str()), "{failure} does not name {p}");
    }
    assert!(log.contains("19 computed, 0 skipped, 2 failed"), "{log}");
    let store = session.store();
    for u in 0..session.units().len() {
        assert_eq!(
            session.output_exists(&store, u),
            u != t && u != c,
            "output of unit {u}"
        );
    }
    assert_eq!(trace_files(&store).len(), m.subproblems - 2);

    // a coordinator joins the session (the same computation) with the two
    // missing subproblems pending: the first attempt fails them again, the
    // retry rewrites their unit files and computes them
    let (trace, report) =
        sharded_trace(&m.graph, &cache, OPTS, &shard, &processes(2), &no_progress).unwrap();
    check_trace(&trace, m, "after the failed worker");
    assert_eq!(
        (report.in_store, report.units, report.attempts),
        (m.subproblems - 2, 2, 2),
        "{report:?}"
    );
    assert_store_complete(&store, m, "after the failed worker");
    assert_eq!(report.session.as_deref(), Some(session.dir()), "{report:?}");
    assert!(!session.dir().exists(), "session left behind");
}

/// `sharded_trace` joins a prepared session whose unit files are
/// truncated and corrupted: the first attempt fails those units, they are
/// rewritten, the second attempt computes them.
#[test]
fn coordinator_rewrites_bad_units_and_retries() {
    let m = model(3);
    let d = dirs();
    let cache = cache_opts(&d.cache);
    let shard = shard_opts(&d.work, 2);
    let session = prepare_session(&m.graph, &cache, OPTS, &shard)
        .unwrap()
        .unwrap();
    let (t, c) = (1u32, 3u32);
    truncate(&session.unit_path(t as usize));
    flip(&session.unit_path(c as usize));
    let executor = Recording::new(processes(2));
    let (trace, report) =
        sharded_trace(&m.graph, &cache, OPTS, &shard, &executor, &no_progress).unwrap();
    check_trace(&trace, m, "after the retry");
    assert_eq!(report.session.as_deref(), Some(session.dir()), "{report:?}");
    assert_eq!(
        (report.units, report.attempts),
        (m.subproblems, 2),
        "{report:?}"
    );
    assert!(!session.dir().exists(), "session folder left behind");
    assert_store_complete(&session.store(), m, "after the retry");

    let runs = executor.runs();
    assert_eq!(runs.len(), 2, "{runs:#?}");
    let all: Vec<u32> = (0..m.subproblems as u32).collect();
    assert_eq!(runs[0].pending, all);
    let bad: Vec<u32> = all
        .iter()
        .zip(&runs[0].valid)
        .filter(|(_, v)| !**v)
        .map(|(u, _)| *u)
        .collect();
    assert_eq!(bad, [t, c], "unit files bad before the first attempt");
    let logs = runs[0]
        .logs
        .values()
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    for u in [t, c] {
        let p = session.unit_path(u as usize).display().to_string();
        assert!(
            logs.lines()
                .any(|l| l.contains(&format!("unit {u:06} FAILED")) && l.contains(&p)),
            "the first attempt's logs do not report unit {u}: {logs}"
        );
    }
    let coordinator = runs[0].logs.get("coordinator.log").cloned();
    assert!(
        coordinator
            .as_deref()
            .is_some_and(|l| l.contains("exited with exit status: 2")),
        "no failed worker in the coordinator log: {coordinator:?}"
    );
    assert_eq!(runs[1].pending, [t, c], "the retry's units");
    assert_eq!(runs[1].valid, [true, true], "unit files not rewritten");
}

/// With `retries: 0` the bad units fail: `Error::UnitsFailed` names them,
/// and the session is kept with its logs.
#[test]
fn units_failed_without_retries_keeps_the_session() {
    let m = model(3);
    let d = dirs();
    let cache = cache_opts(&d.cache);
    let shard = shard_opts(&d.work, 0);
    let session = prepare_session(&m.graph, &cache, OPTS, &shard)
        .unwrap()
        .unwrap();
    let (t, c) = (1u32, 3u32);
    truncate(&session.unit_path(t as usize));
    flip(&session.unit_path(c as usize));
    let err = sharded_trace(&m.graph, &cache, OPTS, &shard, &processes(2), &no_progress)
        .expect_err("bad units without retries succeeded");
    let message = err.to_string();
    let Error::UnitsFailed {
        session: dir,
        units,
        attempts,
    } = err
    else {
        panic!("not UnitsFailed: {message}");
    };
    assert_eq!(dir, session.dir());
    assert_eq!(units, [t, c]);
    assert_eq!(attempts, 1);
    assert!(
        message.contains(&session.dir().display().to_string()),
        "{message}"
    );
    assert!(message.contains("2 unit(s) failed"), "{message}");
    assert!(session.dir().join("manifest").is_file(), "session removed");
    let logs = read_logs(&session.logs());
    let all = logs.values().cloned().collect::<Vec<_>>().join("\n");
    for u in [t, c] {
        let p = session.unit_path(u as usize).display().to_string();
        assert!(
            all.lines()
                .any(|l| l.contains(&format!("unit {u:06} FAILED")) && l.contains(&p)),
            "the kept logs do not report unit {u}: {logs:#?}"
        );
    }
    // no retry: the unit files are left as they are
    assert!(session.read_unit(t as usize).is_err());
    assert!(session.read_unit(c as usize).is_err());
    let store = session.store();
    assert_eq!(trace_files(&store).len(), m.subproblems - 2);
    assert!(!session.is_done(&store, t as usize));
    assert!(!session.is_done(&store, c as usize));
}

/// Two coordinators on one session at the same moment: both succeed with
/// identical results, one entry per key, no session left.
#[test]
fn two_coordinators_share_one_session() {
    let m = model(4);
    type Make = fn() -> Box<dyn Executor>;
    let rounds: [(&str, Make, Make); 3] = [
        (
            "processes:1 + processes:1",
            || Box::new(processes(1)),
            || Box::new(processes(1)),
        ),
        (
            "threads + threads",
            || Box::new(Threads),
            || Box::new(Threads),
        ),
        (
            "threads + processes:1",
            || Box::new(Threads),
            || Box::new(processes(1)),
        ),
    ];
    for (name, a, b) in rounds {
        let d = dirs();
        let cache = cache_opts(&d.cache);
        let shard = shard_opts(&d.work, 2);
        let barrier = Barrier::new(2);
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = [a, b]
                .into_iter()
                .map(|make| {
                    let (cache, shard, barrier) = (&cache, &shard, &barrier);
                    s.spawn(move || {
                        let executor = make();
                        barrier.wait();
                        sharded_trace(
                            &m.graph,
                            cache,
                            OPTS,
                            shard,
                            executor.as_ref(),
                            &no_progress,
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sessions_used = BTreeSet::new();
        for (i, r) in results.into_iter().enumerate() {
            let (trace, report) = r.unwrap_or_else(|e| panic!("{name}: coordinator {i}: {e}"));
            check_trace(&trace, m, &format!("{name}: coordinator {i}"));
            assert_eq!(report.subproblems, m.subproblems, "{name}");
            assert_eq!(report.in_store + report.units, m.subproblems, "{name}");
            sessions_used.extend(report.session);
        }
        assert!(sessions_used.len() <= 1, "{name}: {sessions_used:?}");
        assert_store_complete(&TraceStore::new(&d.cache), m, name);
        assert_eq!(
            sessions(&d.work),
            Vec::<PathBuf>::new(),
            "{name}: stray session"
        );
    }
}

/// A coordinator that finds part of the work done (by a worker run by
/// hand) joins the same session rather than starting another, runs only
/// what is missing, and removes the session.
#[test]
fn a_coordinator_joins_a_session_with_part_of_the_work_done() {
    let m = model(3);
    let d = dirs();
    let session = prepared(m, &d);
    let n = m.subproblems;
    let by_hand = run_worker(session.dir(), 1, 3).unwrap();
    assert_eq!(by_hand.computed, n / 3, "{by_hand:?}");
    let executor = Recording::new(Threads);
    let (trace, report) = sharded_trace(
        &m.graph,
        &cache_opts(&d.cache),
        OPTS,
        &shard_opts(&d.work, 2),
        &executor,
        &no_progress,
    )
    .unwrap();
    check_trace(&trace, m, "after a third by hand");
    assert_eq!(report.session.as_deref(), Some(session.dir()), "{report:?}");
    assert_eq!(
        (report.in_store, report.units, report.attempts),
        (n / 3, n - n / 3, 1),
        "{report:?}"
    );
    let runs = executor.runs();
    let rest: Vec<u32> = (0..n as u32).filter(|u| u % 3 != 1).collect();
    assert_eq!(runs[0].pending, rest, "only the missing units run");
    assert_eq!(sessions(&d.work), Vec::<PathBuf>::new());
}

/// A session held by one coordinator outlives another that finishes the
/// same computation, and `phasic work gc` leaves it alone however old;
/// once released, the last holder removes it.
#[test]
fn a_held_session_is_removed_by_its_last_holder_only() {
    let m = model(3);
    let d = dirs();
    let plan = Trace::plan(&m.graph, OPTS).unwrap();
    let all: Vec<u32> = (0..m.subproblems as u32).collect();
    let held = Session::create(&d.work, &d.cache, plan.subproblems(), plan.keys(), &all).unwrap();
    let (trace, report) = sharded_trace(
        &m.graph,
        &cache_opts(&d.cache),
        OPTS,
        &shard_opts(&d.work, 2),
        &Threads,
        &no_progress,
    )
    .unwrap();
    check_trace(&trace, m, "beside a held session");
    assert_eq!(report.session.as_deref(), Some(held.dir()), "{report:?}");
    assert!(
        held.dir().join("manifest").is_file(),
        "a held session was removed"
    );

    set_mtime_tree(
        held.dir(),
        SystemTime::now() - Duration::from_secs(2 * 86_400),
    );
    let work = d.work.display().to_string();
    let out = phasic(&["work", "gc", "--older-than", "1d", "--work-dir", &work]);
    assert_eq!(json_ok(&out, "gc")["removed"], serde_json::json!([]));
    assert!(
        held.dir().join("manifest").is_file(),
        "gc removed a held session"
    );

    let dir = held.dir().to_path_buf();
    held.remove().unwrap();
    assert!(!dir.exists(), "the last holder left the session");
    assert_eq!(sessions(&d.work), Vec::<PathBuf>::new());
}

/// A store that cannot take files is an error naming it, before anything
/// runs; so is a work dir that cannot, and a cache mode without writes.
#[test]
fn unwritable_store_and_cache_off_are_errors() {
    let m = model(3);
    let d = dirs();
    let file = d.root.join("file");
    fs::write(&file, "not a folder").unwrap();

    // the store's root under a regular file
    let root = file.join("sub");
    let err = sharded_trace(
        &m.graph,
        &cache_opts(&root),
        OPTS,
        &shard_opts(&d.work, 2),
        &Threads,
        &no_progress,
    )
    .expect_err("an unwritable store");
    let message = err.to_string();
    let store_dir = root.join("traces");
    assert!(
        message.contains(&store_dir.display().to_string()),
        "{message} does not name {}",
        store_dir.display()
    );
    assert!(
        matches!(&err, Error::Io { path, .. } if *path == store_dir),
        "{err:?}"
    );
    assert!(!d.work.exists(), "a session was created");
    let err = prepare_session(&m.graph, &cache_opts(&root), OPTS, &shard_opts(&d.work, 2))
        .expect_err("an unwritable store");
    assert!(
        err.to_string().contains(&store_dir.display().to_string()),
        "{err}"
    );

    // the work dir under a regular file
    let work = file.join("work");
    let err = sharded_trace(
        &m.graph,
        &cache_opts(&d.cache),
        OPTS,
        &shard_opts(&work, 2),
        &Threads,
        &no_progress,
    )
    .expect_err("an unwritable work dir");
    assert!(
        err.to_string().contains(&work.display().to_string()),
        "{err} does not name {}",
        work.display()
    );
    assert_eq!(
        trace_files(&TraceStore::new(&d.cache)),
        Vec::<PathBuf>::new()
    );

    // cache modes that do not write
    for mode in [CacheMode::Off, CacheMode::ReadOnly] {
        let root = d.root.join(format!("{mode:?}"));
        let cache = CacheOptions {
            mode,
            root: Some(root.clone()),
        };
        let err = sharded_trace(
            &m.graph,
            &cache,
            OPTS,
            &shard_opts(&d.work, 2),
            &Threads,
            &no_progress,
        )
        .err()
        .unwrap_or_else(|| panic!("sharding with cache mode {mode:?}"));
        let message = err.to_string();
        assert!(matches!(err, Error::Executor { .. }), "{err:?}");
        for part in ["sharding", "trace store", &format!("{mode:?}")] {
            assert!(message.contains(part), "{message} does not mention {part}");
        }
        assert!(
            prepare_session(&m.graph, &cache, OPTS, &shard_opts(&d.work, 2)).is_err(),
            "{mode:?}"
        );
        assert!(!root.exists(), "{mode:?}: the cache root was created");
        assert!(!d.work.exists(), "{mode:?}: a session was created");
    }
}

/// `phasic work gc --older-than 1d` removes the sessions whose every file
/// and folder is older, and only those.
#[test]
fn work_gc_removes_old_sessions() {
    let m = model(3);
    let d = dirs();
    // three sessions in one work dir (one per store)
    let make = |name: &str| {
        prepare_session(
            &m.graph,
            &cache_opts(&d.root.join(name)),
            OPTS,
            &shard_opts(&d.work, 2),
        )
        .unwrap()
        .unwrap()
        .dir()
        .to_path_buf()
    };
    let (old, fresh, touched) = (make("c1"), make("c2"), make("c3"));
    assert_eq!(sessions(&d.work).len(), 3);
    let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 86_400);
    set_mtime_tree(&old, two_days_ago);
    // old everywhere except one log line written now
    set_mtime_tree(&touched, two_days_ago);
    fs::write(
        touched.join("logs").join("task-0000.log"),
        "1 pid 1 recent\n",
    )
    .unwrap();
    fs::File::open(touched.join("logs"))
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();
    fs::File::open(&touched)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();
    let work = d.work.display().to_string();

    let out = phasic(&["work", "gc", "--older-than", "3d", "--work-dir", &work]);
    let v = json_ok(&out, "gc 3d");
    assert_eq!(v["removed"], serde_json::json!([]), "{v}");
    assert_eq!(sessions(&d.work).len(), 3);

    let out = phasic(&["work", "gc", "--older-than", "1d", "--work-dir", &work]);
    let v = json_ok(&out, "gc 1d");
    assert_eq!(v["work_dir"], serde_json::json!(work), "{v}");
    assert_eq!(v["removed"], serde_json::json!([old]), "{v}");
    assert!(!old.exists());
    let mut kept = vec![fresh, touched];
    kept.sort();
    assert_eq!(sessions(&d.work), kept);
    for s in &kept {
        assert!(s.join("manifest").is_file(), "{}", s.display());
    }

    let out = phasic(&["work", "gc", "--older-than", "1d", "--work-dir", &work]);
    assert_eq!(json_ok(&out, "gc again")["removed"], serde_json::json!([]));
    let out = phasic(&["work", "gc", "--older-than", "soon", "--work-dir", &work]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("soon"), "{}", text(&out.stderr));
    assert_eq!(sessions(&d.work), kept);
}

/// `phasic work gc` removes only sessions phasic created (issue 15, item
/// 2): an old folder with another name, an old folder named like a
/// session but without a manifest, an old file, and a link named like a
/// session pointing at an old session outside the work dir all stay, and
/// so does everything in them; the real old session goes. A `work/` that
/// is itself a link is refused, naming it.
#[test]
fn work_gc_removes_only_sessions() {
    let m = model(3);
    let d = dirs();
    let session = prepared(m, &d).dir().to_path_buf();
    let work_dir = d.work.join("work");
    let results = work_dir.join("my-results");
    fs::create_dir_all(results.join("run1")).unwrap();
    fs::write(results.join("run1").join("table.csv"), "1,2\n").unwrap();
    let look_alike = work_dir.join("0123abcd-0123-8123-9abc-0123456789ab");
    fs::create_dir(&look_alike).unwrap();
    fs::write(look_alike.join("data"), "not a session").unwrap();
    let note = work_dir.join("NOTES");
    fs::write(&note, "keep me").unwrap();
    // a real session elsewhere, reached through a link named like a session
    let elsewhere = d.root.join("elsewhere");
    let outside = prepare_session(
        &m.graph,
        &cache_opts(&d.root.join("other-cache")),
        OPTS,
        &shard_opts(&elsewhere, 2),
    )
    .unwrap()
    .unwrap()
    .dir()
    .to_path_buf();
    let link = work_dir.join("89abcdef-0123-8456-8abc-0123456789ab");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let old = SystemTime::now() - Duration::from_secs(10 * 86_400);
    set_mtime_tree(&elsewhere, old);
    set_mtime_tree(&work_dir, old);
    let outside_files = files_under(&outside);
    assert!(!outside_files.is_empty());

    let work = d.work.display().to_string();
    let out = phasic(&["work", "gc", "--older-than", "1d", "--work-dir", &work]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["removed"], serde_json::json!([session]), "{v}");
    assert!(!session.exists());
    assert_eq!(
        fs::read_to_string(results.join("run1").join("table.csv")).unwrap(),
        "1,2\n"
    );
    assert_eq!(
        fs::read_to_string(look_alike.join("data")).unwrap(),
        "not a session"
    );
    assert_eq!(fs::read_to_string(&note).unwrap(), "keep me");
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(files_under(&outside), outside_files);

    // `work/` itself a link: refused, naming it; nothing removed behind it
    let moved = d.root.join("moved-work");
    fs::rename(&work_dir, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &work_dir).unwrap();
    let before = files_under(&moved);
    let out = phasic(&["work", "gc", "--older-than", "1d", "--work-dir", &work]);
    let (line, _) = failed(&out, "work gc through a linked work/");
    assert!(
        line.contains(&work_dir.display().to_string()) && line.contains("symbolic link"),
        "{line}"
    );
    assert_eq!(files_under(&moved), before);
}

/// A manifest that is truncated, emptied, missing, of another version, or
/// garbage: `phasic worker` exits 2 naming the manifest, and computes
/// nothing. The intact manifest works.
#[test]
fn worker_names_a_damaged_manifest() {
    let m = model(3);
    let d = dirs();
    let session = prepared(m, &d);
    let manifest = session.dir().join("manifest");
    let original = fs::read(&manifest).unwrap();
    let name = manifest.display().to_string();
    let mut version = original.clone();
    version[0] = 2;
    let cases: Vec<(&str, Option<Vec<u8>>)> = vec![
        ("truncated", Some(original[..original.len() / 2].to_vec())),
        ("emptied", Some(Vec::new())),
        ("missing", None),
        ("version 2", Some(version)),
        ("garbage", Some(vec![0xff; 16])),
    ];
    for (what, bytes) in cases {
        match bytes {
            Some(b) => fs::write(&manifest, b).unwrap(),
            None => fs::remove_file(&manifest).unwrap(),
        }
        let out = worker(session.dir(), &[]).output().unwrap();
        let (line, _) = failed(&out, what);
        assert!(line.contains(&name), "{what}: {line} does not name {name}");
        assert_eq!(
            trace_files(&session.store()),
            Vec::<PathBuf>::new(),
            "{what}: units computed"
        );
    }
    // a coordinator joining the session either recovers or names the
    // manifest
    fs::write(&manifest, &original[..original.len() / 2]).unwrap();
    let cache = cache_opts(&d.cache);
    match sharded_trace(
        &m.graph,
        &cache,
        OPTS,
        &shard_opts(&d.work, 2),
        &Threads,
        &no_progress,
    ) {
        Ok((trace, _)) => {
            // it recovered (and removed the session): nothing left to run
            check_trace(&trace, m, "coordinator on a damaged manifest");
            return;
        }
        Err(e) => assert!(e.to_string().contains(&name), "{e} does not name {name}"),
    }
    fs::write(&manifest, &original).unwrap();
    let out = worker(session.dir(), &[]).output().unwrap();
    let v = json_ok(&out, "intact manifest");
    assert_eq!(v["computed"], m.subproblems, "{v}");
    assert_store_complete(&session.store(), m, "intact manifest");
}

/// One bit flipped in the manifest's store path: the manifest is damaged,
/// so `phasic worker` must exit 2 naming it, not publish into another
/// folder.
#[test]
fn worker_detects_a_bit_flip_in_the_manifest() {
    let m = model(3);
    let d = dirs();
    let session = prepared(m, &d);
    let manifest = session.dir().join("manifest");
    let mut bytes = fs::read(&manifest).unwrap();
    let root = d.cache.display().to_string();
    let at = bytes
        .windows(root.len())
        .position(|w| w == root.as_bytes())
        .expect("the store path is in the manifest")
        + root.len()
        - 1;
    bytes[at] ^= 0x01; // `…/cache` → `…/cachd`
    fs::write(&manifest, &bytes).unwrap();
    let elsewhere = d.root.join("cachd");
    let out = worker(session.dir(), &[]).output().unwrap();
    let status = out.status;
    let stdout = text(&out.stdout);
    let written = files_under(&elsewhere).len();
    assert!(
        status.code() == Some(2) && written == 0,
        "a bit flip in the manifest went unnoticed: exit {status}, stdout {stdout}, \
         {written} file(s) written under {}",
        elsewhere.display()
    );
    let (line, _) = failed(&out, "bit flip");
    assert!(
        line.contains(&manifest.display().to_string()),
        "{line} does not name the manifest"
    );
}

/// Tasks stride over the pending units: three tasks compute disjoint
/// thirds; a task index beyond the count is an error.
#[test]
fn worker_tasks_split_the_units() {
    let m = model(3);
    let d = dirs();
    let session = prepared(m, &d);
    let n = m.subproblems;
    let err = run_worker(session.dir(), 3, 3).unwrap_err();
    assert!(matches!(err, Error::Session { .. }), "{err:?}");
    let out = worker(session.dir(), &["--task", "3", "--tasks", "3"])
        .output()
        .unwrap();
    let (line, _) = failed(&out, "task 3 of 3");
    assert!(line.contains("task 3 of 3"), "{line}");

    let report = run_worker(session.dir(), 1, 3).unwrap();
    assert_eq!(
        (report.task, report.tasks, report.assigned, report.computed),
        (1, 3, n / 3, n / 3),
        "{report:?}"
    );
    let store = session.store();
    for u in 0..n {
        assert_eq!(session.output_exists(&store, u), u % 3 == 1, "unit {u}");
    }
    let out = worker(session.dir(), &["--task", "0", "--tasks", "3"])
        .output()
        .unwrap();
    assert_eq!(json_ok(&out, "task 0")["computed"], n / 3);
    // the only task of one skips what is done and computes the rest
    let out = worker(session.dir(), &[]).output().unwrap();
    let v = json_ok(&out, "task 0 of 1");
    assert_eq!(
        (
            v["assigned"].clone(),
            v["skipped"].clone(),
            v["computed"].clone()
        ),
        (n.into(), (2 * n / 3).into(), (n / 3).into()),
        "{v}"
    );
    assert_store_complete(&store, m, "three tasks");
}

/// `phasic model … --via-trace --shard processes:2` prints what the
/// unsharded trace and direct elimination print; bad `--shard` values are
/// usage errors; `--shard slurm --dry-run` prints the batch script.
#[test]
fn cli_model_shard() {
    let m = model(3);
    let d = dirs();
    let base = [
        "model",
        "isolation_migration",
        "--set",
        "n1=3",
        "--set",
        "n2=3",
        "--theta",
        "1,0.5,0.5",
        "--theta",
        "2,0.25,1",
        "--json",
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        phasic(&refs)
    };
    let dir = |name: &str| d.root.join(name).display().to_string();
    let trace = ["--via-trace", "--min-subproblem", "2"];

    let sharded_dir = dir("sharded");
    let sharded_args = with(
        &[
            &trace[..],
            &["--shard", "processes:2", "--cache-dir", &sharded_dir],
        ]
        .concat(),
    );
    let sharded = json_ok(&run(sharded_args.clone()), "--shard processes:2");
    let unsharded = json_ok(
        &run(with(
            &[&trace[..], &["--cache-dir", &dir("unsharded")]].concat(),
        )),
        "--via-trace",
    );
    let direct = json_ok(&run(with(&["--cache", "off"])), "--cache off");
    for key in ["moments", "variance"] {
        assert_eq!(sharded[key], unsharded[key], "{key}");
    }
    assert_eq!(sharded["vertices"], 269);
    let moments = sharded["moments"].as_array().unwrap();
    let variance = sharded["variance"].as_array().unwrap();
    assert_eq!((moments.len(), variance.len()), (2, 2), "{sharded}");
    for i in 0..2 {
        let want = direct["moments"][i].as_array().unwrap();
        let got = moments[i].as_array().unwrap();
        assert_eq!(got.len(), 2);
        for k in 0..2 {
            close(
                got[k].as_f64().unwrap(),
                want[k].as_f64().unwrap(),
                &format!("θ {i} moment {}", k + 1),
            );
        }
        close(
            variance[i].as_f64().unwrap(),
            direct["variance"][i].as_f64().unwrap(),
            &format!("θ {i} variance"),
        );
    }
    // E[T] at θ = (1, 0.5, 0.5) and (2, 0.25, 1) is the reference's
    close(moments[0][0].as_f64().unwrap(), m.expected[0].0, "E[T] θ 0");
    close(moments[1][0].as_f64().unwrap(), m.expected[1].0, "E[T] θ 1");
    let store = TraceStore::new(Path::new(&sharded_dir));
    assert_store_complete(&store, m, "--shard processes:2");
    assert_eq!(sessions(Path::new(&sharded_dir)), Vec::<PathBuf>::new());
    // again: everything from the store
    let again = json_ok(&run(sharded_args), "--shard processes:2 again");
    assert_eq!(again["moments"], sharded["moments"]);
    assert_eq!(again["variance"], sharded["variance"]);

    // usage errors
    for bad in ["bogus", "processes:0", "processes", "slurm:x", "threads:2"] {
        let out = run(with(
            &[&trace[..], &["--shard", bad, "--cache-dir", &dir("bad")]].concat(),
        ));
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--shard {bad}: {stderr}");
        assert!(out.stdout.is_empty(), "--shard {bad}");
        assert!(
            stderr.starts_with("error: invalid value")
                && stderr.contains(&format!("`{bad}` is not threads, processes:N or slurm[:K]")),
            "--shard {bad}: {stderr}"
        );
    }
    let out = run(with(&["--shard", "threads", "--cache-dir", &dir("bad")]));
    assert_eq!(out.status.code(), Some(2), "--shard without --via-trace");
    assert!(
        text(&out.stderr).contains("--via-trace"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !d.root.join("bad").exists(),
        "a usage error wrote to the cache"
    );
    // sharding with the cache off: one clear line
    let out = run(with(
        &[&trace[..], &["--shard", "threads", "--cache", "off"]].concat(),
    ));
    let (line, _) = failed(&out, "--shard with --cache off");
    assert!(
        line.contains("sharding") && line.contains("trace store"),
        "{line}"
    );

    // the batch script, nothing submitted
    for (shard, array) in [
        (
            "slurm",
            format!("#SBATCH --array=0-{}\n", m.subproblems - 1),
        ),
        (
            "slurm:3",
            format!("#SBATCH --array=0-{}%3\n", m.subproblems - 1),
        ),
    ] {
        let cache_dir = dir(&format!("dry-{shard}"));
        let out = run(with(
            &[
                &trace[..],
                &["--shard", shard, "--dry-run", "--cache-dir", &cache_dir],
            ]
            .concat(),
        ));
        let script = text(&out.stdout);
        assert!(out.status.success(), "{shard}: {}", text(&out.stderr));
        let found = sessions(Path::new(&cache_dir));
        assert_eq!(found.len(), 1, "{shard}: {found:?}");
        let session = found[0].display().to_string();
        assert!(script.starts_with("#!/bin/sh\n"), "{script}");
        assert!(script.contains(&array), "{shard}: no {array:?} in {script}");
        assert!(
            script.contains(&format!(
                "worker --session '{session}' --tasks {}\n",
                m.subproblems
            )),
            "{shard}: {script}"
        );
        assert!(
            script.contains(&format!(
                "#SBATCH --output={session}/logs/slurm-%A_%a.out\n"
            )),
            "{script}"
        );
        assert!(script.contains("#SBATCH --array=0-"), "{script}");
        assert!(script.contains("worker --session"), "{script}");
        assert_eq!(
            trace_files(&TraceStore::new(Path::new(&cache_dir))),
            Vec::<PathBuf>::new(),
            "{shard}: a dry run computed units"
        );
    }
}

// ------------------------------------------------------------------- SLURM

/// The SLURM tests share the cluster: one at a time.
static SLURM: Mutex<()> = Mutex::new(());

/// Whether to run the SLURM tests: `sbatch` on PATH and a controller
/// that answers (SLURM installed but not running counts as absent); the
/// tests are skipped otherwise, unless `PHASIC_REQUIRE_SLURM=1`.
fn slurm_available(test: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("sbatch").is_file()));
    let up = || {
        Command::new("scontrol")
            .arg("ping")
            .output()
            .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("UP"))
    };
    let missing = if !found {
        "sbatch not on PATH"
    } else if !up() {
        "no SLURM controller answers `scontrol ping`"
    } else {
        return true;
    };
    assert!(
        std::env::var("PHASIC_REQUIRE_SLURM").as_deref() != Ok("1"),
        "{test}: {missing} and PHASIC_REQUIRE_SLURM=1"
    );
    println!("{test}: skipped: {missing}");
    false
}

fn slurm(max_tasks: usize, concurrent: Option<usize>) -> Slurm {
    Slurm {
        exe: PathBuf::from(PHASIC),
        max_tasks,
        concurrent,
        ..Slurm::default()
    }
}

/// A SLURM job array of at most 4 tasks, 2 at once, computes the traces.
#[test]
fn slurm_job_array_computes_the_traces() {
    if !slurm_available("slurm_job_array_computes_the_traces") {
        return;
    }
    let _cluster = SLURM.lock().unwrap_or_else(|e| e.into_inner());
    let m = model(4);
    let d = dirs();
    let cache = cache_opts(&d.cache);
    let shard = shard_opts(&d.work, 2);
    let executor = Recording::new(slurm(4, Some(2)));
    let (trace, report) =
        sharded_trace(&m.graph, &cache, OPTS, &shard, &executor, &no_progress).unwrap();
    let runs = executor.runs();
    check_trace(&trace, m, "SLURM");
    assert_eq!(
        (report.units, report.attempts),
        (m.subproblems, 1),
        "{report:?} {runs:#?}"
    );
    assert_store_complete(&TraceStore::new(&d.cache), m, "SLURM");
    assert!(!runs[0].session.exists(), "session left behind");
    assert_eq!(runs.len(), 1);
    let script = runs[0]
        .scripts
        .get("submit-00.sh")
        .expect("the batch script");
    assert!(script.contains("#SBATCH --array=0-3%2\n"), "{script}");
    let outs: Vec<&String> = runs[0]
        .logs
        .keys()
        .filter(|k| k.starts_with("slurm-") && k.ends_with(".out"))
        .collect();
    assert_eq!(
        outs.len(),
        4,
        "one output per array task: {:?}",
        runs[0].logs
    );
    // every task logged its share of the units
    let done: usize = runs[0]
        .logs
        .iter()
        .filter(|(k, _)| k.starts_with("task-"))
        .map(|(_, v)| v.lines().filter(|l| l.ends_with(" done")).count())
        .sum();
    assert_eq!(done, m.subproblems, "{:#?}", runs[0].logs);
}

/// A unit file corrupted before the job array runs: its task fails, the
/// SLURM output names the unit, the coordinator rewrites it and a second
/// array computes it.
#[test]
fn slurm_failing_task_is_retried() {
    if !slurm_available("slurm_failing_task_is_retried") {
        return;
    }
    let _cluster = SLURM.lock().unwrap_or_else(|e| e.into_inner());
    let m = model(3);
    let d = dirs();
    let cache = cache_opts(&d.cache);
    let shard = shard_opts(&d.work, 2);
    let session = prepare_session(&m.graph, &cache, OPTS, &shard)
        .unwrap()
        .unwrap();
    let bad = 2u32;
    flip(&session.unit_path(bad as usize));
    let unit_file = session.unit_path(bad as usize).display().to_string();
    let executor = Recording::new(slurm(4, None));
    let (trace, report) =
        sharded_trace(&m.graph, &cache, OPTS, &shard, &executor, &no_progress).unwrap();
    let runs = executor.runs();
    check_trace(&trace, m, "SLURM retry");
    assert_eq!(
        (report.units, report.attempts),
        (m.subproblems, 2),
        "{report:?} {runs:#?}"
    );
    assert_eq!(report.session.as_deref(), Some(session.dir()));
    assert!(!session.dir().exists(), "session left behind");
    assert_store_complete(&TraceStore::new(&d.cache), m, "SLURM retry");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].pending, [bad]);
    assert_eq!(runs[1].valid, [true], "the unit file was not rewritten");
    let failed_outputs: Vec<&String> = runs[0]
        .logs
        .iter()
        .filter(|(k, v)| k.starts_with("slurm-") && k.ends_with(".out") && v.contains(&unit_file))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        failed_outputs.len(),
        1,
        "no SLURM output of the first array names {unit_file}: {:#?}",
        runs[0].logs
    );
    let line = runs[0].logs[failed_outputs[0]]
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line: {:#?}", runs[0].logs));
    assert!(
        line.contains("1 unit(s) failed") && line.contains(&unit_file),
        "{line}"
    );
    assert!(
        runs[1].scripts.contains_key("submit-01.sh"),
        "{:?}",
        runs[1].scripts
    );
}

/// A scheduler variable that is not a task index or count, or an index
/// not below the count, stops the worker with an error naming the
/// variable and its value; no unit is computed (before, the worker ran
/// every unit as "task 0 of 1"). Valid variables share the units out.
#[test]
fn worker_refuses_invalid_scheduler_variables() {
    let m = model(3);
    let d = dirs();
    let session = prepared(m, &d);
    let store = session.store();
    // (variables, worker options, the error)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
    let bad: [Case; 7] = [
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "abc"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            &[],
            r#"SLURM_ARRAY_TASK_ID="abc" is not a task index (an integer from 0)"#,
        ),
        (
            &[("SLURM_ARRAY_TASK_ID", "-1")],
            &["--tasks", "4"],
            r#"SLURM_ARRAY_TASK_ID="-1" is not a task index (an integer from 0)"#,
        ),
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "x"),
            ],
            &[],
            r#"SLURM_ARRAY_TASK_COUNT="x" is not a task count (an integer from 1)"#,
        ),
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "0"),
                ("SLURM_ARRAY_TASK_COUNT", "0"),
            ],
            &[],
            r#"SLURM_ARRAY_TASK_COUNT="0" is not a task count (an integer from 1)"#,
        ),
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            &[],
            r#"SLURM_ARRAY_TASK_ID="4" is not below SLURM_ARRAY_TASK_COUNT=4"#,
        ),
        (
            &[("SLURM_PROCID", "two"), ("SLURM_NTASKS", "2")],
            &[],
            r#"SLURM_PROCID="two" is not a task index (an integer from 0)"#,
        ),
        (
            &[("SLURM_ARRAY_TASK_ID", "5")],
            &["--tasks", "4"],
            "task 5 of 4: the task index (from SLURM_ARRAY_TASK_ID) must be below the task count (from --tasks)",
        ),
    ];
    for (vars, args, message) in bad {
        let mut c = worker(session.dir(), args);
        c.envs(vars.iter().copied());
        let out = c.output().unwrap();
        let (line, _) = failed(&out, &format!("{vars:?}"));
        assert_eq!(line, format!("error: {message}"), "{vars:?}");
        assert!(
            trace_files(&store).is_empty(),
            "{vars:?}: units were computed"
        );
    }

    // task 1 of 4 by the array variables computes its share of the 21
    // pending units (positions 1, 5, 9, 13, 17), and only that
    let mut c = worker(session.dir(), &[]);
    c.envs([
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ]);
    let report = json_ok(&c.output().unwrap(), "task 1 of 4");
    assert_eq!(report["task"], 1);
    assert_eq!(report["tasks"], 4);
    assert_eq!(report["assigned"], 5);
    assert_eq!(report["computed"], 5);
    assert_eq!(trace_files(&store).len(), 5);
}
