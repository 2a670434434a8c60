//! Samples: how many haploid genomes (lineages) are taken from which deme,
//! and when.

use std::fmt;
use std::str::FromStr;

use super::error::DemesError;

/// One sample group: `count` lineages from deme `deme` at generation `time`
/// (0 for the present). Each group is one axis of the SFS.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The deme's name.
    pub deme: String,
    /// Haploid genomes sampled (at least 1).
    pub count: u32,
    /// Generations before the present (0 for a present-day sample).
    pub time: f64,
}

/// Sample groups in the order given, e.g. `"A=10,B=5"` or `"A=10,B=4@500"`
/// (4 genomes of deme B sampled 500 generations ago).
///
/// ```
/// use phasic::demes::Samples;
/// let s: Samples = "YRI=10, CEU=4@200".parse().unwrap();
/// assert_eq!(s.groups().len(), 2);
/// assert_eq!((s.groups()[1].deme.as_str(), s.groups()[1].count, s.groups()[1].time), ("CEU", 4, 200.0));
/// assert_eq!(s.to_string(), "YRI=10,CEU=4@200");
/// assert!("YRI=0".parse::<Samples>().is_err());
/// assert!("YRI=3,YRI=2".parse::<Samples>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Samples(Vec<Sample>);

impl Samples {
    /// Sample groups from a list; checked as the text form is.
    pub fn new(groups: Vec<Sample>) -> Result<Samples, DemesError> {
        let text = || Samples(groups.clone()).to_string();
        if groups.is_empty() {
            return Err(DemesError::BadSamples {
                text: String::new(),
                expected: "expected at least one group NAME=n".into(),
            });
        }
        for (i, g) in groups.iter().enumerate() {
            if g.count == 0 {
                return Err(DemesError::BadSamples {
                    text: text(),
                    expected: format!("group `{}` has no genomes: give at least 1", g.deme),
                });
            }
            if !(g.time.is_finite() && g.time >= 0.0) {
                return Err(DemesError::BadSamples {
                    text: text(),
                    expected: format!(
                        "group `{}` is sampled at generation {}: times must be finite and non-negative",
                        g.deme, g.time
                    ),
                });
            }
            if groups[..i]
                .iter()
                .any(|h| h.deme == g.deme && h.time == g.time)
            {
                return Err(DemesError::BadSamples {
                    text: text(),
                    expected: format!(
                        "deme `{}` is sampled twice at generation {}: give one group with the total",
                        g.deme, g.time
                    ),
                });
            }
        }
        let total: u64 = groups.iter().map(|g| u64::from(g.count)).sum();
        if total < 2 {
            return Err(DemesError::BadSamples {
                text: text(),
                expected: "at least two genomes are needed for a common ancestor".into(),
            });
        }
        Ok(Samples(groups))
    }

    /// The groups, in the order given.
    pub fn groups(&self) -> &[Sample] {
        &self.0
    }
}

impl FromStr for Samples {
    type Err = DemesError;

    fn from_str(text: &str) -> Result<Samples, DemesError> {
        let bad = |expected: String| DemesError::BadSamples {
            text: text.to_string(),
            expected,
        };
        let mut groups = Vec::new();
        for item in text.split(',').map(str::trim) {
            let (deme, rest) = item
                .split_once('=')
                .ok_or_else(|| bad(format!("`{item}` is not NAME=n or NAME=n@generation")))?;
            let (count, time) = match rest.split_once('@') {
                Some((c, t)) => (c, Some(t)),
                None => (rest, None),
            };
            let count: u32 = count.trim().parse().map_err(|_| {
                bad(format!(
                    "`{item}`: `{}` is not a count of genomes",
                    count.trim()
                ))
            })?;
            let time = match time {
                None => 0.0,
                Some(t) => t.trim().parse::<f64>().map_err(|_| {
                    bad(format!(
                        "`{item}`: `{}` is not a time in generations",
                        t.trim()
                    ))
                })?,
            };
            if deme.trim().is_empty() {
                return Err(bad(format!("`{item}` names no deme")));
            }
            groups.push(Sample {
                deme: deme.trim().to_string(),
                count,
                time,
            });
        }
        Samples::new(groups).map_err(|e| match e {
            DemesError::BadSamples { expected, .. } => bad(expected),
            other => other,
        })
    }
}

impl fmt::Display for Samples {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, g) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}={}", g.deme, g.count)?;
            if g.time != 0.0 {
                write!(f, "@{}", g.time)?;
            }
        }
        Ok(())
    }
}
