//! The layers of `phasic-core` hold: a module imports only from its own
//! layer or the layers below (graph → key → elimination → distribution →
//! trace → inference), and no two modules import each other, directly or
//! through others. Read from the sources: every `crate::…` path in code
//! (not in comments or unit tests) is resolved to the file it names.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layer of a module by its top folder (or file, for the root's).
fn layer(module: &str) -> usize {
    let top = module.split('/').next().unwrap_or(module);
    match top {
        "error" => 0,
        "graph" | "validate" => 1,
        "key" => 2,
        "elimination" => 3,
        "distribution" => 4,
        "trace" => 5,
        "inference" => 6,
        "lib" => 7,
        other => {
            panic!("module {other} has no layer: add it to this test and to docs/ARCHITECTURE.md")
        }
    }
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `graph/csr.rs` → `graph/csr`, `graph/mod.rs` → `graph`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let s = rel.to_string_lossy().into_owned();
    s.strip_suffix("/mod").map(str::to_string).unwrap_or(s)
}

/// The code of a file without comments and without its unit tests.
fn code(text: &str) -> String {
    let body = text.split("#[cfg(test)]").next().unwrap_or(text);
    body.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Module-level imports: `crate::a::b::Item` → the longest prefix that is a module.
fn imports(src: &Path, modules: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut out = BTreeMap::new();
    for f in files {
        let me = module_of(src, &f);
        let text = code(&fs::read_to_string(&f).unwrap());
        let mut deps = BTreeSet::new();
        for (i, _) in text.match_indices("crate::") {
            let path: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
            if let Some(m) = (1..=parts.len())
                .rev()
                .map(|k| parts[..k].join("/"))
                .find(|m| modules.contains(m))
                && m != me
            {
                deps.insert(m);
            }
        }
        out.insert(me, deps);
    }
    out
}

/// A cycle through `start`, if any (depth-first search).
fn cycle_from(
    start: &str,
    at: &str,
    edges: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    for next in edges.get(at).into_iter().flatten() {
        if next == start {
            let mut c = path.clone();
            c.push(start.to_string());
            return Some(c);
        }
        if seen.insert(next.clone()) {
            path.push(next.clone());
            if let Some(c) = cycle_from(start, next, edges, path, seen) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn layers_point_down_and_no_module_imports_itself_through_others() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    assert!(modules.len() > 30, "{modules:?}");
    let edges = imports(&src, &modules);

    let upward: Vec<String> = edges
        .iter()
        .flat_map(|(m, ds)| ds.iter().map(move |d| (m, d)))
        .filter(|(m, d)| layer(d) > layer(m))
        .map(|(m, d)| format!("{m} -> {d}"))
        .collect();
    assert!(upward.is_empty(), "imports from a higher layer: {upward:?}");

    for m in &modules {
        let mut seen = BTreeSet::new();
        let mut path = vec![m.clone()];
        if let Some(c) = cycle_from(m, m, &edges, &mut path, &mut seen) {
            panic!("import cycle: {}", c.join(" -> "));
        }
    }
}

#[test]
fn the_check_finds_a_cycle_and_an_upward_import() {
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("distribution/discrete", "distribution/reward_transform"),
        ("distribution/reward_transform", "distribution/discrete"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), BTreeSet::from([b.to_string()])))
    .collect();
    let mut seen = BTreeSet::new();
    let start = "distribution/discrete";
    let c = cycle_from(start, start, &edges, &mut vec![start.into()], &mut seen);
    assert_eq!(
        c.unwrap(),
        vec![
            "distribution/discrete",
            "distribution/reward_transform",
            "distribution/discrete"
        ]
    );
    assert!(layer("inference/fit") > layer("trace/plan"));
    assert!(layer("graph/view") < layer("elimination/program"));
    assert_eq!(
        code("use crate::a; // crate::b\n#[cfg(test)]\nuse crate::c;"),
        "use crate::a; "
    );
}
