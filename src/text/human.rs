//! Times as a person reads them: "45 s", "59 min", "3 h", "2 days".

/// "45 s", "59 min", "3 h", "2 days".
pub fn duration(secs: u64) -> String {
    match secs {
        0..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        7200..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(3599), "59 min");
        assert_eq!(duration(7200), "2 h");
        assert_eq!(duration(3 * 86_400), "3 days");
    }
}
