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

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use serde_yaml::{Mapping, Value};

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

/// A bound of a parameter entry: `default` when absent.
fn read_bound(entry: &Mapping, key: &str, default: f64, item: &str) -> Result<f64, DemesError> {
    match entry.get(key) {
        None => Ok(default),
        Some(Value::Number(n)) if n.as_f64().is_some_and(|x| !x.is_nan()) => {
            Ok(n.as_f64().unwrap_or(default))
        }
        Some(other) => Err(bad(item, format!("{key} {} is not a number", show(other)))),
    }
}

/// A list index written as a key (`0:`, `-1:` or `"0":`).
fn read_index(key: &Value) -> Option<i64> {
    match key {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A non-empty mapping, or what is wrong.
fn non_empty<'v>(v: &'v Value, what: &str) -> Result<&'v Mapping, String> {
    match v.as_mapping() {
        Some(m) if !m.is_empty() => Ok(m),
        Some(_) => Err(format!("{what} is an empty mapping, which sets no field")),
        None => Err(format!("{what} is {}, not a mapping", show(v))),
    }
}

fn index_or_err(key: &Value, what: &str) -> Result<i64, String> {
    read_index(key).ok_or_else(|| format!("{what} index {} is not an integer", show(key)))
}

/// The fields of one `values` entry, in order.
fn read_paths(entry: &Value, out: &mut Vec<Field>) -> Result<(), String> {
    let map = non_empty(entry, "the entry")?;
    for (key, v) in map {
        match key.as_str() {
            Some("demes") => read_demes(v, out)?,
            Some("migrations") => read_migrations(v, out)?,
            Some("pulses") => read_pulses(v, out)?,
            _ => {
                return Err(format!(
                    "unknown key {} (a path begins with `demes`, `migrations` or `pulses`)",
                    show(key)
                ));
            }
        }
    }
    Ok(())
}

fn read_demes(v: &Value, out: &mut Vec<Field>) -> Result<(), String> {
    const TAKES: &str = "a deme takes `start_time`, or a mapping with `epochs` ({k: start_size, end_size or end_time}) or `proportions` (an index)";
    for (name, spec) in non_empty(v, "`demes`")? {
        let deme = name
            .as_str()
            .ok_or_else(|| format!("deme name {} is not a text", show(name)))?
            .to_string();
        match spec {
            Value::String(s) if s == "start_time" => out.push(Field::DemeStartTime { deme }),
            Value::Mapping(m) if !m.is_empty() => {
                for (key, x) in m {
                    match key.as_str() {
                        Some("epochs") => {
                            for (k, field) in non_empty(x, &format!("deme `{deme}`'s `epochs`"))? {
                                let epoch = index_or_err(k, "epoch")?;
                                let deme = deme.clone();
                                out.push(match field.as_str() {
                                    Some("start_size") => Field::EpochStartSize { deme, epoch },
                                    Some("end_size") => Field::EpochEndSize { deme, epoch },
                                    Some("end_time") => Field::EpochEndTime { deme, epoch },
                                    _ => {
                                        return Err(format!(
                                            "unknown field {} of deme `{deme}`'s epoch {epoch}; an epoch's fields to fit are start_size, end_size and end_time",
                                            show(field)
                                        ));
                                    }
                                });
                            }
                        }
                        Some("proportions") => {
                            let index = read_index(x).ok_or_else(|| {
                                format!(
                                    "deme `{deme}`'s proportion index {} is not an integer",
                                    show(x)
                                )
                            })?;
                            out.push(Field::DemeProportion {
                                deme: deme.clone(),
                                index,
                            });
                        }
                        _ => {
                            return Err(format!(
                                "deme `{deme}`: unknown key {}; {TAKES}",
                                show(key)
                            ));
                        }
                    }
                }
            }
            other => {
                return Err(format!(
                    "deme `{deme}`: {} cannot be fit; {TAKES}",
                    show(other)
                ));
            }
        }
    }
    Ok(())
}

fn read_migrations(v: &Value, out: &mut Vec<Field>) -> Result<(), String> {
    for (k, field) in non_empty(v, "`migrations`")? {
        let index = index_or_err(k, "migration")?;
        out.push(match field.as_str() {
            Some("rate") => Field::MigrationRate { index },
            Some("start_time") => Field::MigrationStartTime { index },
            Some("end_time") => Field::MigrationEndTime { index },
            _ => {
                return Err(format!(
                    "unknown field {} of migration {index}; a migration's fields to fit are rate, start_time and end_time",
                    show(field)
                ));
            }
        });
    }
    Ok(())
}

fn read_pulses(v: &Value, out: &mut Vec<Field>) -> Result<(), String> {
    const TAKES: &str = "a pulse's fields to fit are `time`, `{proportions: k}` (source k) and, for a pulse of one source, `proportions`";
    for (k, field) in non_empty(v, "`pulses`")? {
        let index = index_or_err(k, "pulse")?;
        match field {
            Value::String(s) if s == "time" => out.push(Field::PulseTime { index }),
            Value::String(s) if s == "proportions" => out.push(Field::PulseProportion {
                index,
                source: None,
            }),
            Value::Mapping(m) if !m.is_empty() => {
                for (key, x) in m {
                    if key.as_str() != Some("proportions") {
                        return Err(format!("pulse {index}: unknown key {}; {TAKES}", show(key)));
                    }
                    let source = read_index(x).ok_or_else(|| {
                        format!(
                            "pulse {index}'s proportion index {} is not an integer",
                            show(x)
                        )
                    })?;
                    out.push(Field::PulseProportion {
                        index,
                        source: Some(source),
                    });
                }
            }
            other => {
                return Err(format!(
                    "unknown field {} of pulse {index}; {TAKES}",
                    show(other)
                ));
            }
        }
    }
    Ok(())
}

impl Parameters {
    /// Reads an options file (YAML).
    pub fn from_yaml(text: &str) -> Result<Parameters, DemesError> {
        let doc: Value =
            serde_yaml::from_str(text).map_err(|e| bad("text", format!("not YAML: {e}")))?;
        let top = doc.as_mapping().ok_or_else(|| {
            bad(
                "text",
                format!(
                    "{}, not a mapping with a `parameters` list",
                    match &doc {
                        Value::Null => "empty".to_string(),
                        other => show(other),
                    }
                ),
            )
        })?;
        let mut ignored = Vec::new();
        for key in top.keys() {
            if !matches!(key.as_str(), Some("parameters" | "constraints")) {
                ignored.push(format!("top-level key {}", show(key)));
            }
        }
        let list = match top.get("parameters") {
            None => {
                return Err(bad(
                    "parameters",
                    format!(
                        "missing: the file has no `parameters` list (the parameters to fit); its keys are: {}",
                        top.keys().map(show).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            Some(Value::Sequence(s)) if !s.is_empty() => s,
            Some(Value::Sequence(_)) => {
                return Err(bad("parameters", "the list is empty: nothing to fit"));
            }
            Some(other) => {
                return Err(bad(
                    "parameters",
                    format!("{} is not a list of parameters", show(other)),
                ));
            }
        };
        let mut parameters: Vec<Parameter> = Vec::with_capacity(list.len());
        for (i, entry) in list.iter().enumerate() {
            let at = format!("parameters[{i}]");
            let entry = entry
                .as_mapping()
                .ok_or_else(|| bad(&at, format!("{} is not a mapping", show(entry))))?;
            let name = match entry.get("name") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => serde_yaml::to_string(v)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                None => return Err(bad(&at, "has no `name`")),
                Some(other) => {
                    return Err(bad(&at, format!("name {} is not a text", show(other))));
                }
            };
            if let Some(j) = parameters.iter().position(|p| p.name == name) {
                return Err(bad(
                    &at,
                    format!(
                        "the name `{name}` is also that of parameters[{j}]; names must be unique"
                    ),
                ));
            }
            let item = format!("parameter `{name}`");
            for key in entry.keys() {
                if !PARAMETER_KEYS.iter().any(|k| key.as_str() == Some(k)) {
                    ignored.push(format!("{item}: key {}", show(key)));
                }
            }
            let description = match entry.get("description") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    return Err(bad(
                        &item,
                        format!("description {} is not a text", show(other)),
                    ));
                }
            };
            let entries = match entry.get("values") {
                Some(Value::Sequence(s)) if !s.is_empty() => s,
                Some(Value::Sequence(_)) => {
                    return Err(bad(
                        &item,
                        "`values` is empty: list the fields of the Demes model it sets, e.g. `- demes: {A: {epochs: {0: start_size}}}`",
                    ));
                }
                None => {
                    return Err(bad(
                        &item,
                        "`values` is missing: list the fields of the Demes model it sets, e.g. `- demes: {A: {epochs: {0: start_size}}}`",
                    ));
                }
                Some(other) => {
                    return Err(bad(
                        &item,
                        format!("`values` {} is not a list", show(other)),
                    ));
                }
            };
            let mut values = Vec::new();
            for (j, e) in entries.iter().enumerate() {
                read_paths(e, &mut values).map_err(|w| bad(format!("{item}, values[{j}]"), w))?;
            }
            let lower_bound = read_bound(entry, "lower_bound", 0.0, &item)?;
            let upper_bound = read_bound(entry, "upper_bound", f64::INFINITY, &item)?;
            if lower_bound >= upper_bound {
                return Err(bad(
                    &item,
                    format!("lower_bound {lower_bound} is not below upper_bound {upper_bound}"),
                ));
            }
            parameters.push(Parameter {
                name,
                description,
                values,
                lower_bound,
                upper_bound,
            });
        }
        let constraints = match top.get("constraints") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(s)) => s
                .iter()
                .enumerate()
                .map(|(i, c)| read_constraint(c, i, &parameters, &mut ignored))
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(bad(
                    "constraints",
                    format!("{} is not a list of constraints", show(other)),
                ));
            }
        };
        Ok(Parameters {
            parameters,
            constraints,
            ignored,
        })
    }

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

    /// Matches the parameters to a Demes model (YAML): every path must
    /// name a field the model has, a parameter's fields must have one
    /// value in the resolved model (its start), finite and within its
    /// bounds, and no field may be set by two parameters.
    pub fn bind(&self, demes_yaml: &str) -> Result<Bound, DemesError> {
        let graph = demes::loads(demes_yaml)?;
        let mut raw: Value =
            serde_yaml::from_str(demes_yaml).map_err(|e| bad("Demes model", e.to_string()))?;
        let mut model = ModelFile {
            graph: &graph,
            raw: &mut raw,
            migrations: None,
            pulses: None,
        };
        let mut owner: HashMap<Field, usize> = HashMap::new();
        let mut values = Vec::with_capacity(self.parameters.len());
        let mut start = Vec::with_capacity(self.parameters.len());
        for (p, param) in self.parameters.iter().enumerate() {
            let mut resolved: Vec<(Field, f64)> = Vec::with_capacity(param.values.len());
            for f in &param.values {
                let item = format!("parameter `{}`, {f}", param.name);
                let (g, x) = model.resolve(f).map_err(|w| bad(&item, w))?;
                match owner.get(&g) {
                    Some(&q) if q != p => {
                        return Err(bad(
                            item,
                            format!(
                                "{g} is also set by parameter `{}`; a field has one parameter",
                                self.parameters[q].name
                            ),
                        ));
                    }
                    _ => {
                        owner.insert(g.clone(), p);
                    }
                }
                resolved.push((g, x));
            }
            let item = format!("parameter `{}`", param.name);
            let x0 = resolved[0].1;
            if resolved.iter().any(|(_, x)| *x != x0) {
                let list: Vec<String> =
                    resolved.iter().map(|(g, x)| format!("{g} = {x}")).collect();
                return Err(bad(
                    item,
                    format!(
                        "its fields have different values in the model ({}); it sets them all to one value, so make them equal in the model",
                        list.join(", ")
                    ),
                ));
            }
            if !x0.is_finite() {
                return Err(bad(
                    item,
                    format!(
                        "the model's value of {} is {x0}; only a finite value can be fit (give it one in the model)",
                        resolved[0].0
                    ),
                ));
            }
            if !(param.lower_bound <= x0 && x0 <= param.upper_bound) {
                return Err(bad(
                    item,
                    format!(
                        "the model's value {x0} is outside its bounds [{}, {}]",
                        param.lower_bound, param.upper_bound
                    ),
                ));
            }
            values.push(resolved.into_iter().map(|(g, _)| g).collect());
            start.push(x0);
        }
        Ok(Bound {
            names: self.parameters.iter().map(|p| p.name.clone()).collect(),
            values,
            start,
            lower: self.parameters.iter().map(|p| p.lower_bound).collect(),
            upper: self.parameters.iter().map(|p| p.upper_bound).collect(),
            constraints: self.constraints.clone(),
            time_units: graph.time_units().to_string(),
            template: raw,
        })
    }
}

fn read_constraint(
    c: &Value,
    i: usize,
    parameters: &[Parameter],
    ignored: &mut Vec<String>,
) -> Result<Constraint, DemesError> {
    let item = format!("constraints[{i}]");
    let map = c
        .as_mapping()
        .ok_or_else(|| bad(&item, format!("{} is not a mapping", show(c))))?;
    for key in map.keys() {
        if !matches!(key.as_str(), Some("params" | "constraint")) {
            ignored.push(format!("{item}: key {}", show(key)));
        }
    }
    let names = match map.get("params") {
        Some(Value::Sequence(s)) if s.len() == 2 => s,
        Some(Value::Sequence(s)) => {
            return Err(bad(
                item,
                format!(
                    "`params` lists {} name{}; a constraint is between two parameters",
                    s.len(),
                    if s.len() == 1 { "" } else { "s" }
                ),
            ));
        }
        Some(other) => {
            return Err(bad(
                item,
                format!(
                    "`params` {} is not a list of two parameter names",
                    show(other)
                ),
            ));
        }
        None => return Err(bad(item, "has no `params` (the two parameters it relates)")),
    };
    let mut at = [0; 2];
    for (slot, n) in at.iter_mut().zip(names) {
        *slot = parameters
            .iter()
            .position(|p| n.as_str() == Some(p.name.as_str()))
            .ok_or_else(|| {
                bad(
                    &item,
                    format!(
                        "names parameter {}, which is not a parameter; the parameters are: {}",
                        show(n),
                        parameters
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
    }
    match map.get("constraint").and_then(Value::as_str) {
        Some("greater_than") => Ok(Constraint {
            greater: at[0],
            lesser: at[1],
        }),
        Some("less_than") => Ok(Constraint {
            greater: at[1],
            lesser: at[0],
        }),
        _ => Err(bad(
            item,
            format!(
                "constraint {} is not `greater_than` or `less_than`",
                map.get("constraint").map_or("(missing)".into(), show)
            ),
        )),
    }
}

/// The Demes file as written and as resolved.
struct ModelFile<'a> {
    graph: &'a demes::Graph,
    raw: &'a mut Value,
    /// The resolved migrations of each entry of the file's `migrations`.
    migrations: Option<Vec<Range<usize>>>,
    /// The resolved pulse of each entry of the file's `pulses`.
    pulses: Option<Vec<usize>>,
}

/// `i` (negative from the end) as a place in a list of `n`.
fn place(i: i64, n: usize, what: &str, has: impl FnOnce() -> String) -> Result<usize, String> {
    let j = if i < 0 { i + n as i64 } else { i };
    if (0..n as i64).contains(&j) {
        Ok(j as usize)
    } else {
        Err(format!("{what} {i} is out of range: {}", has()))
    }
}

fn raw_deme<'v>(raw: &'v mut Value, name: &str) -> Option<&'v mut Mapping> {
    raw.get_mut("demes")?
        .as_sequence_mut()?
        .iter_mut()
        .filter_map(Value::as_mapping_mut)
        .find(|d| d.get("name").and_then(Value::as_str) == Some(name))
}

fn raw_entry<'v>(raw: &'v mut Value, list: &str, i: usize) -> Option<&'v mut Mapping> {
    raw.get_mut(list)?
        .as_sequence_mut()?
        .get_mut(i)?
        .as_mapping_mut()
}

fn numbers(xs: impl Iterator<Item = f64>) -> Value {
    Value::Sequence(xs.map(|x| Value::Number(x.into())).collect())
}

impl ModelFile<'_> {
    fn deme(&self, name: &str) -> Result<&demes::Deme, String> {
        self.graph.get_deme(name).ok_or_else(|| {
            format!(
                "the model has no deme `{name}`; its demes are: {}",
                self.graph.deme_names().join(", ")
            )
        })
    }

    /// The file's entry of a deme.
    fn raw_deme(&mut self, name: &str) -> Result<&mut Mapping, String> {
        raw_deme(self.raw, name).ok_or_else(|| format!("the file has no entry for deme `{name}`"))
    }

    fn migration_ranges(&mut self) -> Result<&[Range<usize>], String> {
        if self.migrations.is_none() {
            let empty = Vec::new();
            let entries = self
                .raw
                .get("migrations")
                .and_then(Value::as_sequence)
                .unwrap_or(&empty);
            let defaults = self
                .raw
                .get("defaults")
                .and_then(|d| d.get("migration"))
                .and_then(|m| m.get("demes"))
                .and_then(Value::as_sequence);
            let mut ranges = Vec::with_capacity(entries.len());
            let mut at = 0;
            for e in entries {
                let demes = e.get("demes").and_then(Value::as_sequence).or(
                    if e.get("source").is_none() && e.get("dest").is_none() {
                        defaults
                    } else {
                        None
                    },
                );
                let n = demes.map_or(1, |d| d.len() * d.len().saturating_sub(1));
                ranges.push(at..at + n);
                at += n;
            }
            if at != self.graph.migrations().len() {
                return Err(format!(
                    "the {} entries of the file's `migrations` do not match the model's {} resolved migrations (are some made by `defaults`?)",
                    entries.len(),
                    self.graph.migrations().len()
                ));
            }
            self.migrations = Some(ranges);
        }
        Ok(self.migrations.as_deref().unwrap_or_default())
    }

    /// The resolved pulse of each entry of the file's `pulses` (Demes
    /// sorts pulses by time, the oldest first, ties in the file's order).
    fn pulse_order(&mut self) -> Result<&[usize], String> {
        if self.pulses.is_none() {
            let empty = Vec::new();
            let entries = self
                .raw
                .get("pulses")
                .and_then(Value::as_sequence)
                .unwrap_or(&empty);
            let default = self
                .raw
                .get("defaults")
                .and_then(|d| d.get("pulse"))
                .and_then(|p| p.get("time"))
                .and_then(Value::as_f64);
            let times: Vec<Option<f64>> = entries
                .iter()
                .map(|e| e.get("time").and_then(Value::as_f64).or(default))
                .collect();
            let resolved = self.graph.pulses();
            let mismatch = || {
                format!(
                    "the {} entries of the file's `pulses` do not match the model's {} resolved pulses",
                    entries.len(),
                    resolved.len()
                )
            };
            if times.len() != resolved.len() || times.iter().any(Option::is_none) {
                return Err(mismatch());
            }
            let times: Vec<f64> = times.into_iter().flatten().collect();
            let mut order: Vec<usize> = (0..times.len()).collect();
            order.sort_by(|&a, &b| times[b].total_cmp(&times[a]));
            let mut of = vec![0; times.len()];
            for (pos, &i) in order.iter().enumerate() {
                of[i] = pos;
            }
            for (i, &pos) in of.iter().enumerate() {
                let dest = entries[i].get("dest").and_then(Value::as_str);
                if f64::from(resolved[pos].time()) != times[i]
                    || dest.is_some_and(|d| d != resolved[pos].dest())
                {
                    return Err(mismatch());
                }
            }
            self.pulses = Some(of);
        }
        Ok(self.pulses.as_deref().unwrap_or_default())
    }

    /// The field with its indices resolved and its value in the model;
    /// prepares the file so that the field can be written.
    fn resolve(&mut self, f: &Field) -> Result<(Field, f64), String> {
        match f {
            Field::DemeStartTime { deme } => {
                let x = f64::from(self.deme(deme)?.start_time());
                self.raw_deme(deme)?;
                Ok((f.clone(), x))
            }
            Field::DemeProportion { deme, index } => {
                let props: Vec<f64> = self
                    .deme(deme)?
                    .proportions()
                    .iter()
                    .map(|&p| f64::from(p))
                    .collect();
                let n = props.len();
                if n < 2 {
                    return Err(format!(
                        "deme `{deme}` has {n} ancestor{}: a proportion is fit only for a deme of two or more ancestors",
                        if n == 1 { "" } else { "s" }
                    ));
                }
                let k = place(*index, n, "proportion", || {
                    format!(
                        "deme `{deme}` has {}",
                        count(n, "proportion", "proportions")
                    )
                })?;
                if k == n - 1 {
                    return Err(format!(
                        "proportion {index} is deme `{deme}`'s last, which is 1 minus the others (as in moments); fit one of the others"
                    ));
                }
                let entry = self.raw_deme(deme)?;
                if !matches!(entry.get("proportions"), Some(Value::Sequence(s)) if s.len() == n) {
                    entry.insert("proportions".into(), numbers(props.iter().copied()));
                }
                Ok((
                    Field::DemeProportion {
                        deme: deme.clone(),
                        index: k as i64,
                    },
                    props[k],
                ))
            }
            Field::EpochStartSize { deme, epoch }
            | Field::EpochEndSize { deme, epoch }
            | Field::EpochEndTime { deme, epoch } => {
                let d = self.deme(deme)?;
                let n = d.num_epochs();
                let k = place(*epoch, n, "epoch", || {
                    format!("deme `{deme}` has {}", count(n, "epoch", "epochs"))
                })?;
                let e = &d.epochs()[k];
                let (x, g) = match f {
                    Field::EpochStartSize { .. } => (
                        f64::from(e.start_size()),
                        Field::EpochStartSize {
                            deme: deme.clone(),
                            epoch: k as i64,
                        },
                    ),
                    Field::EpochEndSize { .. } => (
                        f64::from(e.end_size()),
                        Field::EpochEndSize {
                            deme: deme.clone(),
                            epoch: k as i64,
                        },
                    ),
                    _ => (
                        f64::from(e.end_time()),
                        Field::EpochEndTime {
                            deme: deme.clone(),
                            epoch: k as i64,
                        },
                    ),
                };
                let entry = self.raw_deme(deme)?;
                if entry.get("epochs").is_none() {
                    // made by `defaults`: one mapping per resolved epoch
                    let list = vec![Value::Mapping(Mapping::new()); n];
                    entry.insert("epochs".into(), Value::Sequence(list));
                }
                match entry.get("epochs").and_then(Value::as_sequence) {
                    Some(s) if s.len() == n && s.iter().all(Value::is_mapping) => {}
                    _ => {
                        return Err(format!(
                            "the file's `epochs` of deme `{deme}` do not match its {n} resolved epochs"
                        ));
                    }
                }
                Ok((g, x))
            }
            Field::MigrationRate { index }
            | Field::MigrationStartTime { index }
            | Field::MigrationEndTime { index } => {
                let graph = self.graph;
                let ranges = self.migration_ranges()?;
                let n = ranges.len();
                let i = place(*index, n, "migration", || {
                    format!("the model has {}", count(n, "migration", "migrations"))
                })?;
                let (name, g): (&str, Field) = match f {
                    Field::MigrationRate { .. } => {
                        ("rate", Field::MigrationRate { index: i as i64 })
                    }
                    Field::MigrationStartTime { .. } => {
                        ("start_time", Field::MigrationStartTime { index: i as i64 })
                    }
                    _ => ("end_time", Field::MigrationEndTime { index: i as i64 }),
                };
                let pairs = &graph.migrations()[ranges[i].clone()];
                let xs: Vec<f64> = pairs
                    .iter()
                    .map(|m| match f {
                        Field::MigrationRate { .. } => f64::from(m.rate()),
                        Field::MigrationStartTime { .. } => f64::from(m.start_time()),
                        _ => f64::from(m.end_time()),
                    })
                    .collect();
                if xs.iter().any(|&x| x != xs[0]) {
                    let list: Vec<String> = pairs
                        .iter()
                        .zip(&xs)
                        .map(|(m, x)| format!("{}→{} {x}", m.source(), m.dest()))
                        .collect();
                    return Err(format!(
                        "migration {i} is symmetric and its pairs have different {name}s ({}); write its {name} in the model",
                        list.join(", ")
                    ));
                }
                if raw_entry(self.raw, "migrations", i).is_none() {
                    return Err(format!("the file's migration {i} is not a mapping"));
                }
                Ok((g, xs[0]))
            }
            Field::PulseTime { index } | Field::PulseProportion { index, .. } => {
                let graph = self.graph;
                let order = self.pulse_order()?;
                let n = order.len();
                let i = place(*index, n, "pulse", || {
                    format!("the model has {}", count(n, "pulse", "pulses"))
                })?;
                let pulse = &graph.pulses()[order[i]];
                let Field::PulseProportion { source, .. } = f else {
                    return Ok((
                        Field::PulseTime { index: i as i64 },
                        f64::from(pulse.time()),
                    ));
                };
                let props: Vec<f64> = pulse.proportions().iter().map(|&p| f64::from(p)).collect();
                let m = props.len();
                let s = match source {
                    None if m == 1 => 0,
                    None => {
                        return Err(format!(
                            "pulse {i} has {m} sources ({}); name one as `{{proportions: k}}`",
                            pulse.sources().join(", ")
                        ));
                    }
                    Some(s) => place(*s, m, "source", || {
                        format!(
                            "pulse {i} has {} ({})",
                            count(m, "source", "sources"),
                            pulse.sources().join(", ")
                        )
                    })?,
                };
                let entry = raw_entry(self.raw, "pulses", i)
                    .ok_or_else(|| format!("the file's pulse {i} is not a mapping"))?;
                if !matches!(entry.get("proportions"), Some(Value::Sequence(s)) if s.len() == m) {
                    entry.insert("proportions".into(), numbers(props.iter().copied()));
                }
                Ok((
                    Field::PulseProportion {
                        index: i as i64,
                        source: Some(s as i64),
                    },
                    props[s],
                ))
            }
        }
    }
}

/// Writes `x` at a resolved field of the file; `None` where the file
/// lacks the place (which [`Parameters::bind`] has ruled out).
fn write(raw: &mut Value, f: &Field, x: f64) -> Option<()> {
    let num = Value::Number(x.into());
    match f {
        Field::DemeStartTime { deme } => {
            raw_deme(raw, deme)?.insert("start_time".into(), num);
        }
        Field::DemeProportion { deme, index } => {
            let list = raw_deme(raw, deme)?
                .get_mut("proportions")?
                .as_sequence_mut()?;
            *list.get_mut(*index as usize)? = num;
            let last = list.len() - 1;
            let mut rest = 0.0;
            for v in &list[..last] {
                rest += v.as_f64()?;
            }
            list[last] = Value::Number((1.0 - rest).into());
        }
        Field::EpochStartSize { deme, epoch }
        | Field::EpochEndSize { deme, epoch }
        | Field::EpochEndTime { deme, epoch } => {
            let key = match f {
                Field::EpochStartSize { .. } => "start_size",
                Field::EpochEndSize { .. } => "end_size",
                _ => "end_time",
            };
            raw_deme(raw, deme)?
                .get_mut("epochs")?
                .as_sequence_mut()?
                .get_mut(*epoch as usize)?
                .as_mapping_mut()?
                .insert(key.into(), num);
        }
        Field::MigrationRate { index }
        | Field::MigrationStartTime { index }
        | Field::MigrationEndTime { index } => {
            let key = match f {
                Field::MigrationRate { .. } => "rate",
                Field::MigrationStartTime { .. } => "start_time",
                _ => "end_time",
            };
            raw_entry(raw, "migrations", *index as usize)?.insert(key.into(), num);
        }
        Field::PulseTime { index } => {
            raw_entry(raw, "pulses", *index as usize)?.insert("time".into(), num);
        }
        Field::PulseProportion { index, source } => {
            *raw_entry(raw, "pulses", *index as usize)?
                .get_mut("proportions")?
                .as_sequence_mut()?
                .get_mut(source.unwrap_or(0) as usize)? = num;
        }
    }
    Some(())
}

/// Parameters matched to a Demes model ([`Parameters::bind`]): their
/// start values, bounds and constraints, and the model to write values into.
#[derive(Debug, Clone)]
pub struct Bound {
    names: Vec<String>,
    values: Vec<Vec<Field>>,
    start: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    constraints: Vec<Constraint>,
    time_units: String,
    template: Value,
}

impl Bound {
    /// The parameters' names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The model's own values of the parameters: where a fit starts.
    pub fn start(&self) -> &[f64] {
        &self.start
    }

    /// The lower bounds (inclusive).
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }

    /// The upper bounds (inclusive).
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }

    /// The constraints, in the options file's order.
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// The fields parameter `p` sets, indices resolved (`None` past the last).
    pub fn values(&self, p: usize) -> Option<&[Field]> {
        self.values.get(p).map(Vec::as_slice)
    }

    /// The model's time units, those of every time parameter.
    pub fn time_units(&self) -> &str {
        &self.time_units
    }

    fn length(&self, theta: &[f64]) -> Result<(), DemesError> {
        if theta.len() == self.names.len() {
            Ok(())
        } else {
            Err(DemesError::WrongLength {
                given: theta.len(),
                expected: self.names.len(),
                names: self.names.join(", "),
            })
        }
    }

    /// Whether `theta` lies within the bounds (inclusive) and meets every
    /// constraint (strictly); the error names the parameter and value.
    pub fn check(&self, theta: &[f64]) -> Result<(), DemesError> {
        self.length(theta)?;
        for (p, &x) in theta.iter().enumerate() {
            if !(self.lower[p] <= x && x <= self.upper[p]) {
                return Err(DemesError::OutOfBounds {
                    name: self.names[p].clone(),
                    value: x,
                    lower: self.lower[p],
                    upper: self.upper[p],
                });
            }
        }
        for (index, c) in self.constraints.iter().enumerate() {
            if theta[c.greater] <= theta[c.lesser] {
                return Err(DemesError::ConstraintViolated {
                    index,
                    greater: self.names[c.greater].clone(),
                    greater_value: theta[c.greater],
                    lesser: self.names[c.lesser].clone(),
                    lesser_value: theta[c.lesser],
                });
            }
        }
        Ok(())
    }

    /// The fit of these parameters: their names and bounds, the Demes
    /// graph at any values ([`apply`](Self::apply)) and the check of
    /// bounds and constraints ([`check`](Self::check)).
    pub fn problem(&self) -> Problem<'_> {
        Problem {
            names: self.names().to_vec(),
            lower: self.lower().to_vec(),
            upper: self.upper().to_vec(),
            constraints: self.constraints().to_vec(),
            graph_at: Box::new(|t: &[f64]| self.apply(t).map(|(_, g)| g)),
            admissible: Box::new(|t: &[f64]| self.check(t)),
        }
    }

    /// The model with `theta` written at every parameter's fields (a field
    /// the file left implicit is written out), as YAML and resolved by the
    /// `demes` crate. Bounds and constraints are not checked here (see
    /// [`check`](Self::check)); a model the values make invalid is an
    /// error naming them.
    pub fn apply(&self, theta: &[f64]) -> Result<(String, demes::Graph), DemesError> {
        self.length(theta)?;
        let mut raw = self.template.clone();
        for (p, fields) in self.values.iter().enumerate() {
            for f in fields {
                write(&mut raw, f, theta[p]).ok_or_else(|| {
                    bad(
                        format!("parameter `{}`, {f}", self.names[p]),
                        "the model has no such place",
                    )
                })?;
            }
        }
        let yaml = serde_yaml::to_string(&raw).map_err(|e| bad("Demes model", e.to_string()))?;
        let graph = demes::loads(&yaml).map_err(|source| DemesError::Applied {
            values: self
                .names
                .iter()
                .zip(theta)
                .map(|(n, x)| format!("{n} = {x}"))
                .collect::<Vec<_>>()
                .join(", "),
            source,
        })?;
        Ok((yaml, graph))
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
