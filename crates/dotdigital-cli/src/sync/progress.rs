//! How far a sync is: a bar on a terminal (log lines go above it), a line
//! every few seconds otherwise.

use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

use super::Tally;
use super::input::{self, Format};
use crate::terminal::Stderr;

pub struct Progress {
    bar: Option<ProgressBar>,
    stderr: Stderr,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    pub fn new(input: &Path, format: Format, stderr: &Stderr) -> Self {
        let bar = Stderr::is_terminal().then(|| {
            // Reading the file a second time is only worth it for a bar's ETA.
            let total = input::count_rows(input, format);
            let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
            let template = "{bar:30} {pos}/{len} rows, {rate}, eta {eta} {msg}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.with_key(
                    "rate",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0} rows/s", state.per_sec());
                    },
                ));
            }
            stderr.show(bar.clone());
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            stderr: stderr.clone(),
            started: now,
            last_line: now,
        }
    }

    pub fn update(&mut self, tally: &Tally) {
        if let Some(bar) = &self.bar {
            bar.set_position(tally.done());
            bar.set_message(format!("({}), retried {}", tally.counts(), tally.retried));
            return;
        }
        if self.last_line.elapsed() >= Duration::from_secs(5) {
            self.last_line = Instant::now();
            self.stderr.line(&format!(
                "progress: {} rows ({}), retried {}, {:.0} rows/s",
                tally.done(),
                tally.counts(),
                tally.retried,
                tally.done() as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
            ));
        }
    }

    pub fn finish(&self) {
        if self.bar.is_some() {
            self.stderr.hide();
        }
    }
}
