//! The parameters of a fit: which fields of a Demes model a fit varies,
//! their bounds and the constraints between them, read from an options
//! file in the format of `moments.Demes.Inference` (docs/MODELS.md §9.1).
//!
//! A parameter's `values` are paths into the Demes file *as written*: a
//! deme by name, its epochs, migrations and pulses by their place in the
//! file's lists (from 0; a negative index counts from the end, as Python's
//! do in moments). The values are read from the model resolved by the
//! Demes specification (a field left implicit, such as an epoch's
//! `end_size`, has its resolved value) and are in the file's units (times
//! in its `time_units`, as moments reads them). A fit writes its values
//! into the file at those paths and resolves the file again.

use std::fmt;

use serde_yaml::Value;

use super::error::DemesError;
use super::fit::Problem;

fn bad(item: impl Into<String>, what: impl Into<String>) -> DemesError {
    DemesError::BadOptions {
        item: item.into(),
        what: what.into(),
    }
}

/// A YAML value as written, for messages.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) => format!("`{s}`"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

/// "3 epochs, numbered 0 to 2".
fn count(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("no {many}"),
        1 => format!("1 {one}, numbered 0"),
        n => format!("{n} {many}, numbered 0 to {}", n - 1),
    }
}

/// One field of a Demes model that a parameter sets.
///
/// Indices are places in the file's lists, from 0. As read from an
/// options file ([`Parameter::values`]) they are as written (a negative
/// index counts from the end); once bound to a model
/// ([`Bound::values`]) they are resolved (never negative).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// `demes: {A: start_time}`.
    DemeStartTime {
        /// The deme.
        deme: String,
    },
    /// `demes: {A: {proportions: i}}`: ancestry proportion `i` of a deme
    /// with several ancestors; the last proportion becomes 1 minus the
    /// others (so it cannot itself be fit).
    DemeProportion {
        /// The deme.
        deme: String,
        /// The proportion's place.
        index: i64,
    },
    /// `demes: {A: {epochs: {k: start_size}}}`.
    EpochStartSize {
        /// The deme.
        deme: String,
        /// The epoch.
        epoch: i64,
    },
    /// `demes: {A: {epochs: {k: end_size}}}`.
    EpochEndSize {
        /// The deme.
        deme: String,
        /// The epoch.
        epoch: i64,
    },
    /// `demes: {A: {epochs: {k: end_time}}}`.
    EpochEndTime {
        /// The deme.
        deme: String,
        /// The epoch.
        epoch: i64,
    },
    /// `migrations: {i: rate}`; a symmetric migration's rate is that of
    /// every pair it joins.
    MigrationRate {
        /// The entry of the file's `migrations` list.
        index: i64,
    },
    /// `migrations: {i: start_time}`.
    MigrationStartTime {
        /// The entry of the file's `migrations` list.
        index: i64,
    },
    /// `migrations: {i: end_time}`.
    MigrationEndTime {
        /// The entry of the file's `migrations` list.
        index: i64,
    },
    /// `pulses: {i: time}`.
    PulseTime {
        /// The entry of the file's `pulses` list (as written, not sorted by time).
        index: i64,
    },
    /// `pulses: {i: {proportions: k}}` (source `k`), or `pulses: {i:
    /// proportions}` (`source: None`) for a pulse of one source.
    PulseProportion {
        /// The entry of the file's `pulses` list (as written, not sorted by time).
        index: i64,
        /// The source's place in the pulse's `sources`.
        source: Option<i64>,
    },
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::DemeStartTime { deme } => write!(f, "demes.{deme}.start_time"),
            Field::DemeProportion { deme, index } => write!(f, "demes.{deme}.proportions[{index}]"),
            Field::EpochStartSize { deme, epoch } => {
                write!(f, "demes.{deme}.epochs[{epoch}].start_size")
            }
            Field::EpochEndSize { deme, epoch } => {
                write!(f, "demes.{deme}.epochs[{epoch}].end_size")
            }
            Field::EpochEndTime { deme, epoch } => {
                write!(f, "demes.{deme}.epochs[{epoch}].end_time")
            }
            Field::MigrationRate { index } => write!(f, "migrations[{index}].rate"),
            Field::MigrationStartTime { index } => write!(f, "migrations[{index}].start_time"),
            Field::MigrationEndTime { index } => write!(f, "migrations[{index}].end_time"),
            Field::PulseTime { index } => write!(f, "pulses[{index}].time"),
            Field::PulseProportion {
                index,
                source: None,
            } => write!(f, "pulses[{index}].proportions"),
            Field::PulseProportion {
                index,
                source: Some(s),
            } => write!(f, "pulses[{index}].proportions[{s}]"),
        }
    }
}

/// One parameter of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Its name, unique in the file.
    pub name: String,
    /// Its description, if the file gives one.
    pub description: Option<String>,
    /// The fields of the model it sets, all to the one value.
    pub values: Vec<Field>,
    /// The least value (`lower_bound`, default 0), inclusive.
    pub lower_bound: f64,
    /// The greatest value (`upper_bound`, default +∞), inclusive.
    pub upper_bound: f64,
}

/// A constraint between two parameters: `greater` > `lesser`, strictly
/// (as moments, a tie breaks it). Both are places in the parameter list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Constraint {
    /// The parameter that must be the greater.
    pub greater: usize,
    /// The parameter that must be the lesser.
    pub lesser: usize,
}

/// The parameters of a fit, read from an options file in the format of
/// `moments.Demes.Inference.optimize`: a `parameters` list (each with a
/// `name`, optional `description`, `values`, and optional `lower_bound`
/// and `upper_bound`) and an optional `constraints` list (`params: [a, b]`
/// and `constraint: greater_than` or `less_than`). Keys moments does not
/// read either are passed over and listed by [`ignored`](Self::ignored).
///
/// ```
/// use phasic::demes::{Field, Parameters};
/// let options = "
/// parameters:
/// - name: NB
///   description: bottleneck size
///   values:
///   - demes: {A: {epochs: {1: start_size}}}
///   lower_bound: 10
///   upper_bound: 1e5
/// - name: TB
///   values:
///   - demes: {A: {epochs: {0: end_time}}}
/// - name: TE
///   values:
///   - demes: {A: {epochs: {1: end_time}}}
/// constraints:
/// - params: [TB, TE]
///   constraint: greater_than
/// ";
/// let model = "
/// time_units: generations
/// demes:
///   - name: A
///     epochs:
///       - {start_size: 10000, end_time: 500}
///       - {start_size: 1000, end_time: 200}
///       - {start_size: 10000}
/// ";
/// let params = Parameters::from_yaml(options)?;
/// assert_eq!(
///     params.parameters()[0].values,
///     vec![Field::EpochStartSize { deme: "A".into(), epoch: 1 }]
/// );
/// let bound = params.bind(model)?;
/// assert_eq!(bound.names(), ["NB", "TB", "TE"]);
/// assert_eq!(bound.start(), [1000.0, 500.0, 200.0]);
/// assert_eq!((bound.lower(), bound.upper()), (&[10.0, 0.0, 0.0][..], &[1e5, f64::INFINITY, f64::INFINITY][..]));
/// let (_yaml, graph) = bound.apply(&[250.0, 800.0, 100.0])?;
/// let epochs = graph.demes()[0].epochs();
/// assert_eq!(f64::from(epochs[1].start_size()), 250.0);
/// assert_eq!(f64::from(epochs[1].end_size()), 250.0); // implicit: follows start_size
/// assert_eq!(f64::from(epochs[0].end_time()), 800.0);
/// assert_eq!(f64::from(epochs[1].end_time()), 100.0);
/// // TB must be greater than TE
/// assert!(bound.check(&[250.0, 100.0, 800.0]).unwrap_err().to_string().contains("`TB` = 100"));
/// # Ok::<(), phasic::demes::DemesError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    parameters: Vec<Parameter>,
    constraints: Vec<Constraint>,
    ignored: Vec<String>,
}

/// The keys of a parameter entry.
const PARAMETER_KEYS: [&str; 5] = [
    "name",
    "description",
    "values",
    "lower_bound",
    "upper_bound",
];

mod apply;
mod bind;
mod read;

pub use apply::Bound;

impl Parameters {
    /// The parameters, in the file's order.
    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    /// The constraints, in the file's order.
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// Keys of the file that are not read (moments does not read them
    /// either), e.g. "top-level key `uL`" or "parameter `T`: key `units`".
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An options file written as moments' documentation writes them
    /// (docs/extensions/demes.rst, "The options file", and
    /// examples/demes_inference/inference_options.yml of moments).
    #[test]
    fn an_options_file_as_moments_documents_it() {
        let text = "
uL: 0.36
parameters:
- name: N_B
  description: Bottleneck size for Eurasian populations
  values:
  - demes:
      OOA:
        epochs:
          0: start_size
  lower_bound: 100
  upper_bound: 100000
- name: N_A
  description: Expansion size
  values:
  - demes:
      AMH:
        epochs:
          0: start_size
      YRI:
        epochs:
          0: start_size
  lower_bound: 100
  upper_bound: 100000
- name: m_Af_Eu
  description: Symmetric migration rate between Afr and Eur populations
  upper_bound: 1e-3
  values:
  - migrations:
      1: rate
- name: TA
  values:
  - demes:
      ancestral:
        epochs:
          0: end_time
- name: TB
  values:
  - demes:
      AMH:
        epochs:
          0: end_time
constraints:
- params: [TA, TB]
  constraint: greater_than
";
        let p = Parameters::from_yaml(text).unwrap();
        let names: Vec<&str> = p.parameters().iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["N_B", "N_A", "m_Af_Eu", "TA", "TB"]);
        let n_a = &p.parameters()[1];
        assert_eq!(n_a.description.as_deref(), Some("Expansion size"));
        assert_eq!(
            n_a.values,
            vec![
                Field::EpochStartSize {
                    deme: "AMH".into(),
                    epoch: 0
                },
                Field::EpochStartSize {
                    deme: "YRI".into(),
                    epoch: 0
                },
            ]
        );
        assert_eq!((n_a.lower_bound, n_a.upper_bound), (100.0, 100000.0));
        let m = &p.parameters()[2];
        assert_eq!(m.values, vec![Field::MigrationRate { index: 1 }]);
        assert_eq!((m.lower_bound, m.upper_bound), (0.0, 1e-3));
        assert_eq!(
            p.constraints(),
            [Constraint {
                greater: 3,
                lesser: 4
            }]
        );
        assert_eq!(p.ignored(), ["top-level key `uL`"]);
    }

    #[test]
    fn fields_print_as_paths() {
        let f = Field::PulseProportion {
            index: 0,
            source: Some(1),
        };
        assert_eq!(f.to_string(), "pulses[0].proportions[1]");
        let f = Field::EpochEndSize {
            deme: "A".into(),
            epoch: 2,
        };
        assert_eq!(f.to_string(), "demes.A.epochs[2].end_size");
    }
}
