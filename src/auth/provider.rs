//! Who issues the tokens: Google's preset, or any OpenID provider found by
//! discovery. Holds the endpoints and what the provider announces.
use serde::{Deserialize, Serialize};

/// An OAuth provider's endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// RFC 9207: the provider sends `iss` with every authorization response.
    #[serde(default, rename = "authorization_response_iss_parameter_supported")]
    pub iss_supported: bool,
}

pub use crate::decide::google::ISSUER as GOOGLE_ISSUER;

impl Provider {
    /// Google's endpoints, as its discovery document names them.
    pub fn google() -> Provider {
        Provider {
            issuer: GOOGLE_ISSUER.into(),
            authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token_endpoint: "https://oauth2.googleapis.com/token".into(),
            device_authorization_endpoint: Some("https://oauth2.googleapis.com/device/code".into()),
            revocation_endpoint: Some("https://oauth2.googleapis.com/revoke".into()),
            userinfo_endpoint: Some("https://openidconnect.googleapis.com/v1/userinfo".into()),
            // Google's discovery document does not announce RFC 9207: an
            // `iss` it sends is still checked, a missing one is accepted.
            iss_supported: false,
        }
    }

    pub fn is_google(&self) -> bool {
        self.issuer == GOOGLE_ISSUER
    }
}
