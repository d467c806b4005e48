//! Words put into a command gauth prints for a person to run: quoted so that
//! a POSIX shell reads each back as the one word it was.

/// A word as a POSIX shell reads it back: bare when it is safe, else in
/// single quotes. A word holding a character a terminal does not show as
/// itself (a control or format character: what `esc` would escape, and so
/// would no longer be the word when printed) is written as
/// `"$(printf '…\342\200\213…')"`, each byte of such a character in octal:
/// printed, that is plain ASCII, and every POSIX shell (dash, Debian's
/// `/bin/sh` and R's `system()`, included) gives back exactly the word.
/// (`$'…'` would be shorter, but dash before 0.5.13 takes `$'a\x41'` as
/// the literal text `$a\x41`, silently another word.) Command substitution
/// drops trailing newlines, so a word that ends in one has no POSIX
/// spelling on one line: for it, and only for it, `$'…'` with `\ooo`
/// escapes (bash, zsh, ksh, busybox sh).
pub fn quote(s: &str) -> String {
    use crate::text::escape::needs_escape;
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if safe {
        return s.to_owned();
    }
    if !s.chars().any(needs_escape) {
        return format!("'{}'", s.replace('\'', "'\\''"));
    }
    let octal = |c: char, out: &mut String| {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            out.push_str(&format!("\\{b:03o}"));
        }
    };
    if s.ends_with('\n') {
        let mut out = String::from("$'");
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                c if needs_escape(c) => octal(c, &mut out),
                c => out.push(c),
            }
        }
        out.push('\'');
        return out;
    }
    // printf's format: `\` and `%` are its own, `'` ends the quoting.
    let mut format = String::new();
    for c in s.chars() {
        match c {
            '\\' => format.push_str("\\\\"),
            '%' => format.push_str("%%"),
            '\'' => format.push_str("'\\''"),
            c if needs_escape(c) => octal(c, &mut format),
            c => format.push(c),
        }
    }
    format!("\"$(printf '{format}')\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_a_shell_would_split_or_expand() {
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
    }

    /// Every quoted word, run through dash (`sh`, as R's `system()` does)
    /// and bash, gives back exactly its bytes, and prints as itself (`esc`
    /// leaves it alone): a command holding it runs as printed.
    #[cfg(unix)]
    #[test]
    fn quoted_words_come_back_from_the_shell_byte_for_byte() {
        use crate::text::escape::esc;
        let words = [
            "a@x.test",
            "it's",
            "",
            "a\u{200b}@x.test",
            "\u{202e}evil\u{202c}.json",
            "tab\there",
            "new\nline",
            "esc\u{1b}]0;t\u{7}",
            "c1\u{85}next",
            "per%cent\u{200d}and\\back'quote\u{feff}",
            "$HOME `id` \u{2028}",
            "\u{200b}123",
            "émoji 🎉 plain",
        ];
        for w in words {
            let q = quote(w);
            assert_eq!(esc(&q), q, "{w:?} prints as itself");
            for shell in ["sh", "bash"] {
                let out = std::process::Command::new(shell)
                    .args(["-c", &format!("printf %s {q}")])
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{shell}: {q}");
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout),
                    w,
                    "{shell} read {q} back as another word"
                );
            }
        }
        assert_eq!(
            quote("a\u{200b}@x.test"),
            "\"$(printf 'a\\342\\200\\213@x.test')\""
        );
        // Ends in a newline: no POSIX spelling on one line; bash's.
        let q = quote("line\n");
        assert_eq!(q, "$'line\\012'");
        let out = std::process::Command::new("bash")
            .args(["-c", &format!("printf %s {q}")])
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"line\n");
    }
}
