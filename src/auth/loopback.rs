//! The loopback redirect listener (RFC 8252 §7.3): listens on a loopback
//! address only, accepts exactly one authorization response that carries this
//! login's `state` (and `iss`), answers the browser with a small page, then
//! closes. Junk, forged responses, wrong paths and slow or silent
//! connections are answered or dropped on their own threads and never end
//! or block the wait; so are answers from another user's connection (see
//! [`Guard`]). HTTP parsing is httparse's; the rest (a bounded one-shot
//! server with deadlines) is small and specific enough to write here rather
//! than pull in a web framework.
use super::callback::{self, Expect, Rejected};
use super::secret::Secret;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

/// Largest request head read (a callback URL with a long code is < 4 KiB).
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request.
const REQUEST_DEADLINE: Duration = Duration::from_secs(5);
/// Connections handled at once. At the limit the oldest open connection is
/// closed to make room: the browser's request arrives within moments of its
/// connect, so the connections that grow old are silent or trickling ones
/// (a flood or slowloris), never the callback.
const MAX_CONNECTIONS: usize = 64;

/// A bound listener, not yet waiting.
pub struct Listener {
    sockets: Vec<TcpListener>,
    pub port: u16,
    /// The exact redirect URI to send the provider.
    pub redirect_uri: String,
    path: String,
}

/// How to bind.
pub struct Bind<'a> {
    /// 0: any free port.
    pub port: u16,
    /// The redirect's path, e.g. `/` or `/callback`.
    pub path: &'a str,
    /// A web client's registered `localhost` redirect: listen on 127.0.0.1
    /// and ::1 (the browser may try either) and redirect to `localhost`.
    pub localhost: bool,
}

impl Listener {
    /// Listen on 127.0.0.1 (falling back to ::1 where IPv4 is missing), or on
    /// both for a registered `localhost` redirect.
    pub fn bind(b: &Bind<'_>) -> std::io::Result<Listener> {
        let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), b.port);
        let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), b.port);
        let path = if b.path.starts_with('/') {
            b.path.to_owned()
        } else {
            format!("/{}", b.path)
        };
        let (sockets, host) = if b.localhost {
            let first = TcpListener::bind(v4)?;
            let port = first.local_addr()?.port();
            let mut sockets = vec![first];
            // ::1 is best effort: a machine without IPv6 has no ::1 to
            // resolve localhost to either.
            if let Ok(s) = TcpListener::bind(SocketAddr::new(v6.ip(), port)) {
                sockets.push(s);
            }
            (sockets, "localhost".to_owned())
        } else {
            match TcpListener::bind(v4) {
                Ok(s) => (vec![s], "127.0.0.1".to_owned()),
                Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
                    (vec![TcpListener::bind(v6)?], "[::1]".to_owned())
                }
                Err(e) => return Err(e),
            }
        };
        let port = sockets[0].local_addr()?.port();
        Ok(Listener {
            redirect_uri: format!("http://{host}:{port}{path}"),
            sockets,
            port,
            path,
        })
    }

    /// The addresses listened on (tests check they are all loopback).
    pub fn addresses(&self) -> Vec<SocketAddr> {
        self.sockets
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    /// Serve until one response of this login arrives, `events` brings a
    /// pasted one, or `deadline` passes. The listener is closed on return.
    /// `on_rejected` hears every answer that was not taken, and, first, why
    /// answers cannot be told apart by their sender here, when they cannot.
    pub fn wait(
        self,
        expect: &Expect<'_>,
        deadline: Instant,
        events: (Sender<Event>, Receiver<Event>),
        mut on_rejected: impl FnMut(&str),
    ) -> Result<Secret, WaitError> {
        let (tx, rx) = events;
        let stop = Arc::new(AtomicBool::new(false));
        let active: Open = Arc::default();
        let guard = Guard::for_listeners(&self.addresses());
        if let Guard::Open(Some(why)) = &guard {
            on_rejected(why);
        }
        let ctx = Arc::new(Ctx {
            path: self.path.clone(),
            state: expect.state.to_owned(),
            issuer: expect.issuer.to_owned(),
            iss_required: expect.iss_required,
            guard,
        });
        let mut acceptors = Vec::new();
        for socket in self.sockets {
            socket.set_nonblocking(true).map_err(WaitError::Io)?;
            let (tx, stop, active, ctx) = (tx.clone(), stop.clone(), active.clone(), ctx.clone());
            acceptors.push(std::thread::spawn(move || {
                accept_loop(socket, &tx, &stop, &active, &ctx);
            }));
        }
        drop(tx);
        let result = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break Err(WaitError::TimedOut);
            }
            match rx.recv_timeout(left) {
                Ok(Event::Code(code)) => break Ok(code),
                Ok(Event::Failed(e)) => break Err(WaitError::Provider(e)),
                Ok(Event::Rejected(why)) => on_rejected(&why),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    break Err(WaitError::TimedOut);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    break Err(WaitError::Io(std::io::Error::other(
                        "the listener stopped unexpectedly",
                    )));
                }
            }
        };
        stop.store(true, Ordering::SeqCst);
        for a in acceptors {
            let _ = a.join();
        }
        result
    }
}

/// What the listener (or a paste) reports to the waiting login.
#[derive(Debug)]
pub enum Event {
    /// A response of this login with its code.
    Code(Secret),
    /// A response of this login with the provider's error (`access_denied`).
    Failed(String),
    /// Something that was not accepted (shown, the wait goes on).
    Rejected(String),
}

#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("no answer from the browser in time")]
    TimedOut,
    #[error("the provider refused the login: {0}")]
    Provider(String),
    #[error("the listener failed: {0}")]
    Io(std::io::Error),
}

/// The connections being served, oldest first: (id, a handle to close it).
type Open = Arc<Mutex<VecDeque<(u64, TcpStream)>>>;

struct Ctx {
    path: String,
    state: String,
    issuer: String,
    iss_required: bool,
    guard: Guard,
}

/// Who may answer the listener. The login URL (with its `state`) is in the
/// browser's argv, which every local user can read in `/proc`; without this
/// another user could send the listener a code of their own account, bound
/// to this login's public PKCE challenge, with the right `state`, before the
/// browser does (login CSRF: the cache would then hold their account). So
/// an answer is taken only from a connection whose other end is a socket of
/// this user, or of root (an `ssh -L` or container port forwarder that
/// carries the browser's connection runs as the user or as root).
#[derive(Debug)]
enum Guard {
    /// The kernel names the owner of a connection's other end (Linux,
    /// sock_diag): only these uids are let through.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Uids(Vec<u32>),
    /// This system does not say who owns the other end (macOS, Windows;
    /// Linux where sock_diag cannot be used: some sandboxes): every
    /// connection is let through, as before this check existed, since
    /// refusing them all would leave no loopback login at all there. The
    /// reason, when it is worth telling (a Linux that refused).
    Open(Option<String>),
}

impl Guard {
    /// Ask the kernel about the listeners themselves first: when it can
    /// name their owner, it can name a connection's, and then a connection
    /// it cannot name (gone, reset, half-closed) is refused, never waved
    /// through — an attacker can close their end at will, but cannot make
    /// the kernel stop answering for gauth's own listener.
    #[cfg(target_os = "linux")]
    fn for_listeners(addrs: &[SocketAddr]) -> Guard {
        use crate::system::net::TcpState;
        let unspecified = |a: &SocketAddr| match a {
            SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
        };
        for a in addrs {
            match crate::system::net::netlink::lookup(*a, unspecified(a)) {
                Ok(Some(s)) if s.state == TcpState::Listen => {}
                Ok(_) => {
                    return Guard::Open(Some(format!(
                        "cannot tell which user sends the browser's answer here (sock_diag does not find gauth's own listener on {a}): any local user who sees the login URL could answer in its place"
                    )));
                }
                Err(e) => {
                    return Guard::Open(Some(format!(
                        "cannot tell which user sends the browser's answer here ({e:#}): any local user who sees the login URL could answer in its place"
                    )));
                }
            }
        }
        let mut uids = vec![
            rustix::process::geteuid().as_raw(),
            rustix::process::getuid().as_raw(),
            0,
        ];
        uids.dedup();
        Guard::Uids(uids)
    }

    /// No interface names the owner of a TCP connection's other end here
    /// (macOS has none for TCP; Windows could, through the owning pid, not
    /// done yet): documented in the README as a limit.
    #[cfg(not(target_os = "linux"))]
    fn for_listeners(_: &[SocketAddr]) -> Guard {
        Guard::Open(None)
    }

    /// `Err(why)`: this connection may not answer (one line for stderr).
    fn admit(&self, stream: &TcpStream) -> Result<(), String> {
        let Guard::Uids(uids) = self else {
            return Ok(());
        };
        let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
            return Err("a connection whose addresses cannot be read was refused".into());
        };
        peer_owner(uids, peer, local)
    }
}

#[cfg(target_os = "linux")]
fn peer_owner(uids: &[u32], peer: SocketAddr, local: SocketAddr) -> Result<(), String> {
    use crate::system::net::TcpState;
    // The other end of a loopback connection is a local socket whose own
    // address is the peer's and whose peer is this end. Only an
    // ESTABLISHED one counts: a socket its owner closed may be a TIME_WAIT
    // remnant, which the kernel reports as owned by uid 0.
    match crate::system::net::netlink::lookup(peer, local) {
        Ok(Some(s)) if s.state == TcpState::Established => match s.uid {
            Some(uid) if uids.contains(&uid) => Ok(()),
            Some(uid) => Err(format!("a connection from uid {uid} (not you) was refused")),
            None => Err("a connection whose owner the kernel does not name was refused".into()),
        },
        Ok(Some(s)) => Err(format!(
            "a connection whose sender had already closed it ({}) was refused: its owner cannot be told",
            s.state.name()
        )),
        Ok(None) => Err(
            "a connection whose sender is gone (or is not a socket on this machine) was refused: its owner cannot be told"
                .into(),
        ),
        Err(e) => Err(format!(
            "a connection was refused: its owner cannot be checked ({e:#})"
        )),
    }
}

#[cfg(not(target_os = "linux"))]
fn peer_owner(_: &[u32], _: SocketAddr, _: SocketAddr) -> Result<(), String> {
    Ok(())
}

fn accept_loop(
    socket: TcpListener,
    tx: &Sender<Event>,
    stop: &AtomicBool,
    open: &Open,
    ctx: &Arc<Ctx>,
) {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    while !stop.load(Ordering::SeqCst) {
        match socket.accept() {
            Ok((stream, _)) => {
                let id = NEXT_ID.fetch_add(1, Ordering::SeqCst);
                let Ok(handle) = stream.try_clone() else {
                    continue;
                };
                if let Ok(mut open) = open.lock() {
                    while open.len() >= MAX_CONNECTIONS {
                        if let Some((_, oldest)) = open.pop_front() {
                            let _ = oldest.shutdown(std::net::Shutdown::Both);
                        }
                    }
                    open.push_back((id, handle));
                }
                let (tx, open, ctx) = (tx.clone(), open.clone(), ctx.clone());
                std::thread::spawn(move || {
                    if let Some(ev) = serve(stream, &ctx) {
                        let _ = tx.send(ev);
                    }
                    if let Ok(mut open) = open.lock() {
                        open.retain(|(i, _)| *i != id);
                    }
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    // `socket` is dropped here: the port is closed.
}

/// Read one request (within the deadline and size cap), answer it, and say
/// what it was.
fn serve(mut stream: TcpStream, ctx: &Ctx) -> Option<Event> {
    let _ = stream.set_nonblocking(false);
    let started = Instant::now();
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    let target = loop {
        let left = REQUEST_DEADLINE.saturating_sub(started.elapsed());
        if left.is_zero() {
            return None; // slow or silent: dropped
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                // Asked once the request is whole, while the sender waits for
                // the answer (its end is still ESTABLISHED then).
                if let Err(why) = ctx.guard.admit(&stream) {
                    respond(&mut stream, 403, PAGE_NOT_YOURS);
                    return Some(Event::Rejected(why));
                }
                if req.method != Some("GET") {
                    respond(&mut stream, 405, PAGE_BAD);
                    return Some(Event::Rejected("a request that is not GET".into()));
                }
                break req.path.unwrap_or("").to_owned();
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => continue,
            _ => {
                respond(&mut stream, 400, PAGE_BAD);
                return Some(Event::Rejected("a request that is not HTTP".into()));
            }
        }
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    if path != ctx.path {
        respond(&mut stream, 404, PAGE_BAD);
        return None; // favicon.ico and the like: not worth a word
    }
    let expect = Expect {
        state: &ctx.state,
        issuer: &ctx.issuer,
        iss_required: ctx.iss_required,
    };
    match callback::parse_query(query).and_then(|r| r.accept(&expect, false)) {
        Ok(code) => {
            respond(&mut stream, 200, PAGE_DONE);
            Some(Event::Code(code))
        }
        Err(Rejected::Provider(e)) => {
            respond(&mut stream, 200, PAGE_REFUSED);
            Some(Event::Failed(e.to_string()))
        }
        Err(why) => {
            respond(&mut stream, 400, PAGE_BAD);
            Some(Event::Rejected(format!("a response was refused: {why}")))
        }
    }
}

fn respond(stream: &mut TcpStream, status: u16, body: &str) {
    let reason = match status {
        200 => "OK",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Bad Request",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\
         Referrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\r\n",
        body.len()
    );
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

#[cfg(test)]
const STYLE: &str = "<style>body{font-family:system-ui,sans-serif;margin:4em auto;max-width:32em;text-align:center;color:#222}</style>";

const PAGE_DONE: &str = concat!(
    "<!doctype html><html><head><meta charset=utf-8><title>gauth: signed in</title>",
    "<style>body{font-family:system-ui,sans-serif;margin:4em auto;max-width:32em;text-align:center;color:#222}</style>",
    "</head><body><h1>Signed in</h1><p>You can close this tab and return to the terminal.</p></body></html>"
);

const PAGE_REFUSED: &str = concat!(
    "<!doctype html><html><head><meta charset=utf-8><title>gauth: not signed in</title>",
    "<style>body{font-family:system-ui,sans-serif;margin:4em auto;max-width:32em;text-align:center;color:#222}</style>",
    "</head><body><h1>Not signed in</h1><p>The provider did not grant access. The terminal says why; you can close this tab.</p></body></html>"
);

const PAGE_BAD: &str = concat!(
    "<!doctype html><html><head><meta charset=utf-8><title>gauth</title>",
    "<style>body{font-family:system-ui,sans-serif;margin:4em auto;max-width:32em;text-align:center;color:#222}</style>",
    "</head><body><p>This is not the answer the login in progress is waiting for.</p></body></html>"
);

const PAGE_NOT_YOURS: &str = concat!(
    "<!doctype html><html><head><meta charset=utf-8><title>gauth: not taken</title>",
    "<style>body{font-family:system-ui,sans-serif;margin:4em auto;max-width:32em;text-align:center;color:#222}</style>",
    "</head><body><h1>Not taken</h1><p>This answer did not come from a program of the user who runs the login, so the login did not take it. ",
    "If this is your own browser, copy this page's address and paste it into the terminal where gauth waits.</p></body></html>"
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn pages_share_the_style() {
        for p in [PAGE_DONE, PAGE_REFUSED, PAGE_BAD, PAGE_NOT_YOURS] {
            assert!(p.contains(STYLE));
        }
    }

    fn get(port: u16, target: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn one_valid_response_is_accepted_and_the_port_closes() {
        let l = Listener::bind(&Bind {
            port: 0,
            path: "/",
            localhost: false,
        })
        .unwrap();
        let port = l.port;
        assert_eq!(l.redirect_uri, format!("http://127.0.0.1:{port}/"));
        assert!(l.addresses().iter().all(|a| a.ip().is_loopback()));
        let client = std::thread::spawn(move || {
            // A silent connection and junk first: they must not block.
            let _silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let mut junk = TcpStream::connect(("127.0.0.1", port)).unwrap();
            junk.write_all(b"\x16\x03\x01 not http\r\n\r\n").unwrap();
            let forged = get(port, "/?code=evil&state=wrong");
            assert!(forged.starts_with("HTTP/1.1 400"), "{forged}");
            let wrong_path = get(port, "/favicon.ico");
            assert!(wrong_path.starts_with("HTTP/1.1 404"));
            let ok = get(port, "/?code=good&state=st");
            assert!(ok.contains("You can close this tab"), "{ok}");
        });
        let expect = Expect {
            state: "st",
            issuer: "http://127.0.0.1:1",
            iss_required: false,
        };
        let mut rejected = Vec::new();
        let code = l
            .wait(
                &expect,
                Instant::now() + Duration::from_secs(10),
                channel(),
                |w| rejected.push(w.to_owned()),
            )
            .unwrap();
        client.join().unwrap();
        assert_eq!(code.expose(), "good");
        assert!(
            rejected.iter().any(|r| r.contains("state does not match")),
            "{rejected:?}"
        );
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "closed after the one valid response"
        );
    }

    /// An answer whose sender reset its connection right after sending it
    /// (so that the kernel no longer names its owner) is refused, never
    /// taken for lack of an owner; the browser's own answer still is.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_answer_whose_sender_cannot_be_named_is_refused() {
        use std::os::fd::AsRawFd;
        let l = Listener::bind(&Bind {
            port: 0,
            path: "/",
            localhost: false,
        })
        .unwrap();
        let port = l.port;
        let client = std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(b"GET /?code=evil&state=st HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            // SAFETY: a valid fd and a correctly sized option value.
            let r = unsafe {
                libc::setsockopt(
                    s.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    std::ptr::from_ref(&linger).cast(),
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                )
            };
            assert_eq!(r, 0);
            drop(s); // an RST: this end is gone at once
            std::thread::sleep(Duration::from_millis(300));
            let ok = get(port, "/?code=good&state=st");
            assert!(ok.contains("You can close this tab"), "{ok}");
        });
        let expect = Expect {
            state: "st",
            issuer: "http://127.0.0.1:1",
            iss_required: false,
        };
        let mut rejected = Vec::new();
        let code = l
            .wait(
                &expect,
                Instant::now() + Duration::from_secs(10),
                channel(),
                |w| rejected.push(w.to_owned()),
            )
            .unwrap();
        client.join().unwrap();
        assert_eq!(code.expose(), "good", "{rejected:?}");
    }

    #[test]
    fn a_deadline_ends_the_wait() {
        let l = Listener::bind(&Bind {
            port: 0,
            path: "/callback",
            localhost: true,
        })
        .unwrap();
        assert!(l.redirect_uri.starts_with("http://localhost:"));
        assert!(l.redirect_uri.ends_with("/callback"));
        let expect = Expect {
            state: "st",
            issuer: "x",
            iss_required: false,
        };
        let r = l.wait(
            &expect,
            Instant::now() + Duration::from_millis(200),
            channel(),
            |_| {},
        );
        assert!(matches!(r, Err(WaitError::TimedOut)));
    }
}
