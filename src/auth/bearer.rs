//! What a provider hands back is checked before gauth caches or prints it:
//! an access token must be an RFC 6750 bearer token (it goes into an
//! `Authorization` header and onto a terminal), a refresh token printable
//! ASCII (RFC 6749 A.17), both of a sane length; a lifetime must be
//! positive. A provider that breaks these rules gets a clear refusal, and
//! nothing is cached.

/// Longest token accepted. Google's access tokens are about 200 bytes,
/// Entra ID's JWTs a few KiB; 16 KiB leaves room and bounds the cache file.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Longest lifetime taken as given (ten years): a larger `expires_in` is
/// saturated to it, never added to a clock unchecked.
pub const MAX_LIFETIME_SECS: u64 = 10 * 365 * 24 * 3600;

/// RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
/// "+" / "/" ) *"="`. The error names what is wrong, never the token.
pub fn check_access_token(token: &str) -> Result<(), String> {
    if token.is_empty() {
        return Err("the access token is empty".into());
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(format!(
            "the access token is {} bytes long (at most {MAX_TOKEN_LEN} are accepted)",
            token.len()
        ));
    }
    let body = token.trim_end_matches('=');
    let ok = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !ok {
        return Err(
            "the access token is not a bearer token (RFC 6750: letters, digits and -._~+/ only)"
                .into(),
        );
    }
    Ok(())
}

/// RFC 6749 Appendix A.17: `refresh-token = 1*VSCHAR` (0x20–0x7E).
pub fn check_refresh_token(token: &str) -> Result<(), String> {
    if token.is_empty() {
        return Err("the refresh token is empty".into());
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(format!(
            "the refresh token is {} bytes long (at most {MAX_TOKEN_LEN} are accepted)",
            token.len()
        ));
    }
    if !token.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err("the refresh token has characters outside printable ASCII".into());
    }
    Ok(())
}

/// `expires_in` as the provider sent it: `None` (unknown) stays `None`;
/// 0 means the token is dead on arrival, which is refused rather than
/// cached as "valid, 0 s left"; more than ten years is saturated.
pub fn check_lifetime(expires_in: Option<u64>) -> Result<Option<u64>, String> {
    match expires_in {
        None => Ok(None),
        Some(0) => Err(
            "the provider's access token expires at once (expires_in = 0): it cannot be used"
                .into(),
        ),
        Some(s) => Ok(Some(s.min(MAX_LIFETIME_SECS))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        for ok in [
            "ya29.a0AfB_byC-x~y+z/w==",
            "abc",
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        ] {
            assert_eq!(check_access_token(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "==",
            "ya29.\u{1b}]0;PWNED\u{7}",
            "a b",
            "a\r\nX-Injected: 1",
            "a=b",
            "é",
        ] {
            let e = check_access_token(bad).unwrap_err();
            assert!(
                !e.contains("PWNED") && !e.contains("Injected") && !e.contains('é'),
                "{e}"
            );
            assert!(!e.contains('\n') && !e.contains('\u{1b}'));
        }
        assert!(check_access_token(&"a".repeat(MAX_TOKEN_LEN + 1)).is_err());
        assert!(check_access_token(&"a".repeat(MAX_TOKEN_LEN)).is_ok());
    }

    #[test]
    fn refresh_tokens_and_lifetimes() {
        assert!(check_refresh_token("1//0g-x y~").is_ok());
        assert!(check_refresh_token("").is_err());
        assert!(check_refresh_token("a\nb").is_err());
        assert!(check_refresh_token(&"r".repeat(MAX_TOKEN_LEN + 1)).is_err());
        assert_eq!(check_lifetime(None), Ok(None));
        assert!(check_lifetime(Some(0)).is_err());
        assert_eq!(check_lifetime(Some(3599)), Ok(Some(3599)));
        assert_eq!(check_lifetime(Some(u64::MAX)), Ok(Some(MAX_LIFETIME_SECS)));
    }

    proptest::proptest! {
        #[test]
        fn an_accepted_token_is_safe_in_a_header_and_on_a_terminal(s in "\\PC{0,64}") {
            if check_access_token(&s).is_ok() {
                proptest::prop_assert!(s.bytes().all(|b| b.is_ascii_graphic()));
                proptest::prop_assert!(!s.contains([' ', '"', '\\', ',', ';']));
            }
        }
    }
}
