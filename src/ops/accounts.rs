//! `gauth accounts`: the cached logins, with the state of each access
//! token. No secrets, no network.
use crate::cache::{Freshness, Listing, Problem, Store};
use serde::Serialize;
use std::path::Path;

/// `gauth accounts --json` (schema_version 1).
#[derive(Debug, Serialize)]
pub struct AccountsReport {
    pub schema_version: u32,
    pub cache_dir: String,
    pub logins: Vec<Login>,
    /// Cache files that could not be read (skipped).
    pub problems: Vec<Problem>,
}

impl crate::error::Outcome for AccountsReport {}

#[derive(Debug, Serialize)]
pub struct Login {
    pub account: Option<String>,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// `valid`, `refreshable` (expired, `gauth token` renews it) or
    /// `expired` (a new login is needed).
    pub state: Freshness,
    pub expires_at: Option<u64>,
    pub expires_in: Option<u64>,
    pub has_refresh_token: bool,
    pub revocable: bool,
    pub created_at: u64,
    pub file: String,
}

/// `store` `None`: there is no cache yet at `dir` (nothing is made).
pub fn run(
    store: Option<&Store>,
    dir: &Path,
    now: u64,
) -> Result<AccountsReport, crate::error::Error> {
    let listing = match store {
        Some(s) => s
            .list()
            .map_err(|e| crate::error::Error::Runtime(e.into()))?,
        None => Listing::default(),
    };
    Ok(AccountsReport {
        schema_version: crate::ops::SCHEMA_VERSION,
        cache_dir: dir.display().to_string(),
        logins: listing
            .entries
            .iter()
            .map(|s| {
                let e = &s.entry;
                Login {
                    account: e.account.clone(),
                    issuer: e.issuer.clone(),
                    client_id: e.client_id.clone(),
                    scopes: e.scopes.clone(),
                    state: e.freshness(now),
                    expires_at: e.expires_at,
                    expires_in: e.expires_in(now),
                    has_refresh_token: e.refresh_token.as_ref().is_some_and(|t| !t.is_empty()),
                    revocable: e.revocation_endpoint.is_some(),
                    created_at: e.created_at,
                    file: s.path.display().to_string(),
                }
            })
            .collect(),
        problems: listing.problems,
    })
}
