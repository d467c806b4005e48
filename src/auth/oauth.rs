//! The OAuth exchanges, through the `oauth2` crate and gauth's own HTTP
//! function (`super::http`): the authorization URL (PKCE S256 and `state`
//! from its CSPRNG), the code exchange, the account's name; the device flow
//! (auth/device.rs) builds on them. Errors are reworded here so that no
//! token, code or response body ever reaches a message.
use super::http::{Http, HttpError, MAX_BODY, deadline_in};
use super::provider::Provider;
use super::secret::Secret;
use crate::text::escape::esc;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse as _,
    TokenUrl,
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

pub(super) type Client<HasAuth, HasDevice> = oauth2::Client<
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

pub(super) fn url_error(what: &str, url: &str) -> anyhow::Error {
    anyhow::anyhow!("the provider's {what} '{}' is not a valid URL", esc(url))
}

pub(super) fn token_client(
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
pub(super) fn request_error(what: &str, e: &HttpError) -> anyhow::Error {
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
