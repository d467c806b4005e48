//! The listener self-test behind "missing listener": really bind the loopback
//! addresses a login would use, connect through every address `localhost`
//! resolves to, and do an HTTP round trip — first with an IPv4-only listener
//! (what httr does), then with both (what gauth does).
//!
//! The round trip runs on one thread: a connect to a listening socket
//! completes in the kernel before `accept`, so the probe connects, writes its
//! request, accepts on its own listener, answers, and reads the answer.
use super::bind::{BindCheck, BindResult, try_bind_listener};
use serde::Serialize;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_millis(1000);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeResult {
    /// HTTP 200 with our token: the round trip worked.
    Ok,
    /// Connection refused: nothing listens at that address.
    Refused,
    /// Something else answered (another process on that address).
    Foreign,
    Timeout,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    /// Which listeners were up: `ipv4_only` (like httr) or `ipv4_and_ipv6`.
    pub listeners: &'static str,
    pub address: String,
    pub result: ProbeResult,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SelfTest {
    /// The port tested: the requested one when it could be bound, else a
    /// free one (the resolution and round-trip checks do not depend on it).
    pub port: u16,
    pub on_requested_port: bool,
    pub binds: Vec<BindCheck>,
    /// What `localhost` resolves to, in order.
    pub localhost: Vec<IpAddr>,
    pub resolve_error: Option<String>,
    pub probes: Vec<Probe>,
}

impl SelfTest {
    fn probe(&self, listeners: &str, addr: IpAddr) -> Option<&Probe> {
        let want = SocketAddr::new(addr, self.port).to_string();
        self.probes
            .iter()
            .find(|p| p.listeners == listeners && p.address == want)
    }

    /// `http://127.0.0.1:PORT/` reaches a listener on 127.0.0.1.
    pub fn ip_literal_works(&self) -> bool {
        self.probe("ipv4_only", IpAddr::V4(Ipv4Addr::LOCALHOST))
            .is_some_and(|p| p.result == ProbeResult::Ok)
    }

    /// The first address `localhost` resolves to, with only an IPv4 listener.
    pub fn localhost_first_with_ipv4_only(&self) -> Option<&Probe> {
        self.localhost
            .first()
            .and_then(|a| self.probe("ipv4_only", *a))
    }

    /// Does every `localhost` address answer when both listeners are up?
    pub fn localhost_works_with_both(&self) -> bool {
        !self.localhost.is_empty()
            && self.localhost.iter().all(|a| {
                self.probe("ipv4_and_ipv6", *a)
                    .is_some_and(|p| p.result == ProbeResult::Ok)
            })
    }
}

/// Resolve `localhost` as a browser would (getaddrinfo), keeping the order.
pub fn resolve_localhost(port: u16) -> Result<Vec<IpAddr>, String> {
    let mut out: Vec<IpAddr> = Vec::new();
    for a in ("localhost", port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
    {
        if !out.contains(&a.ip()) {
            out.push(a.ip());
        }
    }
    Ok(out)
}

pub fn run(requested: u16) -> SelfTest {
    let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, requested));
    let (mut l4, mut binds, mut port) = match try_bind_listener(v4) {
        (Some(l), check) => {
            // Port 0: any free one (login with a client that allows any).
            let port = l.local_addr().map_or(requested, |a| a.port());
            (Some(l), vec![check], port)
        }
        (None, check) => {
            // The requested port is taken (or refused): test on a free one.
            let (l, _) = try_bind_listener(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
            let port = l
                .as_ref()
                .and_then(|l| l.local_addr().ok())
                .map_or(0, |a| a.port());
            (l, vec![check], port)
        }
    };
    let on_requested_port = (requested == 0 || port == requested) && l4.is_some();
    if l4.is_none() {
        port = requested;
    }
    let (localhost, resolve_error) = match resolve_localhost(port) {
        Ok(v) => (v, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    // Only loopback is ever contacted: when `localhost` resolves beyond it
    // (a bad /etc/hosts), that is reported, never connected to — doctor
    // stays off the network without --online.
    let mut targets: Vec<IpAddr> = localhost
        .iter()
        .copied()
        .filter(IpAddr::is_loopback)
        .collect();
    for lit in [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ] {
        if !targets.contains(&lit) {
            targets.push(lit);
        }
    }
    let mut probes = Vec::new();
    if let Some(l) = l4.as_mut() {
        for t in &targets {
            probes.push(round_trip("ipv4_only", SocketAddr::new(*t, port), &[&*l]));
        }
    }
    let (l6, check6) = try_bind_listener(SocketAddr::from((Ipv6Addr::LOCALHOST, port)));
    binds.push(check6);
    if let (Some(l4), Some(l6)) = (l4.as_ref(), l6.as_ref()) {
        for t in &targets {
            probes.push(round_trip(
                "ipv4_and_ipv6",
                SocketAddr::new(*t, port),
                &[l4, l6],
            ));
        }
    }
    SelfTest {
        port,
        on_requested_port,
        binds,
        localhost,
        resolve_error,
        probes,
    }
}

fn probe(
    listeners: &'static str,
    addr: SocketAddr,
    result: ProbeResult,
    detail: Option<String>,
) -> Probe {
    Probe {
        listeners,
        address: addr.to_string(),
        result,
        detail,
    }
}

/// Connect, send a request carrying a random token, serve it from one of
/// `ours`, and check the answer.
fn round_trip(listeners: &'static str, addr: SocketAddr, ours: &[&TcpListener]) -> Probe {
    let token = format!("{:016x}", random_u64());
    let mut client = match TcpStream::connect_timeout(&addr, TIMEOUT) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return probe(listeners, addr, ProbeResult::Refused, Some(e.to_string()));
        }
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            return probe(listeners, addr, ProbeResult::Timeout, Some(e.to_string()));
        }
        Err(e) => return probe(listeners, addr, ProbeResult::Error, Some(e.to_string())),
    };
    let _ = client.set_read_timeout(Some(TIMEOUT));
    let _ = client.set_write_timeout(Some(TIMEOUT));
    let request = format!(
        "GET /gauth-self-test/{token} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    if let Err(e) = client.write_all(request.as_bytes()) {
        return probe(listeners, addr, ProbeResult::Error, Some(e.to_string()));
    }
    // Serve it, if it reached one of our listeners. The server side stays
    // open until the client has read the answer and closed: the side that
    // closes first keeps the TIME_WAIT, and it must not be the port's.
    let mut server_side = None;
    for l in ours {
        let _ = l.set_nonblocking(true);
        if let Ok((conn, _)) = l.accept() {
            server_side = Some(serve_one(conn));
            break;
        }
    }
    if server_side.is_none() {
        return probe(
            listeners,
            addr,
            ProbeResult::Foreign,
            Some("another process answered on this address".into()),
        );
    }
    let result = read_answer(&mut client, &token);
    drop(client);
    drop(server_side);
    match result {
        Ok(()) => probe(listeners, addr, ProbeResult::Ok, None),
        Err((kind, detail)) => probe(listeners, addr, kind, Some(detail)),
    }
}

/// Read one HTTP answer (by Content-Length) and check it carries `token`.
fn read_answer(client: &mut TcpStream, token: &str) -> Result<(), (ProbeResult, String)> {
    let mut buf = vec![0u8; 4096];
    let mut len = 0;
    loop {
        match client.read(&mut buf[len..]) {
            Ok(0) => {
                return Err((
                    ProbeResult::Error,
                    "connection closed before a full answer".into(),
                ));
            }
            Ok(n) => len += n,
            Err(e) => return Err((ProbeResult::Timeout, e.to_string())),
        }
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(&buf[..len]) {
            Ok(httparse::Status::Complete(body_at)) => {
                let want: usize = resp
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                    .unwrap_or(0);
                if len - body_at < want && len < buf.len() {
                    continue;
                }
                return if resp.code == Some(200) && buf[body_at..len] == *token.as_bytes() {
                    Ok(())
                } else {
                    Err((
                        ProbeResult::Error,
                        format!("unexpected HTTP answer (status {:?})", resp.code),
                    ))
                };
            }
            Ok(httparse::Status::Partial) if len < buf.len() => {}
            _ => return Err((ProbeResult::Error, "malformed HTTP answer".into())),
        }
    }
}

/// Answer one self-test request: 200 with the token from the path. The
/// connection is returned, still open, for the caller to close last.
fn serve_one(mut conn: TcpStream) -> TcpStream {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(TIMEOUT));
    let mut buf = vec![0u8; 8192];
    let mut len = 0;
    let token = loop {
        match conn.read(&mut buf[len..]) {
            Ok(0) | Err(_) => break None,
            Ok(n) => len += n,
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf[..len]) {
            Ok(httparse::Status::Complete(_)) => {
                break req
                    .path
                    .and_then(|p| p.strip_prefix("/gauth-self-test/"))
                    .map(str::to_owned);
            }
            Ok(httparse::Status::Partial) if len < buf.len() => {}
            _ => break None,
        }
    };
    let (status, body) = match token {
        Some(t) => ("200 OK", t),
        None => ("400 Bad Request", String::new()),
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per process; good enough for a probe
    // token that only has to differ between probes (not a secret).
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// A short description of a bind failure for humans.
pub fn bind_problem(check: &BindCheck) -> Option<String> {
    match &check.result {
        BindResult::Ok => None,
        BindResult::InUse => Some(format!("{} is in use", check.address)),
        BindResult::Unavailable { error } => {
            Some(format!("{} is not available here ({error})", check.address))
        }
        BindResult::Denied { error } => Some(format!(
            "binding {} is not allowed here ({error}): a sandbox or security policy",
            check.address
        )),
        BindResult::Failed { error } => Some(format!("binding {} failed: {error}", check.address)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(request: &[u8]) -> (String, Duration) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        c.write_all(request).unwrap();
        let (conn, _) = l.accept().unwrap();
        let t = std::time::Instant::now();
        let conn = serve_one(conn);
        let took = t.elapsed();
        drop(conn);
        let mut answer = String::new();
        let _ = c.read_to_string(&mut answer);
        (answer, took)
    }

    #[test]
    fn answers_its_own_token() {
        let (a, _) = served(b"GET /gauth-self-test/abc123 HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(
            a.starts_with("HTTP/1.1 200 OK") && a.ends_with("abc123"),
            "{a}"
        );
    }

    #[test]
    fn hostile_requests_get_400_and_never_hang() {
        for req in [
            &b"\x00\x01\x02garbage\r\n\r\n"[..],
            b"GET /somewhere-else HTTP/1.1\r\n\r\n",
            b"GET /gauth-self-test/x HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
            &[b'A'; 20_000][..],
            b"", // says nothing: the read times out
        ] {
            // Windows resets a connection closed with unread input (the
            // 20 kB request): the client gets the RST, not the 400.
            if cfg!(windows) && req.len() > 8192 {
                continue;
            }
            let (a, took) = served(req);
            assert!(a.starts_with("HTTP/1.1 400"), "{a:?}");
            assert!(took <= TIMEOUT + Duration::from_millis(500), "{took:?}");
        }
    }

    #[test]
    fn a_full_self_test_on_a_free_port() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let t = run(port);
        assert!(t.on_requested_port);
        assert!(t.ip_literal_works(), "{t:?}");
    }
}
