//! Progress of long work: a bar (or, without a known total, a spinner)
//! on stderr when it is a terminal, and a `tracing` event for every step
//! either way. A state-space build shows its spinner from
//! [`SHOW_FROM`] states on.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// States from which a build shows itself on a terminal: smaller builds
/// take well under a second, and a spinner that flashes by says nothing.
pub const SHOW_FROM: usize = 100_000;

/// Progress of a state space being built: the states so far and the rate,
/// as an `info` event at every report and, on a terminal, a spinner shown
/// from [`SHOW_FROM`] states on (the total is not known in advance, so
/// there is no bar to fill).
pub struct Growth {
    start: Instant,
    bar: Option<indicatif::ProgressBar>,
    shown: AtomicBool,
}

impl Growth {
    /// With a spinner if stderr is a terminal.
    pub fn new() -> Self {
        Growth::on_terminal(std::io::stderr().is_terminal())
    }

    /// With a spinner (hidden until [`SHOW_FROM`] states) if `terminal`.
    fn on_terminal(terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::hidden(),
            );
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
            shown: AtomicBool::new(false),
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
            if p.states >= SHOW_FROM && !self.shown.swap(true, Ordering::Relaxed) {
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(states: usize) -> BuildProgress {
        BuildProgress {
            states,
            expanded: states,
            edges: states,
        }
    }

    #[test]
    fn a_build_shows_itself_on_a_terminal_from_a_hundred_thousand_states() {
        let growth = Growth::on_terminal(true);
        growth.report(&at(16_386));
        growth.report(&at(SHOW_FROM - 1));
        assert!(!growth.shown.load(Ordering::Relaxed));
        growth.report(&at(SHOW_FROM));
        assert!(growth.shown.load(Ordering::Relaxed));
        growth.finish();
        // off a terminal there is nothing to show, only events
        let quiet = Growth::on_terminal(false);
        quiet.report(&at(10 * SHOW_FROM));
        assert!(!quiet.shown.load(Ordering::Relaxed) && quiet.bar.is_none());
    }
}
