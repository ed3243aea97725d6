//! The progress bar of `run`: on stderr, only once a run has taken a second,
//! never when stderr is not a terminal or with `--quiet`, so scripted runs
//! and their captured output stay clean.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::scenario::Scenario;

/// A progress bar that starts hidden and appears after a second.
pub struct Progress {
    bar: ProgressBar,
    show: bool,
}

impl Progress {
    /// A bar for `total` trials of scenario `s`.
    pub fn new(s: &Scenario, total: u64, quiet: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{elapsed_precise}] {bar:40} {human_pos}/{human_len} trials, eta {eta}",
            )
            .expect("valid template"),
        );
        bar.set_message(s.name.clone());
        Progress {
            bar,
            show: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Counts `done` more trials; shows the bar once the run is a second old.
    pub fn tick_by(&self, done: u64, started: Instant) {
        self.bar.inc(done);
        if self.show && self.bar.is_hidden() && started.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
