//! The portable backend: netstat2 for sockets and their pids, as used on
//! platforms without netlink and `/proc`. On Linux it is compiled too and
//! cross-checked against the fast path by the integration tests.
use super::{Family, Holding, Scan, Socket, SocketSource, TcpState};
use netstat2::{AddressFamilyFlags, ProtocolFlags, ProtocolSocketInfo, get_sockets_info};
use std::collections::BTreeMap;

/// Listening sockets on `port` and the pids that hold them. netstat2 panics
/// when it cannot read `/proc` (Linux), so that is caught and reported.
pub fn scan(port: u16) -> anyhow::Result<Scan> {
    let af = AddressFamilyFlags::IPV4 | AddressFamilyFlags::IPV6;
    let infos = std::panic::catch_unwind(|| get_sockets_info(af, ProtocolFlags::TCP))
        .map_err(|_| anyhow::anyhow!("netstat2 could not read the socket tables"))??;
    let mut scan = Scan {
        source: Some(SocketSource::Netstat2),
        ..Scan::default()
    };
    let mut by_pid: BTreeMap<i32, Vec<u64>> = BTreeMap::new();
    for (i, info) in infos.iter().enumerate() {
        let ProtocolSocketInfo::Tcp(tcp) = &info.protocol_socket_info else {
            continue;
        };
        if tcp.local_port != port || tcp.state != netstat2::TcpState::Listen {
            continue;
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let (inode, uid) = (u64::from(info.inode), Some(info.uid));
        // Elsewhere there are no inodes (number the sockets instead), and no
        // socket uid: the owner is that of the process holding it.
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let (inode, uid) = (i as u64 + 1, None);
        let _ = i;
        scan.listeners.push(Socket {
            family: if tcp.local_addr.is_ipv4() {
                Family::Ipv4
            } else {
                Family::Ipv6
            },
            address: tcp.local_addr,
            port,
            state: TcpState::Listen,
            uid,
            inode,
            expires: None,
            remote: None,
        });
        // Windows says pid 0 when it does not know the owning process (and
        // pid 0 is the idle process): no holder, an owner left unknown.
        for &pid in info.associated_pids.iter().filter(|&&pid| pid != 0) {
            by_pid.entry(pid as i32).or_default().push(inode);
        }
    }
    scan.holdings = by_pid
        .into_iter()
        .map(|(pid, inodes)| Holding {
            pid,
            inodes,
            via_task: false,
        })
        .collect();
    Ok(scan)
}
