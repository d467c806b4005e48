//! Everything printed: the colour decision (made once), human rendering and
//! JSON. Commands build reports; only this module turns them into text.
use colored::Colorize;
use serde::Serialize;

pub mod doctor;
pub mod free_port;
pub mod login;
pub mod printer;
pub mod tokens;

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
    fn ages() {
        assert_eq!(ago(1), "1 second ago");
        assert_eq!(ago(59), "59 seconds ago");
        assert_eq!(ago(3 * 86400 + 5), "3 days ago");
        assert_eq!(ago(7200), "2 hours ago");
        assert_eq!(ago(60), "1 minute ago");
    }
}
