//! `gauth token`: a valid access token for one cached login. A token still
//! valid is handed out with no network request; an expired one is refreshed
//! under the login's lock. Never interactive: without a way to a token it
//! fails with exit 4 and the `gauth login` to run.
use crate::auth::provider::GOOGLE_ISSUER;
use crate::auth::secret::Secret;
use crate::auth::tokens::{self, RefreshError};
use crate::cache::query::{NoPick, ambiguous, default_login, flags, select};
use crate::cache::{Entry, Failure, Freshness, Query, Store, Stored};
use crate::error::Error;
use crate::system::env::Env;
/// Moved to [`crate::text::shell::quote`]; kept here until its users move.
pub use crate::text::shell::quote as shell_quote;
use serde::Serialize;
use std::collections::BTreeSet;
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
/// epoch.
pub fn run(
    store: Option<&Store>,
    q: &Query,
    env: &Env,
    clock: &dyn Fn() -> u64,
    http: &dyn Fn() -> anyhow::Result<crate::auth::http::Http>,
    warnings: &mut Vec<String>,
) -> Result<TokenReport, Error> {
    let started = Instant::now();
    let deadline = started + BUDGET;
    let started_unix = clock();
    let Some(store) = store else {
        return Err(Error::LoginRequired(no_login(q, 0, env)));
    };
    let listing = store.list().map_err(|e| Error::Runtime(e.into()))?;
    warnings.extend(listing.problems.iter().map(|p| p.line()));
    let stored = pick(listing.entries, q, env)?;
    let now = clock();
    match stored.entry.freshness(now) {
        Freshness::Valid => {
            return Ok(TokenReport::new(&stored, &stored.entry, Source::Cache, now));
        }
        Freshness::Expired => return Err(Error::LoginRequired(expired(&stored.entry, env))),
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
                relogin(&stored.entry, env)
            )));
        }
        Err(p) => return Err(Error::Runtime(anyhow::anyhow!(p.line()))),
    };
    let now = clock();
    let changed = current.access_token != stored.entry.access_token;
    match current.freshness(now) {
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
        Freshness::Expired => return Err(Error::LoginRequired(expired(&current, env))),
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
                relogin(&current, env)
            );
            fail(msg.clone(), true);
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
                format!("; {}", relogin(&current, env))
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
                    format!("; then {}", relogin(&entry, env))
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

/// The one login `q` picks among `entries` (with several and no flags,
/// the config file's default login).
fn pick(entries: Vec<Stored>, q: &Query, env: &Env) -> Result<Stored, Error> {
    match select(entries, q) {
        Ok(s) => Ok(s),
        Err(NoPick::Many(found)) => match default_login(found, q, &config_defaults(env)) {
            Ok(s) => Ok(s),
            Err(found) => Err(Error::Usage(ambiguous(&found))),
        },
        Err(NoPick::None { total }) => Err(Error::LoginRequired(no_login(q, total, env))),
    }
}

/// The config file's defaults as a query: read only when several logins
/// match, never on the path of a single login.
fn config_defaults(env: &Env) -> Query {
    Query::from_defaults(&crate::system::config::load(env).defaults)
}

fn who(e: &Entry) -> String {
    match &e.account {
        Some(a) => format!("{a} at {}", e.issuer),
        None => format!("client {} at {}", e.client_id, e.issuer),
    }
}

fn expired(e: &Entry, env: &Env) -> String {
    format!(
        "the access token of {} expired and there is no refresh token; {}",
        who(e),
        relogin(e, env)
    )
}

fn no_login(q: &Query, total: usize, env: &Env) -> String {
    let config = crate::system::config::load(env);
    let mut cmd = command_line(
        q.issuer.as_deref(),
        q.client_id.as_deref(),
        &q.scopes,
        env,
        &config,
    );
    // `gauth login` alone needs a client from somewhere: say how to get one.
    let mut first = String::new();
    if q.client_id.is_none() {
        let base = crate::decide::flow::LoginBase::at(&config, q.issuer.as_deref());
        if let Some(why) = base.first {
            cmd = format!("{}{}", base.command, &cmd["gauth login".len()..]);
            first = format!(" ({why})");
        }
    }
    if q.is_empty() {
        return format!("no cached login; run `{cmd}`{first}");
    }
    let others = match total {
        0 => String::new(),
        1 => " (`gauth accounts` lists the 1 cached login)".to_owned(),
        n => format!(" (`gauth accounts` lists the {n} cached logins)"),
    };
    format!("no cached login matches {}{others}; run `{cmd}`", flags(q))
}

/// What to do to make this login again: `log in again: `gauth login …``,
/// a command that runs as printed, or, when its client's secret cannot be
/// had from anywhere gauth may name, where to put it (never the secret).
pub fn relogin(e: &Entry, env: &Env) -> String {
    match login_command(e, env) {
        Ok(cmd) => format!("log in again: `{cmd}`"),
        Err(why) => format!("log in again {why}"),
    }
}

/// The `gauth login` that makes this login again, with the flags it needs:
/// the issuer, the client and the scopes, each unless the default
/// (`GAUTH_CLIENT_ID`, the config file, Google) gives the same. A client
/// with a secret is named by what gives the secret: the client JSON the
/// login came from (`--credentials FILE`, while it still holds that
/// client), `GAUTH_CLIENT_ID`/`GAUTH_CLIENT_SECRET`, or the config file.
/// `Err`: none of them does; says where the secret can come from.
pub fn login_command(e: &Entry, env: &Env) -> Result<String, String> {
    let config = crate::system::config::load(env);
    let client = login_client(e, env, &config);
    let (issuer, scopes) = issuer_and_scopes(Some(&e.issuer), &e.scopes, &config);
    match client {
        Ok(client) => Ok(format!("gauth login{issuer}{client}{scopes}")),
        // No backticks: this is not a command that runs as printed.
        Err(()) => Err(format!(
            "as client {} with its secret, which gauth does not print: run gauth login{issuer}{scopes} with its client JSON (--credentials FILE), or with --client-id {} --client-secret SECRET, or put client_id and client_secret in {}",
            e.client_id,
            shell_quote(&e.client_id),
            config
                .path
                .as_deref()
                .unwrap_or("~/.config/gauth/config.toml")
        )),
    }
}

/// The flags that name this login's client (` --client-id X`,
/// ` --credentials FILE`, or nothing when the environment or the config
/// file gives it); `Err` when its secret can be had from none of them.
fn login_client(
    e: &Entry,
    env: &Env,
    config: &crate::system::config::Config,
) -> Result<String, ()> {
    let mut cmd = String::new();
    let d = &config.defaults;
    let env_client = env.var("GAUTH_CLIENT_ID").filter(|v| !v.is_empty());
    let from_json = |path: &str| {
        crate::system::fsutil::read_regular(std::path::Path::new(path), crate::system::fsutil::CAP)
            .ok()
            .and_then(|b| crate::auth::client::from_google_json(&b, path).ok())
            .is_some_and(|c| c.creds.id == e.client_id)
    };
    if let Some(path) = e.credentials.as_deref().filter(|p| from_json(p)) {
        cmd.push_str(&format!(" --credentials {}", shell_quote(path)));
        return Ok(cmd);
    }
    if e.client_secret.is_none() {
        // A public client: its id is all it takes.
        if env_client != Some(e.client_id.as_str()) {
            cmd.push_str(&format!(" --client-id {}", shell_quote(&e.client_id)));
        }
        return Ok(cmd);
    }
    // The secret from the environment: GAUTH_CLIENT_SECRET goes with
    // GAUTH_CLIENT_ID only.
    if env_client == Some(e.client_id.as_str())
        && env
            .var("GAUTH_CLIENT_SECRET")
            .is_some_and(|v| !v.is_empty())
    {
        return Ok(cmd);
    }
    // From the config file: only when no flag or GAUTH_CLIENT_ID names a
    // client, and for the file's own issuer (gauth login's rules).
    let same_issuer = d.issuer.as_deref().map(trim) == Some(trim(&e.issuer))
        || d.issuer.is_none() && trim(&e.issuer) == GOOGLE_ISSUER;
    if env_client.is_none() && same_issuer {
        let file_client = match &d.credentials {
            Some(p) => from_json(&config_relative(p, config, env)),
            None => {
                d.client_id.as_deref() == Some(e.client_id.as_str()) && d.client_secret.is_some()
            }
        };
        if file_client {
            return Ok(cmd);
        }
    }
    Err(())
}

fn trim(issuer: &str) -> &str {
    issuer.trim_end_matches('/')
}

/// The config file's `credentials` as gauth login reads it: `~/` is home,
/// a relative path is relative to the config file.
fn config_relative(
    p: &std::path::Path,
    config: &crate::system::config::Config,
    env: &Env,
) -> String {
    let s = p.to_string_lossy();
    if let (Some(rest), Some(home)) = (s.strip_prefix("~/"), env.var("HOME")) {
        return std::path::Path::new(home).join(rest).display().to_string();
    }
    if p.is_relative()
        && let Some(dir) = config
            .path
            .as_deref()
            .and_then(|c| std::path::Path::new(c).parent())
    {
        return dir.join(p).display().to_string();
    }
    s.into_owned()
}

/// `gauth login` with the flags that differ from what it would take by
/// itself: the issuer unless the config file's (else Google's), the client
/// unless `GAUTH_CLIENT_ID` names it, the scopes unless the config file's
/// (else `openid email`, plus `offline_access` beyond Google).
pub fn command_line(
    issuer: Option<&str>,
    client_id: Option<&str>,
    scopes: &[String],
    env: &Env,
    config: &crate::system::config::Config,
) -> String {
    let (issuer, scopes) = issuer_and_scopes(issuer, scopes, config);
    let client = client_id
        .filter(|c| env.var("GAUTH_CLIENT_ID") != Some(*c))
        .map(|c| format!(" --client-id {}", shell_quote(c)))
        .unwrap_or_default();
    format!("gauth login{issuer}{client}{scopes}")
}

/// The ` --issuer …` and ` --scope …` flags `gauth login` needs to make a
/// login at `issuer` with `scopes` (each empty when its default does).
fn issuer_and_scopes(
    issuer: Option<&str>,
    scopes: &[String],
    config: &crate::system::config::Config,
) -> (String, String) {
    let default_issuer = config
        .defaults
        .issuer
        .as_deref()
        .map_or(GOOGLE_ISSUER, trim);
    let issuer_flag = issuer
        .filter(|i| trim(i) != default_issuer)
        .map(|i| format!(" --issuer {}", shell_quote(i)))
        .unwrap_or_default();
    // Anything but the default scopes is spelt out, or the new login would
    // be another cache entry.
    let google = trim(issuer.unwrap_or(default_issuer)) == GOOGLE_ISSUER;
    let default: BTreeSet<&str> = match &config.defaults.scopes {
        Some(s) => s.iter().map(String::as_str).collect(),
        None if google => BTreeSet::from(["email", "openid"]),
        None => BTreeSet::from(["email", "offline_access", "openid"]),
    };
    let set: BTreeSet<&str> = scopes.iter().map(String::as_str).collect();
    let mut scope_flags = String::new();
    if !set.is_empty() && set != default {
        for s in set {
            scope_flags.push_str(&format!(" --scope {}", shell_quote(s)));
        }
    }
    (issuer_flag, scope_flags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::query::tests::{entry, stored};

    #[test]
    fn login_command_names_what_differs_from_the_defaults() {
        let env = Env::from_pairs([("GAUTH_CLIENT_ID", "from-env")]);
        let g = entry(GOOGLE_ISSUER, "from-env", "a@x", &["openid", "email"]);
        assert_eq!(login_command(&g, &env).unwrap(), "gauth login");
        let o = entry(
            "http://127.0.0.1:5/",
            "cli ent",
            "a@x",
            &["openid", "offline_access"],
        );
        assert_eq!(
            login_command(&o, &env).unwrap(),
            "gauth login --issuer http://127.0.0.1:5/ --client-id 'cli ent' --scope offline_access --scope openid"
        );
        // A non-Google login with the scopes login asks for by default.
        let d = entry(
            "http://127.0.0.1:5/",
            "cli",
            "a@x",
            &["openid", "email", "offline_access"],
        );
        assert_eq!(
            login_command(&d, &env).unwrap(),
            "gauth login --issuer http://127.0.0.1:5/ --client-id cli"
        );
    }

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
