//! `gauth logout`: revoke a cached login at the provider (where it has a
//! revocation endpoint), then delete it here, whatever the provider said.
use crate::auth::tokens::{self, Revoked};
use crate::cache::query::{NoPick, ambiguous, default_login, flags, select};
use crate::cache::{Problem, Query, Store, Stored};
use crate::error::Error;
use serde::Serialize;

/// `gauth logout --json` (schema_version 1).
#[derive(Debug, Serialize)]
pub struct LogoutReport {
    pub schema_version: u32,
    pub logouts: Vec<Logout>,
    /// Files that could not be read as logins and were left alone.
    pub problems: Vec<Problem>,
    /// Files that could not be read as logins, deleted by `--all`.
    pub removed: Vec<Problem>,
}

/// The logins are deleted here, a failed revocation included (the report
/// says so): success.
impl crate::error::Outcome for LogoutReport {}

#[derive(Debug, Serialize)]
pub struct Logout {
    pub account: Option<String>,
    pub issuer: String,
    pub client_id: String,
    /// `revoked`, `failed` or `unsupported` (no revocation endpoint).
    pub revocation: Revocation,
    /// Which token was revoked (the refresh token ends the whole grant at
    /// most providers).
    pub revoked: Option<Revoked>,
    /// Why revocation failed (one line).
    pub error: Option<String>,
    /// Always true in a report: a login that cannot be deleted is an error.
    pub deleted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    Revoked,
    Failed,
    Unsupported,
}

/// Log out of the one login `q` picks, or of every login with `all` (the
/// files that cannot be read as logins too: they are deleted, and said).
/// `store` `None`: there is no cache.
pub fn run(
    store: Option<&Store>,
    q: &Query,
    all: bool,
    defaults: &crate::ops::hints::Lazy,
    http: &dyn Fn() -> anyhow::Result<crate::auth::http::Http>,
) -> Result<LogoutReport, Error> {
    let Some(store) = store else {
        if !all && !q.is_empty() {
            return Err(Error::Usage(format!(
                "no cached login matches {}; there is no token cache",
                flags(q)
            )));
        }
        return Ok(LogoutReport {
            schema_version: crate::ops::SCHEMA_VERSION,
            logouts: Vec::new(),
            problems: Vec::new(),
            removed: Vec::new(),
        });
    };
    let listing = store.list().map_err(|e| Error::Runtime(e.into()))?;
    let mut problems = Vec::new();
    let mut removed = Vec::new();
    for (name, mut p) in listing.problem_names.iter().zip(listing.problems) {
        // A file that is not a readable login cannot be revoked, but with
        // --all it is always deleted: its name goes, never what it points to.
        if !all {
            problems.push(p);
            continue;
        }
        match store.remove(name) {
            Ok(()) => removed.push(p),
            Err(e) => {
                p.what = format!("{}; cannot delete it: {e}", p.what);
                problems.push(p);
            }
        }
    }
    let chosen: Vec<Stored> = if all {
        listing.entries
    } else {
        match select(listing.entries, q) {
            Ok(s) => vec![s],
            // Several, no flags: the default login, as `gauth token` picks it.
            Err(NoPick::Many(found)) => match default_login(
                found,
                q,
                &Query::from_defaults(&defaults.get().config.defaults),
            ) {
                Ok(s) => vec![s],
                Err(found) => {
                    return Err(Error::Usage(format!("{} (or --all)", ambiguous(&found))));
                }
            },
            Err(NoPick::None { .. }) if q.is_empty() => Vec::new(),
            Err(NoPick::None { total }) => {
                return Err(Error::Usage(format!(
                    "no cached login matches {}; `gauth accounts` lists the {total} cached",
                    flags(q)
                )));
            }
        }
    };
    let mut client = None;
    let mut logouts = Vec::new();
    for s in chosen {
        // Under the login's lock, read it again: a `gauth token` may have
        // rotated its refresh token meanwhile, and that is the one to
        // revoke (the old one is dead already).
        let lock = store
            .lock(
                &s.name,
                std::time::Instant::now() + crate::cache::store::LOCK_WAIT,
            )
            .map_err(|e| Error::Runtime(anyhow::Error::new(e).context("cannot log out")))?;
        let current = match store.read(&s.name) {
            Ok(Some(e)) => e,
            // Removed meanwhile (another logout): nothing left to do.
            Ok(None) => {
                store.drop_lock(lock);
                continue;
            }
            Err(p) => {
                drop(lock);
                problems.push(p);
                continue;
            }
        };
        let e = &current;
        let (revocation, revoked, error) = if e.revocation_endpoint.is_none() {
            (Revocation::Unsupported, None, None)
        } else {
            if client.is_none() {
                client =
                    Some(http().map_err(|e| Error::Runtime(e.context("cannot set up HTTPS")))?);
            }
            let deadline = crate::auth::http::deadline_in(crate::auth::http::REQUEST_TIMEOUT);
            match client
                .as_ref()
                .map(|c| tokens::revoke(c, &e.grant(), deadline))
            {
                Some(Ok(Some(which))) => (Revocation::Revoked, Some(which), None),
                Some(Ok(None)) | None => (Revocation::Unsupported, None, None),
                Some(Err(why)) => (Revocation::Failed, None, Some(why)),
            }
        };
        store.remove_locked(lock).map_err(|err| {
            Error::Runtime(anyhow::Error::new(err).context("cannot delete the login"))
        })?;
        logouts.push(Logout {
            account: e.account.clone(),
            issuer: e.issuer.clone(),
            client_id: e.client_id.clone(),
            revocation,
            revoked,
            error,
            deleted: true,
        });
    }
    Ok(LogoutReport {
        schema_version: crate::ops::SCHEMA_VERSION,
        logouts,
        problems,
        removed,
    })
}
