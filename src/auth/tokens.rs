//! Calls on a cached login that need no person: renewing the access token
//! with the refresh token (RFC 6749 §6) and revoking a token (RFC 7009).
use crate::auth::secret::Secret;
use crate::cache::Entry;
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicRequestTokenError};
use oauth2::{
    ClientId, ClientSecret, RefreshToken, RequestTokenError, RevocationErrorResponseType,
    RevocationUrl, StandardRevocableToken, TokenResponse, TokenUrl,
};

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
    #[error("the token endpoint {endpoint} could not be reached")]
    Transport {
        endpoint: String,
        #[source]
        source: anyhow::Error,
    },
    #[error("the token endpoint {endpoint} answered something that is not a token ({detail})")]
    Invalid { endpoint: String, detail: String },
    #[error("the cached login is unusable: {0}")]
    Config(String),
}

fn client_for(entry: &Entry) -> Result<BasicClient, String> {
    let mut client = BasicClient::new(ClientId::new(entry.client_id.clone()));
    if let Some(secret) = &entry.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    }
    Ok(client)
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
    let token_url = TokenUrl::new(endpoint.clone())
        .map_err(|e| RefreshError::Config(format!("token endpoint {endpoint:?}: {e}")))?;
    let client = client_for(entry)
        .map_err(RefreshError::Config)?
        .set_token_uri(token_url);
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
            source: source.into(),
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
pub fn revoke(http: &reqwest::blocking::Client, entry: &Entry) -> Result<Option<Revoked>, String> {
    let Some(endpoint) = &entry.revocation_endpoint else {
        return Ok(None);
    };
    let url = RevocationUrl::new(endpoint.clone())
        .map_err(|e| format!("revocation endpoint {endpoint:?}: {e}"))?;
    let client = client_for(entry)?.set_revocation_url(url);
    let (token, which) = match &entry.refresh_token {
        Some(rt) if !rt.is_empty() => (
            StandardRevocableToken::RefreshToken(RefreshToken::new(rt.expose().to_owned())),
            Revoked::RefreshToken,
        ),
        _ => (
            StandardRevocableToken::AccessToken(oauth2::AccessToken::new(
                entry.access_token.expose().to_owned(),
            )),
            Revoked::AccessToken,
        ),
    };
    let request = client.revoke_token(token).map_err(|e| e.to_string())?;
    match request.request(http) {
        Ok(()) => Ok(Some(which)),
        Err(RequestTokenError::ServerResponse(r)) => {
            let code: &RevocationErrorResponseType = r.error();
            Err(format!(
                "{endpoint} answered {}",
                describe(code.as_ref(), r.error_description())
            ))
        }
        Err(RequestTokenError::Request(e)) => {
            let e: anyhow::Error = e.into();
            Err(format!("{endpoint} could not be reached ({})", chain(&e)))
        }
        Err(RequestTokenError::Parse(e, _)) => Err(format!(
            "{endpoint} answered something unexpected (at {})",
            e.path()
        )),
        Err(RequestTokenError::Other(d)) => Err(format!("{endpoint}: {}", one_line(&d))),
    }
}

/// An error and its causes in one line.
pub fn chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
