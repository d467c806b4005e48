//! Proving a port is free: really bind it on the loopback addresses a login
//! listener would use, the way such listeners do (with SO_REUSEADDR, as std,
//! libuv/httpuv and Python's http.server all set it).
use serde::Serialize;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BindResult {
    Ok,
    /// EADDRINUSE: something still holds it.
    InUse,
    /// The address does not exist here (IPv6 disabled): not a blocker.
    Unavailable {
        error: String,
    },
    /// EACCES/EPERM: a sandbox or a privileged port.
    Denied {
        error: String,
    },
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BindCheck {
    pub address: String,
    #[serde(flatten)]
    pub result: BindResult,
}

impl BindCheck {
    /// Does this result stop a loopback login listener from starting?
    pub fn blocks(&self) -> bool {
        !matches!(self.result, BindResult::Ok | BindResult::Unavailable { .. })
    }
}

pub fn try_bind(addr: SocketAddr) -> BindCheck {
    try_bind_listener(addr).1
}

/// Bind `addr` and keep the listener (for the self-test), with the check.
pub fn try_bind_listener(addr: SocketAddr) -> (Option<TcpListener>, BindCheck) {
    let (listener, result) = match TcpListener::bind(addr) {
        Ok(listener) => (Some(listener), BindResult::Ok),
        Err(e) => {
            let error = e.to_string();
            let result = match e.kind() {
                ErrorKind::AddrInUse => BindResult::InUse,
                // 127.0.0.1 missing is not "IPv6 is off": the loopback
                // interface is down (a sandbox without networking).
                ErrorKind::AddrNotAvailable if addr.ip() == IpAddr::V4(Ipv4Addr::LOCALHOST) => {
                    BindResult::Failed {
                        error: format!(
                            "{error} (is the loopback interface down, as in a sandbox without networking?)"
                        ),
                    }
                }
                ErrorKind::AddrNotAvailable => BindResult::Unavailable { error },
                ErrorKind::PermissionDenied => BindResult::Denied { error },
                _ if e.raw_os_error() == Some(EAFNOSUPPORT) => BindResult::Unavailable { error },
                _ => BindResult::Failed { error },
            };
            (None, result)
        }
    };
    (
        listener,
        BindCheck {
            address: addr.to_string(),
            result,
        },
    )
}

/// Bind 127.0.0.1:PORT and [::1]:PORT in turn (each released at once).
pub fn check_loopback(port: u16) -> Vec<BindCheck> {
    vec![
        try_bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))),
        try_bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))),
    ]
}

/// "Address family not supported" (no IPv6): errno on Unix, Winsock's
/// WSAEAFNOSUPPORT on Windows.
#[cfg(unix)]
const EAFNOSUPPORT: i32 = libc::EAFNOSUPPORT;
#[cfg(windows)]
const EAFNOSUPPORT: i32 = 10047;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_port_is_in_use_and_a_released_one_is_ok() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert_eq!(check_loopback(port)[0].result, BindResult::InUse);
        assert!(check_loopback(port)[0].blocks());
        drop(l);
        assert_eq!(check_loopback(port)[0].result, BindResult::Ok);
    }
}
