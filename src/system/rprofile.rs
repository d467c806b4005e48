//! What R will do at login: httr's listener and redirect settings (its
//! `HTTR_*` variables, read as httr reads them) and the `.Rprofile` options
//! that switch gargle/httr to out-of-band auth (R source, read as bytes).
use crate::system::env::Env;
use serde::Serialize;
use std::path::PathBuf;

/// R's httr listener settings, as the environment sets them.
#[derive(Debug, Clone, Serialize)]
pub struct Httr {
    /// HTTR_LOCALHOST: where R's listener binds (default 127.0.0.1).
    pub listen_host: String,
    /// HTTR_PORT: where R's listener binds (default 1410).
    pub listen_port: String,
    /// HTTR_SERVER: the redirect host the browser is sent to (default localhost).
    pub redirect_host: String,
    /// HTTR_SERVER_PORT: the redirect port (default 1410, whatever HTTR_PORT says).
    pub redirect_port: String,
    pub overridden: Vec<String>,
}

/// httr 1.4: `oauth_listener(host = Sys.getenv("HTTR_LOCALHOST",
/// "127.0.0.1"), port = Sys.getenv("HTTR_PORT", "1410"))`, and
/// `oauth_callback()` = `http://` `Sys.getenv("HTTR_SERVER", "localhost")`
/// `:` `Sys.getenv("HTTR_SERVER_PORT", "1410")` — the redirect port does not
/// follow HTTR_PORT. `Sys.getenv` treats a set-but-empty variable as set,
/// but an empty host or port makes no working listener either way; gauth
/// takes empty as unset and lets the checks judge the result.
pub fn httr(env: &Env) -> Httr {
    let get = |k: &str, d: &str| env.var(k).filter(|v| !v.is_empty()).unwrap_or(d).to_owned();
    Httr {
        listen_host: get("HTTR_LOCALHOST", "127.0.0.1"),
        listen_port: get("HTTR_PORT", "1410"),
        redirect_host: get("HTTR_SERVER", "localhost"),
        redirect_port: get("HTTR_SERVER_PORT", "1410"),
        overridden: [
            "HTTR_LOCALHOST",
            "HTTR_PORT",
            "HTTR_SERVER",
            "HTTR_SERVER_PORT",
        ]
        .iter()
        .filter_map(|k| {
            env.var(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={v}"))
        })
        .collect(),
    }
}

/// The user profile R sources at start-up, and what it sets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Rprofile {
    /// The file R would source (`R_PROFILE_USER`, else `./.Rprofile`, else
    /// `~/.Rprofile`), when there is one.
    pub path: Option<String>,
    /// The out-of-band options it sets to TRUE.
    pub oob: Vec<&'static str>,
    /// Why it could not be read (a FIFO, a device, too large, …).
    pub problem: Option<String>,
}

/// R's rule (`R_OpenInitFile`): `R_PROFILE_USER` when set (even to a file
/// that does not exist), else `.Rprofile` in the current directory, else in
/// the home directory. Only that one file is sourced.
pub fn rprofile(env: &Env) -> Rprofile {
    let candidates: Vec<PathBuf> = match env.var("R_PROFILE_USER").filter(|v| !v.is_empty()) {
        Some(p) => vec![PathBuf::from(p)],
        None => std::iter::once(PathBuf::from(".Rprofile"))
            .chain(
                env.var("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".Rprofile")),
            )
            .collect(),
    };
    for p in candidates {
        let path = Some(p.display().to_string());
        return match crate::system::fsutil::read_regular(&p, crate::system::fsutil::CAP) {
            Err(crate::system::fsutil::ReadError::NotFound) => continue,
            Ok(text) => Rprofile {
                path,
                oob: oob_options(&text),
                problem: None,
            },
            Err(e) => Rprofile {
                path,
                oob: Vec::new(),
                problem: Some(e.to_string()),
            },
        };
    }
    Rprofile::default()
}

const OOB_OPTIONS: [&str; 2] = ["gargle_oob_default", "httr_oob_default"];

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'_'
}

/// What a byte of R code is, for the search: code, inside a string
/// (quotes included), or inside a backtick-quoted name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Code,
    Str,
    Name,
}

/// `src[at..]` opens an R raw string (R ≥ 4.0: `r"(…)"`, `R'[…]'`,
/// `r"--{…}--"`): the closing sequence (`)--"`), else `None`.
fn raw_string_close(src: &[u8], at: usize) -> Option<Vec<u8>> {
    if !matches!(src.get(at), Some(b'r' | b'R')) || at > 0 && is_ident(src[at - 1]) {
        return None;
    }
    let quote = *src.get(at + 1).filter(|q| matches!(q, b'"' | b'\''))?;
    let dashes = src[at + 2..].iter().take_while(|&&b| b == b'-').count();
    let close = match src.get(at + 2 + dashes)? {
        b'(' => b')',
        b'[' => b']',
        b'{' => b'}',
        _ => return None,
    };
    let mut end = vec![close];
    end.extend(std::iter::repeat_n(b'-', dashes));
    end.push(quote);
    Some(end)
}

/// R code without its comments (a `#` outside a string starts one), and
/// what each byte kept is (code, string, backticked name). One pass for
/// both. Strings are `"…"` and `'…'` with backslash escapes, and raw
/// strings, whose quotes and backslashes are just text. Bytes, not text:
/// profiles in Latin-1 are common.
fn strip_comments(src: &[u8]) -> (Vec<u8>, Vec<Class>) {
    let mut out = Vec::with_capacity(src.len());
    let mut class = Vec::with_capacity(src.len());
    let mut quote = None;
    let mut escaped = false;
    let mut comment = false;
    let mut i = 0;
    while i < src.len() {
        let b = src[i];
        i += 1;
        if comment {
            if b == b'\n' {
                comment = false;
                out.push(b);
                class.push(Class::Code);
            }
            continue;
        }
        match quote {
            Some(q) => {
                out.push(b);
                class.push(if q == b'`' { Class::Name } else { Class::Str });
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == q {
                    quote = None;
                }
            }
            None if b == b'#' => comment = true,
            None => {
                if let Some(close) = raw_string_close(src, i - 1) {
                    // Up to and with its closing sequence (or the end of an
                    // unclosed one, which R would refuse to run anyway).
                    let body = i - 1;
                    let end = src[body + 2..]
                        .windows(close.len())
                        .position(|w| w == close.as_slice())
                        .map_or(src.len(), |p| body + 2 + p + close.len());
                    out.extend_from_slice(&src[body..end]);
                    class.extend(std::iter::repeat_n(Class::Str, end - body));
                    i = end;
                    continue;
                }
                let c = match b {
                    b'"' | b'\'' => Class::Str,
                    b'`' => Class::Name,
                    _ => Class::Code,
                };
                if c != Class::Code {
                    quote = Some(b);
                }
                out.push(b);
                class.push(c);
            }
        }
    }
    (out, class)
}

/// The top-level arguments (byte ranges of `code`) of the call whose `(`
/// is at `code[open]`; strings and names are skipped as one.
fn call_args(code: &[u8], class: &[Class], open: usize) -> Vec<std::ops::Range<usize>> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    for (i, &b) in code.iter().enumerate().skip(open) {
        if class[i] != Class::Code {
            continue;
        }
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    args.push(start..i);
                    return args;
                }
            }
            b',' if depth == 1 => {
                args.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
    }
    // An unclosed call: R would not run the file at all.
    Vec::new()
}

/// Where `word` is called in `code[range]` as `word(` (or `base::word(`),
/// alone in the range: the index of its `(`.
fn sole_call(
    code: &[u8],
    class: &[Class],
    range: std::ops::Range<usize>,
    word: &[u8],
) -> Option<usize> {
    let text = &code[range.clone()];
    let lead = text.len() - text.trim_ascii_start().len();
    let at = range.start + lead;
    let rest = &code[at..range.end];
    let rest = rest.strip_prefix(b"base::").unwrap_or(rest);
    let after = range.end - rest.len() + word.len();
    if !rest.starts_with(word) || class[at] != Class::Code {
        return None;
    }
    let open = after
        + code[after..range.end]
            .iter()
            .position(|b| !b.is_ascii_whitespace())?;
    (code[open] == b'('
        && call_args(code, class, open)
            .last()
            .is_some_and(|a| code[a.end + 1..range.end].trim_ascii().is_empty()))
    .then_some(open)
}

/// The out-of-band options an R file sets to `TRUE` (or `T`) in an
/// `options(...)` call, e.g. `options(gargle_oob_default = TRUE)`, or in
/// the one list it passes (`options(list(gargle_oob_default = TRUE))`,
/// which R takes as the options to set).
pub fn oob_options(src: &[u8]) -> Vec<&'static str> {
    let (code, class) = strip_comments(src);
    let mut found = Vec::new();
    let word = b"options";
    let mut i = 0;
    while let Some(at) = code[i..].windows(word.len()).position(|w| w == word) {
        let start = i + at;
        i = start + word.len();
        if class[start] != Class::Code || start > 0 && is_ident(code[start - 1]) {
            continue;
        }
        let Some(open) = code[i..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|o| i + o)
            .filter(|&o| code[o] == b'(')
        else {
            continue;
        };
        let mut args = call_args(&code, &class, open);
        // R's options(): one unnamed list argument holds the options.
        if let [only] = &args[..]
            && let Some(list) = sole_call(&code, &class, only.clone(), b"list")
        {
            args = call_args(&code, &class, list);
        }
        for arg in args {
            let Some(eq) = arg
                .clone()
                .find(|&k| code[k] == b'=' && class[k] == Class::Code)
            else {
                continue;
            };
            if code.get(eq + 1) == Some(&b'=') {
                continue;
            }
            let name = code[arg.start..eq].trim_ascii();
            let name = name
                .strip_prefix(b"`")
                .and_then(|n| n.strip_suffix(b"`"))
                .or_else(|| name.strip_prefix(b"\"").and_then(|n| n.strip_suffix(b"\"")))
                .or_else(|| name.strip_prefix(b"'").and_then(|n| n.strip_suffix(b"'")))
                .unwrap_or(name);
            let value = code[eq + 1..arg.end].trim_ascii();
            if value != b"TRUE" && value != b"T" {
                continue;
            }
            if let Some(opt) = OOB_OPTIONS.iter().find(|o| o.as_bytes() == name)
                && !found.contains(opt)
            {
                found.push(*opt);
            }
        }
    }
    found
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn httr_redirects_to_1410_whatever_httr_port_says() {
        let h = httr(&Env::from_pairs([("HTTR_PORT", "1411")]));
        assert_eq!(h.listen_port, "1411");
        assert_eq!(h.redirect_port, "1410");
        let h = httr(&Env::from_pairs([]));
        assert_eq!(
            (h.listen_port.as_str(), h.redirect_port.as_str()),
            ("1410", "1410")
        );
        assert_eq!(h.redirect_host, "localhost");
    }

    #[test]
    fn oob_options_are_read_as_r_reads_them() {
        let cases: &[(&[u8], &[&str])] = &[
            (
                b"options(gargle_oob_default = TRUE)\n",
                &["gargle_oob_default"],
            ),
            (b"options(gargle_oob_default=T)", &["gargle_oob_default"]),
            (
                b"options(httr_oob_default = TRUE, gargle_oob_default = T)",
                &["httr_oob_default", "gargle_oob_default"],
            ),
            (
                b"options(\n  width = 120,\n  gargle_oob_default = TRUE\n)\n",
                &["gargle_oob_default"],
            ),
            (
                b"base::options(`gargle_oob_default` = TRUE)",
                &["gargle_oob_default"],
            ),
            // Latin-1 bytes around it do not hide it.
            (
                b"# Profil de J\xe9r\xf4me\noptions(gargle_oob_default = TRUE) # \xe9t\xe9\n",
                &["gargle_oob_default"],
            ),
            // Comments and strings are not code.
            (b"options(gargle_oob_default = FALSE)  # TRUE", &[]),
            (b"# options(gargle_oob_default = TRUE)", &[]),
            (b"cat(\"options(gargle_oob_default = TRUE)\")", &[]),
            (
                b"options(gargle_oob_default = \"# not a comment\", x = TRUE)",
                &[],
            ),
            (b"options(gargle_oob_default = TRUE_ISH)", &[]),
            (b"options(gargle_oob_default == TRUE)", &[]),
            (b"my_options(gargle_oob_default = TRUE)", &[]),
            (b"x <- list(gargle_oob_default = TRUE)", &[]),
            (b"options(gargle_oob_default = TRUE", &[]),
            (b"options(my_gargle_oob_default = TRUE)", &[]),
            // After a raw string holding a quote (R >= 4.0): still code.
            (
                b"x <- r\"[He said \"hi]\"\noptions(gargle_oob_default = TRUE)\n",
                &["gargle_oob_default"],
            ),
            (
                b"y <- R'---(a )' ]' \" # )---'\noptions(gargle_oob_default = T)",
                &["gargle_oob_default"],
            ),
            (
                b"f <- r\"{x}\"; options(httr_oob_default = TRUE)",
                &["httr_oob_default"],
            ),
            // A raw string's body is not code, nor an escape in it.
            (b"x <- r\"(options(gargle_oob_default = TRUE))\"", &[]),
            (
                b"x <- r\"(\\)\"; options(gargle_oob_default = TRUE)",
                &["gargle_oob_default"],
            ),
            // `r` ending a name is no raw string.
            (
                b"for(r in 1) r; options(gargle_oob_default = TRUE)",
                &["gargle_oob_default"],
            ),
            // One list holds the options, as R takes it.
            (
                b"options(list(gargle_oob_default = TRUE))",
                &["gargle_oob_default"],
            ),
            (
                b"options( base::list(\n  width = 80,\n  httr_oob_default = T\n) )",
                &["httr_oob_default"],
            ),
            // Not the options: a list beside other arguments (R refuses
            // it), a list as a named option's value, a call on a list.
            (b"options(list(gargle_oob_default = TRUE), b = 2)", &[]),
            (b"options(x = list(gargle_oob_default = TRUE))", &[]),
            (b"options(rev(list(gargle_oob_default = TRUE)))", &[]),
            (b"options(list(gargle_oob_default = TRUE)[1])", &[]),
        ];
        for (src, want) in cases {
            assert_eq!(oob_options(src), *want, "{}", String::from_utf8_lossy(src));
        }
    }

    #[test]
    fn r_reads_one_profile_and_a_fifo_is_a_problem_not_a_hang() {
        let d = tempfile::tempdir().unwrap();
        let home = d.path().join("home");
        std::fs::create_dir(&home).unwrap();
        std::fs::write(home.join(".Rprofile"), "options(gargle_oob_default = T)\n").unwrap();
        let fifo = d.path().join("fifo");
        crate::system::fsutil::make_fifo(&fifo);
        let h = home.display().to_string();
        let f = fifo.display().to_string();
        let r = rprofile(&Env::from_pairs([("HOME", h.as_str())]));
        assert_eq!(r.oob, ["gargle_oob_default"], "{r:?}");
        let r = rprofile(&Env::from_pairs([
            ("HOME", h.as_str()),
            ("R_PROFILE_USER", f.as_str()),
        ]));
        assert!(r.oob.is_empty(), "R_PROFILE_USER wins over ~/.Rprofile");
        assert_eq!(r.problem.as_deref(), Some("not a regular file (a FIFO)"));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_without_panic(src in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = oob_options(&src);
        }
    }
}
