//! Every reference to a project document resolves inside the repository.
//!
//! Scans every `.rs` and `.md` file of the repository (not `target/` or
//! `.git/`) for
//!
//! - `docs/<NAME>.md`: the file must exist (whatever path precedes
//!   `docs/`, it is taken as the repository's `docs/` folder);
//! - `docs/<NAME>.md §N.M`, with more sections joined by `,`, `/` or `and`
//!   and ranges `§N.M–§N.K` or `§N–K`: a heading of that file must carry
//!   the number (`### 2.4 …`, `## 9. …`); a range needs every number in it;
//! - the names of the old design notes (ALGORITHMS, DESIGN, MODELS) used
//!   as a file (`NAME.md`) or a section (`NAME §…`) without `docs/`.
//!
//! Between a file name and its sections the scanner skips blanks, line
//! breaks, comment markers (`//!`, `///`, `//`) and backticks, so wrapped
//! comments are read as one line.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The old design notes: a mention must read `docs/<NAME>.md`.
const NOTE_NAMES: [&str; 3] = ["ALGORITHMS", "DESIGN", "MODELS"];

/// A reference that does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    line: usize,
    reference: String,
    why: &'static str,
}

/// What one text cites: its problems and the number of references that resolve.
#[derive(Debug, Default)]
struct Scan {
    problems: Vec<Problem>,
    resolved: usize,
}

/// `"2"`, `"2.4"`, `"9.10"`.
fn is_section_number(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The section numbers of a markdown file: the first word of every heading
/// outside code fences, without a trailing dot, where it is a number.
fn section_numbers(markdown: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in markdown.lines() {
        let line = line.trim_start();
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim_start();
        let word = title.split_whitespace().next().unwrap_or("");
        let word = word.strip_suffix('.').unwrap_or(word);
        if is_section_number(word) {
            out.insert(word.to_string());
        }
    }
    out
}

/// Skips blanks, line breaks, comment markers and backticks from `i`.
fn skip_gap(text: &str, mut i: usize) -> usize {
    loop {
        let rest = &text[i..];
        if rest.starts_with("//!") || rest.starts_with("///") {
            i += 3;
        } else if rest.starts_with("//") {
            i += 2;
        } else if rest.starts_with([' ', '\t', '\r', '\n', '`']) {
            i += 1;
        } else {
            return i;
        }
    }
}

/// The section number starting at `i` (`""` if none) and the index after it.
fn number_at(text: &str, i: usize) -> (&str, usize) {
    let bytes = text.as_bytes();
    let mut j = i;
    while j < bytes.len() && bytes[j].is_ascii_digit() {
        j += 1;
    }
    if j == i {
        return ("", i);
    }
    while j + 1 < bytes.len() && bytes[j] == b'.' && bytes[j + 1].is_ascii_digit() {
        j += 1;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
    }
    (&text[i..j], j)
}

/// Every number from `first` to `last` when they differ only in their
/// last component (`2.1`–`2.6`, `1`–`3`); otherwise just the two ends.
fn expand_range(first: &str, last: &str) -> Vec<String> {
    let split = |s: &str| -> (String, Option<u32>) {
        match s.rsplit_once('.') {
            Some((head, tail)) => (head.to_string(), tail.parse().ok()),
            None => (String::new(), s.parse().ok()),
        }
    };
    match (split(first), split(last)) {
        ((h1, Some(a)), (h2, Some(b))) if h1 == h2 && a <= b => (a..=b)
            .map(|k| {
                if h1.is_empty() {
                    k.to_string()
                } else {
                    format!("{h1}.{k}")
                }
            })
            .collect(),
        _ => vec![first.to_string(), last.to_string()],
    }
}

/// The section numbers cited from `i` on (right after a file name).
fn cited_sections(text: &str, i: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut j = skip_gap(text, i);
    while text[j..].starts_with('§') {
        let (first, after) = number_at(text, j + '§'.len_utf8());
        if first.is_empty() {
            break;
        }
        j = after;
        let mut cited = vec![first.to_string()];
        for dash in ["–", "—", "-"] {
            if let Some(rest) = text[j..].strip_prefix(dash) {
                let k = text.len() - rest.len();
                let k = k + if rest.starts_with('§') {
                    '§'.len_utf8()
                } else {
                    0
                };
                let (last, after) = number_at(text, k);
                if !last.is_empty() {
                    cited = expand_range(first, last);
                    j = after;
                }
                break;
            }
        }
        out.extend(cited);
        let k = skip_gap(text, j);
        let k = if text[k..].starts_with([',', '/']) {
            k + 1
        } else if text[k..].starts_with("and ") {
            k + 3
        } else {
            break;
        };
        j = skip_gap(text, k);
    }
    out
}

fn line_of(text: &str, i: usize) -> usize {
    text[..i].matches('\n').count() + 1
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The references of `text`, checked against the section numbers of the
/// repository's documents (`docs`: file stem → numbers).
fn scan(text: &str, docs: &BTreeMap<String, BTreeSet<String>>) -> Scan {
    let mut scan = Scan::default();
    for (i, _) in text.match_indices("docs/") {
        if text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| is_word_char(c) || c == '-')
        {
            continue;
        }
        let start = i + "docs/".len();
        let end = text[start..]
            .find(|c: char| !(is_word_char(c) || c == '-'))
            .map_or(text.len(), |k| start + k);
        if end == start || !text[end..].starts_with(".md") {
            continue;
        }
        let name = &text[start..end];
        let line = line_of(text, i);
        let Some(numbers) = docs.get(name) else {
            scan.problems.push(Problem {
                line,
                reference: format!("docs/{name}.md"),
                why: "no such file in docs/",
            });
            continue;
        };
        scan.resolved += 1;
        for s in cited_sections(text, end + ".md".len()) {
            if numbers.contains(&s) {
                scan.resolved += 1;
            } else {
                scan.problems.push(Problem {
                    line,
                    reference: format!("docs/{name}.md §{s}"),
                    why: "no heading with this number",
                });
            }
        }
    }
    for name in NOTE_NAMES {
        for (i, _) in text.match_indices(name) {
            let after = i + name.len();
            if text[..i].chars().next_back().is_some_and(is_word_char)
                || text[after..].chars().next().is_some_and(is_word_char)
            {
                continue;
            }
            let file = text[after..].starts_with(".md");
            let section = text[skip_gap(text, after)..].starts_with('§');
            if file && text[..i].ends_with("docs/") {
                continue; // a docs/ reference, checked above
            }
            if file || section {
                scan.problems.push(Problem {
                    line: line_of(text, i),
                    reference: if file {
                        format!("{name}.md")
                    } else {
                        format!("{name} §")
                    },
                    why: "not a path in the repository: write docs/<NAME>.md",
                });
            }
        }
    }
    scan.problems.sort_by_key(|p| p.line);
    scan
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` and `.md` file below `dir`, not following links and not
/// entering `target/` or `.git/`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            if !matches!(entry.file_name().to_str(), Some("target" | ".git")) {
                sources(&path, out);
            }
        } else if kind.is_file() && path.extension().is_some_and(|x| x == "rs" || x == "md") {
            out.push(path);
        }
    }
}

/// The repository's documents: `docs/*.md` by file stem, with their section numbers.
fn documents() -> BTreeMap<String, BTreeSet<String>> {
    let mut docs = BTreeMap::new();
    for entry in fs::read_dir(root().join("docs")).expect("docs/ exists") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|x| x == "md") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = fs::read_to_string(&path).expect("readable document");
            docs.insert(stem, section_numbers(&text));
        }
    }
    docs
}

#[test]
fn every_document_reference_resolves() {
    let root = root();
    let docs = documents();
    let mut files = Vec::new();
    sources(&root, &mut files);
    let (mut resolved, mut problems) = (0, Vec::new());
    for path in &files {
        let Ok(text) = fs::read_to_string(path) else {
            continue; // not UTF-8: no references to read
        };
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let scan = scan(&text, &docs);
        resolved += scan.resolved;
        for p in scan.problems {
            problems.push(format!("{rel}:{}: {} ({})", p.line, p.reference, p.why));
        }
    }
    assert!(
        problems.is_empty(),
        "{} dangling document reference(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    // the walk really read the repository and its references
    assert!(files.len() > 100, "only {} files scanned", files.len());
    assert!(
        files.iter().any(|f| f.ends_with("phasic-core/src/lib.rs")),
        "phasic-core/src/lib.rs not scanned"
    );
    assert!(
        resolved >= 60,
        "only {resolved} resolved references: is the scanner reading the files?"
    );
}

/// Planted references, one per line; `~` keeps this file's own text from
/// being read as references (it is removed before scanning).
const PLANTED: &str = "\
fine: do~cs/ALGO~RITHMS.md §2.4, §2 and §2.4
missing section: do~cs/ALGO~RITHMS.md §2.5
range with a gap: do~cs/ALGO~RITHMS.md §2.3–§2.4
wrapped: (do~cs/ALGO~RITHMS.md
//! §9.9) is only inside a fence
missing file: do~cs/NO_SUCH_NOTE.md
bare section: ALGO~RITHMS §2.4
bare file: see MOD~ELS.md
quoted: `DES~IGN` §6
a constant: const MOD~ELS: [&str; 6] = [];
outside the repository: ../shared/do~cs/DES~IGN.md
";

const PLANTED_DOC: &str = "\
# Algorithms
## 2. Moments
### 2.4 Discrete moments
```text
### 9.9 not a heading: inside a fence
```
";

#[test]
fn the_scanner_finds_planted_dangling_references() {
    let numbers = section_numbers(PLANTED_DOC);
    assert_eq!(
        numbers,
        BTreeSet::from(["2".to_string(), "2.4".to_string()])
    );
    let docs = BTreeMap::from([("ALGORITHMS".to_string(), numbers)]);
    let text = PLANTED.replace('~', "");
    let scan = scan(&text, &docs);
    let found: Vec<(usize, String)> = scan
        .problems
        .iter()
        .map(|p| (p.line, p.reference.clone()))
        .collect();
    let expected: Vec<(usize, String)> = [
        (2, "do~cs/ALGO~RITHMS.md §2.5"),
        (3, "do~cs/ALGO~RITHMS.md §2.3"),
        (4, "do~cs/ALGO~RITHMS.md §9.9"),
        (6, "do~cs/NO_SUCH_NOTE.md"),
        (7, "ALGO~RITHMS §"),
        (8, "MOD~ELS.md"),
        (9, "DES~IGN §"),
        (11, "do~cs/DES~IGN.md"),
    ]
    .into_iter()
    .map(|(line, r)| (line, r.replace('~', "")))
    .collect();
    assert_eq!(found, expected);
    // line 1: the file and its three sections; line 2: the file; line 3:
    // the file and §2.4; line 4: the file
    assert_eq!(scan.resolved, 4 + 1 + 2 + 1);
}

#[test]
fn ranges_and_lists_are_read_whole() {
    let read = |s: &str| cited_sections(s, 0);
    assert_eq!(read(" §2.1–§2.3."), ["2.1", "2.2", "2.3"]);
    assert_eq!(read(" §1–3 and §7"), ["1", "2", "3", "7"]);
    assert_eq!(read(" §3.5 / §9.4, §9.10)"), ["3.5", "9.4", "9.10"]);
    assert_eq!(read("` §4.2"), ["4.2"]);
    assert_eq!(read(" of §2"), Vec::<String>::new());
    assert_eq!(expand_range("5.1", "6.2"), ["5.1", "6.2"]);
}
