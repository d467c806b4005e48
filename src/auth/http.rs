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

/// An endpoint gauth may send a token or secret to: `https:`, or `http:`
/// on a loopback address only (RFC 8252 §8.3; a provider on this machine).
pub fn endpoint(url: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL ({e})"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(format!(
            "{url} is neither https nor http on a loopback address; gauth sends no token there"
        )),
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
    }
}
