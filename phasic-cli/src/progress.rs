//! Progress of long work: a bar (or, without a known total, a spinner)
//! on stderr when it is a terminal, and a `tracing` event for every step
//! either way.

use std::io::IsTerminal;
use std::time::Instant;

use phasic::core::graph::BuildProgress;

/// Progress of a count of `what` (units of a work session, iterations of a
/// fit).
pub struct Progress {
    what: &'static str,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// Progress of `what`, with a bar if stderr is a terminal.
    pub fn new(what: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(&format!(
                    "{{spinner}} {what} {{pos}}/{{len}} [{{bar:30}}] {{elapsed}} (ETA {{eta}})"
                ))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress { what, bar }
    }

    /// `done` of `total` are done.
    pub fn report(&self, done: usize, total: usize) {
        tracing::info!(done, total, "{} done", self.what);
        if let Some(b) = &self.bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    }
}

/// Progress of a state space being built: states so far and the rate.
pub struct Growth {
    start: Instant,
    bar: Option<indicatif::ProgressBar>,
}

impl Growth {
    /// With a spinner if stderr is a terminal.
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} building: {human_pos} states, {per_sec} {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar
        });
        Growth {
            start: Instant::now(),
            bar,
        }
    }

    /// The build has come this far.
    pub fn report(&self, p: &BuildProgress) {
        let seconds = self.start.elapsed().as_secs_f64();
        let per_second = (p.states as f64 / seconds.max(1e-9)).round();
        tracing::info!(
            states = p.states,
            expanded = p.expanded,
            edges = p.edges,
            per_second,
            "building the state space"
        );
        if let Some(b) = &self.bar {
            b.set_position(p.states as u64);
        }
    }

    /// The build is over: the spinner goes.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The bar goes when the work ends, however it ends.
impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
