//! The token cache: one file per login (issuer, client, account, scopes),
//! 0600 in a 0700 directory, written atomically, refreshed under a lock.
use crate::auth::secret::Secret;
use serde::{Deserialize, Serialize};

/// One cached login: everything `gauth token` needs to hand out a valid
/// access token (and refresh it) without asking anyone or discovering the
/// provider again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub issuer: String,
    pub client_id: String,
    #[serde(default, with = "opt_secret")]
    pub client_secret: Option<Secret>,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// The account (email, else the subject), when the provider said.
    pub account: Option<String>,
    /// Sorted, deduplicated.
    pub scopes: Vec<String>,
    #[serde(with = "secret")]
    pub access_token: Secret,
    #[serde(default, with = "opt_secret")]
    pub refresh_token: Option<Secret>,
    /// Seconds since the epoch; `None`: the provider did not say.
    pub expires_at: Option<u64>,
    /// When this login was made (seconds since the epoch).
    pub created_at: u64,
}

/// Secrets are written to the 0600 cache file as plain strings (and only
/// there): serde needs to see through the redacting type.
mod secret {
    use crate::auth::secret::Secret;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Secret, D::Error> {
        String::deserialize(de).map(Secret::new)
    }
}

mod opt_secret {
    use crate::auth::secret::Secret;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(s: &Option<Secret>, ser: S) -> Result<S::Ok, S::Error> {
        match s {
            Some(s) => ser.serialize_some(s.expose()),
            None => ser.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Secret>, D::Error> {
        Option::<String>::deserialize(de).map(|o| o.map(Secret::new))
    }
}
