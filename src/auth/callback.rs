//! The authorization response (RFC 6749 §4.1.2), as the loopback listener
//! receives it or the user pastes it: parse the query, then accept the code
//! only with the `state` that was sent and, where the provider sends one,
//! the right `iss` (RFC 9207). Parsing and percent-decoding are the `url`
//! crate's; the checks are what no crate does for us.
use super::secret::{Secret, constant_time_eq};

/// What came back, before any check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub code: Option<Secret>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<ProviderError>,
}

/// An error the provider sent back (`access_denied`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub error: String,
    pub description: Option<String>,
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.description {
            Some(d) => write!(f, "{} ({d})", self.error),
            None => f.write_str(&self.error),
        }
    }
}

/// Why a response is not accepted; every message is one line and names no
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("the parameter '{0}' appears more than once")]
    Duplicate(String),
    #[error("it has neither a code nor an error")]
    Empty,
    #[error("its state does not match the one this login sent (a stale or forged response)")]
    StateMismatch,
    #[error("it carries no state, and this login sent one")]
    StateMissing,
    #[error("it comes from issuer '{got}', not '{want}' (RFC 9207 mix-up defence)")]
    IssuerMismatch { got: String, want: String },
    #[error("it carries no iss, and this provider always sends one")]
    IssuerMissing,
    #[error("the provider refused: {0}")]
    Provider(ProviderError),
}

/// Parse a query string (`code=…&state=…`, no leading `?`). Repeated
/// parameters are refused (RFC 6749 §3.1: each at most once).
pub fn parse_query(query: &str) -> Result<Response, Rejected> {
    let mut r = Response {
        code: None,
        state: None,
        iss: None,
        error: None,
    };
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match k.as_ref() {
            "code" => {
                if r.code.replace(Secret::new(v.into_owned())).is_some() {
                    return Err(Rejected::Duplicate("code".into()));
                }
                continue;
            }
            "state" => &mut r.state,
            "iss" => &mut r.iss,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        if slot.replace(v.into_owned()).is_some() {
            return Err(Rejected::Duplicate(k.into_owned()));
        }
    }
    r.error = error.map(|error| ProviderError { error, description });
    if r.code.is_none() && r.error.is_none() {
        return Err(Rejected::Empty);
    }
    Ok(r)
}

/// What this login expects back.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    pub state: &'a str,
    pub issuer: &'a str,
    /// The provider announced `authorization_response_iss_parameter_supported`.
    pub iss_required: bool,
}

impl Response {
    /// The code, when the response belongs to this login. The state is
    /// checked first, also for an error: a forged `error=access_denied`
    /// from another page must not end the login. `state_optional` is for a
    /// bare pasted code, which carries none.
    pub fn accept(self, expect: &Expect<'_>, state_optional: bool) -> Result<Secret, Rejected> {
        match &self.state {
            Some(s) if !constant_time_eq(s, expect.state) => return Err(Rejected::StateMismatch),
            None if !state_optional => return Err(Rejected::StateMissing),
            _ => {}
        }
        match &self.iss {
            Some(iss) if iss != expect.issuer => {
                return Err(Rejected::IssuerMismatch {
                    got: iss.clone(),
                    want: expect.issuer.to_owned(),
                });
            }
            None if expect.iss_required && !state_optional => {
                return Err(Rejected::IssuerMissing);
            }
            _ => {}
        }
        if let Some(e) = self.error {
            return Err(Rejected::Provider(e));
        }
        self.code.ok_or(Rejected::Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECT: Expect<'static> = Expect {
        state: "s3cr3t-state",
        issuer: "http://127.0.0.1:4000",
        iss_required: true,
    };

    #[test]
    fn a_genuine_response_is_accepted() {
        let r = parse_query("code=4%2F0Ab-x&state=s3cr3t-state&iss=http%3A%2F%2F127.0.0.1%3A4000")
            .unwrap();
        assert_eq!(r.accept(&EXPECT, false).unwrap().expose(), "4/0Ab-x");
    }

    #[test]
    fn forged_or_broken_responses_are_refused() {
        let cases = [
            (
                "code=x&state=other&iss=http%3A%2F%2F127.0.0.1%3A4000",
                Rejected::StateMismatch,
            ),
            (
                "code=x&iss=http%3A%2F%2F127.0.0.1%3A4000",
                Rejected::StateMissing,
            ),
            ("code=x&state=s3cr3t-state", Rejected::IssuerMissing),
            (
                "code=x&state=s3cr3t-state&iss=https%3A%2F%2Fevil.example",
                Rejected::IssuerMismatch {
                    got: "https://evil.example".into(),
                    want: "http://127.0.0.1:4000".into(),
                },
            ),
            ("error=access_denied&state=forged", Rejected::StateMismatch),
        ];
        for (q, want) in cases {
            assert_eq!(
                parse_query(q).unwrap().accept(&EXPECT, false),
                Err(want),
                "{q}"
            );
        }
        assert_eq!(
            parse_query("code=a&code=b&state=s3cr3t-state"),
            Err(Rejected::Duplicate("code".into()))
        );
        assert_eq!(
            parse_query("state=a&state=b&code=x"),
            Err(Rejected::Duplicate("state".into()))
        );
        assert_eq!(parse_query(""), Err(Rejected::Empty));
        assert_eq!(parse_query("foo=bar&state=x"), Err(Rejected::Empty));
    }

    #[test]
    fn provider_errors_are_shown_when_they_belong_to_this_login() {
        let r = parse_query(
            "error=access_denied&error_description=The+user+said+no&state=s3cr3t-state&iss=http%3A%2F%2F127.0.0.1%3A4000",
        )
        .unwrap();
        let e = r.accept(&EXPECT, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the provider refused: access_denied (The user said no)"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_never_accepts_a_wrong_state(q in "\\PC*", state in "[a-zA-Z0-9]{0,12}") {
            if let Ok(r) = parse_query(&q) {
                let sent = r.state.clone();
                if let Ok(_code) = r.accept(&EXPECT, false) {
                    proptest::prop_assert_eq!(sent.as_deref(), Some(EXPECT.state));
                }
            }
            let q = format!("code=c&state={state}&iss=http%3A%2F%2F127.0.0.1%3A4000");
            let ok = parse_query(&q).unwrap().accept(&EXPECT, false).is_ok();
            proptest::prop_assert_eq!(ok, state == EXPECT.state);
        }
    }
}
