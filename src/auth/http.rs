//! The one way gauth talks to a provider: token, device, revocation,
//! discovery, userinfo and `doctor --online` requests all go through [`Http`].
//!
//! It keeps the rules every such request needs, which neither reqwest nor
//! the `oauth2` crate keeps on its own: https, or plain http only to
//! loopback *addresses* (a name is resolved, every address must be loopback,
//! and the connection is pinned to those addresses, never through a proxy);
//! no redirect is followed; every body is read with a size cap; and one
//! deadline bounds the whole exchange (connect, headers and body), where
//! reqwest's blocking timeout starts again on every read.
use crate::text::escape::esc;
use oauth2::{HttpRequest, HttpResponse};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Connecting to a provider takes at most this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A request with no deadline of its own (a refresh, a revocation) gets
/// this long for the whole exchange.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest token, device, userinfo or error answer read (Google's are
/// under 4 KiB).
pub const MAX_BODY: u64 = 1024 * 1024;
/// Largest discovery document read (Google's is about 1.3 KiB).
pub const MAX_DOCUMENT: u64 = 256 * 1024;

/// Why a request got no answer. Every message is one line, escaped, and
/// never holds a body, a header or anything else that may carry a secret.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL may not be contacted (not https; plain http beyond loopback).
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    Dns(String),
    /// The deadline of the whole exchange passed.
    #[error("timed out")]
    TimedOut,
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("{0}")]
    Failed(String),
    /// The answer is larger than the cap for its kind.
    #[error("the answer is larger than {} KiB", .0 / 1024)]
    TooLarge(u64),
}

/// The `now + d` that cannot overflow: a duration from outside (or a huge
/// one computed from it) saturates at a day from now, longer than any
/// `--timeout`.
pub fn deadline_in(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d.min(Duration::from_secs(24 * 3600)))
        .unwrap_or(now)
}

/// The providers' HTTP client. The underlying clients are built on first
/// use (loading the system's root certificates costs a few milliseconds),
/// so a command that ends up sending nothing builds nothing.
#[derive(Default)]
pub struct Http {
    tls: OnceLock<Result<reqwest::blocking::Client, String>>,
    loopback: OnceLock<Result<reqwest::blocking::Client, String>>,
}

/// Where a request may go.
enum Route {
    /// https: TLS authenticates the host, any address and proxy will do.
    Tls,
    /// http to a loopback IP literal.
    LoopbackIp,
    /// http to a name, pinned to its resolved (all loopback) addresses.
    LoopbackName(String, Vec<SocketAddr>),
}

fn builder() -> reqwest::blocking::ClientBuilder {
    reqwest::blocking::Client::builder()
        // The oauth2 crate's advice against SSRF: a token endpoint has no
        // business redirecting, and a redirect would skip these checks.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("gauth/", env!("CARGO_PKG_VERSION")))
}

fn built(
    cell: &OnceLock<Result<reqwest::blocking::Client, String>>,
    make: impl FnOnce() -> reqwest::blocking::ClientBuilder,
) -> Result<&reqwest::blocking::Client, HttpError> {
    cell.get_or_init(|| {
        make()
            .build()
            .map_err(|e| format!("cannot start an HTTP client: {}", root_cause(&e)))
    })
    .as_ref()
    .map_err(|e| HttpError::Failed(e.clone()))
}

/// A loopback request never goes through a proxy: `http_proxy` would
/// otherwise receive the refresh token and client secret in clear text.
/// No TLS either, so no root certificates are loaded.
fn loopback_builder() -> reqwest::blocking::ClientBuilder {
    builder().no_proxy().tls_built_in_root_certs(false)
}

impl Http {
    pub fn new() -> Http {
        Http::default()
    }

    /// One request, its answer read whole (at most `max_body` bytes), all
    /// before `deadline`. A non-2xx status is an answer, not an error.
    pub fn send(
        &self,
        req: HttpRequest,
        deadline: Instant,
        max_body: u64,
    ) -> Result<HttpResponse, HttpError> {
        let resp = self.open(req, deadline)?;
        let mut builder = oauth2::http::Response::builder()
            .status(resp.status())
            .version(resp.version());
        for (name, value) in resp.headers() {
            builder = builder.header(name, value);
        }
        let body = read_capped(resp, deadline, max_body)?;
        builder
            .body(body)
            .map_err(|e| HttpError::Failed(esc(&e.to_string())))
    }

    /// `GET url` with `headers`: [`Http::send`].
    pub fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        deadline: Instant,
        max_body: u64,
    ) -> Result<HttpResponse, HttpError> {
        let mut req = oauth2::http::Request::builder()
            .method(oauth2::http::Method::GET)
            .uri(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        // The error names neither the URL's query nor a header's value (a
        // bearer token with a control character would land here).
        let req = req
            .body(Vec::new())
            .map_err(|_| HttpError::Failed("the request cannot be built".into()))?;
        self.send(req, deadline, max_body)
    }

    /// The status of `GET url`, without reading the body (`doctor
    /// --online`: any answer proves DNS, TCP and TLS work).
    pub fn status(&self, url: &str, deadline: Instant) -> Result<u16, HttpError> {
        let req = oauth2::http::Request::builder()
            .method(oauth2::http::Method::GET)
            .uri(url)
            .body(Vec::new())
            .map_err(|_| HttpError::Failed("not a URL gauth can request".into()))?;
        Ok(self.open(req, deadline)?.status().as_u16())
    }

    /// The HTTP function the `oauth2` crate calls: every request it makes
    /// goes through [`Http::send`] with this deadline and cap.
    pub fn oauth(
        &self,
        deadline: Instant,
        max_body: u64,
    ) -> impl Fn(HttpRequest) -> Result<HttpResponse, HttpError> + '_ {
        move |req| self.send(req, deadline, max_body)
    }

    /// Check the URL, pick (or pin) the client, send, and wait for the
    /// status line and headers, all before `deadline`.
    fn open(
        &self,
        req: HttpRequest,
        deadline: Instant,
    ) -> Result<reqwest::blocking::Response, HttpError> {
        let url = url::Url::parse(&req.uri().to_string())
            .map_err(|e| HttpError::NotAllowed(format!("not a URL ({e})")))?;
        let route = route(&url, deadline)?;
        let left = time_left(deadline)?;
        let mut request = reqwest::blocking::Request::try_from(req)
            .map_err(|_| HttpError::Failed("the request cannot be built".into()))?;
        // reqwest applies this to the exchange until the body has been read
        // (its total timeout) and to each blocking read; `read_capped`
        // checks the clock between reads as well.
        *request.timeout_mut() = Some(left);
        let pinned;
        let client = match route {
            Route::Tls => built(&self.tls, builder)?,
            Route::LoopbackIp => built(&self.loopback, loopback_builder)?,
            Route::LoopbackName(host, addrs) => {
                // The checked addresses, not a second lookup that could
                // answer differently.
                pinned = loopback_builder()
                    .resolve_to_addrs(&host, &addrs)
                    .build()
                    .map_err(|e| {
                        HttpError::Failed(format!(
                            "cannot start an HTTP client: {}",
                            root_cause(&e)
                        ))
                    })?;
                &pinned
            }
        };
        client.execute(request).map_err(|e| classify(&e, deadline))
    }
}

/// The time left before `deadline`, or [`HttpError::TimedOut`].
fn time_left(deadline: Instant) -> Result<Duration, HttpError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(HttpError::TimedOut)
    } else {
        Ok(left)
    }
}

/// Loopback as the kernel routes it (`::ffff:127.0.0.1` included).
fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// Where `url` may be sent: [`check_url`], then, for plain http to a name,
/// its addresses, every one of them loopback (a hosts file or resolver can
/// point `localhost` anywhere).
fn route(url: &url::Url, deadline: Instant) -> Result<Route, HttpError> {
    check_url("the URL", url.as_str()).map_err(HttpError::NotAllowed)?;
    if url.scheme() == "https" {
        return Ok(Route::Tls);
    }
    let Some(url::Host::Domain(host)) = url.host() else {
        return Ok(Route::LoopbackIp);
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs = resolve(host, port, deadline)?;
    if let Some(far) = addrs.iter().find(|a| !is_loopback(a.ip())) {
        return Err(HttpError::NotAllowed(format!(
            "{} resolves to {}, which is not a loopback address: plain http goes only to loopback addresses",
            esc(host),
            far.ip()
        )));
    }
    Ok(Route::LoopbackName(host.to_owned(), addrs))
}

/// Resolve `host`, bounded by `deadline` (the system resolver has no
/// timeout of its own; a lookup that outlives it is left to finish on its
/// thread).
pub fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, HttpError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let h = host.to_owned();
    std::thread::spawn(move || {
        let _ = tx.send((h.as_str(), port).to_socket_addrs().map(Vec::from_iter));
    });
    match rx.recv_timeout(time_left(deadline)?) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(HttpError::Dns(format!("{} has no address", esc(host)))),
        Ok(Err(e)) => Err(HttpError::Dns(format!(
            "DNS lookup of {} failed ({})",
            esc(host),
            esc(&e.to_string())
        ))),
        Err(_) => Err(HttpError::TimedOut),
    }
}

/// Read the body in chunks: never more than `max` bytes kept, never past
/// `deadline` (a body trickled a byte at a time ends there).
fn read_capped(
    mut resp: reqwest::blocking::Response,
    deadline: Instant,
    max: u64,
) -> Result<Vec<u8>, HttpError> {
    use std::io::Read;
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(HttpError::TooLarge(max));
    }
    let mut body = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        time_left(deadline)?;
        match resp.read(&mut buf) {
            Ok(0) => return Ok(body),
            Ok(n) => {
                if (body.len() + n) as u64 > max {
                    return Err(HttpError::TooLarge(max));
                }
                body.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(classify(&e, deadline)),
        }
    }
}

/// What went wrong, in one line: timed out (also whenever the deadline has
/// passed, whatever the error says), a connection failure with its deepest
/// cause, or the deepest cause.
fn classify(e: &(dyn std::error::Error + 'static), deadline: Instant) -> HttpError {
    let mut connect = false;
    let mut timeout = Instant::now() >= deadline;
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(r) = s.downcast_ref::<reqwest::Error>() {
            timeout |= r.is_timeout();
            connect |= r.is_connect();
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            timeout |= io.kind() == std::io::ErrorKind::TimedOut;
        }
        src = s.source();
    }
    if timeout {
        HttpError::TimedOut
    } else if connect {
        HttpError::Connect(root_cause(e))
    } else {
        HttpError::Failed(root_cause(e))
    }
}

/// The deepest cause of `e`, escaped (reqwest's own message names the URL
/// and says little).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut root = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        root = s.to_string();
        src = s.source();
    }
    esc(&root)
}

/// `gauth token` and `gauth logout` build this only when they send
/// something.
pub fn client() -> anyhow::Result<Http> {
    Ok(Http::new())
}

/// An endpoint gauth may send a token or secret to: `https:`, or `http:`
/// on a loopback address only (RFC 8252 §8.3; a provider on this machine).
/// `localhost` passes here by name; [`Http`] resolves it and sends only when
/// every address is loopback. `what` names it in the one-line error.
pub fn check_url(what: &str, url: &str) -> Result<url::Url, String> {
    let parsed =
        url::Url::parse(url).map_err(|e| format!("{what} '{}' is not a URL ({e})", esc(url)))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => is_loopback(ip.into()),
        Some(url::Host::Ipv6(ip)) => is_loopback(ip.into()),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(parsed),
        "http" if loopback => Ok(parsed),
        "http" => Err(format!(
            "{what} '{}' is plain http: only https, or http on a loopback address, is allowed",
            esc(url)
        )),
        _ => Err(format!("{what} '{}' is not an https URL", esc(url))),
    }
}

/// [`check_url`] for a token endpoint.
pub fn endpoint(url: &str) -> Result<url::Url, String> {
    check_url("the endpoint", url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(endpoint("https://oauth2.googleapis.com/token").is_ok());
        assert!(endpoint("http://127.0.0.1:5556/token").is_ok());
        assert!(endpoint("http://[::1]/token").is_ok());
        assert!(endpoint("http://localhost:80/token").is_ok());
        assert!(endpoint("http://example.com/token").is_err());
        assert!(endpoint("http://127.0.0.1.example.com/token").is_err());
        assert!(endpoint("ftp://127.0.0.1/token").is_err());
        assert!(endpoint("not a url").is_err());
        assert!(endpoint("https://").is_err());
        assert!(!endpoint("http://10.0.0.1/").unwrap_err().contains('\n'));
        assert!(endpoint("javascript:alert(1)").is_err());
        assert!(endpoint("file:///etc/passwd").is_err());
    }

    #[test]
    fn deadlines_from_huge_durations_do_not_overflow() {
        let d = deadline_in(Duration::from_secs(u64::MAX));
        assert!(d > Instant::now());
        assert!(d < Instant::now() + Duration::from_secs(24 * 3600 + 1));
    }

    #[test]
    fn a_passed_deadline_sends_nothing() {
        // 127.0.0.1:9 (discard) is never contacted: the deadline is over.
        let http = Http::new();
        let e = http
            .get("http://127.0.0.1:9/", &[], Instant::now(), MAX_BODY)
            .unwrap_err();
        assert!(matches!(e, HttpError::TimedOut), "{e}");
        let e = http
            .get(
                "http://example.com/",
                &[],
                Instant::now() + REQUEST_TIMEOUT,
                MAX_BODY,
            )
            .unwrap_err();
        assert!(matches!(e, HttpError::NotAllowed(_)), "{e}");
    }
}
