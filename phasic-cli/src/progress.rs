//! Progress of long work: a bar on stderr when it is a terminal, and a
//! `tracing` event for every step either way.

use std::io::IsTerminal;

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

/// The bar goes when the work ends, however it ends.
impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
