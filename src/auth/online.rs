//! `doctor --online`: do the provider's endpoints answer? DNS, TLS and an
//! HTTP response, each bounded by a short timeout, failures reported cleanly.
use serde::Serialize;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);

/// How a detail starts when gauth refused to connect at all (plain http to
/// a `localhost` that resolves beyond loopback).
pub const NOT_CONTACTED: &str = "not contacted: ";

/// Google's endpoints, checked by `--online` unless `--endpoint` is given.
pub const DEFAULT_ENDPOINTS: &[&str] = &[
    "https://accounts.google.com/.well-known/openid-configuration",
    "https://oauth2.googleapis.com/token",
];

/// One endpoint's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Online {
    pub url: String,
    pub ok: bool,
    pub detail: String,
}

/// An endpoint gauth may contact: https, or plain http on a loopback
/// address. The `--endpoint` value parser (a bad one is a usage error).
pub fn parse_endpoint(s: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| "no host in the URL".to_owned())?;
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err("only https is allowed (plain http only for a loopback address)".into());
    }
    Ok(s.to_owned())
}

pub fn check_all(urls: &[String]) -> Vec<Online> {
    // One thread per endpoint: DNS lookups have no timeout of their own.
    std::thread::scope(|s| {
        let handles: Vec<_> = urls.iter().map(|u| s.spawn(move || check(u))).collect();
        handles
            .into_iter()
            .zip(urls)
            .map(|(h, u)| h.join().unwrap_or_else(|_| fail(u, "internal error")))
            .collect()
    })
}

fn fail(url: &str, detail: &str) -> Online {
    Online {
        url: url.to_owned(),
        ok: false,
        detail: detail.to_owned(),
    }
}

pub fn check(url: &str) -> Online {
    let parsed = match reqwest::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return fail(url, &format!("not a URL: {e}")),
    };
    if let Err(e) = parse_endpoint(url) {
        return fail(url, &e);
    }
    let Some(host) = parsed.host_str().map(str::to_owned) else {
        return fail(url, "no host in the URL");
    };
    let port = parsed.port_or_known_default().unwrap_or(443);
    // DNS first, bounded, so that "offline" is named as such.
    let (tx, rx) = std::sync::mpsc::channel();
    let h = host.clone();
    std::thread::spawn(move || {
        let _ = tx
            .send(std::net::ToSocketAddrs::to_socket_addrs(&(h.as_str(), port)).map(|a| a.count()));
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(Ok(n)) if n > 0 => {}
        Ok(Ok(_)) => return fail(url, &format!("DNS: {host} has no address")),
        Ok(Err(e)) => return fail(url, &format!("DNS lookup of {host} failed ({e})")),
        Err(_) => {
            return fail(
                url,
                &format!(
                    "DNS lookup of {host} timed out after {} s",
                    TIMEOUT.as_secs()
                ),
            );
        }
    }
    // Through gauth's one HTTP layer: plain http only to loopback
    // addresses (a `localhost` that resolves elsewhere is refused before
    // any connection), no redirect, the whole exchange within TIMEOUT.
    let http = crate::auth::http::Http::new();
    match http.status(url, crate::auth::http::deadline_in(TIMEOUT)) {
        // Any HTTP answer proves DNS, TCP and TLS work; the token endpoint
        // answers a GET with 4xx, which is fine.
        Ok(status) => Online {
            url: url.to_owned(),
            ok: true,
            detail: format!("HTTP {status}"),
        },
        Err(crate::auth::http::HttpError::TimedOut) => {
            fail(url, &format!("timed out after {} s", TIMEOUT.as_secs()))
        }
        Err(e @ crate::auth::http::HttpError::Connect(_)) => fail(url, &e.to_string()),
        Err(crate::auth::http::HttpError::NotAllowed(why)) => {
            fail(url, &format!("{NOT_CONTACTED}{why}"))
        }
        Err(e) => fail(url, &format!("request failed: {e}")),
    }
}
