//! Observed site-frequency spectra: the dadi/moments `.fs` text format and
//! nested JSON arrays, every error naming the line or entry and the value.
//!
//! `.fs`: lines starting with `#` are comments; then a line with the
//! dimensions (`n_1+1 … n_P+1`), optionally followed by `folded` or
//! `unfolded` (default) and quoted population names; a line with the
//! `Π dims` values in row-major order (the last index fastest); and
//! optionally a mask line of as many `0`/`1` (1 = masked).

use super::error::DemesError;

/// An observed SFS.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// `(n_1+1, …, n_P+1)`.
    pub shape: Vec<usize>,
    /// Counts, row-major.
    pub values: Vec<f64>,
    /// Masked entries (left out of a likelihood).
    pub masked: Vec<bool>,
    /// Whether the spectrum is folded.
    pub folded: bool,
}

fn bad(line: usize, what: String) -> DemesError {
    DemesError::BadData { line, what }
}

impl Observed {
    /// The multi-index of the row-major offset `o`.
    ///
    /// ```
    /// use phasic::demes::Observed;
    /// let fs = Observed::from_fs("3 4\n0 1 2 3 4 5 6 7 8 9 10 11\n").unwrap();
    /// assert_eq!(fs.index(6), vec![1, 2]);
    /// ```
    pub fn index(&self, o: usize) -> Vec<usize> {
        super::spectrum::multi_index(&self.shape, o)
    }

    /// Reads the `.fs` text format.
    ///
    /// ```
    /// use phasic::demes::Observed;
    /// let fs = Observed::from_fs("# two samples\n3 unfolded\n0 10.5 0\n1 0 1\n").unwrap();
    /// assert_eq!((fs.shape.clone(), fs.values[1], fs.folded), (vec![3], 10.5, false));
    /// assert_eq!(fs.masked, vec![true, false, true]);
    /// let e = Observed::from_fs("3\n0 x 0\n").unwrap_err();
    /// assert!(e.to_string().contains("line 2") && e.to_string().contains("`x`"));
    /// ```
    pub fn from_fs(text: &str) -> Result<Observed, DemesError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let (n, header) = lines
            .next()
            .ok_or_else(|| bad(1, "no dimensions line: the file is empty".into()))?;
        let mut shape = Vec::new();
        let mut folded = false;
        let mut words = header.split_whitespace();
        for w in words.by_ref() {
            match w {
                "folded" => {
                    folded = true;
                    break;
                }
                "unfolded" => break,
                w if w.starts_with('"') => break,
                w => match w.parse::<usize>() {
                    Ok(d) if d >= 2 => shape.push(d),
                    _ => {
                        return Err(bad(
                            n,
                            format!(
                                "dimension `{w}` is not an integer of at least 2 (samples + 1)"
                            ),
                        ));
                    }
                },
            }
        }
        if shape.is_empty() {
            return Err(bad(n, format!("`{header}` gives no dimensions")));
        }
        let size: usize = shape.iter().product();
        let (n, data) = lines.next().ok_or_else(|| {
            bad(
                n + 1,
                format!("no line of {size} values after the dimensions"),
            )
        })?;
        let values = numbers(n, data, size, "value", |x| x.is_finite() && x >= 0.0)?;
        let masked = match lines.next() {
            None => vec![false; size],
            Some((m, mask)) => numbers(m, mask, size, "mask entry", |x| x == 0.0 || x == 1.0)?
                .into_iter()
                .map(|x| x == 1.0)
                .collect(),
        };
        if let Some((extra, _)) = lines.next() {
            return Err(bad(extra, "unexpected line after the mask".into()));
        }
        Ok(Observed {
            shape,
            values,
            masked,
            folded,
        })
    }

    /// Reads a nested JSON array (`[c_0, c_1, …]` for one group,
    /// `[[…], …]` for two, …); `null` marks a masked entry.
    ///
    /// ```
    /// use phasic::demes::Observed;
    /// let fs = Observed::from_json("[[null, 3], [4, null]]", false).unwrap();
    /// assert_eq!((fs.shape.clone(), fs.values.clone()), (vec![2, 2], vec![0.0, 3.0, 4.0, 0.0]));
    /// assert_eq!(fs.masked, vec![true, false, false, true]);
    /// assert!(Observed::from_json("[[1, 2], [3]]", false).is_err());
    /// ```
    pub fn from_json(text: &str, folded: bool) -> Result<Observed, DemesError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(e.line(), format!("not JSON: {e}")))?;
        let mut shape = Vec::new();
        let mut probe = &value;
        while let serde_json::Value::Array(a) = probe {
            if a.len() < 2 {
                return Err(bad(
                    1,
                    format!("an axis of length {} (at least 2: samples + 1)", a.len()),
                ));
            }
            shape.push(a.len());
            probe = &a[0];
        }
        if shape.is_empty() {
            return Err(bad(1, "expected a (nested) array of counts".into()));
        }
        let mut values = Vec::new();
        let mut masked = Vec::new();
        flatten(&value, &shape, &mut Vec::new(), &mut values, &mut masked)?;
        Ok(Observed {
            shape,
            values,
            masked,
            folded,
        })
    }
}

/// `count` numbers on line `n`, each passing `ok`.
fn numbers(
    n: usize,
    line: &str,
    count: usize,
    what: &str,
    ok: impl Fn(f64) -> bool,
) -> Result<Vec<f64>, DemesError> {
    let items: Vec<&str> = line.split_whitespace().collect();
    if items.len() != count {
        return Err(bad(
            n,
            format!(
                "{} entries, expected {count} (the product of the dimensions)",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, w)| match w.parse::<f64>() {
            Ok(x) if ok(x) => Ok(x),
            _ => Err(bad(n, format!("{what} {i} is `{w}`"))),
        })
        .collect()
}

/// Row-major values of a rectangular nested array of `shape`.
fn flatten(
    v: &serde_json::Value,
    shape: &[usize],
    at: &mut Vec<usize>,
    values: &mut Vec<f64>,
    masked: &mut Vec<bool>,
) -> Result<(), DemesError> {
    let here = || format!("entry {at:?}");
    match (v, shape.len() > at.len()) {
        (serde_json::Value::Array(a), true) => {
            if a.len() != shape[at.len()] {
                return Err(bad(
                    1,
                    format!(
                        "{} has {} items, expected {}",
                        here(),
                        a.len(),
                        shape[at.len()]
                    ),
                ));
            }
            for (i, x) in a.iter().enumerate() {
                at.push(i);
                flatten(x, shape, at, values, masked)?;
                at.pop();
            }
            Ok(())
        }
        (serde_json::Value::Null, false) => {
            values.push(0.0);
            masked.push(true);
            Ok(())
        }
        (x, false) => match x.as_f64() {
            Some(c) if c.is_finite() && c >= 0.0 => {
                values.push(c);
                masked.push(false);
                Ok(())
            }
            _ => Err(bad(
                1,
                format!("{} is `{x}`: expected a count ≥ 0 or null", here()),
            )),
        },
        (x, true) => Err(bad(1, format!("{} is `{x}`: expected an array", here()))),
    }
}
