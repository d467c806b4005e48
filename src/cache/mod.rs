//! The token cache: the login entry (here), which login a query picks
//! (`query`) and the checked store on disk (`store`). One file per login
//! (issuer, client, account, scopes), 0600 in a 0700 directory, written
//! atomically, refreshed under a lock.
//!
//! Where: `GAUTH_CACHE` if set, else `$XDG_CACHE_HOME/gauth`, else
//! `$HOME/.cache/gauth` (Windows: `%LOCALAPPDATA%\gauth`); the files are
//! `<dir>/tokens/<sha256 of the key>.json`, discovery documents
//! `<dir>/discovery/<sha256 of the issuer>.json`, logins waiting for
//! `--finish` in `<dir>/pending/`.
use crate::auth::secret::Secret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub mod query;
pub mod store;

pub use query::Query;
pub use store::{Area, CacheError, Failure, Listing, Lock, Prepared, Problem, Store, Stored};

/// A token is handed out only while it has at least this long to live, so
/// that the request that uses it does not race its expiry.
pub const MARGIN_SECONDS: u64 = 60;

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
    /// The client JSON (absolute path) the login's client came from, when
    /// it came from one: a re-login hint names it rather than a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
}

/// Whether a cached access token can be handed out as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// Valid for more than [`MARGIN_SECONDS`] (or the provider gave no expiry).
    Valid,
    /// Expired (or about to), and a refresh token can renew it.
    Refreshable,
    /// Expired, and no refresh token: only a new login helps.
    Expired,
}

impl Entry {
    /// The file name of this login in `tokens/`: a hash of what identifies
    /// it (issuer, client, account, sorted scopes), so that logging in again
    /// with the same choices replaces the old file.
    pub fn file_name(&self) -> String {
        let mut scopes = self.scopes.clone();
        scopes.sort();
        scopes.dedup();
        let key = serde_json::json!([
            trim_issuer(&self.issuer),
            self.client_id,
            self.account,
            scopes
        ]);
        let digest = Sha256::digest(key.to_string().as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}.json")
    }

    /// Everything a cache file says is checked before it is trusted: the
    /// endpoints a token will be sent to, and the tokens themselves (they
    /// are printed and put into headers). One line, no secret.
    pub fn check(&self) -> Result<(), String> {
        use crate::auth::bearer;
        use crate::auth::http::check_url;
        if self.client_id.len() > 4096 || self.client_id.chars().any(char::is_control) {
            return Err("the client id is too long or has control characters".into());
        }
        check_url("the issuer", &self.issuer)?;
        check_url("the token endpoint", &self.token_endpoint)?;
        if let Some(r) = &self.revocation_endpoint {
            check_url("the revocation endpoint", r)?;
        }
        bearer::check_access_token(self.access_token.expose())?;
        if let Some(rt) = self.refresh_token.as_ref().filter(|t| !t.is_empty()) {
            bearer::check_refresh_token(rt.expose())?;
        }
        if self
            .scopes
            .iter()
            .any(|s| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err("a scope is empty or has spaces or control characters".into());
        }
        if self.account.as_ref().is_some_and(|a| a.len() > 4096) {
            return Err("the account name is too long".into());
        }
        Ok(())
    }

    pub fn freshness(&self, now: u64) -> Freshness {
        match self.expires_at {
            Some(at) if at <= now.saturating_add(MARGIN_SECONDS) => {
                if self.refresh_token.as_ref().is_some_and(|t| !t.is_empty()) {
                    Freshness::Refreshable
                } else {
                    Freshness::Expired
                }
            }
            _ => Freshness::Valid,
        }
    }

    /// Seconds the access token has left (0 once expired); `None`: unknown.
    pub fn expires_in(&self, now: u64) -> Option<u64> {
        self.expires_at.map(|at| at.saturating_sub(now))
    }

    pub fn matches(&self, q: &Query) -> bool {
        q.issuer
            .as_deref()
            .is_none_or(|i| trim_issuer(i) == trim_issuer(&self.issuer))
            && q.client_id.as_deref().is_none_or(|c| c == self.client_id)
            && q.scopes.iter().all(|s| self.has_scope(s))
            && q.account.as_deref().is_none_or(|a| {
                self.account
                    .as_deref()
                    .is_some_and(|mine| mine.eq_ignore_ascii_case(a))
            })
    }

    /// The login has `scope`: by name, or, at Google, by the other name
    /// Google gives the same scope (`email` is granted as
    /// `…/auth/userinfo.email`).
    pub fn has_scope(&self, scope: &str) -> bool {
        if self.scopes.iter().any(|s| s == scope) {
            return true;
        }
        if trim_issuer(&self.issuer) != crate::decide::google::ISSUER {
            return false;
        }
        let want = crate::decide::google::canonical_scope(scope);
        self.scopes
            .iter()
            .any(|s| crate::decide::google::canonical_scope(s) == want)
    }

    /// The login's scopes in the names its provider treats as one (Google's
    /// short and long names alike), for comparing a login with a request.
    pub fn scope_set(&self) -> std::collections::BTreeSet<&str> {
        self.scopes.iter().map(|s| self.scope_name(s)).collect()
    }

    /// `scope` in the name this login's provider gives it (at Google, the
    /// long name of `email` and `profile`).
    pub fn scope_name<'s>(&self, scope: &'s str) -> &'s str {
        if trim_issuer(&self.issuer) == crate::decide::google::ISSUER {
            crate::decide::google::canonical_scope(scope)
        } else {
            scope
        }
    }

    /// What a refresh or a revocation of this login needs.
    pub fn grant(&self) -> crate::auth::tokens::Grant<'_> {
        crate::auth::tokens::Grant {
            token_endpoint: &self.token_endpoint,
            revocation_endpoint: self.revocation_endpoint.as_deref(),
            client_id: &self.client_id,
            client_secret: self.client_secret.as_ref(),
            access_token: &self.access_token,
            refresh_token: self.refresh_token.as_ref(),
        }
    }

    /// A refresh answer: the new access token, and the new refresh token
    /// when the provider rotated it (the old one is dead then); the old one
    /// is kept only when none came back.
    pub fn apply(&mut self, fresh: &crate::auth::tokens::Refreshed, now: u64) {
        self.access_token = fresh.access_token.clone();
        self.expires_at = fresh.expires_in.map(|s| now.saturating_add(s));
        if let Some(rt) = &fresh.refresh_token {
            self.refresh_token = Some(rt.clone());
        }
    }
}

/// `https://issuer/` and `https://issuer` are the same provider.
fn trim_issuer(issuer: &str) -> &str {
    issuer.trim_end_matches('/')
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
