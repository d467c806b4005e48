//! `gauth token`: a valid access token for one cached login. A token still
//! valid is handed out with no network request; an expired one is refreshed
//! under the login's lock. Never interactive: without a way to a token it
//! fails with exit 4 and the `gauth login` to run.
use crate::auth::secret::Secret;
use crate::auth::tokens::{self, RefreshError};
use crate::cache::query::{NoPick, ambiguous, default_login, select};
use crate::cache::{Entry, Failure, Freshness, Query, Store, Stored};
use crate::error::Error;
use crate::ops::hints::{Lazy, expired, no_login, relogin, who};
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How the token was had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Still valid in the cache: no request made.
    Cache,
    /// Refreshed by this run.
    Refreshed,
    /// Another gauth refreshed it while this one waited for the lock.
    RefreshedMeanwhile,
}

/// `gauth token --json` (schema_version 1). The one report that carries a
/// token: `Debug` still redacts it, only the JSON shows it.
#[derive(Debug, Serialize)]
pub struct TokenReport {
    pub schema_version: u32,
    #[serde(serialize_with = "expose")]
    pub access_token: Secret,
    pub expires_at: Option<u64>,
    pub expires_in: Option<u64>,
    pub scopes: Vec<String>,
    pub account: Option<String>,
    pub issuer: String,
    pub client_id: String,
    #[serde(skip)]
    pub source: Source,
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    pub token_endpoint: String,
}

impl crate::error::Outcome for TokenReport {}

fn expose<S: serde::Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.expose())
}

impl TokenReport {
    fn new(stored: &Stored, entry: &Entry, source: Source, now: u64) -> TokenReport {
        TokenReport {
            schema_version: crate::ops::SCHEMA_VERSION,
            access_token: entry.access_token.clone(),
            expires_at: entry.expires_at,
            expires_in: entry.expires_in(now),
            scopes: entry.scopes.clone(),
            account: entry.account.clone(),
            issuer: entry.issuer.clone(),
            client_id: entry.client_id.clone(),
            source,
            path: stored.path.clone(),
            token_endpoint: entry.token_endpoint.clone(),
        }
    }
}

/// The most `gauth token` spends, waiting for the lock and refreshing
/// together: a script that calls it is never held for more than this (the
/// request limit alone would let twenty queued callers take turns).
pub const BUDGET: Duration = Duration::from_secs(25);

/// A caller queued on the lock waits this much past its own budget, so
/// that a holder which started just before it fails (and says why) before
/// the waiter gives up; 27 s in all, still under 30.
const LOCK_GRACE: Duration = Duration::from_secs(2);

/// `gauth token`: see the module doc. `store` `None`: there is no cache
/// (nothing is made). `http` builds the client only when a refresh is
/// needed, and the refresh is over by the budget's deadline (the whole
/// answer, however slowly it comes); `clock` gives seconds since the
/// epoch. `force` (`--refresh`): renew even a token still valid.
#[allow(clippy::too_many_arguments)]
pub fn run(
    store: Option<&Store>,
    q: &Query,
    force: bool,
    defaults: &Lazy,
    clock: &dyn Fn() -> u64,
    http: &dyn Fn() -> anyhow::Result<crate::auth::http::Http>,
    warnings: &mut Vec<String>,
) -> Result<TokenReport, Error> {
    let started = Instant::now();
    let deadline = started + BUDGET;
    let started_unix = clock();
    let Some(store) = store else {
        return Err(Error::LoginRequired(no_login(q, 0, defaults.get())));
    };
    let listing = store.list().map_err(|e| Error::Runtime(e.into()))?;
    warnings.extend(listing.problems.iter().map(|p| p.line()));
    let stored = pick(listing.entries, q, defaults)?;
    let now = clock();
    match freshness(&stored.entry, now, force) {
        Freshness::Valid => {
            return Ok(TokenReport::new(&stored, &stored.entry, Source::Cache, now));
        }
        Freshness::Expired if force => {
            return Err(Error::LoginRequired(no_refresh_token(
                &stored.entry,
                defaults.get(),
            )));
        }
        Freshness::Expired => {
            return Err(Error::LoginRequired(expired(&stored.entry, defaults.get())));
        }
        Freshness::Refreshable => {}
    }
    // Refresh tokens rotate: two refreshes with the same one revoke the
    // family. Under the lock, read again: another gauth may have done it.
    let lock = store
        .lock(&stored.name, deadline + LOCK_GRACE)
        .map_err(|e| Error::Runtime(e.into()))?;
    let current = match store.read(&stored.name) {
        Ok(Some(e)) => e,
        Ok(None) => {
            // A logout removed it while this one waited: leave no lock file.
            store.drop_lock(lock);
            return Err(Error::LoginRequired(format!(
                "the login was removed meanwhile (a logout?); {}",
                relogin(&stored.entry, defaults.get())
            )));
        }
        Err(p) => return Err(Error::Runtime(anyhow::anyhow!(p.line()))),
    };
    let now = clock();
    let changed = current.access_token != stored.entry.access_token;
    // Renewed by another gauth while this one waited: that is the new
    // token `--refresh` asked for.
    match freshness(&current, now, force && !changed) {
        Freshness::Valid => {
            return Ok(TokenReport::new(
                &stored,
                &current,
                Source::RefreshedMeanwhile,
                now,
            ));
        }
        // Renewed meanwhile, but shorter-lived than the margin: still
        // good, and refreshing again would only churn the family.
        _ if changed && current.expires_at.is_some_and(|at| at > now) => {
            return Ok(TokenReport::new(
                &stored,
                &current,
                Source::RefreshedMeanwhile,
                now,
            ));
        }
        Freshness::Expired if force && !changed => {
            return Err(Error::LoginRequired(no_refresh_token(
                &current,
                defaults.get(),
            )));
        }
        Freshness::Expired => return Err(Error::LoginRequired(expired(&current, defaults.get()))),
        Freshness::Refreshable => {}
    }
    // The gauth this one waited for tried this very refresh and failed:
    // its cause is this one's, at once (not another wait for the same
    // hanging endpoint).
    if lock.waited
        && !changed
        && let Some(f) = store.last_failure(&lock).filter(|f| f.at >= started_unix)
    {
        let msg = format!(
            "another gauth refreshing this login just failed: {}",
            crate::text::escape::esc(&f.cause)
        );
        return Err(if f.login_required {
            Error::LoginRequired(msg)
        } else {
            Error::Runtime(anyhow::anyhow!(msg))
        });
    }
    // Before the refresh token is spent: the file its answer goes to, with
    // room set aside. A cache that cannot be written stops here, with the
    // refresh token still good.
    let prepared = store.prepare().map_err(|e| {
        Error::Runtime(anyhow::Error::new(e).context(
            "the token cache cannot be written, so the refresh token was not used; fix that and run `gauth token` again",
        ))
    })?;
    store.mark_refreshing(&lock, now);
    let fail = |cause: String, login_required: bool| {
        store.record_failure(
            &lock,
            Some(&Failure {
                at: clock(),
                cause,
                login_required,
            }),
        );
    };
    let client = match http() {
        Ok(c) => c,
        Err(e) => {
            fail(format!("cannot set up HTTPS: {e}"), false);
            return Err(Error::Runtime(e.context("cannot set up HTTPS")));
        }
    };
    let fresh = match tokens::refresh(&client, &current.grant(), deadline) {
        Ok(fresh) => fresh,
        Err(RefreshError::Refused(detail)) => {
            let msg = format!(
                "the provider refused the refresh token ({detail}): revoked, expired or reused; {}",
                relogin(&current, defaults.get())
            );
            fail(msg.clone(), true);
            // The grant is gone (a revoked grant takes its access tokens
            // with it): kept without the refresh token and as expired, so
            // no later `gauth token` hands out the dead access token, and
            // `accounts` says a new login is needed.
            let mut dead = current.clone();
            dead.refresh_token = None;
            dead.expires_at = Some(dead.expires_at.map_or(now, |at| at.min(now)));
            let _ = prepared.commit(&lock, &dead);
            return Err(Error::LoginRequired(msg));
        }
        Err(e) => {
            let e = anyhow::Error::new(e)
                .context(format!("cannot refresh the token of {}", who(&current)));
            fail(tokens::chain(&e), false);
            return Err(Error::Runtime(e));
        }
    };
    let rotated = fresh.refresh_token.is_some();
    let lost = if rotated {
        "the provider has already replaced the refresh token, so this login is lost"
    } else {
        "the refresh token is unchanged, so the next `gauth token` refreshes again"
    };
    // What came back is checked before it is cached or printed.
    let checked = crate::auth::bearer::check_access_token(fresh.access_token.expose())
        .and_then(|()| match &fresh.refresh_token {
            Some(rt) => crate::auth::bearer::check_refresh_token(rt.expose()),
            None => Ok(()),
        })
        .and_then(|()| crate::auth::bearer::check_lifetime(fresh.expires_in).map(|_| ()));
    if let Err(why) = checked {
        let msg = format!(
            "the token endpoint's answer cannot be used: {why}; nothing was cached ({lost}{})",
            if rotated {
                format!("; {}", relogin(&current, defaults.get()))
            } else {
                String::new()
            }
        );
        fail(msg.clone(), rotated);
        return Err(if rotated {
            Error::LoginRequired(msg)
        } else {
            Error::Runtime(anyhow::anyhow!(msg))
        });
    }
    let mut entry = current;
    entry.apply(&fresh, now);
    match prepared.commit(&lock, &entry) {
        Ok(_) => store.record_failure(&lock, None),
        Err(e) => {
            // The access token is good and the caller asked for it: hand
            // it out, and say plainly what was lost.
            let until = entry
                .expires_in(clock())
                .map(|s| format!(" for {}", crate::text::human::duration(s)))
                .unwrap_or_default();
            warnings.push(format!(
                "the renewed login could not be saved ({}): this token works{until}, and {lost}{}",
                crate::text::escape::esc(&e.to_string()),
                if rotated {
                    format!("; then {}", relogin(&entry, defaults.get()))
                } else {
                    String::new()
                }
            ));
            store.record_failure(&lock, None);
        }
    }
    drop(lock);
    Ok(TokenReport::new(
        &stored,
        &entry,
        Source::Refreshed,
        clock(),
    ))
}

/// How a login's token stands; with `force`, a token with a refresh token
/// is renewed whatever its expiry, and one without cannot be.
fn freshness(e: &Entry, now: u64, force: bool) -> Freshness {
    if !force {
        return e.freshness(now);
    }
    if e.refresh_token.as_ref().is_some_and(|t| !t.is_empty()) {
        Freshness::Refreshable
    } else {
        Freshness::Expired
    }
}

/// `--refresh` on a login with no refresh token.
fn no_refresh_token(e: &Entry, d: &crate::ops::hints::Defaults) -> String {
    format!(
        "the login of {} has no refresh token, so its access token cannot be renewed; {}",
        who(e),
        relogin(e, d)
    )
}

/// The one login `q` picks among `entries` (with several and no flags,
/// the config file's default login).
fn pick(entries: Vec<Stored>, q: &Query, defaults: &Lazy) -> Result<Stored, Error> {
    match select(entries, q) {
        Ok(s) => Ok(s),
        Err(NoPick::Many(found)) => match default_login(
            found,
            q,
            &Query::from_defaults(&defaults.get().config.defaults),
        ) {
            Ok(s) => Ok(s),
            Err(found) => Err(Error::Usage(ambiguous(&found))),
        },
        Err(NoPick::None { total }) => {
            Err(Error::LoginRequired(no_login(q, total, defaults.get())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::query::tests::{entry, stored};

    #[test]
    fn freshness_uses_the_margin() {
        let mut e = entry("https://i", "c", "a", &[]);
        e.expires_at = Some(1000);
        assert_eq!(e.freshness(939), Freshness::Valid);
        assert_eq!(e.freshness(940), Freshness::Expired);
        e.refresh_token = Some(Secret::new("rt"));
        assert_eq!(e.freshness(940), Freshness::Refreshable);
        e.expires_at = None;
        assert_eq!(e.freshness(u64::MAX), Freshness::Valid);
    }

    #[test]
    fn report_debug_redacts_the_token() {
        let e = entry("https://i", "c", "a", &[]);
        let r = TokenReport::new(&stored(e.clone()), &e, Source::Cache, 0);
        assert!(!format!("{r:?}").contains("\"at\""));
        assert!(
            serde_json::to_string_pretty(&r)
                .unwrap()
                .contains("\"access_token\": \"at\"")
        );
    }
}
