//! The `gauth login` commands gauth prints in its hints (log in again after
//! a refused refresh, no cached login, …): each runs as printed, given what
//! `gauth login` would take by itself from the environment and the config
//! file, which the settings resolve and hand over as [`Defaults`].
use crate::cache::{Entry, Query, query::flags};
use crate::decide::google::ISSUER as GOOGLE_ISSUER;
use crate::system::config::Config;
use crate::text::shell::quote as shell_quote;
use std::cell::OnceCell;
use std::collections::BTreeSet;

/// What `gauth login` would take by itself: the config file, and the client
/// the environment names.
pub struct Defaults {
    pub config: Config,
    /// `GAUTH_CLIENT_ID`, when set and not empty.
    pub env_client_id: Option<String>,
    /// `GAUTH_CLIENT_SECRET` is set and not empty.
    pub env_client_secret: bool,
    /// `HOME`, for `~/` in the config file's `credentials`.
    pub home: Option<String>,
}

/// [`Defaults`] read on first use: only a hint (or the choice among several
/// logins) needs the config file, never a cache hit.
pub struct Lazy<'a> {
    load: Box<dyn Fn() -> Defaults + 'a>,
    cell: OnceCell<Defaults>,
}

impl<'a> Lazy<'a> {
    pub fn new(load: impl Fn() -> Defaults + 'a) -> Lazy<'a> {
        Lazy {
            load: Box::new(load),
            cell: OnceCell::new(),
        }
    }

    pub fn get(&self) -> &Defaults {
        self.cell.get_or_init(|| (self.load)())
    }
}

pub fn who(e: &Entry) -> String {
    match &e.account {
        Some(a) => format!("{a} at {}", e.issuer),
        None => format!("client {} at {}", e.client_id, e.issuer),
    }
}

pub fn expired(e: &Entry, d: &Defaults) -> String {
    format!(
        "the access token of {} expired and there is no refresh token; {}",
        who(e),
        relogin(e, d)
    )
}

pub fn no_login(q: &Query, total: usize, d: &Defaults) -> String {
    let config = &d.config;
    let mut cmd = command_line(q.issuer.as_deref(), q.client_id.as_deref(), &q.scopes, d);
    // `gauth login` alone needs a client from somewhere: say how to get one.
    let mut first = String::new();
    if q.client_id.is_none() {
        let base = crate::decide::flow::LoginBase::at(config, q.issuer.as_deref());
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
    format!(
        "no cached login matches {}{others}; run `{cmd}`{first}",
        flags(q)
    )
}

/// What to do to make this login again: `log in again: `gauth login …``,
/// a command that runs as printed, or, when its client's secret cannot be
/// had from anywhere gauth may name, where to put it (never the secret).
pub fn relogin(e: &Entry, d: &Defaults) -> String {
    match login_command(e, d) {
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
pub fn login_command(e: &Entry, d: &Defaults) -> Result<String, String> {
    let config = &d.config;
    let client = login_client(e, d);
    let (issuer, scopes) = issuer_and_scopes(Some(&e.issuer), &e.scopes, config);
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
fn login_client(e: &Entry, defaults: &Defaults) -> Result<String, ()> {
    let mut cmd = String::new();
    let d = &defaults.config.defaults;
    let env_client = defaults.env_client_id.as_deref();
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
    if env_client == Some(e.client_id.as_str()) && defaults.env_client_secret {
        return Ok(cmd);
    }
    // From the config file: only when no flag or GAUTH_CLIENT_ID names a
    // client, and for the file's own issuer (gauth login's rules).
    let same_issuer = d.issuer.as_deref().map(trim) == Some(trim(&e.issuer))
        || d.issuer.is_none() && trim(&e.issuer) == GOOGLE_ISSUER;
    if env_client.is_none() && same_issuer {
        let file_client = match &d.credentials {
            Some(p) => from_json(&config_relative(p, defaults)),
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
fn config_relative(p: &std::path::Path, d: &Defaults) -> String {
    let config = &d.config;
    let s = p.to_string_lossy();
    if let (Some(rest), Some(home)) = (s.strip_prefix("~/"), d.home.as_deref()) {
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
    d: &Defaults,
) -> String {
    let (issuer, scopes) = issuer_and_scopes(issuer, scopes, &d.config);
    let client = client_id
        .filter(|c| d.env_client_id.as_deref() != Some(*c))
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
    // Google grants `email` as `…/auth/userinfo.email`: the same scope.
    let same = |a: &BTreeSet<&str>, b: &BTreeSet<&str>| {
        if !google {
            return a == b;
        }
        let canon = |s: &BTreeSet<&str>| -> BTreeSet<String> {
            s.iter()
                .map(|x| crate::decide::google::canonical_scope(x).to_owned())
                .collect()
        };
        canon(a) == canon(b)
    };
    let mut scope_flags = String::new();
    if !set.is_empty() && !same(&set, &default) {
        for s in set {
            scope_flags.push_str(&format!(" --scope {}", shell_quote(s)));
        }
    }
    (issuer_flag, scope_flags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::query::tests::entry;

    #[test]
    fn login_command_names_what_differs_from_the_defaults() {
        let env = crate::system::env::Env::from_pairs([("GAUTH_CLIENT_ID", "from-env")]);
        let env = Defaults {
            config: crate::system::config::load(&env),
            env_client_id: Some("from-env".into()),
            env_client_secret: false,
            home: None,
        };
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
}
