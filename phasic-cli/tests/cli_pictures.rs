//! End-to-end tests of the pictures: `--plot FILE.svg` on `phasic model`,
//! `eval`, `demes` and `fit` (the SVG parsed: panels, axis labels, the
//! number of points of every curve, bars, heatmap cells and particles,
//! and that they show the computed values), and `--dot FILE` on `phasic
//! model` and `demes` (the DOT checked structurally against the graph's
//! size, and drawn by graphviz's `dot -Tsvg` where it is installed;
//! `PHASIC_REQUIRE_DOT=1`, set by CI, makes a missing `dot` a failure).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The density's colour (#1F77B4) and the distribution function's (#D62728).
const BLUE: &str = "#1F77B4";
const RED: &str = "#D62728";

fn phasic(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phasic"))
        .args(args)
        .env("PHASIC_CACHE_DIR", dir.join("cache"))
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Runs with `--json`, asserts success; returns the object.
fn ok(args: &[&str], dir: &Path) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = phasic(&all, dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Asserts a failure with exit code 2; returns the one stderr line.
fn fails(args: &[&str], dir: &Path) -> String {
    let out = phasic(args, dir);
    assert_eq!(out.status.code(), Some(2), "{args:?} did not fail");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/demes")
        .join(name)
}

/// What a test reads from an SVG.
struct Svg {
    texts: Vec<String>,
    /// `(stroke, points)` of every polyline of stroke width 2 (the curves).
    curves: Vec<(String, Vec<(f64, f64)>)>,
    /// `(fill, height)` of every rectangle.
    rects: Vec<(String, f64)>,
    circles: usize,
}

fn svg(path: &Path) -> Svg {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let nodes: Vec<_> = doc.descendants().collect();
    let attr = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap_or("").to_string();
    Svg {
        texts: nodes
            .iter()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect(),
        curves: nodes
            .iter()
            .filter(|n| n.has_tag_name("polyline") && attr(n, "stroke-width") == "2")
            .map(|n| {
                let points = attr(n, "points")
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                (attr(n, "stroke"), points)
            })
            .collect(),
        rects: nodes
            .iter()
            .filter(|n| n.has_tag_name("rect"))
            .map(|n| (attr(n, "fill"), attr(n, "height").parse().unwrap()))
            .collect(),
        circles: nodes.iter().filter(|n| n.has_tag_name("circle")).count(),
    }
}

impl Svg {
    fn has_text(&self, t: &str) -> bool {
        self.texts.iter().any(|x| x == t)
    }

    /// The one curve of this colour.
    fn curve(&self, stroke: &str) -> &[(f64, f64)] {
        let found: Vec<_> = self.curves.iter().filter(|c| c.0 == stroke).collect();
        assert_eq!(found.len(), 1, "curves of {stroke}: {}", found.len());
        &found[0].1
    }

    /// Heights of the rectangles of this fill.
    fn bars(&self, fill: &str) -> Vec<f64> {
        self.rects
            .iter()
            .filter(|r| r.0 == fill)
            .map(|r| r.1)
            .collect()
    }
}

/// Pixel `y` grows downwards: a distribution function never goes down.
fn rises(points: &[(f64, f64)]) -> bool {
    points
        .windows(2)
        .all(|w| w[1].1 <= w[0].1 && w[1].0 >= w[0].0)
}

#[test]
fn model_plot_has_both_curves_with_the_points_asked_for_and_the_sfs_bars() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bc.svg");
    let f = file.to_str().unwrap();
    let args = [
        "model",
        "block_counting",
        "--set",
        "n=6",
        "--sfs",
        "--plot",
        f,
        "--plot-points",
        "57",
    ];
    let v = ok(&args, dir.path());
    let s = svg(&file);
    for t in [
        "density",
        "distribution function",
        "time",
        "P(Y ≤ x)",
        "expected site-frequency spectrum",
        "derived allele count i",
        "expected branch length (time)",
    ] {
        assert!(s.has_text(t), "no text {t:?} in {:?}", s.texts);
    }
    assert_eq!(s.curve(BLUE).len(), 57);
    let cdf = s.curve(RED);
    assert_eq!(cdf.len(), 57);
    assert!(rises(cdf));
    // the range starts at 0, where pdf and cdf are 0: both curves start
    // on their panel's baseline, the panels 300 pixels apart
    assert_eq!(s.curve(BLUE)[0].1 + 300.0, cdf[0].1);
    // bars: E[ξ_i] = 2/i, in pixels to rounding
    let bars = s.bars(BLUE);
    assert_eq!(bars.len(), 5);
    let sfs: Vec<f64> = v["sfs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    for (b, e) in bars.iter().zip(&sfs) {
        assert!(
            (b / bars[0] - e / sfs[0]).abs() < 0.01,
            "{bars:?} vs {sfs:?}"
        );
    }
}

#[test]
fn model_plot_follows_the_at_range_and_refuses_several_theta() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.svg");
    let f = file.to_str().unwrap();
    ok(
        &[
            "model",
            "kingman",
            "--set",
            "n=4",
            "--at",
            "0.5,3",
            "--plot",
            f,
            "--plot-points",
            "9",
        ],
        dir.path(),
    );
    let s = svg(&file);
    let cdf = s.curve(RED);
    assert_eq!(cdf.len(), 9);
    // F(0.5) > 0 and f(0.5) > 0: unlike a range from 0, the curves do not
    // start on one baseline
    assert!(s.curve(BLUE)[0].1 + 300.0 != cdf[0].1);
    let pdf = s.curve(BLUE);
    assert_eq!(pdf.len(), 9);
    assert!(!s.has_text("expected site-frequency spectrum"));
    let e = fails(
        &[
            "model", "kingman", "--theta", "1", "--theta", "2", "--plot", f,
        ],
        dir.path(),
    );
    assert!(
        e.contains("--plot: a picture shows one distribution"),
        "{e}"
    );
}

#[test]
fn a_joint_spectrum_is_a_heatmap_with_a_colour_bar() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("im.svg");
    let f = file.to_str().unwrap();
    let v = ok(
        &["model", "isolation_migration", "--sfs", "--plot", f],
        dir.path(),
    );
    let s = svg(&file);
    assert!(s.has_text("expected joint site-frequency spectrum"));
    assert!(s.has_text("derived alleles in population 1"));
    assert!(s.has_text("derived alleles in population 2"));
    // n1 = n2 = 2: 9 cells less the two monomorphic corners, 64 colour-bar
    // cells and the white background
    let coloured = s.rects.iter().filter(|r| r.0 != "#FFFFFF").count();
    assert_eq!(coloured, 7 + 64);
    // the largest entries (the singletons of one deme) take the lightest
    // colour, the smallest the darkest
    let m = v["sfs"].as_array().unwrap();
    let cell = |i: usize, j: usize| m[i][j].as_f64().unwrap();
    assert!(cell(1, 0) > cell(1, 1) && cell(1, 0) == cell(0, 1));
    assert_eq!(s.bars("#FDE725").len(), 2);
    assert!(!s.bars("#440154").is_empty());
}

#[test]
fn eval_plots_continuous_and_discrete_matrices() {
    let dir = tempfile::tempdir().unwrap();
    let matrix = dir.path().join("m.json");
    std::fs::write(&matrix, r#"{"alpha": [1, 0], "S": [[-2, 1], [0, -3]]}"#).unwrap();
    let file = dir.path().join("e.svg");
    let (m, f) = (matrix.to_str().unwrap(), file.to_str().unwrap());
    let out = phasic(
        &["eval", "--matrix", m, "--plot", f, "--plot-points", "33"],
        dir.path(),
    );
    assert!(out.status.success());
    let s = svg(&file);
    assert!(s.has_text("time") && s.has_text("density"));
    assert_eq!((s.curve(BLUE).len(), s.curve(RED).len()), (33, 33));
    // geometric(1/2) steps: the integers 0..=q of the 0.999 quantile q = 10
    std::fs::write(&matrix, r#"{"alpha": [1], "T": [[0.5]]}"#).unwrap();
    let out = phasic(
        &["eval", "--matrix", m, "--plot", f, "--plot-points", "500"],
        dir.path(),
    );
    assert!(out.status.success());
    let s = svg(&file);
    assert!(s.has_text("steps") && s.has_text("probability mass"));
    assert_eq!(s.curve(BLUE).len(), 11);
    assert!(rises(s.curve(RED)));
}

const CONSTANT: &str =
    "time_units: generations\ndemes:\n  - name: A\n    epochs:\n      - {start_size: 1000}\n";

#[test]
fn demes_plot_is_in_generations_with_the_sfs_in_branch_length() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("c.yaml");
    std::fs::write(&yaml, CONSTANT).unwrap();
    let file = dir.path().join("d.svg");
    let (y, f) = (yaml.to_str().unwrap(), file.to_str().unwrap());
    ok(
        &[
            "demes",
            y,
            "--samples",
            "A=4",
            "--sfs",
            "--plot",
            f,
            "--plot-points",
            "40",
        ],
        dir.path(),
    );
    let s = svg(&file);
    assert!(s.has_text("generations"));
    assert!(s.has_text("expected branch length (generations)"));
    assert_eq!((s.curve(BLUE).len(), s.curve(RED).len()), (40, 40));
    // 4N/i for i = 1, 2, 3
    let bars = s.bars(BLUE);
    assert_eq!(bars.len(), 3);
    assert!((bars[0] / bars[1] - 2.0).abs() < 0.02 && (bars[0] / bars[2] - 3.0).abs() < 0.03);
    // two groups: a heatmap; three: refused with --sfs
    let im = example("isolation_migration.yaml");
    let im = im.to_str().unwrap();
    ok(
        &["demes", im, "--samples", "A=2,B=2", "--sfs", "--plot", f],
        dir.path(),
    );
    let s = svg(&file);
    assert!(s.has_text("derived alleles in A") && s.has_text("derived alleles in B"));
    let e = fails(
        &[
            "demes",
            im,
            "--samples",
            "A=1,B=1,A=1@10",
            "--sfs",
            "--plot",
            f,
        ],
        dir.path(),
    );
    assert!(
        e.contains("a spectrum of 3 sample groups is not drawn"),
        "{e}"
    );
}

#[test]
fn fit_plots_the_posterior_or_the_data_against_the_fit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("t.txt");
    let times: Vec<String> = (1..=60)
        .map(|i| format!("{}", 0.05 * f64::from(i)))
        .collect();
    std::fs::write(&data, times.join("\n")).unwrap();
    let file = dir.path().join("f.svg");
    let (d, f) = (data.to_str().unwrap(), file.to_str().unwrap());
    ok(
        &[
            "fit",
            "kingman",
            "--set",
            "n=4",
            "--data",
            d,
            "--plot",
            f,
            "--plot-points",
            "21",
        ],
        dir.path(),
    );
    let s = svg(&file);
    assert!(s.has_text("data (histogram) and the fitted density at the MLE"));
    assert_eq!(s.curve(RED).len(), 21);
    // ⌈√60⌉ = 8 bins, drawn half transparent
    assert_eq!(s.rects.len() - 1, 8);
    ok(
        &[
            "fit",
            "rabbits",
            "--data",
            d,
            "--method",
            "svgd",
            "--particles",
            "12",
            "--iterations",
            "3",
            "--plot",
            f,
        ],
        dir.path(),
    );
    let s = svg(&file);
    for j in 1..=3 {
        assert!(s.has_text(&format!("posterior of θ{j}")));
    }
    // three pairs of parameters, a point per particle
    assert_eq!(s.circles, 3 * 12);
    // ⌈√12⌉ = 4 bins per histogram
    assert_eq!(s.bars(BLUE).len(), 3 * 4);
}

/// One DOT graph read back: its nodes (id, label), edges (from, to,
/// rate) and clusters (their node ids). Fails on anything that is not the
/// subset of DOT `to_dot` writes.
struct Dot {
    nodes: Vec<(String, String)>,
    edges: Vec<(String, String, f64)>,
    clusters: Vec<Vec<String>>,
}

fn quoted(s: &str, key: &str) -> Option<String> {
    let start = s.find(&format!("{key}=\""))? + key.len() + 2;
    let end = s[start..].find('"')? + start;
    Some(s[start..end].to_string())
}

fn parse_dot(text: &str) -> Dot {
    let mut lines = text.lines();
    let head = lines.next().unwrap();
    assert!(
        head.starts_with("digraph \"") && head.ends_with("\" {"),
        "{head}"
    );
    let (mut nodes, mut edges, mut clusters) = (Vec::new(), Vec::new(), Vec::new());
    let mut depth = 1;
    let mut cluster: Option<Vec<String>> = None;
    for line in lines {
        let l = line.trim();
        if l == "}" {
            depth -= 1;
            if let Some(c) = cluster.take() {
                clusters.push(c);
            }
            continue;
        }
        assert!(depth > 0, "text after the graph: {l}");
        if l.starts_with("subgraph cluster_") && l.ends_with('{') {
            depth += 1;
            cluster = Some(Vec::new());
            continue;
        }
        assert!(l.ends_with(';'), "statement without `;`: {l}");
        if let Some((from, rest)) = l.split_once(" -> ") {
            let (to, attrs) = rest.split_once(' ').unwrap();
            let rate: f64 = quoted(attrs, "label").unwrap().parse().unwrap();
            edges.push((from.to_string(), to.to_string(), rate));
        } else if l.starts_with('v') {
            let (id, attrs) = l.split_once(' ').unwrap();
            nodes.push((id.to_string(), quoted(attrs, "label").unwrap()));
            if let Some(c) = &mut cluster {
                c.push(id.to_string());
            }
        } else {
            let ok = ["newrank=", "node [", "edge [", "label=", "style="];
            assert!(ok.iter().any(|p| l.starts_with(p)), "unknown statement {l}");
        }
    }
    assert_eq!(depth, 0, "unbalanced braces");
    for (from, to, _) in &edges {
        for end in [from, to] {
            assert!(
                nodes.iter().any(|n| &n.0 == end),
                "edge to undeclared {end}"
            );
        }
    }
    Dot {
        nodes,
        edges,
        clusters,
    }
}

/// Draws `file` with graphviz where it is installed (required when
/// `PHASIC_REQUIRE_DOT=1`); returns whether it did.
fn graphviz_draws(file: &Path) -> bool {
    let required = std::env::var("PHASIC_REQUIRE_DOT").is_ok_and(|v| v == "1");
    match Command::new("dot").arg("-Tsvg").arg(file).output() {
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "dot -Tsvg {}: {stderr}",
                file.display()
            );
            let svg = String::from_utf8(out.stdout).unwrap();
            let options = roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            };
            let doc = roxmltree::Document::parse_with_options(&svg, options).unwrap();
            // one group per node and per edge
            let groups = doc.descendants().filter(|n| n.has_tag_name("g")).count();
            assert!(groups > 2, "{} draws {groups} groups", file.display());
            true
        }
        Err(e) => {
            assert!(
                !required,
                "PHASIC_REQUIRE_DOT=1 but `dot` cannot be run: {e}"
            );
            eprintln!("skipped: no graphviz `dot` ({e})");
            false
        }
    }
}

#[test]
fn model_dot_has_every_state_and_rate_and_cycles_as_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.dot");
    let f = file.to_str().unwrap();
    let v = ok(
        &["model", "kingman", "--set", "n=4", "--dot", f],
        dir.path(),
    );
    let dot = parse_dot(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(dot.nodes.len() as u64, v["vertices"].as_u64().unwrap());
    assert_eq!(dot.edges.len() as u64, v["edges"].as_u64().unwrap());
    // [4] → [3] at rate 6, [3] → [2] at 3, [2] → [1] at 1
    for (from, to, rate) in [
        ("[4]", "[3]", 6.0),
        ("[3]", "[2]", 3.0),
        ("[2]", "[1]", 1.0),
    ] {
        let id = |label: &str| dot.nodes.iter().find(|n| n.1 == label).unwrap().0.clone();
        assert!(
            dot.edges.contains(&(id(from), id(to), rate)),
            "{from} → {to}"
        );
    }
    assert!(dot.clusters.is_empty());
    graphviz_draws(&file);
    // migration makes cycles: every cyclic component is a cluster
    let v = ok(&["model", "isolation_migration", "--dot", f], dir.path());
    let dot = parse_dot(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(dot.nodes.len() as u64, v["vertices"].as_u64().unwrap());
    assert!(!dot.clusters.is_empty());
    assert!(dot.clusters.iter().all(|c| c.len() > 1));
    graphviz_draws(&file);
}

#[test]
fn dot_refuses_past_its_limit_naming_the_size() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.dot");
    let f = file.to_str().unwrap();
    let vertices = ok(&["model", "block_counting", "--set", "n=8"], dir.path())["vertices"].clone();
    let e = fails(
        &[
            "model",
            "block_counting",
            "--set",
            "n=8",
            "--dot",
            f,
            "--dot-limit",
            "10",
        ],
        dir.path(),
    );
    assert_eq!(
        e.trim(),
        format!(
            "error: --dot: the state space of `block_counting` has {vertices} vertices, more than the limit of 10: raise it with --dot-limit N"
        )
    );
    assert!(!file.exists());
}

#[test]
fn demes_dot_writes_one_file_per_interval() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("im.dot");
    let f = file.to_str().unwrap();
    let im = example("isolation_migration.yaml");
    let v = ok(
        &[
            "demes",
            im.to_str().unwrap(),
            "--samples",
            "A=2,B=2",
            "--dot",
            f,
        ],
        dir.path(),
    );
    let intervals = v["intervals"].as_array().unwrap();
    assert!(intervals.len() >= 2);
    for (k, interval) in intervals.iter().enumerate() {
        let path = dir.path().join(format!("im-{k}.dot"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("interval {k}: [")), "{text}");
        let dot = parse_dot(&text);
        assert_eq!(
            dot.nodes.len() as u64,
            interval["vertices"].as_u64().unwrap()
        );
        // the start's edges are the initial probabilities; the others are
        // rates per generation, positive and far below 1
        let (start, rates): (Vec<_>, Vec<_>) = dot.edges.iter().partition(|e| e.0 == "v0");
        assert!((start.iter().map(|e| e.2).sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(rates.iter().all(|e| e.2 > 0.0 && e.2 < 1.0));
        graphviz_draws(&path);
    }
    assert!(
        !dir.path()
            .join(format!("im-{}.dot", intervals.len()))
            .exists()
    );
}

/// The README's picture is what its documented command draws now.
#[test]
fn the_readme_picture_is_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bc.svg");
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/block_counting.svg");
    // the README's command, with the output redirected
    let args = [
        "model",
        "block_counting",
        "--set",
        "n=10",
        "--sfs",
        "--plot",
    ];
    let mut all = args.to_vec();
    all.extend([file.to_str().unwrap(), "--cache", "off"]);
    let out = phasic(&all, dir.path());
    assert!(out.status.success());
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    assert!(readme.contains(&format!(
        "phasic {} docs/block_counting.svg --cache off",
        args.join(" ")
    )));
    assert!(
        std::fs::read(&file).unwrap() == std::fs::read(&committed).unwrap(),
        "docs/block_counting.svg is stale: rerun the README's command to draw it anew"
    );
    let s = svg(&committed);
    assert_eq!((s.curve(BLUE).len(), s.curve(RED).len()), (200, 200));
    assert_eq!(s.bars(BLUE).len(), 9);
}
