//! The one HTTP client for talking to providers (token, revocation,
//! discovery): no redirects followed, bounded waits.
use std::time::Duration;

/// Connecting to a provider takes at most this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole request (connect, send, answer) takes at most this long.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A blocking client that never follows a redirect (the oauth2 crate's
/// advice against SSRF: a token endpoint has no business redirecting), with
/// timeouts so that `gauth token` cannot hang a script.
pub fn client() -> anyhow::Result<reqwest::blocking::Client> {
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("gauth/", env!("CARGO_PKG_VERSION")))
        .build()?;
    Ok(client)
}

/// A blocking client like [`client`] whose whole request is bounded by
/// `limit` as well (a login's `--timeout` bounds its discovery too).
pub fn client_within(limit: Duration) -> anyhow::Result<reqwest::blocking::Client> {
    let limit = limit.min(REQUEST_TIMEOUT);
    Ok(reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT.min(limit))
        .timeout(limit)
        .user_agent(concat!("gauth/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// An endpoint gauth may send a token or secret to: `https:`, or `http:`
/// on a loopback address only (RFC 8252 §8.3; a provider on this machine).
/// `what` names it in the one-line error.
pub fn check_url(what: &str, url: &str) -> Result<url::Url, String> {
    use crate::output::escape::esc;
    let parsed =
        url::Url::parse(url).map_err(|e| format!("{what} '{}' is not a URL ({e})", esc(url)))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(parsed),
        "http" if loopback => Ok(parsed),
        "http" => Err(format!(
            "{what} '{}' is plain http: only https, or http on a loopback address, is allowed",
            esc(url)
        )),
        _ => Err(format!("{what} '{}' is not an https URL", esc(url))),
    }
}

/// [`check_url`] for a token endpoint.
pub fn endpoint(url: &str) -> Result<url::Url, String> {
    check_url("the endpoint", url)
}

/// What went wrong with a request, in one line a person can act on: the
/// kind (timed out, connection refused, …) and the deepest cause, never a
/// body (which may hold a token).
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    use crate::output::escape::esc;
    let mut root = e.to_string();
    let mut timeout = false;
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(r) = s.downcast_ref::<reqwest::Error>()
            && r.is_timeout()
        {
            timeout = true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            timeout = true;
        }
        root = s.to_string();
        src = s.source();
    }
    if timeout {
        "timed out".to_owned()
    } else {
        esc(&root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(endpoint("https://oauth2.googleapis.com/token").is_ok());
        assert!(endpoint("http://127.0.0.1:5556/token").is_ok());
        assert!(endpoint("http://[::1]/token").is_ok());
        assert!(endpoint("http://localhost:80/token").is_ok());
        assert!(endpoint("http://example.com/token").is_err());
        assert!(endpoint("http://127.0.0.1.example.com/token").is_err());
        assert!(endpoint("ftp://127.0.0.1/token").is_err());
        assert!(endpoint("not a url").is_err());
        assert!(endpoint("https://").is_err());
        assert!(!endpoint("http://10.0.0.1/").unwrap_err().contains('\n'));
    }
}
