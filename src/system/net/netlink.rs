//! Listening TCP sockets from the kernel through NETLINK_SOCK_DIAG. The dump
//! is filtered to LISTEN in the kernel, so it costs about the same with 20
//! sockets or 20,000 (reading /proc/net/tcp walks every hash bucket).
//! TIME_WAIT sockets and connections are asked for only when nothing listens.
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
