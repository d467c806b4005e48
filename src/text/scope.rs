//! What a scope may be, checked alike wherever one comes from (a flag, the
//! config file): an RFC 6749 §3.3 scope-token of printable ASCII, without
//! `"` or `\` (so it stands for itself inside the R and shell quotes of a
//! printed command), and not starting with `-` (no provider's does, and a
//! printed `--scope -x` would read as a flag).

/// Why `s` is not a scope, or `None` when it is one.
pub fn problem(s: &str) -> Option<&'static str> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
    {
        return Some("a scope is one word of printable characters (one scope per --scope)");
    }
    if s.starts_with('-') {
        return Some("a scope does not start with '-'");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn scopes_and_not_scopes() {
        for ok in [
            "openid",
            "https://www.googleapis.com/auth/drive",
            "a$b'c",
            "x-y",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "a b",
            "-x",
            "--no-wait",
            "a\"b",
            "a\\b",
            "caf\u{e9}",
            "a\u{200b}",
        ] {
            assert!(problem(bad).is_some(), "{bad:?}");
        }
    }
}
