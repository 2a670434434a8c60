//! What can go wrong with a Demes model, each error naming the item.

/// Problems with a Demes file, its samples, or its evaluation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemesError {
    /// The file is not a valid Demes model (the `demes` crate's message).
    #[error("the Demes model is not valid: {0}")]
    Invalid(#[from] demes::DemesError),
    /// A feature of the model that phasic does not model.
    #[error("{item}: {what}")]
    Unsupported {
        /// The item, e.g. "deme `A`, epoch 1".
        item: String,
        /// What is not supported, and what would be.
        what: String,
    },
    /// A `--samples` text that does not parse.
    #[error("samples `{text}`: {expected}")]
    BadSamples {
        /// The text given.
        text: String,
        /// What was expected.
        expected: String,
    },
    /// A sample naming a deme the model does not have.
    #[error("samples name deme `{name}`, which the model does not have; its demes are: {valid}")]
    UnknownDeme {
        /// The name given.
        name: String,
        /// The model's demes.
        valid: String,
    },
    /// A sample taken at a time its deme does not exist.
    #[error(
        "deme `{name}` does not exist at generation {time} (it exists from generation {end} back to {start}, start excluded), so it cannot be sampled there"
    )]
    NotAlive {
        /// The deme.
        name: String,
        /// The sampling time, in generations.
        time: f64,
        /// Its start time (older).
        start: f64,
        /// Its end time (younger).
        end: f64,
    },
    /// An observed spectrum that does not read.
    #[error("observed SFS, line {line}: {what}")]
    BadData {
        /// The line (1 for JSON errors without one).
        line: usize,
        /// What is wrong, naming the entry and value.
        what: String,
    },
    /// Lineages that can never find a common ancestor.
    #[error(
        "after generation {time}, lineages in demes {demes} can never coalesce (no deme they share and no migration that joins them): the time to the MRCA is infinite"
    )]
    NeverCoalesce {
        /// Where the last interval starts.
        time: f64,
        /// The demes holding the lineages, comma separated.
        demes: String,
    },
    /// Refining the pieces of a varying-size interval did not converge.
    #[error(
        "the interval from generation {start} to {end} (deme sizes change within it) did not converge to relative {tolerance} with {pieces} pieces per segment"
    )]
    NotConverged {
        /// Interval start.
        start: f64,
        /// Interval end.
        end: f64,
        /// The tolerance asked for.
        tolerance: f64,
        /// The most pieces tried.
        pieces: usize,
    },
    /// Parameter values that change the model's structure: the order of
    /// its events, the demes alive in an interval, which migrations run,
    /// or an epoch's size function.
    #[error(
        "these parameter values change the model's structure from interval {interval} (starting at generation {start}; {intervals} intervals before, {others} now): the order of events, the demes alive, the migrations or a size function differ, which a fit cannot follow; constrain the parameters so that events keep their order"
    )]
    Structure {
        /// The first interval that differs.
        interval: usize,
        /// Its start, in the model built first.
        start: f64,
        /// Intervals of the model built first.
        intervals: usize,
        /// Intervals with the new values.
        others: usize,
    },
    /// A parameter that moves a number of the history non-linearly.
    #[error(
        "parameter {parameter} moves a number of the history ({value}) non-linearly; a parameter must set Demes fields (times, sizes, rates, proportions) directly"
    )]
    NotLinear {
        /// The parameter's index.
        parameter: usize,
        /// The number it moves.
        value: f64,
    },
    /// A mutation rate or sequence length that is not a positive number.
    #[error("{name} is {value}: it must be a positive, finite number")]
    BadScaling {
        /// Which.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// An observed count where the model expects nothing.
    #[error(
        "the observed spectrum has {count} at entry {entry:?}, where the model expects no sites: the data cannot come from this model"
    )]
    Impossible {
        /// The entry's index.
        entry: Vec<usize>,
        /// Its count.
        count: f64,
    },
    /// A start of a fit that cannot be used.
    #[error("the fit's start: {what}")]
    BadStart {
        /// What is wrong, naming the parameter and value.
        what: String,
    },
    /// An options file (the parameters of a fit) that does not read, or
    /// that does not match its Demes model.
    #[error("options file, {item}: {what}")]
    BadOptions {
        /// The entry, e.g. "parameter `T1`, `demes.A.epochs[2].end_time`" or "`constraints[1]`".
        item: String,
        /// What is wrong, naming the value.
        what: String,
    },
    /// A parameter vector of the wrong length.
    #[error("{given} parameter values given, the options file has {expected} parameters ({names})")]
    WrongLength {
        /// The values given.
        given: usize,
        /// The parameters of the options file.
        expected: usize,
        /// Their names, comma separated.
        names: String,
    },
    /// A parameter value outside its bounds.
    #[error("parameter `{name}` = {value} is outside its bounds [{lower}, {upper}]")]
    OutOfBounds {
        /// The parameter.
        name: String,
        /// Its value.
        value: f64,
        /// Its lower bound (inclusive).
        lower: f64,
        /// Its upper bound (inclusive).
        upper: f64,
    },
    /// Parameter values that break a constraint of the options file.
    #[error(
        "constraints[{index}]: `{greater}` = {greater_value} must be greater than `{lesser}` = {lesser_value}"
    )]
    ConstraintViolated {
        /// The constraint's place in the options file's list, from 0.
        index: usize,
        /// The parameter that must be the greater.
        greater: String,
        /// Its value.
        greater_value: f64,
        /// The parameter that must be the lesser.
        lesser: String,
        /// Its value.
        lesser_value: f64,
    },
    /// Parameter values that make the Demes model invalid.
    #[error("with {values} the Demes model is not valid: {source}")]
    Applied {
        /// The parameter values, e.g. "T1 = 300, N = 1000".
        values: String,
        /// The `demes` crate's message.
        source: demes::DemesError,
    },
    /// An error of the maths.
    #[error(transparent)]
    Core(#[from] phasic_core::Error),
    /// A cache failure (only in `Required` mode; otherwise a warning).
    #[error(transparent)]
    Cache(phasic_cache::Error),
}

impl From<phasic_cache::Error> for DemesError {
    fn from(e: phasic_cache::Error) -> Self {
        match e {
            phasic_cache::Error::Core(c) => DemesError::Core(c),
            other => DemesError::Cache(other),
        }
    }
}
