//! Observed spectra (`phasic::demes::Observed`): the `.fs` text format of
//! dadi and moments and nested JSON, one and two groups, folded, masked,
//! and every error naming its line or entry and the value.

use phasic::demes::{DemesError, Observed};

fn fs_error(text: &str) -> String {
    match Observed::from_fs(text) {
        Err(e @ DemesError::BadData { .. }) => e.to_string(),
        other => panic!("expected a data error, got {other:?}"),
    }
}

#[test]
fn a_two_group_spectrum_with_names_folding_and_a_mask() {
    let text = "# moments output\n3 4 folded \"YRI\" \"CEU\"\n0 1 2 3 4 5 6 7 8 9 10 11\n1 0 0 0 0 0 0 0 0 0 0 1\n";
    let fs = Observed::from_fs(text).unwrap();
    assert_eq!(fs.shape, vec![3, 4]);
    assert!(fs.folded);
    assert_eq!(fs.values[4 + 1], 5.0); // [1][1], row-major
    assert_eq!(fs.masked.iter().filter(|&&m| m).count(), 2);
    assert!(fs.masked[0] && fs.masked[11]);
    let unmasked = Observed::from_fs("3 unfolded\n0 2 0\n").unwrap();
    assert_eq!(unmasked.masked, vec![false; 3]);
    assert!(!unmasked.folded);
}

#[test]
fn every_fs_error_names_the_line_and_the_value() {
    for (text, parts) in [
        ("", vec!["line 1", "empty"]),
        ("# only a comment\n", vec!["empty"]),
        ("1\n0\n", vec!["line 1", "`1`", "at least 2"]),
        ("3 x\n0 0 0\n", vec!["line 1", "`x`"]),
        ("folded\n0 0\n", vec!["gives no dimensions"]),
        ("3\n", vec!["line 2", "no line of 3 values"]),
        ("3\n0 1\n", vec!["line 2", "2 entries, expected 3"]),
        ("3\n0 -1 0\n", vec!["line 2", "value 1 is `-1`"]),
        ("3\n0 inf 0\n", vec!["value 1 is `inf`"]),
        ("3\n0 1 0\n1 2 0\n", vec!["line 3", "mask entry 1 is `2`"]),
        ("3\n0 1 0\n1 0\n", vec!["line 3", "2 entries, expected 3"]),
        ("3\n0 1 0\n1 0 1\n7\n", vec!["line 4", "unexpected line"]),
    ] {
        let e = fs_error(text);
        for p in parts {
            assert!(e.contains(p), "{text:?}: `{e}` should contain `{p}`");
        }
    }
}

#[test]
fn json_arrays_of_one_and_two_groups() {
    let one = Observed::from_json("[0, 7, 3.5, 0]", false).unwrap();
    assert_eq!(
        (one.shape.clone(), one.values.clone()),
        (vec![4], vec![0.0, 7.0, 3.5, 0.0])
    );
    let two = Observed::from_json("[[null, 1, 2], [3, 4, null]]", true).unwrap();
    assert_eq!(two.shape, vec![2, 3]);
    assert!(two.folded && two.masked[0] && two.masked[5] && !two.masked[1]);
    for (text, part) in [
        ("{\"a\": 1}", "expected a (nested) array"),
        ("[1]", "axis of length 1"),
        ("[[1, 2], [3]]", "entry [1] has 1 items, expected 2"),
        ("[1, -2]", "entry [1] is `-2`"),
        ("[1, \"x\"]", "entry [1] is `\"x\"`"),
        ("[[1, 2], 3]", "entry [1] is `3`: expected an array"),
        ("[1, 2", "not JSON"),
    ] {
        let e = Observed::from_json(text, false).unwrap_err().to_string();
        assert!(e.contains(part), "{text}: `{e}` should contain `{part}`");
    }
}
