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
