//! The `/proc/net/tcp{,6}` tables: the fallback when netlink is unavailable,
//! and the only place that tells when a TIME_WAIT socket expires.
use super::{Family, Socket, TcpState};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

/// Read both tables and keep every socket bound to `port`. A missing table
/// (IPv6 disabled) is not an error.
pub fn read(proc_root: &Path, port: u16) -> anyhow::Result<Vec<Socket>> {
    let hz = crate::system::proc::clock_ticks_per_second();
    let mut out = Vec::new();
    for (file, family) in [("net/tcp", Family::Ipv4), ("net/tcp6", Family::Ipv6)] {
        let path = proc_root.join(file);
        match std::fs::read(&path) {
            Ok(bytes) => out.extend(
                parse(&String::from_utf8_lossy(&bytes), family, hz)
                    .into_iter()
                    .filter(|s| s.port == port),
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("cannot read {}", path.display()))
                );
            }
        }
    }
    Ok(out)
}

/// Parse one table; malformed lines are skipped (the kernel's format is
/// fixed, but never trust it to panic).
pub fn parse(text: &str, family: Family, hz: u64) -> Vec<Socket> {
    text.lines()
        .skip(1)
        .filter_map(|line| parse_line(line, family, hz))
        .collect()
}

fn parse_line(line: &str, family: Family, hz: u64) -> Option<Socket> {
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() < 10 {
        return None;
    }
    let state = TcpState::from_kernel(u8::from_str_radix(fields[3], 16).ok()?)?;
    let (addr_hex, port_hex) = fields[1].split_once(':')?;
    let port = u16::from_str_radix(port_hex, 16).ok()?;
    let address = parse_addr(addr_hex, family)?;
    let (peer_hex, peer_port_hex) = fields[2].split_once(':')?;
    let remote = std::net::SocketAddr::new(
        parse_addr(peer_hex, family)?,
        u16::from_str_radix(peer_port_hex, 16).ok()?,
    );
    let (_timer, when) = fields[5].split_once(':')?;
    let when = u64::from_str_radix(when, 16).ok()?;
    let uid = fields[7].parse().ok()?;
    let inode = fields[9].parse().ok()?;
    let expires = (state == TcpState::TimeWait)
        .then(|| Duration::from_millis(when.saturating_mul(1000) / hz.max(1)));
    Some(Socket {
        family,
        address,
        port,
        state,
        uid: Some(uid),
        inode,
        expires,
        remote: (state != TcpState::Listen).then_some(remote),
    })
}

/// The kernel prints addresses as 32-bit words in host byte order.
fn parse_addr(hex: &str, family: Family) -> Option<IpAddr> {
    let words: Vec<u32> = match (family, hex.len()) {
        (Family::Ipv4, 8) | (Family::Ipv6, 32) => hex
            .as_bytes()
            .chunks(8)
            .map(|c| {
                std::str::from_utf8(c)
                    .ok()
                    .and_then(|s| u32::from_str_radix(s, 16).ok())
            })
            .collect::<Option<_>>()?,
        _ => return None,
    };
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    Some(match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
        Family::Ipv6 => {
            let arr: [u8; 16] = bytes.try_into().ok()?;
            IpAddr::V6(Ipv6Addr::from(arr))
        }
    })
}

#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0582 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0582 0100007F:A1B2 06 00000000:00000000 03:00000BB8 00000000     0        0 0 3 0000000000000000
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0
   3: 0100007F:0582 0100007F:A1B3 01 00000000:00000000 00:00000000 00000000  1000        0 555 1
garbage line
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0582 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0582 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 778 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn parses_listen_time_wait_and_connections_ipv4() {
        let socks = parse(TCP, Family::Ipv4, 100);
        assert_eq!(socks.len(), 4, "{socks:?}");
        assert_eq!(socks[3].state, TcpState::Established);
        assert_eq!(socks[3].remote, Some("127.0.0.1:41395".parse().unwrap()));
        assert_eq!(socks[3].inode, 555);
        assert_eq!(socks[0].remote, None);
        assert_eq!(socks[0].address, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(
            (socks[0].port, socks[0].uid, socks[0].inode),
            (1410, Some(1000), 123456)
        );
        assert_eq!(socks[0].state, TcpState::Listen);
        assert_eq!(socks[1].state, TcpState::TimeWait);
        assert_eq!(socks[1].expires, Some(Duration::from_secs(30)));
        assert_eq!(socks[2].port, 22);
    }

    #[test]
    fn parses_ipv6_loopback_and_any() {
        let socks = parse(TCP6, Family::Ipv6, 100);
        assert_eq!(socks[0].address, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(socks[1].address, "::".parse::<IpAddr>().unwrap());
        assert!(socks.iter().all(|s| s.port == 1410));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "\\PC*") {
            let _ = parse(&text, Family::Ipv4, 100);
            let _ = parse(&text, Family::Ipv6, 100);
        }

        #[test]
        fn round_trips_ipv4(a: [u8; 4], port: u16, uid: u32, inode: u64) {
            let word = u32::from_ne_bytes(a);
            let line = format!("h\n 0: {word:08X}:{port:04X} 00000000:0000 0A 0:0 00:00000000 0 {uid} 0 {inode} 1\n");
            let socks = parse(&line, Family::Ipv4, 100);
            proptest::prop_assert_eq!(socks.len(), 1);
            proptest::prop_assert_eq!(socks[0].address, IpAddr::from(a));
            proptest::prop_assert_eq!((socks[0].port, socks[0].uid, socks[0].inode), (port, Some(uid), inode));
        }
    }
}
