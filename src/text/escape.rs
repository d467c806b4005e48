//! The one gate between text from outside (process names, argv, paths,
//! environment values, file snippets) and a terminal. No crate does this the
//! way `ls`/`ps` do (escape controls and invisible format characters, keep
//! everything else readable), so it is written here; which characters are
//! invisible comes from Unicode's own tables (ICU4X), not a hand-made list.
use std::fmt::Write;

/// Longest command line shown in human output before it is cut.
pub const MAX_COMMAND_LINE: usize = 512;

/// `s` with every control character escaped: `\t`, `\n`, `\r`, `\e` for the
/// common ones, `\xNN` for other C0 controls and DEL, `\u{NNNN}` for C1
/// controls, every format character (Unicode's Cf: the bidirectional marks
/// that make text read differently from what it is (Trojan Source), the
/// zero-width space, joiners and word joiner, the byte-order mark, …) and
/// the line and paragraph separators (Zl, Zp), which some terminals and
/// viewers break lines at. Printable text is unchanged.
pub fn esc(s: &str) -> String {
    if !s.chars().any(needs_escape) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        }
    }
    out
}

/// Bytes from outside (a `/proc` file, an `OsStr`): invalid UTF-8 is shown as
/// `\xNN` per byte, then everything goes through [`esc`].
pub fn esc_bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(&esc(chunk.valid()));
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// [`esc`], then cut to at most `max` characters (on a character boundary),
/// saying how much was left out.
pub fn esc_capped(s: &str, max: usize) -> String {
    let e = esc(s);
    let count = e.chars().count();
    if count <= max {
        return e;
    }
    let cut: String = e.chars().take(max).collect();
    let more = count - max;
    format!(
        "{cut}… ({more} more character{})",
        if more == 1 { "" } else { "s" }
    )
}

/// Would [`esc`] escape `c`: a control or format character, or a line or
/// paragraph separator (a terminal does not show it as itself).
pub fn needs_escape(c: char) -> bool {
    use icu_properties::{CodePointMapData, props::GeneralCategory as Gc};
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    matches!(
        CodePointMapData::<Gc>::new().get(c),
        Gc::Control | Gc::Format | Gc::LineSeparator | Gc::ParagraphSeparator
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped() {
        assert_eq!(esc("plain R"), "plain R");
        assert_eq!(esc("起動_スクリプト"), "起動_スクリプト");
        assert_eq!(esc("a\tb\nc\rd"), "a\\tb\\nc\\rd");
        // OSC 52 (clipboard), a title change, cursor movement.
        assert_eq!(
            esc("\x1b]52;c;ZWNobyBoaQ==\x07"),
            "\\e]52;c;ZWNobyBoaQ==\\x07"
        );
        assert_eq!(esc("\x1b[2J\x1b[H"), "\\e[2J\\e[H");
        assert_eq!(esc("x\x7fy\x00"), "x\\x7fy\\x00");
        // C1 CSI and OSC, and a right-to-left override.
        assert_eq!(esc("\u{9b}2J\u{9d}0;t"), "\\u{009b}2J\\u{009d}0;t");
        assert_eq!(esc("evil\u{202e}gpj.sh"), "evil\\u{202e}gpj.sh");
        assert_eq!(esc("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    }

    /// Invisible characters that make two names look alike, or break a
    /// line where none shows: every format character (Cf) and the line and
    /// paragraph separators.
    #[test]
    fn format_characters_and_separators_are_escaped() {
        for (c, shown) in [
            ('\u{200b}', "\\u{200b}"),   // zero-width space
            ('\u{200c}', "\\u{200c}"),   // zero-width non-joiner
            ('\u{200d}', "\\u{200d}"),   // zero-width joiner
            ('\u{2060}', "\\u{2060}"),   // word joiner
            ('\u{feff}', "\\u{feff}"),   // byte-order mark
            ('\u{2028}', "\\u{2028}"),   // line separator
            ('\u{2029}', "\\u{2029}"),   // paragraph separator
            ('\u{00ad}', "\\u{00ad}"),   // soft hyphen (Cf)
            ('\u{2064}', "\\u{2064}"),   // invisible plus (Cf)
            ('\u{e0001}', "\\u{e0001}"), // language tag (Cf)
        ] {
            assert_eq!(esc(&format!("r{c}oot")), format!("r{shown}oot"), "{c:?}");
        }
        // Visible text from any script stays as it is.
        for s in ["Jérôme", "東京", "Ελληνικά", "עברית", "العربية", "👩‍💻"]
        {
            if s == "👩‍💻" {
                // A joiner inside an emoji sequence is still shown: the
                // name must say what it holds.
                assert_eq!(esc(s), "👩\\u{200d}💻");
            } else {
                assert_eq!(esc(s), s);
            }
        }
    }

    #[test]
    fn bytes_and_caps() {
        // `comm` cut at 15 bytes in the middle of a character.
        let comm = &"起動_スクリプト.sh".as_bytes()[..15];
        assert_eq!(esc_bytes(comm), "起動_スク\\xe3\\x83");
        assert_eq!(esc_bytes(b"a\x1bb\xff"), "a\\eb\\xff");
        assert_eq!(esc_capped("abcdef", 10), "abcdef");
        assert_eq!(esc_capped("abcdef", 3), "abc… (3 more characters)");
        assert_eq!(esc_capped("\x1b\x1b", 3), "\\e\\… (1 more character)");
    }

    proptest::proptest! {
        /// Whatever comes in, nothing a terminal acts on goes out.
        #[test]
        fn output_has_no_controls(s in proptest::prelude::any::<String>(), b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            for out in [esc(&s), esc_bytes(&b), esc_capped(&s, 7)] {
                proptest::prop_assert!(!out.chars().any(needs_escape), "{out:?}");
            }
        }
    }
}
