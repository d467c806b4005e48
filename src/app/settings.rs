//! Every setting's precedence, resolved once: the command line, then the
//! environment, then the config file, then the default. What comes out are
//! plain values the operations take; no operation reads a flag, and none
//! weighs the environment against the config file itself.
use crate::cache::Query;
use crate::cli;
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
    })
}

/// `gauth login`: the flow asked for and where that came from (`--oob`,
/// `--flow X`, else auto), and the rest of the flags.
pub fn login(args: &cli::LoginArgs, env: &Env, stdin_tty: bool) -> crate::ops::login::Options {
    use crate::system::config::Flow;
    let (flow, flow_source) = match (args.oob, args.flow) {
        (true, _) => (Some(Flow::Paste), "--oob"),
        (_, cli::FlowChoice::Auto) => (None, "auto"),
        (_, cli::FlowChoice::Loopback) => (Some(Flow::Loopback), "--flow loopback"),
        (_, cli::FlowChoice::Paste) => (Some(Flow::Paste), "--flow paste"),
        (_, cli::FlowChoice::Device) => (Some(Flow::Device), "--flow device"),
    };
    crate::ops::login::Options {
        issuer: args.client.issuer.clone(),
        client_id: args.client.client_id.clone(),
        client_secret: args.client_secret.clone(),
        credentials: args.credentials.clone(),
        scopes: args.client.scopes.clone(),
        flow,
        flow_source: flow_source.into(),
        port: args.port.map(Port::get),
        timeout: args.timeout,
        no_browser: args.no_browser,
        stdin_tty,
        tunnel_port: port(None, env)
            .map(|(p, _)| p.get())
            .map_err(|e| e.to_string()),
    }
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
}
