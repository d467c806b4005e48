//! `doctor --online`: do the provider's endpoints answer? DNS, TLS and an
//! HTTP response, each bounded by a short timeout, failures reported cleanly.
use serde::Serialize;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);

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
    let client = match reqwest::blocking::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => return fail(url, &format!("cannot start an HTTP client: {e}")),
    };
    match client.get(parsed).send() {
        // Any HTTP answer proves DNS, TCP and TLS work; the token endpoint
        // answers a GET with 4xx, which is fine.
        Ok(resp) => Online {
            url: url.to_owned(),
            ok: true,
            detail: format!("HTTP {}", resp.status().as_u16()),
        },
        Err(e) => {
            let kind = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "connection failed"
            } else {
                "request failed"
            };
            let mut cause = String::new();
            let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
            while let Some(s) = src {
                cause = s.to_string();
                src = s.source();
            }
            fail(
                url,
                &format!(
                    "{kind}{}",
                    if cause.is_empty() {
                        String::new()
                    } else {
                        format!(": {cause}")
                    }
                ),
            )
        }
    }
}
