//! The OAuth exchanges, through the `oauth2` crate and gauth's own HTTP
//! function (`super::http`): the authorization URL (PKCE S256 and `state`
//! from its CSPRNG), the code exchange, the device authorization and its
//! polling, the account's name. Errors are reworded here so that no token,
//! code or response body ever reaches a message.
use super::http::{Http, HttpError, MAX_BODY, check_url, deadline_in};
use super::provider::Provider;
use super::secret::Secret;
use crate::text::escape::esc;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    DeviceAuthorizationUrl, EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The `id_token` that OpenID providers add to the token response: read
/// only to name the account.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct IdToken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for IdToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdToken(<redacted>)")
    }
}

impl ExtraTokenFields for IdToken {}

pub type TokenResponse = StandardTokenResponse<IdToken, BasicTokenType>;

type Client<HasAuth, HasDevice> = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuth,
    HasDevice,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The OAuth client: who gauth logs in as.
#[derive(Debug, Clone)]
pub struct ClientCreds {
    pub id: String,
    pub secret: Option<Secret>,
}

fn url_error(what: &str, url: &str) -> anyhow::Error {
    anyhow::anyhow!("the provider's {what} '{}' is not a valid URL", esc(url))
}

fn token_client(
    provider: &Provider,
    creds: &ClientCreds,
) -> anyhow::Result<Client<EndpointNotSet, EndpointNotSet>> {
    // With a secret, HTTP Basic (every server must support it, RFC 6749
    // §2.3.1); without one, the client id goes in the body.
    let auth_type = if creds.secret.is_some() {
        AuthType::BasicAuth
    } else {
        AuthType::RequestBody
    };
    let token_url = TokenUrl::new(provider.token_endpoint.clone())
        .map_err(|_| url_error("token endpoint", &provider.token_endpoint))?;
    let mut client = oauth2::Client::new(ClientId::new(creds.id.clone()))
        .set_auth_type(auth_type)
        .set_token_uri(token_url);
    if let Some(s) = &creds.secret {
        client = client.set_client_secret(ClientSecret::new(s.expose().to_owned()));
    }
    Ok(client)
}

/// An authorization request ready for the browser.
pub struct Authorization {
    pub url: String,
    pub state: Secret,
    pub verifier: Secret,
    pub redirect_uri: String,
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL carries the state: shown to the user, never in a log.
        f.debug_struct("Authorization")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// Build the authorization URL: PKCE S256 with a fresh verifier and a
/// one-time `state`, both from the `oauth2` crate's CSPRNG.
pub fn authorize(
    provider: &Provider,
    creds: &ClientCreds,
    redirect_uri: &str,
    scopes: &[String],
) -> anyhow::Result<Authorization> {
    let auth_url = AuthUrl::new(provider.authorization_endpoint.clone())
        .map_err(|_| url_error("authorization endpoint", &provider.authorization_endpoint))?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|_| url_error("redirect URI", redirect_uri))?;
    let client = token_client(provider, creds)?
        .set_auth_uri(auth_url)
        .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())));
    if provider.is_google() {
        // A refresh token every time (Google returns one only on consent).
        req = req
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent");
    } else if scopes.iter().any(|s| s == "offline_access") {
        req = req.add_extra_param("prompt", "consent");
    }
    let (url, state) = req.url();
    Ok(Authorization {
        url: url.to_string(),
        state: Secret::new(state.secret().clone()),
        verifier: Secret::new(verifier.secret().clone()),
        redirect_uri: redirect_uri.to_owned(),
    })
}

/// Longest access-token lifetime taken from a provider: a larger (or
/// absurd, `u64::MAX`) `expires_in` saturates here, so no expiry sum can
/// overflow.
pub const MAX_EXPIRES_IN: Duration = Duration::from_secs(365 * 24 * 3600);

/// Tokens as the provider handed them out.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Saturated at [`MAX_EXPIRES_IN`].
    pub expires_in: Option<Duration>,
    /// The scopes granted, when the provider says (else those asked for).
    pub scopes: Option<Vec<String>>,
    pub id_token: Option<Secret>,
}

impl From<TokenResponse> for Tokens {
    fn from(t: TokenResponse) -> Tokens {
        Tokens {
            access_token: Secret::new(t.access_token().secret().clone()),
            refresh_token: t.refresh_token().map(|r| Secret::new(r.secret().clone())),
            expires_in: t.expires_in().map(|d| d.min(MAX_EXPIRES_IN)),
            scopes: t
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect()),
            id_token: t.extra_fields().id_token.clone().map(Secret::new),
        }
    }
}

/// Exchange an authorization code (with its PKCE verifier), before the
/// login's `deadline`.
pub fn exchange_code(
    http: &Http,
    provider: &Provider,
    creds: &ClientCreds,
    code: &Secret,
    auth: &Authorization,
    deadline: Instant,
) -> anyhow::Result<Tokens> {
    let redirect = RedirectUrl::new(auth.redirect_uri.clone())
        .map_err(|_| url_error("redirect URI", &auth.redirect_uri))?;
    token_client(provider, creds)?
        .set_redirect_uri(redirect)
        .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(auth.verifier.expose().to_owned()))
        .request(&http.oauth(deadline, MAX_BODY))
        .or_else(|e| match e {
            RequestTokenError::Parse(_, ref body) => numeric_string_expires_in(body).ok_or(e),
            e => Err(e),
        })
        .map(Tokens::from)
        .map_err(|e| token_error("the code exchange", e))
}

/// Longest `expires_in` string read as a number: u64::MAX has 20 digits,
/// and a longer string is refused as a larger number would be.
const MAX_SECONDS_DIGITS: usize = 20;

/// A token response whose `expires_in` is a string of digits (`"3600"`:
/// Entra ID's v1 endpoints and Salesforce have sent that) read as that
/// number, as RFC 6749 clients commonly do; `None` when that is not what
/// kept `body` from parsing. The number then goes where every `expires_in`
/// goes (saturated at [`MAX_EXPIRES_IN`]); anything else in a string (a
/// sign, a fraction, spaces, a word) stays refused.
pub fn numeric_string_expires_in<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let field = v.get_mut("expires_in")?;
    let digits = field.as_str()?;
    if digits.is_empty()
        || digits.len() > MAX_SECONDS_DIGITS
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    *field = serde_json::Value::from(digits.parse::<u64>().ok()?);
    serde_json::from_value(v).ok()
}

/// Where an answer did not parse, without its values (which may be tokens):
/// `at interval`, `missing field `device_code``, `not JSON`.
pub fn parse_problem(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = e.inner();
    if inner.is_syntax() || inner.is_eof() {
        return "not JSON".into();
    }
    let msg = inner.to_string();
    // serde's own words name the field (never a value) only for this one.
    if let Some(missing) = msg.strip_prefix("missing field ") {
        let field = missing.split(" at line").next().unwrap_or(missing);
        return format!("missing field {}", esc(field));
    }
    format!("at {}", esc(&e.path().to_string()))
}

/// Reword an `oauth2` error without its response body (which may hold a
/// token) and with the provider's own words escaped.
pub fn token_error<T: oauth2::ErrorResponse + 'static>(
    what: &str,
    e: RequestTokenError<HttpError, T>,
) -> anyhow::Error {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let v = serde_json::to_value(&r).unwrap_or_default();
            let code = v.get("error").and_then(|e| e.as_str()).unwrap_or("error");
            let desc = v
                .get("error_description")
                .and_then(|d| d.as_str())
                .map(|d| format!(" ({})", esc(d)))
                .unwrap_or_default();
            anyhow::anyhow!("{what} was refused by the provider: {}{desc}", esc(code))
        }
        RequestTokenError::Request(e) => request_error(what, &e),
        RequestTokenError::Parse(e, _) => anyhow::anyhow!(
            "{what} failed: the provider's answer is not a token response ({})",
            parse_problem(&e)
        ),
        RequestTokenError::Other(s) => anyhow::anyhow!("{what} failed: {}", esc(&s)),
    }
}

/// A request that got no usable answer, in one line.
fn request_error(what: &str, e: &HttpError) -> anyhow::Error {
    match e {
        HttpError::NotAllowed(why) => anyhow::anyhow!("{what} was not sent: {why}"),
        // Nothing a login caches has been seen yet when this fails.
        HttpError::TooLarge(max) => anyhow::anyhow!(
            "{what} failed: the provider's answer cannot be used: it is larger than {} KiB; nothing was cached",
            max / 1024
        ),
        _ => anyhow::anyhow!("{what} could not reach the provider: {e}"),
    }
}

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

/// A form POST to a token (or revocation) endpoint with the client's
/// authentication: HTTP Basic with the form-encoded id and secret when
/// there is a secret (RFC 6749 §2.3.1, as the `oauth2` crate does), else
/// the client id in the body. Written out for the two requests the crate
/// cannot make one at a time (a device poll) or at all over loopback http
/// (a revocation).
pub fn form_request<'a>(
    url: &str,
    client_id: &'a str,
    secret: Option<&Secret>,
    mut form: Vec<(&'a str, &'a str)>,
) -> anyhow::Result<oauth2::HttpRequest> {
    use base64::Engine;
    use oauth2::http::header;
    let mut req = oauth2::http::Request::builder()
        .method(oauth2::http::Method::POST)
        .uri(url)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    match secret {
        Some(s) => {
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(client_id),
                enc(s.expose())
            ));
            req = req.header(header::AUTHORIZATION, format!("Basic {basic}"));
        }
        None => form.push(("client_id", client_id)),
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    // The error names nothing of the request: its form holds secrets.
    req.body(body.into_bytes())
        .map_err(|_| anyhow::anyhow!("the request to {} cannot be built", esc(url)))
}

/// Longest account label kept (an email address is at most 254 bytes).
const MAX_ACCOUNT: usize = 320;

fn label(s: &str) -> Option<String> {
    (!s.is_empty() && s.len() <= MAX_ACCOUNT && !s.chars().any(char::is_control))
        .then(|| s.to_owned())
}

/// The claims of an ID token, unverified: the token came straight from the
/// token endpoint over the same connection, so its claims may label the
/// login (OpenID Connect Core §3.1.3.7); they decide nothing.
fn id_token_claims(id_token: &Secret) -> Option<serde_json::Value> {
    use base64::Engine;
    let payload = id_token.expose().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The account an ID token names (email, else subject).
pub fn account_from_id_token(id_token: &Secret) -> Option<String> {
    let claims = id_token_claims(id_token)?;
    claims
        .get("email")
        .or_else(|| claims.get("sub"))
        .and_then(|v| v.as_str())
        .and_then(label)
}

/// The name of the login's account: the ID token's `email`, else the
/// userinfo endpoint's (one GET with the new access token, before
/// `deadline` and at most 10 s), else the ID token's `sub`. A label only:
/// any failure just means a plainer name.
pub fn account(
    http: &Http,
    provider: &Provider,
    tokens: &Tokens,
    deadline: Instant,
) -> Option<String> {
    let claims = tokens.id_token.as_ref().and_then(id_token_claims);
    let claim = |k: &str| {
        claims
            .as_ref()
            .and_then(|c| c.get(k))
            .and_then(|v| v.as_str())
    };
    if let Some(email) = claim("email").and_then(label) {
        return Some(email);
    }
    let sub = claim("sub");
    provider
        .userinfo_endpoint
        .as_deref()
        .and_then(|url| userinfo_email(http, url, &tokens.access_token, sub, deadline))
        .or_else(|| sub.and_then(label))
}

fn userinfo_email(
    http: &Http,
    url: &str,
    access_token: &Secret,
    sub: Option<&str>,
    deadline: Instant,
) -> Option<String> {
    let bearer = format!("Bearer {}", access_token.expose());
    let deadline = deadline.min(deadline_in(Duration::from_secs(10)));
    let resp = http
        .get(
            url,
            &[("authorization", &bearer), ("accept", "application/json")],
            deadline,
            MAX_BODY,
        )
        .ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let info: serde_json::Value = serde_json::from_slice(resp.body()).ok()?;
    // OpenID Connect Core §5.3.2: userinfo whose `sub` is not the ID
    // token's must not be used.
    let info_sub = info.get("sub").and_then(|v| v.as_str());
    if sub.is_some() && info_sub != sub {
        return None;
    }
    info.get("email").and_then(|v| v.as_str()).and_then(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> Provider {
        Provider {
            issuer: "http://127.0.0.1:4000".into(),
            authorization_endpoint: "http://127.0.0.1:4000/auth".into(),
            token_endpoint: "http://127.0.0.1:4000/token".into(),
            device_authorization_endpoint: None,
            revocation_endpoint: None,
            userinfo_endpoint: None,
            iss_supported: true,
        }
    }

    #[test]
    fn authorization_url_has_pkce_s256_and_a_fresh_state() {
        let creds = ClientCreds {
            id: "cli".into(),
            secret: None,
        };
        let scopes = vec!["openid".to_owned(), "offline_access".to_owned()];
        let a = authorize(&provider(), &creds, "http://127.0.0.1:5000/", &scopes).unwrap();
        let b = authorize(&provider(), &creds, "http://127.0.0.1:5000/", &scopes).unwrap();
        assert_ne!(a.state, b.state);
        assert_ne!(a.verifier, b.verifier);
        let url = url::Url::parse(&a.url).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"], a.state.expose());
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:5000/");
        assert_eq!(q["scope"], "openid offline_access");
        assert_eq!(q["prompt"], "consent");
        assert!(a.verifier.expose().len() >= 43);
        assert!(!format!("{a:?}").contains(a.state.expose()));
    }

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

    #[test]
    fn account_labels_are_short_printable_text() {
        assert_eq!(
            label("jenny@example.test").as_deref(),
            Some("jenny@example.test")
        );
        assert_eq!(label(""), None);
        assert_eq!(label("a\nb"), None);
        assert_eq!(label(&"a".repeat(MAX_ACCOUNT + 1)), None);
    }

    #[test]
    fn account_comes_from_the_id_token() {
        use base64::Engine;
        let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let t = format!(
            "{}.{}.sig",
            enc("{}"),
            enc(r#"{"sub":"123","email":"jenny@example.test"}"#)
        );
        assert_eq!(
            account_from_id_token(&Secret::new(t)).as_deref(),
            Some("jenny@example.test")
        );
        let t = format!("{}.{}.sig", enc("{}"), enc(r#"{"sub":"123"}"#));
        assert_eq!(
            account_from_id_token(&Secret::new(t)).as_deref(),
            Some("123")
        );
        assert_eq!(account_from_id_token(&Secret::new("garbage")), None);
    }
}
