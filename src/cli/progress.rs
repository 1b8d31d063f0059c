//! How a long command shows its progress: a bar with rate and ETA on standard error when
//! that is a terminal, log lines otherwise (the callers log each step).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The progress display of one command.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar counting `unit`s when standard error is a terminal; nothing otherwise.
    pub fn new(unit: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let template = format!(
                "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{human_pos}}/{{human_len}} {unit} \
                 ({{per_sec}}, ETA {{eta}}) {{msg}}"
            );
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self { bar }
    }

    /// `done` of `total` (when known) so far, with a short note.
    pub fn update(&self, done: u64, total: Option<u64>, note: String) {
        if let Some(bar) = &self.bar {
            if let Some(total) = total {
                bar.set_length(total.max(done));
            }
            bar.set_position(done);
            bar.set_message(note);
        }
    }

    /// Removes the bar (the summary follows on standard output).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
