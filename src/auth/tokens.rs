//! Calls on a cached login that need no person: renewing the access token
//! with the refresh token (RFC 6749 §6) and revoking a token (RFC 7009).
use crate::auth::secret::Secret;
use crate::cache::Entry;
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicRequestTokenError};
use oauth2::{ClientId, ClientSecret, RefreshToken, RequestTokenError, TokenResponse, TokenUrl};

/// What a refresh brought back.
#[derive(Debug, Clone)]
pub struct Refreshed {
    pub access_token: Secret,
    /// A rotated refresh token (the old one is dead then); `None`: keep it.
    pub refresh_token: Option<Secret>,
    pub expires_in: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// `invalid_grant`: the refresh token was revoked, expired or already
    /// used. Only a new login helps.
    #[error("the provider refused the refresh token ({0})")]
    Refused(String),
    /// Another OAuth error (`invalid_client`, …).
    #[error("the token endpoint {endpoint} answered {detail}")]
    Provider { endpoint: String, detail: String },
    #[error("the token endpoint {endpoint} could not be reached: {detail}")]
    Transport { endpoint: String, detail: String },
    #[error("the token endpoint {endpoint} answered something that is not a token ({detail})")]
    Invalid { endpoint: String, detail: String },
    #[error("the cached login is unusable: {0}")]
    Config(String),
}

fn client_for(entry: &Entry) -> BasicClient {
    let mut client = BasicClient::new(ClientId::new(entry.client_id.clone()));
    if let Some(secret) = &entry.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    }
    client
}

/// `error` and `error_description` of an OAuth error, in one line.
fn describe(code: &str, description: Option<&String>) -> String {
    match description {
        Some(d) if !d.is_empty() => format!("{code}: {}", one_line(d)),
        _ => code.to_owned(),
    }
}

fn one_line(s: &str) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}

/// Renew the access token. Never interactive; one POST to the token
/// endpoint. The caller holds the login's lock (rotation: a refresh token
/// used twice revokes the whole family).
pub fn refresh(http: &reqwest::blocking::Client, entry: &Entry) -> Result<Refreshed, RefreshError> {
    let endpoint = entry.token_endpoint.clone();
    let Some(refresh_token) = &entry.refresh_token else {
        return Err(RefreshError::Config("no refresh token".into()));
    };
    let token_url = super::http::endpoint(&endpoint)
        .map(TokenUrl::from_url)
        .map_err(RefreshError::Config)?;
    let client = client_for(entry).set_token_uri(token_url);
    let rt = RefreshToken::new(refresh_token.expose().to_owned());
    let answer = client.exchange_refresh_token(&rt).request(http);
    match answer {
        Ok(t) => Ok(Refreshed {
            access_token: Secret::new(t.access_token().secret().clone()),
            refresh_token: t
                .refresh_token()
                .map(|r| Secret::new(r.secret().clone()))
                .filter(|r| !r.is_empty()),
            expires_in: t.expires_in().map(|d| d.as_secs()),
        }),
        Err(e) => Err(refresh_error(endpoint, e)),
    }
}

/// Map the crate's error without ever showing a response body: a body
/// that failed to parse may hold a token.
fn refresh_error(
    endpoint: String,
    e: BasicRequestTokenError<oauth2::HttpClientError<reqwest::Error>>,
) -> RefreshError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let detail = describe(r.error().as_ref(), r.error_description());
            if *r.error() == BasicErrorResponseType::InvalidGrant {
                RefreshError::Refused(detail)
            } else {
                RefreshError::Provider { endpoint, detail }
            }
        }
        RequestTokenError::Request(source) => RefreshError::Transport {
            endpoint,
            detail: super::http::describe(&source),
        },
        RequestTokenError::Parse(e, _body) => RefreshError::Invalid {
            endpoint,
            detail: format!("at {}", e.path()),
        },
        RequestTokenError::Other(detail) => RefreshError::Invalid {
            endpoint,
            detail: one_line(&detail),
        },
    }
}

/// Which token a logout revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Revoked {
    RefreshToken,
    AccessToken,
}

/// Revoke the refresh token (which ends the whole grant at most
/// providers), else the access token. `Ok(None)`: the login has no
/// revocation endpoint. The error is one line, without secrets.
///
/// This is the RFC 7009 POST written out: the oauth2 crate's
/// `revoke_token` refuses any `http:` endpoint, loopback included, and a
/// loopback provider is both allowed (RFC 8252) and what the tests run.
pub fn revoke(http: &reqwest::blocking::Client, entry: &Entry) -> Result<Option<Revoked>, String> {
    let Some(endpoint) = &entry.revocation_endpoint else {
        return Ok(None);
    };
    let url = super::http::endpoint(endpoint)?;
    let (token, which) = match &entry.refresh_token {
        Some(rt) if !rt.is_empty() => (rt, Revoked::RefreshToken),
        _ => (&entry.access_token, Revoked::AccessToken),
    };
    let hint = match which {
        Revoked::RefreshToken => "refresh_token",
        Revoked::AccessToken => "access_token",
    };
    let mut form = vec![("token", token.expose()), ("token_type_hint", hint)];
    let mut request = http.post(url);
    // RFC 6749 §2.3.1: HTTP Basic with the form-encoded id and secret, as
    // the oauth2 crate does for the token endpoint; a public client sends
    // its id in the body.
    match &entry.client_secret {
        Some(secret) => {
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request = request.basic_auth(enc(&entry.client_id), Some(enc(secret.expose())));
        }
        None => form.push(("client_id", &entry.client_id)),
    }
    let response = request.form(&form).send().map_err(|e| {
        format!(
            "{endpoint} could not be reached ({})",
            chain(&anyhow::Error::new(e.without_url()))
        )
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(Some(which));
    }
    // RFC 7009 §2.2.1: an error is an RFC 6749 error object. Only its
    // code and description are shown, never the body as such.
    let mut body = Vec::new();
    use std::io::Read;
    let _ = response.take(64 * 1024).read_to_end(&mut body);
    let detail = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            let code = v.get("error")?.as_str()?.to_owned();
            let desc = v
                .get("error_description")
                .and_then(|d| d.as_str())
                .map(str::to_owned);
            Some(describe(&code, desc.as_ref()))
        })
        .unwrap_or_else(|| format!("HTTP {status}"));
    Err(format!("{endpoint} answered {detail}"))
}

/// An error and its causes in one line.
pub fn chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
