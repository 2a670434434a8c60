//! Binding the parameters to a Demes file: every path resolved against
//! the file as written and as the specification resolves it, and the
//! start values read.

use std::collections::HashMap;
use std::ops::Range;

use serde_yaml::{Mapping, Value};

use super::*;

impl Parameters {
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

pub(super) fn raw_deme<'v>(raw: &'v mut Value, name: &str) -> Option<&'v mut Mapping> {
    raw.get_mut("demes")?
        .as_sequence_mut()?
        .iter_mut()
        .filter_map(Value::as_mapping_mut)
        .find(|d| d.get("name").and_then(Value::as_str) == Some(name))
}

pub(super) fn raw_entry<'v>(raw: &'v mut Value, list: &str, i: usize) -> Option<&'v mut Mapping> {
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
