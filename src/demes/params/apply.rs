//! Parameters bound to a Demes file: their checks, and the file with
//! values written in.

use serde_yaml::Value;

use super::bind::{raw_deme, raw_entry};
use super::*;

/// Parameters matched to a Demes model ([`Parameters::bind`]): their
/// start values, bounds and constraints, and the model to write values into.
#[derive(Debug, Clone)]
pub struct Bound {
    pub(super) names: Vec<String>,
    pub(super) values: Vec<Vec<Field>>,
    pub(super) start: Vec<f64>,
    pub(super) lower: Vec<f64>,
    pub(super) upper: Vec<f64>,
    pub(super) constraints: Vec<Constraint>,
    pub(super) time_units: String,
    pub(super) template: Value,
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
