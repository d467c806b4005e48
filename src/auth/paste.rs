//! What a user pastes back in the out-of-band flow: the whole redirected URL
//! (Google's fallback since OOB was blocked: the page fails to load but the
//! address bar holds `code` and `state`), a bare code, or gargle's
//! pseudo-OOB answer, `base64(JSON {"code": …, "state": …})`. Anything else
//! gets one clear line, never a guess.
use super::callback::{self, Expect, Rejected, Response};
use super::loopback::Event;
use super::secret::Secret;
use base64::Engine;
use std::io::BufRead;
use std::sync::mpsc::Sender;

/// Longest paste considered (a URL with a long code is under 4 KiB).
const MAX_PASTE: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasteError {
    #[error("nothing was pasted")]
    Empty,
    #[error("that is too long to be a code or a redirected URL ({0} bytes)")]
    TooLong(usize),
    #[error("that URL holds no code: paste the whole address the browser was sent to")]
    UrlWithoutCode,
    #[error("that is not a URL, a code or gargle's pasted answer (it contains {0})")]
    Garbage(&'static str),
    #[error("the pasted answer was not accepted: {0}")]
    Rejected(Rejected),
}

/// Parse a paste into the provider's response. A bare code has no state;
/// the caller checks everything else with [`Response::accept`].
pub fn parse(input: &str) -> Result<Pasted, PasteError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(PasteError::Empty);
    }
    if s.len() > MAX_PASTE {
        return Err(PasteError::TooLong(s.len()));
    }
    if s.starts_with("http://") || s.starts_with("https://") {
        let url = url::Url::parse(s).map_err(|_| PasteError::UrlWithoutCode)?;
        let query = url.query().unwrap_or("");
        return match callback::parse_query(query) {
            Ok(r) => Ok(Pasted::new(r, Form::Url)),
            Err(Rejected::Empty) => Err(PasteError::UrlWithoutCode),
            Err(e) => Err(PasteError::Rejected(e)),
        };
    }
    if let Some(q) = s
        .strip_prefix('?')
        .or_else(|| s.contains("code=").then_some(s))
    {
        return callback::parse_query(q)
            .map(|r| Pasted::new(r, Form::Query))
            .map_err(|e| match e {
                Rejected::Empty => PasteError::UrlWithoutCode,
                e => PasteError::Rejected(e),
            });
    }
    if let Some(r) = gargle_answer(s) {
        return Ok(Pasted::new(r, Form::Gargle));
    }
    if let Some(bad) = s.chars().find(|c| !is_code_char(*c)) {
        return Err(PasteError::Garbage(describe(bad)));
    }
    Ok(Pasted::new(
        Response {
            code: Some(Secret::new(s)),
            state: None,
            iss: None,
            error: None,
        },
        Form::BareCode,
    ))
}

/// How the answer was pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Url,
    Query,
    Gargle,
    BareCode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pasted {
    pub response: Response,
    pub form: Form,
}

impl Pasted {
    fn new(response: Response, form: Form) -> Pasted {
        Pasted { response, form }
    }

    /// The code, checked against this login: the state whenever the paste
    /// carries one (a bare code carries none, which is the only case where
    /// its absence is accepted).
    pub fn accept(self, expect: &callback::Expect<'_>) -> Result<Secret, PasteError> {
        let bare = self.form == Form::BareCode;
        self.response
            .accept(expect, bare)
            .map_err(PasteError::Rejected)
    }
}

/// gargle's pseudo-OOB page shows `base64(JSON)` with `code` and `state`.
fn gargle_answer(s: &str) -> Option<Response> {
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let bytes = engines.iter().find_map(|e| e.decode(s).ok())?;
    #[derive(serde::Deserialize)]
    struct Answer {
        code: String,
        state: Option<String>,
    }
    let a: Answer = serde_json::from_slice(&bytes).ok()?;
    Some(Response {
        code: Some(Secret::new(a.code)),
        state: a.state,
        iss: None,
        error: None,
    })
}

/// Characters a provider's code is made of (RFC 6749 §A.11: VSCHAR, and in
/// practice URL-safe text such as Google's `4/0AX4Xf…`).
fn is_code_char(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`' | '{' | '}')
}

fn describe(c: char) -> &'static str {
    match c {
        ' ' | '\t' => "spaces",
        '\n' | '\r' => "several lines",
        c if c.is_control() => "control characters",
        c if !c.is_ascii() => "characters no code has",
        _ => "characters no code has",
    }
}

/// Read lines from `input` on a thread; each is parsed and checked as a
/// pasted answer. Its end (EOF, a closed stdin) only ends the thread.
pub fn spawn_paste_reader(input: Box<dyn BufRead + Send>, tx: Sender<Event>, expect: &Expect<'_>) {
    let state = expect.state.to_owned();
    let issuer = expect.issuer.to_owned();
    let iss_required = expect.iss_required;
    std::thread::spawn(move || {
        let expect = Expect {
            state: &state,
            issuer: &issuer,
            iss_required,
        };
        let mut input = input;
        loop {
            let line = match read_paste_line(&mut input) {
                Ok(Some(Ok(line))) if line.trim().is_empty() => continue,
                Ok(Some(Ok(line))) => line,
                Ok(Some(Err(why))) => {
                    let msg =
                        format!("not accepted: {why}; paste the whole redirected URL or the code");
                    if tx.send(Event::Rejected(msg)).is_err() {
                        break;
                    }
                    continue;
                }
                // The end of the input (or an unreadable stdin) only ends
                // this reader; a loopback wait goes on.
                Ok(None) | Err(_) => break,
            };
            let ev = match parse(&line).and_then(|p| p.accept(&expect)) {
                Ok(code) => Event::Code(code),
                Err(PasteError::Rejected(Rejected::Provider(e))) => Event::Failed(e.to_string()),
                Err(e) => Event::Rejected(format!(
                    "not accepted: {e}; paste the whole redirected URL or the code"
                )),
            };
            let done = matches!(ev, Event::Code(_) | Event::Failed(_));
            if tx.send(ev).is_err() || done {
                break;
            }
        }
    });
}

/// Longest line taken as a paste (a redirected URL with a long code is
/// under 4 KiB); the rest of a longer line is skipped, not read as another.
const MAX_PASTE_LINE: usize = 16 * 1024;

/// One line of input as bytes: `None` at the end, `Some(Err(why))` for a
/// line that is too long or not UTF-8 (refused as a whole, the reading goes
/// on), else the line.
pub fn read_paste_line(input: &mut dyn BufRead) -> std::io::Result<Option<Result<String, String>>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            if line.is_empty() && !too_long {
                return Ok(None);
            }
            break;
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let n = chunk.len();
        if !too_long {
            line.extend_from_slice(chunk);
            if line.len() > MAX_PASTE_LINE {
                too_long = true;
                line.clear();
            }
        }
        input.consume(n);
        if done {
            break;
        }
    }
    if too_long {
        return Ok(Some(Err(format!(
            "that line is longer than {MAX_PASTE_LINE} bytes, too long to be a code or a redirected URL"
        ))));
    }
    Ok(Some(
        String::from_utf8(line).map_err(|_| "that line is not UTF-8 text".to_owned()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::callback::Expect;

    const EXPECT: Expect<'static> = Expect {
        state: "st4te",
        issuer: "https://accounts.google.com",
        iss_required: false,
    };

    fn code(p: Result<Pasted, PasteError>) -> Result<String, PasteError> {
        p.and_then(|p| p.accept(&EXPECT))
            .map(|s| s.expose().to_owned())
    }

    #[test]
    fn every_accepted_form() {
        let url = "http://127.0.0.1:1410/?state=st4te&code=4/0AX4Xf-abc&scope=email";
        assert_eq!(code(parse(url)), Ok("4/0AX4Xf-abc".into()));
        assert_eq!(
            code(parse(&format!("  {url}\n"))),
            Ok("4/0AX4Xf-abc".into())
        );
        assert_eq!(code(parse("?code=abc&state=st4te")), Ok("abc".into()));
        assert_eq!(
            code(parse("4/0AX4Xf-abc_d.e~f")),
            Ok("4/0AX4Xf-abc_d.e~f".into())
        );
        let gargle =
            base64::engine::general_purpose::STANDARD.encode(r#"{"code":"4/0Ab","state":"st4te"}"#);
        assert_eq!(code(parse(&gargle)), Ok("4/0Ab".into()));
        assert_eq!(parse(&gargle).unwrap().form, Form::Gargle);
    }

    #[test]
    fn wrong_state_and_garbage_are_refused_in_one_line() {
        let wrong = "http://127.0.0.1:1410/?state=other&code=abc";
        assert_eq!(
            code(parse(wrong)),
            Err(PasteError::Rejected(Rejected::StateMismatch))
        );
        let gargle =
            base64::engine::general_purpose::STANDARD.encode(r#"{"code":"4/0Ab","state":"nope"}"#);
        assert_eq!(
            code(parse(&gargle)),
            Err(PasteError::Rejected(Rejected::StateMismatch))
        );
        assert_eq!(code(parse("")), Err(PasteError::Empty));
        assert_eq!(code(parse("   \n")), Err(PasteError::Empty));
        assert_eq!(
            code(parse(
                "https://accounts.google.com/o/oauth2/auth?client_id=x"
            )),
            Err(PasteError::UrlWithoutCode)
        );
        assert_eq!(
            code(parse("yes please")),
            Err(PasteError::Garbage("spaces"))
        );
        assert_eq!(
            code(parse("abc\x1b[2Jdef")),
            Err(PasteError::Garbage("control characters"))
        );
        assert_eq!(
            code(parse("http://127.0.0.1/?error=access_denied&state=st4te")),
            Err(PasteError::Rejected(Rejected::Provider(
                callback::ProviderError {
                    error: "access_denied".into(),
                    description: None
                }
            )))
        );
        let long = "a".repeat(MAX_PASTE + 1);
        assert_eq!(code(parse(&long)), Err(PasteError::TooLong(MAX_PASTE + 1)));
        for e in [PasteError::Garbage("spaces"), PasteError::UrlWithoutCode] {
            assert!(!e.to_string().contains('\n'));
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_a_code_is_printable(s in "\\PC*") {
            if let Ok(p) = parse(&s) {
                let form = p.form;
                if let (Ok(c), Form::BareCode) = (p.accept(&EXPECT), form) {
                    proptest::prop_assert!(c.expose().chars().all(is_code_char));
                }
            }
        }
    }

    #[test]
    fn pasted_lines_that_are_too_long_or_not_utf8_are_refused_whole() {
        let mut input: Vec<u8> = Vec::new();
        input.extend_from_slice(b"bad \xff line\n");
        input.extend(std::iter::repeat_n(b'a', MAX_PASTE_LINE + 500));
        input.extend_from_slice(b"\n\nhttp://127.0.0.1:1/?code=c&state=s\nlast-without-newline");
        let mut r = std::io::BufReader::with_capacity(64, &input[..]);
        let mut got = Vec::new();
        while let Some(line) = read_paste_line(&mut r).unwrap() {
            got.push(line);
        }
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(got[0], Err("that line is not UTF-8 text".into()));
        assert!(got[1].as_ref().unwrap_err().contains("longer than"));
        assert_eq!(got[2], Ok("\n".into()));
        assert_eq!(got[3], Ok("http://127.0.0.1:1/?code=c&state=s\n".into()));
        assert_eq!(got[4], Ok("last-without-newline".into()));
    }
}
