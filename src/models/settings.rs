//! `--set key=value` settings of a model, with typed look-ups and errors
//! that name the valid keys.

use std::collections::BTreeMap;
use std::str::FromStr;

use phasic_cache::{CacheMode, CacheOptions, Cached, build_graph_with};
use phasic_core::Callback;
use phasic_core::graph::BuildOptions;

/// Problems with a model name or its settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// No model of that name.
    #[error("unknown model `{name}`; the models are: {valid}")]
    UnknownModel {
        /// The name given.
        name: String,
        /// The valid names.
        valid: String,
    },
    /// A key the model does not have.
    #[error("model `{model}` has no parameter `{key}`; its parameters are: {valid}")]
    UnknownKey {
        /// The model.
        model: &'static str,
        /// The key given.
        key: String,
        /// The valid keys.
        valid: String,
    },
    /// A key given twice (`--set n=3 --set n=4`): neither value is
    /// silently dropped.
    #[error(
        "parameter `{key}` of model `{model}` is set twice (`{first}`, then `{second}`): set it once"
    )]
    DuplicateKey {
        /// The model.
        model: &'static str,
        /// The key, as the model names it.
        key: String,
        /// The first setting, `key=value` as given.
        first: String,
        /// The second.
        second: String,
    },
    /// A value that does not parse or is out of range.
    #[error("`{key}={value}`: {expected}")]
    BadValue {
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// What is expected.
        expected: String,
    },
    /// A reward name the model does not have.
    #[error("model `{model}` has no reward `{name}`; its rewards are: {valid}")]
    UnknownReward {
        /// The model.
        model: &'static str,
        /// The name given.
        name: String,
        /// The valid names.
        valid: String,
    },
    /// An error of the maths.
    #[error(transparent)]
    Core(#[from] phasic_core::Error),
    /// A cache failure (only in `Required` mode; otherwise a warning).
    #[error(transparent)]
    Cache(phasic_cache::Error),
}

impl From<phasic_cache::Error> for ModelError {
    fn from(e: phasic_cache::Error) -> Self {
        match e {
            phasic_cache::Error::Core(c) => ModelError::Core(c),
            other => ModelError::Cache(other),
        }
    }
}

/// The settings of one model run.
#[derive(Debug, Clone)]
pub struct Settings {
    model: &'static str,
    values: BTreeMap<String, String>,
    defaults: &'static [(&'static str, &'static str)],
    cache: CacheOptions,
    build: BuildOptions,
}

impl Settings {
    /// Checks `pairs` (`key=value`, hyphens allowed for underscores)
    /// against the model's keys; a key given twice is an error.
    ///
    /// ```
    /// use phasic::models::{self, ModelError, Settings};
    /// let spec = models::find("kingman").unwrap();
    /// let set = |pairs: &[(&str, &str)]| {
    ///     let pairs: Vec<_> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ///     Settings::new(spec, &pairs)
    /// };
    /// assert_eq!(set(&[("n", "3")]).unwrap().count("n", 1).unwrap(), 3);
    /// let e = set(&[("n", "3"), ("n", "4")]).unwrap_err();
    /// assert!(matches!(e, ModelError::DuplicateKey { ref key, .. } if key == "n"));
    /// ```
    pub fn new(spec: &super::Spec, pairs: &[(String, String)]) -> Result<Settings, ModelError> {
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in pairs {
            let key = k.replace('-', "_");
            if !spec.keys.iter().any(|(name, _)| *name == key) {
                return Err(ModelError::UnknownKey {
                    model: spec.name,
                    key: k.clone(),
                    valid: spec
                        .keys
                        .iter()
                        .map(|(k, d)| format!("{k} (default {d})"))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            if let Some(first) = values.get(&key) {
                return Err(ModelError::DuplicateKey {
                    model: spec.name,
                    first: format!("{key}={first}"),
                    second: format!("{k}={v}"),
                    key,
                });
            }
            values.insert(key, v.clone());
        }
        Ok(Settings {
            model: spec.name,
            values,
            defaults: spec.keys,
            cache: CacheOptions {
                mode: CacheMode::Off,
                root: None,
            },
            build: BuildOptions::default(),
        })
    }

    /// Builds graphs through the cache with these options (default: no cache).
    pub fn with_cache(mut self, cache: CacheOptions) -> Settings {
        self.cache = cache;
        self
    }

    /// Builds graphs within the limit of `build`, telling its observer of
    /// the progress (default: no limit, no observer).
    pub fn with_build(mut self, build: BuildOptions) -> Settings {
        self.build = build;
        self
    }

    /// The graph of `callback` for `params`, through the cache.
    pub fn graph<C: Callback>(&self, callback: C, params: C::Params) -> Result<Cached, ModelError> {
        Ok(build_graph_with(
            callback,
            params,
            &self.cache,
            &self.build,
        )?)
    }

    /// The raw value of `key` (its default if not set; `None` for an unset optional key).
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str).or_else(|| {
            self.defaults
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, d)| *d)
                .filter(|d| *d != "none")
        })
    }

    /// The value of `key`, parsed; `what` says what is expected.
    pub fn get<T: FromStr>(&self, key: &str, what: &str) -> Result<T, ModelError> {
        let raw = self.raw(key).ok_or_else(|| ModelError::BadValue {
            key: key.to_string(),
            value: String::new(),
            expected: format!("model `{}` needs {what}", self.model),
        })?;
        raw.parse().map_err(|_| ModelError::BadValue {
            key: key.to_string(),
            value: raw.to_string(),
            expected: format!("expected {what}"),
        })
    }

    /// An optional value.
    pub fn optional<T: FromStr>(&self, key: &str, what: &str) -> Result<Option<T>, ModelError> {
        match self.raw(key) {
            None => Ok(None),
            Some(_) => self.get(key, what).map(Some),
        }
    }

    /// A count from `min` to `i32::MAX` (the state's integer type).
    pub fn count(&self, key: &str, min: i32) -> Result<i32, ModelError> {
        let what = format!("an integer from {min} to {}", i32::MAX);
        let v: i32 = self.get(key, &what)?;
        if v < min {
            return Err(ModelError::BadValue {
                key: key.to_string(),
                value: v.to_string(),
                expected: format!("expected {what}"),
            });
        }
        Ok(v)
    }

    /// A finite, non-negative rate.
    pub fn rate(&self, key: &str) -> Result<f64, ModelError> {
        let v: f64 = self.get(key, "a non-negative number")?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(ModelError::BadValue {
                key: key.to_string(),
                value: v.to_string(),
                expected: "expected a finite, non-negative number".to_string(),
            });
        }
        Ok(v)
    }

    /// A finite, positive number.
    pub fn positive(&self, key: &str) -> Result<f64, ModelError> {
        let v = self.rate(key)?;
        if v == 0.0 {
            return Err(ModelError::BadValue {
                key: key.to_string(),
                value: v.to_string(),
                expected: "expected a positive number".to_string(),
            });
        }
        Ok(v)
    }
}
