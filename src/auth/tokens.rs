//! Calls on a cached login that need no person: renewing the access token
//! with the refresh token (RFC 6749 §6) and revoking a token (RFC 7009).
use super::http::{Http, HttpError, MAX_BODY};
use crate::auth::secret::Secret;
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicRequestTokenError};
use oauth2::{ClientId, ClientSecret, RefreshToken, RequestTokenError, TokenResponse, TokenUrl};
use std::time::Instant;

/// What a refresh brought back.
#[derive(Debug, Clone)]
pub struct Refreshed {
    pub access_token: Secret,
    /// A rotated refresh token (the old one is dead then); `None`: keep it.
    pub refresh_token: Option<Secret>,
    /// Seconds, saturated at [`super::oauth::MAX_EXPIRES_IN`].
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
    /// The request was not sent: plain http beyond loopback.
    #[error("the refresh was not sent: {0}")]
    NotSent(String),
    #[error("the token endpoint {endpoint} answered something that is not a token ({detail})")]
    Invalid { endpoint: String, detail: String },
    #[error("the cached login is unusable: {0}")]
    Config(String),
}

/// What a refresh or a revocation needs of a login: where to send it, the
/// client it was granted to, and its tokens. Borrowed from the cached login
/// (the cache builds it), so that auth does not depend on the cache.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    pub token_endpoint: &'a str,
    pub revocation_endpoint: Option<&'a str>,
    pub client_id: &'a str,
    pub client_secret: Option<&'a Secret>,
    pub access_token: &'a Secret,
    pub refresh_token: Option<&'a Secret>,
}

fn client_for(grant: &Grant) -> BasicClient {
    let mut client = BasicClient::new(ClientId::new(grant.client_id.to_owned()));
    if let Some(secret) = grant.client_secret {
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
/// endpoint, answered whole before `deadline`. The caller holds the login's
/// lock (rotation: a refresh token used twice revokes the whole family).
pub fn refresh(http: &Http, grant: &Grant, deadline: Instant) -> Result<Refreshed, RefreshError> {
    let endpoint = grant.token_endpoint.to_owned();
    let Some(refresh_token) = grant.refresh_token else {
        return Err(RefreshError::Config("no refresh token".into()));
    };
    let token_url = super::http::endpoint(&endpoint)
        .map(TokenUrl::from_url)
        .map_err(RefreshError::Config)?;
    let client = client_for(grant).set_token_uri(token_url);
    let rt = RefreshToken::new(refresh_token.expose().to_owned());
    let answer = client
        .exchange_refresh_token(&rt)
        .request(&http.oauth(deadline, MAX_BODY))
        // `expires_in` as a string of digits: read as the login reads it.
        .or_else(|e| match e {
            RequestTokenError::Parse(_, ref body) => {
                super::oauth::numeric_string_expires_in(body).ok_or(e)
            }
            e => Err(e),
        });
    match answer {
        Ok(t) => Ok(Refreshed {
            access_token: Secret::new(t.access_token().secret().clone()),
            refresh_token: t
                .refresh_token()
                .map(|r| Secret::new(r.secret().clone()))
                .filter(|r| !r.is_empty()),
            expires_in: t
                .expires_in()
                .map(|d| d.min(super::oauth::MAX_EXPIRES_IN).as_secs()),
        }),
        Err(e) => Err(refresh_error(endpoint, e)),
    }
}

/// Map the crate's error without ever showing a response body: a body
/// that failed to parse may hold a token.
fn refresh_error(endpoint: String, e: BasicRequestTokenError<HttpError>) -> RefreshError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let detail = describe(r.error().as_ref(), r.error_description());
            if *r.error() == BasicErrorResponseType::InvalidGrant {
                RefreshError::Refused(detail)
            } else {
                RefreshError::Provider { endpoint, detail }
            }
        }
        RequestTokenError::Request(HttpError::NotAllowed(why)) => RefreshError::NotSent(why),
        RequestTokenError::Request(e @ HttpError::TooLarge(_)) => RefreshError::Invalid {
            endpoint,
            detail: e.to_string(),
        },
        RequestTokenError::Request(e) => RefreshError::Transport {
            endpoint,
            detail: e.to_string(),
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
/// providers), else the access token, before `deadline`. `Ok(None)`: the
/// login has no revocation endpoint. The error is one line, without secrets.
///
/// This is the RFC 7009 POST written out: the oauth2 crate's
/// `revoke_token` refuses any `http:` endpoint, loopback included, and a
/// loopback provider is both allowed (RFC 8252) and what the tests run.
pub fn revoke(http: &Http, grant: &Grant, deadline: Instant) -> Result<Option<Revoked>, String> {
    let Some(endpoint) = grant.revocation_endpoint else {
        return Ok(None);
    };
    super::http::endpoint(endpoint)?;
    let (token, which) = match grant.refresh_token {
        Some(rt) if !rt.is_empty() => (rt, Revoked::RefreshToken),
        _ => (grant.access_token, Revoked::AccessToken),
    };
    let hint = match which {
        Revoked::RefreshToken => "refresh_token",
        Revoked::AccessToken => "access_token",
    };
    let req = super::oauth::form_request(
        endpoint,
        grant.client_id,
        grant.client_secret,
        vec![("token", token.expose()), ("token_type_hint", hint)],
    )
    .map_err(|e| e.to_string())?;
    let response = http.send(req, deadline, MAX_BODY).map_err(|e| match e {
        HttpError::NotAllowed(why) => format!("nothing was sent to {endpoint}: {why}"),
        e => format!("{endpoint} could not be reached ({e})"),
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(Some(which));
    }
    // RFC 7009 §2.2.1: an error is an RFC 6749 error object. Only its
    // code and description are shown, never the body as such.
    let detail = serde_json::from_slice::<serde_json::Value>(response.body())
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
