//! Everything printed: the colour decision (made once), human rendering and
//! JSON. Commands build reports; only this module turns them into text.
use crate::cli::ColorChoice;
use crate::system::env::Env;
use colored::Colorize;
use serde::Serialize;

pub mod doctor;
pub mod free_port;
pub mod login;
pub mod printer;
pub mod tokens;

/// Decide colour once: `--color`, then `NO_COLOR`, then `CLICOLOR_FORCE`,
/// then `TERM=dumb`, then whether stdout is a terminal. JSON is never coloured.
pub fn use_color(choice: ColorChoice, json: bool, env: &Env, stdout_is_tty: bool) -> bool {
    if json {
        return false;
    }
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env.is_set("NO_COLOR") {
                false
            } else if env
                .var("CLICOLOR_FORCE")
                .is_some_and(|v| !v.is_empty() && v != "0")
            {
                true
            } else if env.var("TERM") == Some("dumb") {
                false
            } else {
                stdout_is_tty
            }
        }
    }
}

/// Paints text when colour is on; plain otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub color: bool,
}

impl Paint {
    pub fn new(color: bool) -> Self {
        if color {
            // Painting is gated by `self.color`; the override only stops the
            // colored crate from second-guessing that decision.
            colored::control::set_override(true);
        }
        Paint { color }
    }
    fn apply(&self, s: &str, f: impl Fn(&str) -> colored::ColoredString) -> String {
        if self.color {
            f(s).to_string()
        } else {
            s.to_owned()
        }
    }
    pub fn ok(&self, s: &str) -> String {
        self.apply(s, |s| s.green().bold())
    }
    pub fn warn(&self, s: &str) -> String {
        self.apply(s, |s| s.yellow().bold())
    }
    pub fn bad(&self, s: &str) -> String {
        self.apply(s, |s| s.red().bold())
    }
    pub fn bold(&self, s: &str) -> String {
        self.apply(s, |s| s.bold())
    }
    pub fn dim(&self, s: &str) -> String {
        self.apply(s, |s| s.dimmed())
    }
    pub fn mark_ok(&self) -> String {
        self.ok("✓")
    }
    pub fn mark_warn(&self) -> String {
        self.warn("!")
    }
    pub fn mark_bad(&self) -> String {
        self.bad("✗")
    }
}

/// `--json` output: pretty, one document, newline-terminated.
pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// "3 days ago", "40 seconds ago".
pub fn ago(seconds: u64) -> String {
    let (n, unit) = match seconds {
        0..60 => (seconds, "second"),
        60..3600 => (seconds / 60, "minute"),
        3600..86400 => (seconds / 3600, "hour"),
        _ => (seconds / 86400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_precedence() {
        let e = |pairs: &[(&'static str, &'static str)]| Env::from_pairs(pairs.iter().copied());
        assert!(
            !use_color(ColorChoice::Always, true, &e(&[]), true),
            "json never coloured"
        );
        assert!(use_color(
            ColorChoice::Always,
            false,
            &e(&[("NO_COLOR", "1")]),
            false
        ));
        assert!(!use_color(
            ColorChoice::Never,
            false,
            &e(&[("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(!use_color(
            ColorChoice::Auto,
            false,
            &e(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(use_color(
            ColorChoice::Auto,
            false,
            &e(&[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]),
            false
        ));
        assert!(!use_color(
            ColorChoice::Auto,
            false,
            &e(&[("CLICOLOR_FORCE", "0")]),
            false
        ));
        assert!(!use_color(
            ColorChoice::Auto,
            false,
            &e(&[("TERM", "dumb")]),
            true
        ));
        assert!(use_color(
            ColorChoice::Auto,
            false,
            &e(&[("TERM", "xterm")]),
            true
        ));
        assert!(!use_color(ColorChoice::Auto, false, &e(&[]), false));
    }

    #[test]
    fn ages() {
        assert_eq!(ago(1), "1 second ago");
        assert_eq!(ago(59), "59 seconds ago");
        assert_eq!(ago(3 * 86400 + 5), "3 days ago");
        assert_eq!(ago(7200), "2 hours ago");
        assert_eq!(ago(60), "1 minute ago");
    }
}
