//! Reading an options file: its parameters, their paths and bounds, and
//! its constraints.

use serde_yaml::{Mapping, Value};

use super::*;

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
