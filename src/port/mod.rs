//! Who listens on a TCP port: the sockets (kernel view) and the processes that
//! hold them. `doctor` and `login` reuse this; `free-port` acts on it.
use serde::Serialize;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

pub mod bind;
#[cfg(target_os = "linux")]
pub mod netlink;
pub mod number;
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
}

/// One kernel socket bound to the port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Socket {
    pub family: Family,
    pub address: IpAddr,
    pub port: u16,
    pub state: TcpState,
    /// The uid that created the socket: known even when its owner process is
    /// invisible to us.
    pub uid: u32,
    /// 0 for TIME_WAIT sockets, which belong to no process.
    pub inode: u64,
    /// For TIME_WAIT: how long until the kernel drops it.
    #[serde(skip)]
    pub expires: Option<Duration>,
}

impl Socket {
    /// `127.0.0.1:1410` or `[::1]:1410`.
    pub fn endpoint(&self) -> String {
        std::net::SocketAddr::new(self.address, self.port).to_string()
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
    pub holdings: Vec<Holding>,
    /// Processes whose fds we were not allowed to read.
    pub unreadable: usize,
    pub source: Option<SocketSource>,
    /// Why the fast path was not used, when it was not.
    pub fallback_reason: Option<String>,
}

/// List the listening (and, when there are none, TIME_WAIT) sockets on `port`.
pub fn sockets(
    port: u16,
    proc_root: &Path,
) -> anyhow::Result<(Vec<Socket>, SocketSource, Option<String>)> {
    #[cfg(target_os = "linux")]
    {
        let socks = netlink::sockets(port, TcpState::Listen).and_then(|socks| {
            if socks.is_empty() {
                netlink::sockets(port, TcpState::TimeWait)
            } else {
                Ok(socks)
            }
        });
        match socks {
            Ok(socks) => Ok((socks, SocketSource::Netlink, None)),
            Err(err) => {
                let socks = procnet::read(proc_root, port)?;
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
    if cfg!(not(target_os = "linux")) {
        return portable::scan(port);
    }
    let (socks, source, fallback_reason) = sockets(port, proc_root)?;
    let (listeners, time_wait): (Vec<_>, Vec<_>) =
        socks.into_iter().partition(|s| s.state == TcpState::Listen);
    let mut scan = Scan {
        listeners,
        time_wait,
        source: Some(source),
        fallback_reason,
        ..Scan::default()
    };
    if !scan.listeners.is_empty() {
        let inodes: Vec<u64> = scan.listeners.iter().map(|s| s.inode).collect();
        let found = owners::find(proc_root, &inodes);
        scan.holdings = found.holdings;
        scan.unreadable = found.unreadable;
    }
    Ok(scan)
}
