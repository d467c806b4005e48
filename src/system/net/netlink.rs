//! Listening TCP sockets from the kernel through NETLINK_SOCK_DIAG. The dump
//! is filtered to LISTEN in the kernel, so it costs about the same with 20
//! sockets or 20,000 (reading /proc/net/tcp walks every hash bucket).
//! TIME_WAIT sockets and connections are asked for only when nothing listens.
//! One socket can also be looked up by its addresses ([`lookup`]): the
//! loopback listener asks who owns the other end of a connection.
use super::{Family, Socket, TcpState};
use anyhow::{Context, bail};
use netlink_packet_core::{
    NETLINK_HEADER_LEN, NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_sock_diag::{
    SockDiagMessage,
    constants::{AF_INET, AF_INET6, IPPROTO_TCP},
    inet::{ExtensionFlags, InetRequest, InetResponseBuffer, SocketId, StateFlags},
};
use netlink_sys::{Socket as NlSocket, SocketAddr, protocols::NETLINK_SOCK_DIAG};
use std::time::Duration;

/// Every socket bound to `port` in one of `states`, IPv4 and IPv6.
pub fn sockets(port: u16, states: &[TcpState]) -> anyhow::Result<Vec<Socket>> {
    let mut sock =
        NlSocket::new(NETLINK_SOCK_DIAG).context("cannot open a NETLINK_SOCK_DIAG socket")?;
    sock.bind_auto().context("cannot bind the netlink socket")?;
    sock.connect(&SocketAddr::new(0, 0))
        .context("cannot connect the netlink socket")?;
    let mut out = Vec::new();
    for family in [AF_INET, AF_INET6] {
        dump(&sock, family, port, states, &mut out)?;
    }
    Ok(out)
}

/// The socket whose own address is `local` and whose peer is `remote`
/// (sock_diag's exact lookup: one socket, no dump of the table). With
/// `remote` unspecified (`0.0.0.0:0`) it finds the listener on `local`.
/// `Ok(None)`: the kernel knows no such socket.
pub fn lookup(
    local: std::net::SocketAddr,
    remote: std::net::SocketAddr,
) -> anyhow::Result<Option<Socket>> {
    let family = match (local, remote) {
        (std::net::SocketAddr::V4(_), std::net::SocketAddr::V4(_)) => AF_INET,
        (std::net::SocketAddr::V6(_), std::net::SocketAddr::V6(_)) => AF_INET6,
        _ => bail!("{local} and {remote} are not of one address family"),
    };
    let mut sock =
        NlSocket::new(NETLINK_SOCK_DIAG).context("cannot open a NETLINK_SOCK_DIAG socket")?;
    sock.bind_auto().context("cannot bind the netlink socket")?;
    sock.connect(&SocketAddr::new(0, 0))
        .context("cannot connect the netlink socket")?;
    let mut header = NetlinkHeader::default();
    // No NLM_F_DUMP: the kernel looks the one socket up (and answers it, or
    // ENOENT) instead of walking its tables.
    header.flags = NLM_F_REQUEST;
    let mut packet = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions: ExtensionFlags::empty(),
            states: StateFlags::all(),
            socket_id: SocketId {
                source_port: local.port(),
                destination_port: remote.port(),
                source_address: local.ip(),
                destination_address: remote.ip(),
                interface_id: 0,
                // INET_DIAG_NOCOOKIE: any socket with these addresses.
                cookie: [0xff; 8],
            },
        })
        .into(),
    );
    packet.finalize();
    let mut buf = vec![0; packet.buffer_len()];
    packet.serialize(&mut buf);
    sock.send(&buf, 0)
        .context("cannot send the sock_diag request")?;
    let mut recv_buf = vec![0u8; 64 * 1024];
    let size = sock
        .recv(&mut &mut recv_buf[..], 0)
        .context("cannot read the sock_diag reply")?;
    let msg = <NetlinkMessage<SockDiagMessage>>::deserialize(&recv_buf[..size])
        .map_err(|e| anyhow::anyhow!("malformed sock_diag reply: {e}"))?;
    match msg.payload {
        NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(resp)) => {
            let h = &resp.header;
            let Some(state) = TcpState::from_kernel(h.state) else {
                bail!("sock_diag answered an unknown TCP state {}", h.state);
            };
            // The kernel found *a* socket for these addresses; make sure it
            // is the one asked for (a listener answers for any peer).
            let id = &h.socket_id;
            if id.source_address != local.ip() || id.source_port != local.port() {
                return Ok(None);
            }
            Ok(Some(Socket {
                family: if h.family == AF_INET {
                    Family::Ipv4
                } else {
                    Family::Ipv6
                },
                address: id.source_address,
                port: id.source_port,
                state,
                uid: Some(h.uid),
                inode: u64::from(h.inode),
                expires: None,
                remote: (state != TcpState::Listen).then(|| {
                    std::net::SocketAddr::new(id.destination_address, id.destination_port)
                }),
            }))
        }
        NetlinkPayload::Error(e) if e.code.map(|c| c.get()) == Some(-libc::ENOENT) => Ok(None),
        NetlinkPayload::Error(e) => bail!("sock_diag refused the request: {e:?}"),
        _ => bail!("sock_diag answered something else than a socket"),
    }
}

fn dump(
    sock: &NlSocket,
    family: u8,
    port: u16,
    states: &[TcpState],
    out: &mut Vec<Socket>,
) -> anyhow::Result<()> {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let socket_id = if family == AF_INET {
        SocketId::new_v4()
    } else {
        SocketId::new_v6()
    };
    let mut packet = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions: ExtensionFlags::empty(),
            states: states.iter().fold(StateFlags::empty(), |f, s| f | flag(*s)),
            socket_id,
        })
        .into(),
    );
    packet.finalize();
    let mut buf = vec![0; packet.buffer_len()];
    packet.serialize(&mut buf);
    sock.send(&buf, 0)
        .context("cannot send the sock_diag request")?;

    let mut recv_buf = vec![0u8; 64 * 1024];
    loop {
        let size = sock
            .recv(&mut &mut recv_buf[..], 0)
            .context("cannot read the sock_diag reply")?;
        let mut offset = 0;
        while offset < size {
            let msg = <NetlinkMessage<SockDiagMessage>>::deserialize(&recv_buf[offset..size])
                .map_err(|e| anyhow::anyhow!("malformed sock_diag reply: {e}"))?;
            let len = msg.header.length as usize;
            match msg.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(resp)) => {
                    let h = &resp.header;
                    let state = TcpState::from_kernel(h.state);
                    if let (true, Some(state)) = (h.socket_id.source_port == port, state) {
                        // The crate drops the TIME_WAIT expiry (`Timer::TimeWait`
                        // has no duration); read it from the raw message.
                        let expires = (state == TcpState::TimeWait)
                            .then(|| {
                                let body =
                                    recv_buf.get(offset + NETLINK_HEADER_LEN..offset + len)?;
                                let raw = InetResponseBuffer::new_checked(body).ok()?;
                                Some(Duration::from_millis(u64::from(raw.expires())))
                            })
                            .flatten();
                        out.push(Socket {
                            family: if h.family == AF_INET {
                                Family::Ipv4
                            } else {
                                Family::Ipv6
                            },
                            address: h.socket_id.source_address,
                            port,
                            state,
                            uid: Some(h.uid),
                            inode: u64::from(h.inode),
                            expires,
                            remote: (state != TcpState::Listen).then(|| {
                                std::net::SocketAddr::new(
                                    h.socket_id.destination_address,
                                    h.socket_id.destination_port,
                                )
                            }),
                        });
                    }
                }
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(e) => bail!("sock_diag refused the request: {e:?}"),
                _ => {}
            }
            if len == 0 {
                break;
            }
            offset += len;
        }
    }
}

fn flag(state: TcpState) -> StateFlags {
    match state {
        TcpState::Listen => StateFlags::LISTEN,
        TcpState::TimeWait => StateFlags::TIME_WAIT,
        TcpState::Established => StateFlags::ESTABLISHED,
        TcpState::SynSent => StateFlags::SYN_SENT,
        TcpState::SynRecv => StateFlags::SYN_RECV,
        TcpState::FinWait1 => StateFlags::FIN_WAIT1,
        TcpState::FinWait2 => StateFlags::FIN_WAIT2,
        TcpState::Close => StateFlags::CLOSE,
        TcpState::CloseWait => StateFlags::CLOSE_WAIT,
        TcpState::LastAck => StateFlags::LAST_ACK,
        TcpState::Closing => StateFlags::CLOSING,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, TcpListener, TcpStream};

    /// Close with SO_LINGER 0: an RST, and the socket is gone at once.
    fn reset(s: TcpStream) {
        use std::os::fd::AsRawFd;
        let l = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid fd and a correctly sized option value.
        let r = unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                std::ptr::from_ref(&l).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0);
    }

    /// A real connection made here: the kernel names its other end's owner
    /// (this user) by its addresses, and the listener by its own address.
    #[test]
    fn one_socket_is_found_by_its_addresses() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (server, _) = l.accept().unwrap();
        let (peer, local) = (server.peer_addr().unwrap(), server.local_addr().unwrap());
        let me = rustix::process::geteuid().as_raw();
        let s = lookup(peer, local).unwrap().expect("the client's socket");
        assert_eq!(s.state, TcpState::Established);
        assert_eq!(s.uid, Some(me));
        assert_eq!(s.port, peer.port());
        let listener = lookup(
            l.local_addr().unwrap(),
            std::net::SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
        )
        .unwrap()
        .expect("the listener");
        assert_eq!(listener.state, TcpState::Listen);
        // A reset connection's end is gone: nobody to name.
        reset(client);
        std::thread::sleep(Duration::from_millis(50));
        assert!(lookup(peer, local).unwrap().is_none());
        // Nothing at all on these addresses.
        let nowhere = std::net::SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 1);
        assert!(lookup(nowhere, local).unwrap().is_none());
    }

    /// The same over IPv6 (a `localhost` redirect listens on ::1 too), where
    /// this machine has ::1.
    #[test]
    fn one_ipv6_socket_is_found_by_its_addresses() {
        let Ok(l) = TcpListener::bind((std::net::Ipv6Addr::LOCALHOST, 0)) else {
            return; // no IPv6 loopback here: nothing to look up
        };
        let _client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (server, _) = l.accept().unwrap();
        let (peer, local) = (server.peer_addr().unwrap(), server.local_addr().unwrap());
        let s = lookup(peer, local).unwrap().expect("the client's socket");
        assert_eq!(s.family, Family::Ipv6);
        assert_eq!(s.state, TcpState::Established);
        assert_eq!(s.uid, Some(rustix::process::geteuid().as_raw()));
    }
}
