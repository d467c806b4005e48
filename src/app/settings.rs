//! Every setting's precedence, resolved once: the command line, then the
//! environment, then the config file, then the default. What comes out are
//! plain values the operations take; no operation reads a flag, and none
//! weighs the environment against the config file itself.
use crate::auth::client::{self, ClientConfig};
use crate::auth::oauth::ClientCreds;
use crate::auth::secret::Secret;
use crate::cache::Query;
use crate::cli;
use crate::error::Error;
use crate::ops::login::Wanted;
use crate::system::config;
use crate::system::env::Env;
use crate::system::net::number::{Port, PortError};
use crate::text::escape::esc;

/// `--color WHEN` as given, else `NO_COLOR`, then `CLICOLOR_FORCE`, then
/// `TERM=dumb`; `Auto` when none of them decides (the stream does). Both
/// clap's own messages and gauth's output follow this one answer.
pub fn color(given: cli::ColorChoice, env: &Env) -> cli::ColorChoice {
    match given {
        cli::ColorChoice::Always | cli::ColorChoice::Never => given,
        cli::ColorChoice::Auto if env.is_set("NO_COLOR") => cli::ColorChoice::Never,
        cli::ColorChoice::Auto
            if env
                .var("CLICOLOR_FORCE")
                .is_some_and(|v| !v.is_empty() && v != "0") =>
        {
            cli::ColorChoice::Always
        }
        cli::ColorChoice::Auto if env.var("TERM") == Some("dumb") => cli::ColorChoice::Never,
        cli::ColorChoice::Auto => cli::ColorChoice::Auto,
    }
}

/// Colour on stdout: [`color`], then whether stdout is a terminal. JSON is
/// never coloured.
pub fn use_color(choice: cli::ColorChoice, json: bool, env: &Env, stdout_is_tty: bool) -> bool {
    if json {
        return false;
    }
    match color(choice, env) {
        cli::ColorChoice::Always => true,
        cli::ColorChoice::Never => false,
        cli::ColorChoice::Auto => stdout_is_tty,
    }
}

/// Where a port came from, as reports name it.
pub type PortSource = &'static str;

/// The port a command works on: the one given, else `HTTR_PORT` (where R's
/// httr listens), else 1410, with where it came from (`--port`,
/// `HTTR_PORT`, `default`). An `HTTR_PORT` that is not a port is an error,
/// not 1410: a command must not act on a port nobody named (an empty one is
/// unset, as for httr's other variables here).
pub fn port(given: Option<Port>, env: &Env) -> Result<(Port, PortSource), PortError> {
    if let Some(p) = given {
        return Ok((p, "--port"));
    }
    match env.var("HTTR_PORT").filter(|v| !v.is_empty()) {
        Some(v) => v.parse().map(|p| (p, "HTTR_PORT")).map_err(|e| {
            PortError::new(format!(
                "HTTR_PORT={}: {e}; pass the port, or fix or unset HTTR_PORT",
                esc(v)
            ))
        }),
        None => Ok((Port::HTTR_DEFAULT, "default")),
    }
}

/// `gauth doctor`: the port (a bad `HTTR_PORT` is one of the configuration
/// checks' findings, and the port checks look at httr's default meanwhile)
/// and the endpoints `--online` checks (Google's unless `--endpoint`).
pub fn doctor(args: &cli::DoctorArgs, env: &Env) -> crate::ops::doctor::Settings {
    let (port, port_source) = port(args.port, env).unwrap_or((Port::HTTR_DEFAULT, "default"));
    let online = args.online.then(|| {
        if args.endpoint.is_empty() {
            crate::auth::online::DEFAULT_ENDPOINTS
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        } else {
            args.endpoint.clone()
        }
    });
    crate::ops::doctor::Settings {
        port,
        port_source,
        online,
        config: config::load(env),
        scopes: args.scopes.clone(),
    }
}

/// `gauth free-port`: the port, the signal (Unix only) and the rest of the
/// flags; `stdin_tty`: someone can be asked.
pub fn free_port(
    args: &cli::FreePortArgs,
    env: &Env,
    stdin_tty: bool,
) -> Result<crate::ops::free_port::Options, crate::error::Error> {
    use crate::error::Error;
    let (port, _) = port(args.port, env).map_err(|e| Error::Usage(e.to_string()))?;
    if cfg!(windows) && args.signal.is_some() {
        return Err(Error::Usage(
            "--signal is Unix-only: on Windows gauth ends a holder with TerminateProcess".into(),
        ));
    }
    let signal = args.signal.unwrap_or(cli::Signal::Term);
    Ok(crate::ops::free_port::Options {
        port: port.get(),
        dry_run: args.dry_run,
        yes: args.yes,
        force: args.force,
        signal: (signal.number(), signal.name()),
        timeout: args.timeout,
        interactive: stdin_tty,
        only: args.only.clone(),
    })
}

/// The login flags that name the provider, the client and the scopes.
struct Flags {
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    credentials: Option<std::path::PathBuf>,
    scopes: Vec<String>,
}

/// `gauth login`: the config file (a broken one stops the login: it may
/// hold the very client or flow meant), the provider, client and scopes,
/// the flow asked for and where that came from (`--oob`, `--flow X`, else
/// auto), and the rest of the flags.
pub fn login(
    args: &cli::LoginArgs,
    env: &Env,
    stdin_tty: bool,
) -> Result<crate::ops::login::Settings, Error> {
    use crate::system::config::Flow;
    let config = config::load(env);
    if let Some(p) = config.problems.first() {
        return Err(Error::Usage(format!(
            "{}; fix it, or run `gauth doctor` for every problem",
            esc(p)
        )));
    }
    let flags = Flags {
        issuer: args.client.issuer.clone(),
        client_id: args.client.client_id.clone(),
        client_secret: args.client_secret.clone(),
        credentials: args.credentials.clone(),
        scopes: args.client.scopes.clone(),
    };
    let wanted = plan(env, &flags, &config)?;
    let issuer_from = (flags.issuer.is_none() && wanted.issuer.is_some()).then(|| {
        config
            .path
            .clone()
            .unwrap_or_else(|| "the config file".to_owned())
    });
    let (flow, flow_source) = match (args.oob, args.flow) {
        (true, _) => (Some(Flow::Paste), "--oob"),
        (_, cli::FlowChoice::Auto) => (None, "auto"),
        (_, cli::FlowChoice::Loopback) => (Some(Flow::Loopback), "--flow loopback"),
        (_, cli::FlowChoice::Paste) => (Some(Flow::Paste), "--flow paste"),
        (_, cli::FlowChoice::Device) => (Some(Flow::Device), "--flow device"),
    };
    Ok(crate::ops::login::Settings {
        wanted,
        issuer_from,
        forced: config.forced,
        issuer: flags.issuer,
        client_id: flags.client_id,
        client_secret: flags.client_secret.is_some(),
        credentials: flags.credentials,
        scopes: flags.scopes,
        flow,
        flow_source: flow_source.into(),
        port: args.port.map(Port::get),
        timeout: args.timeout,
        no_browser: args.no_browser,
        stdin_tty,
        tunnel_port: port(None, env)
            .map(|(p, _)| p.get())
            .map_err(|e| e.to_string()),
    })
}

/// Provider, client and scopes from the options, the environment
/// (`GAUTH_CLIENT_ID`, `GAUTH_CLIENT_SECRET`) and the config file, in that
/// order. A missing or broken client is a usage error saying where to put one.
fn plan(env: &Env, opts: &Flags, config: &config::Config) -> Result<Wanted, Error> {
    let d = &config.defaults;
    let where_config = config
        .path
        .as_deref()
        .unwrap_or("~/.config/gauth/config.toml");
    let mut credentials = None;
    let client = if let Some(path) = opts.credentials.as_ref().or(
        // The file's credentials count only when nothing closer names a client.
        if opts.client_id.is_none() && env.var("GAUTH_CLIENT_ID").is_none() {
            d.credentials.as_ref()
        } else {
            None
        },
    ) {
        // The file's `credentials` is relative to the config file, and `~/`
        // is the home directory; a flag's path is the shell's business.
        let from_file = opts.credentials.is_none();
        let path = &if from_file {
            let p = path.to_string_lossy();
            if let (Some(rest), Some(home)) = (p.strip_prefix("~/"), env.var("HOME")) {
                std::path::Path::new(home).join(rest)
            } else if path.is_relative() {
                std::path::Path::new(where_config)
                    .parent()
                    .map_or_else(|| path.clone(), |d| d.join(path))
            } else {
                path.clone()
            }
        } else {
            path.clone()
        };
        let shown = esc(&path.display().to_string());
        let bytes = crate::system::fsutil::read_trusted(path, crate::system::fsutil::CAP)
            .map_err(|e| Error::Usage(format!("cannot read the client file {shown}: {e}")))?;
        credentials = std::path::absolute(path)
            .ok()
            .and_then(|p| p.to_str().map(str::to_owned));
        client::from_google_json(&bytes, &shown).map_err(Error::Usage)?
    } else {
        let (id, source) = if let Some(id) = &opts.client_id {
            (id.clone(), "--client-id")
        } else if let Some(id) = env.var("GAUTH_CLIENT_ID").filter(|v| !v.is_empty()) {
            (id.to_owned(), "GAUTH_CLIENT_ID")
        } else if let Some(id) = &d.client_id {
            (id.clone(), "the config file")
        } else {
            return Err(Error::Usage(format!(
                "no OAuth client: pass --client-id ID or --credentials client.json, set GAUTH_CLIENT_ID, or put client_id = \"…\" in {}",
                esc(where_config)
            )));
        };
        if id.trim().is_empty() || id.chars().any(char::is_control) {
            return Err(Error::Usage(format!(
                "the client id from {source} is empty or has control characters"
            )));
        }
        // A secret belongs to its own client: `--client-secret` to whichever
        // client is named, GAUTH_CLIENT_SECRET only to GAUTH_CLIENT_ID, the
        // file's only to the file's client at the file's issuer. Never one
        // client's secret sent for another, or to another provider.
        let same_issuer = opts.issuer.is_none()
            || opts.issuer.as_deref().map(|i| i.trim_end_matches('/'))
                == d.issuer.as_deref().map(|i| i.trim_end_matches('/'));
        let secret = opts
            .client_secret
            .clone()
            .or_else(|| {
                (source == "GAUTH_CLIENT_ID")
                    .then(|| env.var("GAUTH_CLIENT_SECRET").filter(|v| !v.is_empty()))
                    .flatten()
                    .map(str::to_owned)
            })
            .or_else(|| {
                (source == "the config file" && same_issuer)
                    .then(|| d.client_secret.clone())
                    .flatten()
            })
            .map(Secret::new);
        ClientConfig {
            creds: ClientCreds { id, secret },
            kind: client::Kind::Native,
            redirect_uris: Vec::new(),
            source: source.to_owned(),
        }
    };
    let issuer = opts
        .issuer
        .as_ref()
        .or(d.issuer.as_ref())
        .filter(|i| i.trim_end_matches('/') != crate::auth::provider::GOOGLE_ISSUER)
        .cloned();
    if let Some(i) = &issuer {
        crate::auth::discovery::check_issuer(i).map_err(Error::Usage)?;
    }
    let scopes = if !opts.scopes.is_empty() {
        opts.scopes.clone()
    } else if let Some(s) = &d.scopes {
        s.clone()
    } else if issuer.is_none() {
        vec!["openid".into(), "email".into()]
    } else {
        // Without offline_access an OpenID provider gives no refresh token,
        // and `gauth token` could not renew the login.
        vec!["openid".into(), "email".into(), "offline_access".into()]
    };
    // Each scope once, in the order given.
    let mut seen = std::collections::BTreeSet::new();
    let scopes: Vec<String> = scopes
        .into_iter()
        .filter(|s| seen.insert(s.clone()))
        .collect();
    if scopes.is_empty() {
        return Err(Error::Usage(format!(
            "no scope to ask for (`scopes = []` in {}): list at least one, e.g. scopes = [\"openid\", \"email\"]",
            esc(where_config)
        )));
    }
    if let Some((bad, why)) = scopes
        .iter()
        .find_map(|s| crate::text::scope::problem(s).map(|why| (s, why)))
    {
        return Err(Error::Usage(format!(
            "'{}' is not a scope: {why}",
            esc(bad)
        )));
    }
    Ok(Wanted {
        issuer,
        client,
        scopes,
        credentials,
    })
}

/// The selection flags of `token` and `logout` as a query;
/// `GAUTH_CLIENT_ID` stands in for `--client-id`, as for `gauth login`.
pub fn query(client: &cli::ClientArgs, account: Option<&str>, env: &Env) -> Query {
    Query {
        issuer: client.issuer.clone(),
        client_id: client.client_id.clone().or_else(|| {
            env.var("GAUTH_CLIENT_ID")
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        }),
        scopes: client.scopes.clone(),
        account: account.map(str::to_owned),
    }
}

/// What `gauth login` would take by itself (for the hints that print a
/// login to run, and the choice among several logins), read when first
/// needed: never on a cache hit.
pub fn login_defaults(env: &Env) -> crate::ops::hints::Lazy<'_> {
    crate::ops::hints::Lazy::new(move || crate::ops::hints::Defaults {
        config: config::load(env),
        env_client_id: env
            .var("GAUTH_CLIENT_ID")
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
        env_client_secret: env
            .var("GAUTH_CLIENT_SECRET")
            .is_some_and(|v| !v.is_empty()),
        home: env.var("HOME").map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::ColorChoice;

    #[test]
    fn colour_precedence() {
        let e = |pairs: &[(&'static str, &'static str)]| Env::from_pairs(pairs.iter().copied());
        assert!(
            !use_color(ColorChoice::Always, true, &e(&[]), true),
            "json never coloured"
        );
        assert!(use_color(
            ColorChoice::Always,
            false,
            &e(&[("NO_COLOR", "1")]),
            false
        ));
        assert!(!use_color(
            ColorChoice::Never,
            false,
            &e(&[("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(!use_color(
            ColorChoice::Auto,
            false,
            &e(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(use_color(
            ColorChoice::Auto,
            false,
            &e(&[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]),
            false
        ));
        assert!(!use_color(
            ColorChoice::Auto,
            false,
            &e(&[("CLICOLOR_FORCE", "0")]),
            false
        ));
        assert!(!use_color(
            ColorChoice::Auto,
            false,
            &e(&[("TERM", "dumb")]),
            true
        ));
        assert!(use_color(
            ColorChoice::Auto,
            false,
            &e(&[("TERM", "xterm")]),
            true
        ));
        assert!(!use_color(ColorChoice::Auto, false, &e(&[]), false));
    }

    #[test]
    fn a_bad_httr_port_is_an_error_not_1410() {
        use crate::system::env::Env;
        let r = |v: &'static str| port(None, &Env::from_pairs([("HTTR_PORT", v)]));
        let p = |n| Port::new(n).unwrap();
        assert_eq!(r("1411"), Ok((p(1411), "HTTR_PORT")));
        assert_eq!(r(""), Ok((p(1410), "default")));
        assert_eq!(
            r("abc").unwrap_err().to_string(),
            "HTTR_PORT=abc: 'abc' is not a port: a port is a number from 1 to 65535; pass the port, or fix or unset HTTR_PORT"
        );
        assert!(r("0").is_err() && r("70000").is_err());
        let given = port(Port::new(8), &Env::from_pairs([("HTTR_PORT", "abc")]));
        assert_eq!(given, Ok((p(8), "--port")));
    }

    fn opts(client_id: Option<&str>, issuer: Option<&str>) -> Flags {
        Flags {
            issuer: issuer.map(str::to_owned),
            client_id: client_id.map(str::to_owned),
            client_secret: None,
            credentials: None,
            scopes: vec![],
        }
    }

    /// A secret goes only with its own client and provider.
    #[test]
    fn a_secret_is_never_sent_for_another_client() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("gauth")).unwrap();
        std::fs::write(
            dir.path().join("gauth/config.toml"),
            "client_id = \"file-client\"\nclient_secret = \"file-secret\"\n",
        )
        .unwrap();
        let xdg = dir.path().to_str().unwrap();
        let secret_for = |pairs: &[(&str, &str)], o: Flags| {
            let mut all = pairs.to_vec();
            // The config file's place: XDG on Unix, %APPDATA% on Windows.
            all.push(("XDG_CONFIG_HOME", xdg));
            all.push(("APPDATA", xdg));
            let env = Env::from_pairs(all);
            let config = config::load(&env);
            let p = plan(&env, &o, &config).unwrap();
            (
                p.client.creds.id,
                p.client.creds.secret.map(|s| s.expose().to_owned()),
            )
        };
        assert_eq!(
            secret_for(&[], opts(None, None)),
            ("file-client".into(), Some("file-secret".into()))
        );
        assert_eq!(
            secret_for(&[], opts(Some("other"), None)),
            ("other".into(), None)
        );
        assert_eq!(
            secret_for(
                &[("GAUTH_CLIENT_SECRET", "env-secret")],
                opts(Some("other"), None)
            ),
            ("other".into(), None)
        );
        assert_eq!(
            secret_for(
                &[
                    ("GAUTH_CLIENT_ID", "env-client"),
                    ("GAUTH_CLIENT_SECRET", "env-secret")
                ],
                opts(None, None)
            ),
            ("env-client".into(), Some("env-secret".into()))
        );
        // The file's client at another provider: not the file's secret.
        let o = opts(None, Some("https://accounts.google.com/"));
        assert_eq!(secret_for(&[], o).1, None);
    }
}
