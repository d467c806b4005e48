//! The OAuth exchanges, through the `oauth2` crate: the authorization URL
//! (PKCE S256 and `state` from its CSPRNG), the code exchange, the device
//! authorization and its polling. Errors are reworded here so that no token,
//! code or response body ever reaches a message.
use super::provider::Provider;
use super::secret::Secret;
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
use std::time::Duration;

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
    anyhow::anyhow!(
        "the provider's {what} '{}' is not a valid URL",
        crate::output::escape::esc(url)
    )
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

/// Tokens as the provider handed them out.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
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
            expires_in: t.expires_in(),
            scopes: t
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect()),
            id_token: t.extra_fields().id_token.clone().map(Secret::new),
        }
    }
}

/// Exchange an authorization code (with its PKCE verifier).
pub fn exchange_code(
    provider: &Provider,
    creds: &ClientCreds,
    code: &Secret,
    auth: &Authorization,
) -> anyhow::Result<Tokens> {
    let redirect = RedirectUrl::new(auth.redirect_uri.clone())
        .map_err(|_| url_error("redirect URI", &auth.redirect_uri))?;
    let http = super::http::client()?;
    token_client(provider, creds)?
        .set_redirect_uri(redirect)
        .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(auth.verifier.expose().to_owned()))
        .request(&http)
        .map(Tokens::from)
        .map_err(|e| token_error("the code exchange", e))
}

/// Reword an `oauth2` error without its response body (which may hold a
/// token) and with the provider's own words escaped.
pub fn token_error<RE: std::error::Error + 'static, T: oauth2::ErrorResponse + 'static>(
    what: &str,
    e: RequestTokenError<RE, T>,
) -> anyhow::Error {
    use crate::output::escape::esc;
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
        RequestTokenError::Request(e) => anyhow::anyhow!(
            "{what} could not reach the provider: {}",
            super::http::describe(&e)
        ),
        RequestTokenError::Parse(..) => {
            anyhow::anyhow!("{what} failed: the provider's answer is not a token response")
        }
        RequestTokenError::Other(s) => anyhow::anyhow!("{what} failed: {}", esc(&s)),
    }
}

/// What the user sees to approve a device login.
#[derive(Debug, Clone)]
pub struct DeviceStart {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
    pub expires_in: Duration,
    pub interval: Duration,
    response: oauth2::StandardDeviceAuthorizationResponse,
}

/// RFC 8628 §3.1–3.2: ask for a device code.
pub fn device_start(
    provider: &Provider,
    creds: &ClientCreds,
    scopes: &[String],
) -> anyhow::Result<DeviceStart> {
    let Some(endpoint) = &provider.device_authorization_endpoint else {
        anyhow::bail!(
            "{} has no device authorization endpoint; use the paste flow (--flow paste)",
            crate::output::escape::esc(&provider.issuer)
        );
    };
    let url = DeviceAuthorizationUrl::new(endpoint.clone())
        .map_err(|_| url_error("device authorization endpoint", endpoint))?;
    let http = super::http::client()?;
    let r: oauth2::StandardDeviceAuthorizationResponse = token_client(provider, creds)?
        .set_device_authorization_url(url)
        .exchange_device_code()
        .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())))
        .request(&http)
        .map_err(|e| token_error("the device authorization request", e))?;
    Ok(DeviceStart {
        verification_uri: r.verification_uri().to_string(),
        verification_uri_complete: r
            .verification_uri_complete()
            .map(|u| u.secret().to_string()),
        user_code: r.user_code().secret().to_string(),
        expires_in: r.expires_in(),
        interval: r.interval(),
        response: r,
    })
}

/// RFC 8628 §3.4–3.5: poll until the user approved, denied, or the code
/// expired. `authorization_pending` keeps polling, `slow_down` adds 5 s to
/// every later interval (the `oauth2` crate keeps those rules); `sleep` is
/// called between polls (it draws the spinner).
pub fn device_poll(
    provider: &Provider,
    creds: &ClientCreds,
    start: &DeviceStart,
    timeout: Duration,
    sleep: impl Fn(Duration),
) -> anyhow::Result<Tokens> {
    use oauth2::DeviceCodeErrorResponseType as E;
    // No poll may outlive the login's own deadline.
    let http = super::http::client_within(timeout.max(Duration::from_secs(1)))?;
    // The crate backs off silently when the provider cannot be reached and
    // reports the end of the wait as an expired code: remember the last
    // transport error to say what really happened.
    let last_error = std::cell::RefCell::new(None::<String>);
    let call = |req: oauth2::HttpRequest| {
        let r = oauth2::SyncHttpClient::call(&http, req);
        *last_error.borrow_mut() = r.as_ref().err().map(|e| super::http::describe(e));
        r
    };
    let started = std::time::Instant::now();
    let client = token_client(provider, creds)?;
    let result = client
        .exchange_device_access_token(&start.response)
        // A provider that does not answer is retried every few seconds, not
        // every ten: the wait ends close to --timeout.
        .set_max_backoff_interval(Duration::from_secs(4))
        .request(&call, sleep, Some(timeout))
        .map(Tokens::from);
    result.map_err(|e| {
        if let Some(err) = last_error.borrow().as_ref() {
            return anyhow::anyhow!(
                "the provider could not be reached while waiting for the approval: {err}"
            );
        }
        match &e {
            RequestTokenError::ServerResponse(r) => match r.error() {
                E::AccessDenied => anyhow::anyhow!("the device login was denied"),
                E::ExpiredToken
                    if timeout + Duration::from_secs(1) < start.expires_in
                        && started.elapsed() >= timeout =>
                {
                    anyhow::anyhow!(
                        "the login was not approved within {}; run it again (--timeout for longer)",
                        humantime::format_duration(Duration::from_secs(
                            timeout.as_secs_f64().ceil() as u64
                        ))
                    )
                }
                E::ExpiredToken => anyhow::anyhow!(
                    "the device code expired before the login was approved; run the login again"
                ),
                _ => token_error("the device login", e),
            },
            _ => token_error("the device login", e),
        }
    })
}

/// The account an ID token names (email, else subject). The token came
/// straight from the token endpoint over the same connection, so its claims
/// may label the login (OpenID Connect Core §3.1.3.7); they decide nothing.
pub fn account_from_id_token(id_token: &Secret) -> Option<String> {
    use base64::Engine;
    let payload = id_token.expose().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims
        .get("email")
        .or_else(|| claims.get("sub"))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
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
