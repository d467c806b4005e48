//! The device authorization grant (RFC 8628): asking for a device code and
//! polling for the approval, never past the login's deadline.
use super::http::{Http, HttpError, MAX_BODY, check_url, deadline_in};
use super::oauth::{
    ClientCreds, MAX_EXPIRES_IN, TokenResponse, Tokens, form_request, numeric_string_expires_in,
    parse_problem, request_error, token_client, token_error, url_error,
};
use super::provider::Provider;
use super::secret::Secret;
use crate::text::escape::esc;
use oauth2::{DeviceAuthorizationUrl, RequestTokenError, Scope};
use std::time::{Duration, Instant};

/// RFC 8628 §3.5: polling interval when the provider names none (or 0).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Longest polling interval taken from a provider: a login waits at most
/// this long between two looks, whatever the provider asks.
pub const MAX_INTERVAL: Duration = Duration::from_secs(60);

/// What the user sees to approve a device login.
#[derive(Debug, Clone)]
pub struct DeviceStart {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
    /// How long the device code lives (as the provider said, saturated).
    pub expires_in: Duration,
    /// The polling interval: 5 s when missing or 0, at most [`MAX_INTERVAL`].
    pub interval: Duration,
    device_code: Secret,
    /// When the device code stops working.
    expires_at: Instant,
}

impl DeviceStart {
    /// When polling stops: the login's deadline or the code's expiry.
    pub fn end(&self, deadline: Instant) -> Instant {
        deadline.min(self.expires_at)
    }
}

/// RFC 8628 §3.1–3.2: ask for a device code. The pages the user is sent to
/// are links to open: https only (or http on loopback), never `javascript:`
/// or `file:`.
pub fn device_start(
    http: &Http,
    provider: &Provider,
    creds: &ClientCreds,
    scopes: &[String],
    deadline: Instant,
) -> anyhow::Result<DeviceStart> {
    let Some(endpoint) = &provider.device_authorization_endpoint else {
        anyhow::bail!(
            "{} has no device authorization endpoint; use the paste flow (--flow paste)",
            esc(&provider.issuer)
        );
    };
    let url = DeviceAuthorizationUrl::new(endpoint.clone())
        .map_err(|_| url_error("device authorization endpoint", endpoint))?;
    let issued = Instant::now();
    let r: oauth2::StandardDeviceAuthorizationResponse = token_client(provider, creds)?
        .set_device_authorization_url(url)
        .exchange_device_code()
        .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())))
        .request(&http.oauth(deadline, MAX_BODY))
        .map_err(|e| match e {
            // Not a token response (token_error's words): its own kind.
            RequestTokenError::Parse(e, _) => anyhow::anyhow!(
                "the device authorization request failed: the device authorization answer is not valid ({})",
                parse_problem(&e)
            ),
            // Google's device flow takes only clients made for it: a Desktop
            // app client (what gargle's packages and most people have) gets
            // a bare `invalid_client`.
            RequestTokenError::ServerResponse(r)
                if provider.is_google()
                    && *r.error() == oauth2::basic::BasicErrorResponseType::InvalidClient =>
            {
                anyhow::anyhow!(
                    "Google refused the device flow for this client (invalid_client): it takes only OAuth clients of type TVs and Limited Input devices, not Desktop app clients; use the loopback or paste flow (`gauth login --oob`), or a client of that type"
                )
            }
            e => token_error("the device authorization request", e),
        })?;
    let verification_uri = r.verification_uri().to_string();
    check_url("the provider's verification_uri", &verification_uri).map_err(anyhow::Error::msg)?;
    let verification_uri_complete = r
        .verification_uri_complete()
        .map(|u| u.secret().to_string());
    if let Some(u) = &verification_uri_complete {
        check_url("the provider's verification_uri_complete", u).map_err(anyhow::Error::msg)?;
    }
    let expires_in = r.expires_in().min(MAX_EXPIRES_IN);
    Ok(DeviceStart {
        verification_uri,
        verification_uri_complete,
        user_code: r.user_code().secret().to_string(),
        expires_in,
        interval: sane_interval(r.interval()),
        device_code: Secret::new(r.device_code().secret().clone()),
        expires_at: issued
            .checked_add(expires_in)
            .unwrap_or_else(|| deadline_in(expires_in)),
    })
}

/// RFC 8628 §3.5: a missing (the crate reads it as 5) or zero interval is
/// 5 s; a huge one is capped so that a login still looks before it ends.
fn sane_interval(d: Duration) -> Duration {
    if d.is_zero() {
        DEFAULT_INTERVAL
    } else {
        d.min(MAX_INTERVAL)
    }
}

/// One poll's outcome.
enum Poll {
    Done(Box<Tokens>),
    Pending,
    SlowDown,
    Unreachable(HttpError),
    End(anyhow::Error),
}

/// How long before the end of the wait the last look is taken when the
/// next one at the provider's interval would come too late: time for its
/// answer to arrive.
const LAST_LOOK_BEFORE_END: Duration = Duration::from_secs(2);
/// A poll that had waited this long without an answer when the wait ran
/// out says the provider was not answering (not that nobody approved).
const UNANSWERED_POLL: Duration = Duration::from_secs(5);

/// RFC 8628 §3.4–3.5, polled here rather than by the `oauth2` crate: its
/// loop adds provider durations unchecked and cannot stop at the login's
/// deadline. Wait the interval, poll; `authorization_pending` keeps
/// polling, `slow_down` adds 5 s to every later interval, anything else
/// ends the wait. Nothing waits or polls past `deadline` (the login's) or
/// the code's expiry. When the next poll at the interval would come after
/// the end, one last poll is made just before it (unless one was made in
/// the last 5 s, RFC 8628's default interval): "not approved within T" is
/// then what the provider said, even when its interval (capped at 60 s)
/// is longer than `--timeout`. `sleep` waits (and draws the spinner);
/// `timeout` is the login's `--timeout`, for the message.
pub fn device_poll(
    http: &Http,
    provider: &Provider,
    creds: &ClientCreds,
    start: &DeviceStart,
    deadline: Instant,
    timeout: Duration,
    mut sleep: impl FnMut(Duration),
) -> anyhow::Result<Tokens> {
    let end = start.end(deadline);
    let mut interval = start.interval;
    // The provider that cannot be reached is named, not reported as an
    // expired code when the wait runs out.
    let mut unreachable = None::<HttpError>;
    // Some poll got an OAuth answer (pending, slow_down).
    let mut answered = false;
    // The last poll had waited this long for an answer when the wait ran
    // out.
    let mut cut = None::<Duration>;
    let mut last_poll = None::<Instant>;
    loop {
        let now = Instant::now();
        let left = end.saturating_duration_since(now);
        if left.is_zero() {
            break;
        }
        let last_look = interval >= left;
        let wait = if last_look {
            let at = end
                .checked_sub(LAST_LOOK_BEFORE_END)
                .unwrap_or(now)
                .max(now);
            if last_poll.is_some_and(|p| at.saturating_duration_since(p) < DEFAULT_INTERVAL) {
                // A look was just made: its answer stands until the end.
                sleep(left);
                break;
            }
            at.saturating_duration_since(now)
        } else {
            interval
        };
        sleep(wait);
        if Instant::now() >= end {
            break;
        }
        let asked = Instant::now();
        last_poll = Some(asked);
        match poll(http, provider, creds, start, end) {
            Poll::Done(tokens) => return Ok(*tokens),
            Poll::Pending => {
                answered = true;
                unreachable = None;
            }
            Poll::SlowDown => {
                answered = true;
                unreachable = None;
                interval = interval.saturating_add(Duration::from_secs(5));
            }
            // The deadline ran out in the middle of a poll: the end of the
            // wait; whose fault it was is decided below.
            Poll::Unreachable(HttpError::TimedOut) if Instant::now() >= end => {
                cut = Some(asked.elapsed());
                break;
            }
            Poll::Unreachable(e) => unreachable = Some(e),
            Poll::End(e) => return Err(e),
        }
        if last_look {
            break;
        }
    }
    let within =
        humantime::format_duration(Duration::from_secs(timeout.as_secs_f64().ceil() as u64));
    if let Some(e) = unreachable {
        anyhow::bail!("the provider could not be reached while waiting for the approval: {e}");
    }
    if let Some(waited) = cut.filter(|w| !answered || *w >= UNANSWERED_POLL) {
        anyhow::bail!(
            "the provider did not answer: its token endpoint {} had not answered gauth's poll after {:.1} s when the wait ran out (--timeout {within}); run the login again once it answers",
            esc(&provider.token_endpoint),
            waited.as_secs_f64()
        );
    }
    if start.expires_at <= deadline {
        anyhow::bail!("the device code expired before the login was approved; run the login again");
    }
    if last_poll.is_none() {
        anyhow::bail!(
            "the wait ran out (--timeout {within}) before gauth could ask the provider whether the login was approved; run it again with a longer --timeout"
        );
    }
    anyhow::bail!("the login was not approved within {within}; run it again (--timeout for longer)")
}

/// One device access token request (RFC 8628 §3.4), with the client's
/// authentication as for every token request.
fn poll(
    http: &Http,
    provider: &Provider,
    creds: &ClientCreds,
    start: &DeviceStart,
    deadline: Instant,
) -> Poll {
    use oauth2::DeviceCodeErrorResponseType as E;
    let req = match form_request(
        &provider.token_endpoint,
        &creds.id,
        creds.secret.as_ref(),
        vec![
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", start.device_code.expose()),
        ],
    ) {
        Ok(r) => r,
        Err(e) => return Poll::End(e),
    };
    let resp = match http.send(req, deadline, MAX_BODY) {
        Ok(r) => r,
        Err(e @ (HttpError::NotAllowed(_) | HttpError::TooLarge(_))) => {
            return Poll::End(request_error("the device login", &e));
        }
        Err(e) => return Poll::Unreachable(e),
    };
    if resp.status().is_success() {
        let body = resp.body();
        let parsed = serde_path_to_error::deserialize::<_, TokenResponse>(
            &mut serde_json::Deserializer::from_slice(body),
        );
        return match parsed {
            Ok(t) => Poll::Done(Box::new(Tokens::from(t))),
            Err(e) => match numeric_string_expires_in::<TokenResponse>(body) {
                Some(t) => Poll::Done(Box::new(Tokens::from(t))),
                None => Poll::End(anyhow::anyhow!(
                    "the device login failed: the provider's answer is not a token response ({})",
                    parse_problem(&e)
                )),
            },
        };
    }
    match serde_json::from_slice::<oauth2::DeviceCodeErrorResponse>(resp.body()) {
        Ok(r) => match r.error() {
            E::AuthorizationPending => Poll::Pending,
            E::SlowDown => Poll::SlowDown,
            E::AccessDenied => Poll::End(anyhow::anyhow!("the device login was denied")),
            E::ExpiredToken => Poll::End(anyhow::anyhow!(
                "the device code expired before the login was approved; run the login again"
            )),
            _ => Poll::End(token_error(
                "the device login",
                RequestTokenError::<HttpError, _>::ServerResponse(r),
            )),
        },
        Err(_) => Poll::End(anyhow::anyhow!(
            "the device login failed: the token endpoint answered HTTP {} without an OAuth error",
            resp.status().as_u16()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_intervals_are_saturated() {
        assert_eq!(sane_interval(Duration::ZERO), DEFAULT_INTERVAL);
        assert_eq!(
            sane_interval(Duration::from_secs(3)),
            Duration::from_secs(3)
        );
        assert_eq!(sane_interval(Duration::from_secs(3600)), MAX_INTERVAL);
        assert_eq!(sane_interval(Duration::from_secs(u64::MAX)), MAX_INTERVAL);
    }
}
