//! Who listens on a TCP port: the sockets (kernel view) and the processes that
//! hold them. `state` judges them; `doctor` and `login` reuse it, `free-port`
//! acts on it.
use serde::Serialize;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

pub mod bind;
#[cfg(target_os = "linux")]
pub mod netlink;
pub mod number;
#[cfg(unix)]
pub mod owners;
pub mod portable;
pub mod procnet;
pub mod selftest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Ipv4,
    Ipv6,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpState {
    Listen,
    TimeWait,
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    /// Bound, neither listening nor connected.
    Close,
    CloseWait,
    LastAck,
    Closing,
}

impl TcpState {
    /// The kernel's number (`TCP_ESTABLISHED` = 1 … `TCP_CLOSING` = 11).
    pub fn from_kernel(n: u8) -> Option<TcpState> {
        Some(match n {
            1 => TcpState::Established,
            2 => TcpState::SynSent,
            3 => TcpState::SynRecv,
            4 => TcpState::FinWait1,
            5 => TcpState::FinWait2,
            6 => TcpState::TimeWait,
            7 => TcpState::Close,
            8 => TcpState::CloseWait,
            9 => TcpState::LastAck,
            10 => TcpState::Listen,
            11 => TcpState::Closing,
            _ => return None,
        })
    }

    /// Every state but LISTEN and TIME_WAIT: a socket some process holds
    /// that is not a listener.
    pub const CONNECTION: &[TcpState] = &[
        TcpState::Established,
        TcpState::SynSent,
        TcpState::SynRecv,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::Close,
        TcpState::CloseWait,
        TcpState::LastAck,
        TcpState::Closing,
    ];

    /// As `ss` prints it, lower case: `established`, `close_wait`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Listen => "listen",
            TcpState::TimeWait => "time_wait",
            TcpState::Established => "established",
            TcpState::SynSent => "syn_sent",
            TcpState::SynRecv => "syn_recv",
            TcpState::FinWait1 => "fin_wait1",
            TcpState::FinWait2 => "fin_wait2",
            TcpState::Close => "close",
            TcpState::CloseWait => "close_wait",
            TcpState::LastAck => "last_ack",
            TcpState::Closing => "closing",
        }
    }
}

/// One kernel socket bound to the port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Socket {
    pub family: Family,
    pub address: IpAddr,
    pub port: u16,
    pub state: TcpState,
    /// The uid that created the socket: known even when its owner process is
    /// invisible to us. None where sockets have no uid (Windows, macOS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// 0 for TIME_WAIT sockets, which belong to no process.
    pub inode: u64,
    /// For TIME_WAIT: how long until the kernel drops it.
    #[serde(skip)]
    pub expires: Option<Duration>,
    /// The peer of a connection (none for a listener).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<std::net::SocketAddr>,
}

impl Socket {
    /// `127.0.0.1:1410` or `[::1]:1410`.
    pub fn endpoint(&self) -> String {
        std::net::SocketAddr::new(self.address, self.port).to_string()
    }

    /// `127.0.0.1:1410 to 127.0.0.1:50412 (established)` for a connection,
    /// the endpoint for a listener.
    pub fn describe(&self) -> String {
        match self.remote {
            Some(peer) => format!("{} to {peer} ({})", self.endpoint(), self.state.name()),
            None => self.endpoint(),
        }
    }

    /// Does this (non-listening) socket stop a listener from binding the
    /// port on 127.0.0.1 or ::1? Only on the same address or a wildcard.
    pub fn blocks_loopback(&self) -> bool {
        let a = self.address.to_canonical();
        a.is_unspecified()
            || a == IpAddr::from([127, 0, 0, 1])
            || a == IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1u16])
    }
}

/// Where the socket list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SocketSource {
    /// NETLINK_SOCK_DIAG, listening sockets only (fast at any load).
    Netlink,
    /// `/proc/net/tcp` and `/proc/net/tcp6` (slow under load; the fallback).
    Procfs,
    /// netstat2 (non-Linux platforms).
    Netstat2,
}

/// A process holding one or more of the port's sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub pid: i32,
    pub inodes: Vec<u64>,
    /// Found only under `/proc/PID/task/TID/fd`: the thread-group leader
    /// exited (`pthread_exit`) and another thread keeps the socket.
    pub via_task: bool,
}

/// The raw result of looking at a port.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub listeners: Vec<Socket>,
    pub time_wait: Vec<Socket>,
    /// When nothing listens: connections some process holds whose local
    /// end blocks a loopback bind (ESTABLISHED, CLOSE_WAIT, …).
    pub connections: Vec<Socket>,
    pub holdings: Vec<Holding>,
    /// Processes whose fds we were not allowed to read.
    pub unreadable: usize,
    pub source: Option<SocketSource>,
    /// Why the fast path was not used, when it was not.
    pub fallback_reason: Option<String>,
}

/// List the listening sockets on `port`; when there are none, the TIME_WAIT
/// and other (connection) sockets bound to it.
pub fn sockets(
    port: u16,
    proc_root: &Path,
) -> anyhow::Result<(Vec<Socket>, SocketSource, Option<String>)> {
    #[cfg(target_os = "linux")]
    {
        let socks = netlink::sockets(port, &[TcpState::Listen]).and_then(|socks| {
            if socks.is_empty() {
                let mut rest = vec![TcpState::TimeWait];
                rest.extend_from_slice(TcpState::CONNECTION);
                netlink::sockets(port, &rest)
            } else {
                Ok(socks)
            }
        });
        match socks {
            Ok(socks) => Ok((socks, SocketSource::Netlink, None)),
            Err(err) => {
                let mut socks = procnet::read(proc_root, port)?;
                if socks.iter().any(|s| s.state == TcpState::Listen) {
                    socks.retain(|s| s.state == TcpState::Listen);
                }
                Ok((
                    socks,
                    SocketSource::Procfs,
                    Some(format!("netlink sock_diag failed: {err}")),
                ))
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = proc_root;
        let scan = portable::scan(port)?;
        Ok((scan.listeners, SocketSource::Netstat2, None))
    }
}

/// Sockets plus every process holding them.
pub fn scan(port: u16, proc_root: &Path) -> anyhow::Result<Scan> {
    #[cfg(not(unix))]
    {
        let _ = proc_root;
        portable::scan(port)
    }
    #[cfg(unix)]
    scan_unix(port, proc_root)
}

#[cfg(unix)]
fn scan_unix(port: u16, proc_root: &Path) -> anyhow::Result<Scan> {
    if cfg!(not(target_os = "linux")) {
        return portable::scan(port);
    }
    let (socks, source, fallback_reason) = sockets(port, proc_root)?;
    let mut scan = Scan {
        source: Some(source),
        fallback_reason,
        ..Scan::default()
    };
    for s in socks {
        match s.state {
            TcpState::Listen => scan.listeners.push(s),
            TcpState::TimeWait => scan.time_wait.push(s),
            // Inode 0: closed by its process, owned by the kernel alone
            // until it times out, like TIME_WAIT; nobody to name.
            _ if s.inode != 0 && s.blocks_loopback() => scan.connections.push(s),
            _ => {}
        }
    }
    let inodes: Vec<u64> = scan
        .listeners
        .iter()
        .chain(&scan.connections)
        .map(|s| s.inode)
        .collect();
    if !inodes.is_empty() {
        let found = owners::find(proc_root, &inodes);
        scan.holdings = found.holdings;
        scan.unreadable = found.unreadable;
    }
    Ok(scan)
}
