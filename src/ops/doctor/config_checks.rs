//! Configuration checks: gauth's own settings, R's `.Rprofile` and httr's
//! variables.
use super::{Area, Check, Status, check};
use crate::system::config::Config;
use crate::system::rprofile::{Httr, Rprofile};
use std::net::IpAddr;

pub fn checks(config: &Config, httr: &Httr, rprofile: &Rprofile, checks: &mut Vec<Check>) {
    for p in &config.problems {
        checks.push(
            check(Area::Config, "invalid", Status::Fail, p.clone()).fix("correct or remove it"),
        );
    }
    match &config.forced {
        Some(f) => checks.push(check(
            Area::Config,
            "forced",
            Status::Info,
            format!("{} forces the {} flow", f.source, f.flow.as_str()),
        )),
        None if config.problems.is_empty() => checks.push(check(
            Area::Config,
            "forced",
            Status::Ok,
            "no GAUTH_FLOW, GAUTH_OOB or config file forces a flow",
        )),
        None => {}
    }
    let path = rprofile.path.as_deref().unwrap_or("R's profile");
    if let Some(why) = &rprofile.problem {
        checks.push(
            check(
                Area::Config,
                "rprofile",
                Status::Warn,
                format!("cannot read {path}: {why}; R would try to source it at start-up"),
            )
            .fix(format!("replace {path} with a regular file, or remove it")),
        );
    }
    for opt in &rprofile.oob {
        let mut c = check(
            Area::Config,
            "rprofile",
            Status::Info,
            format!("R uses out-of-band auth: {path} sets {opt} = TRUE"),
        );
        if *opt == "httr_oob_default" && !rprofile.oob.contains(&"gargle_oob_default") {
            // gargle falls back on it (and uses its own pseudo-OOB for
            // Google); httr alone sends urn:ietf:wg:oauth:2.0:oob.
            c = c.evidence(["httr's own out-of-band flow (urn:ietf:wg:oauth:2.0:oob) has been blocked by Google since 2023; gargle uses its own".to_owned()]);
        }
        checks.push(c);
    }
    if httr.overridden.is_empty() {
        checks.push(check(
            Area::Config,
            "httr",
            Status::Ok,
            "R's httr uses its defaults (listens on 127.0.0.1:1410, redirects to localhost:1410)",
        ));
        return;
    }
    let ev = httr.overridden.clone();
    let listen_port = httr.listen_port.parse::<crate::system::net::number::Port>();
    let redirect_port = httr
        .redirect_port
        .parse::<crate::system::net::number::Port>();
    match (&listen_port, &redirect_port) {
        (Err(e), _) => checks.push(
            check(
                Area::Config,
                "httr",
                Status::Fail,
                format!("HTTR_PORT={}: {e}", httr.listen_port),
            )
            .evidence(ev.clone())
            .fix("unset HTTR_PORT or set it to a port number"),
        ),
        (_, Err(e)) => checks.push(
            check(
                Area::Config,
                "httr",
                Status::Fail,
                format!("HTTR_SERVER_PORT={}: {e}", httr.redirect_port),
            )
            .evidence(ev.clone())
            .fix("unset HTTR_SERVER_PORT"),
        ),
        (Ok(l), Ok(r)) if l != r => {
            // httr's redirect port defaults to 1410, not to HTTR_PORT.
            let fix = if httr
                .overridden
                .iter()
                .any(|o| o.starts_with("HTTR_SERVER_PORT="))
            {
                format!(
                    "unset HTTR_SERVER_PORT (or set it to {l}), unless a tunnel forwards {r} to {l}"
                )
            } else {
                format!(
                    "Sys.setenv(HTTR_SERVER_PORT = \"{l}\") too (httr redirects to {r} unless told), or unset HTTR_PORT"
                )
            };
            checks.push(
                check(Area::Config, "httr", Status::Fail, format!("R's listener port ({l}) and the redirect port ({r}) differ: the browser is sent to {r} while R listens on {l}"))
                    .evidence(ev.clone())
                    .fix(fix),
            );
        }
        _ => {}
    }
    let host: Result<IpAddr, _> = httr.listen_host.trim_matches(['[', ']']).parse();
    match host {
        Ok(ip) if ip.is_unspecified() => checks.push(
            check(
                Area::Config,
                "httr_host",
                Status::Warn,
                format!(
                    "HTTR_LOCALHOST={}: R's listener accepts connections from the whole network",
                    httr.listen_host
                ),
            )
            .fix("Sys.setenv(HTTR_LOCALHOST = \"127.0.0.1\") unless a container needs it"),
        ),
        Ok(ip) if !ip.is_loopback() => checks.push(check(
            Area::Config,
            "httr_host",
            Status::Warn,
            format!(
                "HTTR_LOCALHOST={}: R listens on a non-loopback address",
                httr.listen_host
            ),
        )),
        Err(_) if httr.listen_host != "localhost" => checks.push(
            check(
                Area::Config,
                "httr_host",
                Status::Fail,
                format!("HTTR_LOCALHOST={} is not an IP address", httr.listen_host),
            )
            .fix("unset HTTR_LOCALHOST"),
        ),
        _ => {}
    }
    server_check(httr, checks);
    if !checks
        .iter()
        .any(|c| c.area == Area::Config && c.id.starts_with("httr") && c.status != Status::Ok)
    {
        checks.push(check(
            Area::Config,
            "httr",
            Status::Ok,
            format!("R's httr settings are consistent ({})", ev.join(", ")),
        ));
    }
}

/// HTTR_SERVER is where httr sends the browser back to
/// (`http://HTTR_SERVER:HTTR_SERVER_PORT/`): it must be a host name or an
/// IP address, and, while R listens on loopback only, a loopback one.
fn server_check(httr: &Httr, checks: &mut Vec<Check>) {
    let host = httr.redirect_host.as_str();
    if host == "localhost" {
        return;
    }
    let ip: Option<IpAddr> = host.trim_matches(['[', ']']).parse().ok();
    let name_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if ip.is_none() && !name_ok {
        checks.push(
            check(
                Area::Config,
                "httr_server",
                Status::Fail,
                format!(
                    "HTTR_SERVER={} is not a host name or an IP address: httr would send the browser to http://{}:{}/",
                    httr.redirect_host, httr.redirect_host, httr.redirect_port
                ),
            )
            .fix("unset HTTR_SERVER (httr then redirects to localhost)"),
        );
        return;
    }
    let listens_on_loopback = httr
        .listen_host
        .trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .map_or(httr.listen_host == "localhost", |l| l.is_loopback());
    if listens_on_loopback && !ip.is_some_and(|i| i.is_loopback()) {
        checks.push(
            check(
                Area::Config,
                "httr_server",
                Status::Warn,
                format!(
                    "HTTR_SERVER={}: httr sends the browser to http://{}:{}/ while R listens on {} only; that works only if {} reaches this machine's loopback (a proxy or tunnel)",
                    httr.redirect_host,
                    httr.redirect_host,
                    httr.redirect_port,
                    httr.listen_host,
                    httr.redirect_host
                ),
            )
            .fix("unset HTTR_SERVER, unless a proxy or tunnel forwards it to R's listener"),
        );
    }
}
