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

/// A moment as RFC 3339 in UTC ("2026-12-06T09:05:00Z"), from seconds
/// since the epoch.
pub fn clock(unix: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.min(253_402_300_799));
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks() {
        assert_eq!(clock(0), "1970-01-01T00:00:00Z");
        assert_eq!(clock(1_796_555_100), "2026-12-06T11:05:00Z");
        assert_eq!(clock(u64::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(3599), "59 min");
        assert_eq!(duration(7200), "2 h");
        assert_eq!(duration(3 * 86_400), "3 days");
    }
}
