//! The values tests build by hand (detection facts, an R process, the port it
//! holds, bind results, a cached login) and the files they write (private
//! directories, executable scripts): one copy, so a field added to a library
//! type is added here once. A test that needs other values overrides fields
//! with `..` rather than copying the whole literal.
use gauth::auth::secret::Secret;
use gauth::cache::Entry;
use gauth::decide::verdict::{Caller, OnPort, judge};
use gauth::ops::inspect::{Holder, Listener, PortState};
use gauth::system::facts::{Ancestor, Facts};
use gauth::system::net::bind::{BindCheck, BindResult};
use gauth::system::net::{Family, Socket, SocketSource, TcpState};
use gauth::system::proc::ProcessInfo;
#[cfg(unix)]
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

// ---- session detection ----

/// Facts on Linux with these variables, ancestors and programs on PATH;
/// nothing else (no marker files, no display checked, no terminal).
pub fn facts(vars: &[(&str, &str)], ancestors: Vec<Ancestor>, path: &[&str]) -> Facts {
    Facts {
        vars: vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        ancestors,
        on_path: path.iter().map(|p| (*p).into()).collect(),
        os: "linux".into(),
        ..Facts::default()
    }
}

/// An ancestor whose command line is its name.
pub fn ancestor(pid: i32, name: &str, tty: Option<&str>) -> Ancestor {
    Ancestor {
        pid,
        name: name.into(),
        cmdline: name.into(),
        tty: tty.map(str::to_owned),
    }
}

/// One ancestor per `(name, command line)`, nearest first, with pids
/// counting up from `first_pid`; none on a terminal.
pub fn ancestors(first_pid: i32, named: &[(&str, &str)]) -> Vec<Ancestor> {
    named
        .iter()
        .enumerate()
        .map(|(i, (n, cmd))| Ancestor {
            cmdline: (*cmd).into(),
            ..ancestor(first_pid + i as i32, n, None)
        })
        .collect()
}

// ---- a port and who holds it ----

/// The leftover R session of the port-holder stories: an orphan (its
/// parent gone, adopted by systemd) with httpuv loaded, no terminal.
pub fn r_process(pid: i32, uid: u32, user: &str) -> ProcessInfo {
    ProcessInfo {
        pid,
        name: "R".into(),
        exe: Some("/usr/lib/R/bin/exec/R".into()),
        cmdline: vec!["/usr/lib/R/bin/exec/R".into(), "--no-echo".into()],
        uid: Some(uid),
        user: Some(user.into()),
        sid: None,
        state: "S".into(),
        ppid: 1,
        parent_name: Some("systemd".into()),
        parent_gone: true,
        tty: None,
        start_ticks: 1,
        started_at: Some(1_700_000_000),
        age_seconds: Some(600),
        service: None,
        loaded: vec!["httpuv".into()],
    }
}

/// Port `port` with nothing on it, as netlink showed it to an unprivileged
/// user.
pub fn free_state(port: u16) -> PortState {
    PortState {
        port,
        listeners: vec![],
        connections: vec![],
        holders: vec![],
        time_wait: None,
        unreadable_processes: 0,
        source: Some(SocketSource::Netlink),
        source_note: None,
        sees_all_processes: false,
        caller_is_root: false,
    }
}

/// A socket of uid 1000 listening on `addr`, port 1410.
pub fn socket(addr: &str, inode: u64) -> Socket {
    let address: std::net::IpAddr = addr.parse().unwrap();
    Socket {
        family: if address.is_ipv4() {
            Family::Ipv4
        } else {
            Family::Ipv6
        },
        address,
        port: 1410,
        state: TcpState::Listen,
        uid: Some(1000),
        inode,
        expires: None,
        remote: None,
    }
}

/// `p` listening on `on` (`127.0.0.1:1410`) through socket `inode`, with
/// the verdict the real `judge` gives it for `caller`.
pub fn holder(p: ProcessInfo, on: &str, inode: u64, caller: &Caller) -> Holder {
    let listening = vec![on.parse::<std::net::SocketAddr>().unwrap().ip()];
    let verdict = judge(
        &p,
        &OnPort {
            listening,
            connections: 0,
        },
        caller,
    );
    Holder {
        id: gauth::decide::port::holder_id(&p),
        process: p,
        listening_on: vec![on.into()],
        connections: vec![],
        via_thread: false,
        verdict,
        inodes: vec![inode],
    }
}

/// `p` holds port 1410 on 127.0.0.1, as seen by user `uid` with or without
/// CAP_KILL (`can_signal`) and CAP_SYS_PTRACE (`sees_all`), from a gauth
/// (pid 9000) whose ancestors are `ancestors`.
pub fn held_by(
    uid: u32,
    can_signal: bool,
    sees_all: bool,
    p: ProcessInfo,
    ancestors: &[i32],
) -> PortState {
    let caller = Caller {
        uid,
        can_signal_others: can_signal,
        sees_all_processes: sees_all,
        ancestry_unverified: None,
        foreign_proc: None,
        self_and_ancestors: std::iter::once(9000)
            .chain(ancestors.iter().copied())
            .collect(),
        port: 1410,
        sid: None,
    };
    let socket = Socket {
        uid: p.uid.or(Some(0)),
        ..socket("127.0.0.1", 5)
    };
    PortState {
        listeners: vec![Listener {
            socket,
            user: p.user.clone(),
            pids: vec![p.pid],
        }],
        holders: vec![holder(p, "127.0.0.1:1410", 5, &caller)],
        sees_all_processes: sees_all,
        caller_is_root: uid == 0,
        ..free_state(1410)
    }
}

/// Both loopback addresses bind on `port`.
pub fn ok_binds(port: u16) -> Vec<BindCheck> {
    vec![
        BindCheck {
            address: format!("127.0.0.1:{port}"),
            result: BindResult::Ok,
        },
        BindCheck {
            address: format!("[::1]:{port}"),
            result: BindResult::Ok,
        },
    ]
}

// ---- the token cache ----

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A Google login of `account` by a confidential client, whose token
/// endpoint nothing answers (`http://127.0.0.1:1/token`).
pub fn offline_entry(account: &str, expires_at: u64, refresh: bool) -> Entry {
    Entry {
        issuer: "https://accounts.google.com".into(),
        client_id: "desktop-client".into(),
        client_secret: Some(Secret::new("client-secret-1")),
        token_endpoint: "http://127.0.0.1:1/token".into(),
        revocation_endpoint: None,
        account: Some(account.into()),
        scopes: vec!["email".into(), "openid".into()],
        // A bearer token (RFC 6750): no `@`.
        access_token: Secret::new(format!("ya29.token-of-{}", account.replace('@', "-at-"))),
        refresh_token: refresh.then(|| Secret::new("1//refresh")),
        expires_at: Some(expires_at),
        created_at: now(),
        credentials: None,
    }
}

// ---- files ----

/// A temporary directory gauth accepts as its cache: 0700, as gauth would
/// make it (tempfile's follow the umask, and gauth would say it repaired
/// them).
#[cfg(unix)]
pub fn tempcache() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    chmod(d.path(), 0o700);
    d
}

#[cfg(unix)]
pub fn chmod(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// The permission bits of `p`.
#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// `dir/name` holding `text` (a `#!/bin/sh` script), executable (0755).
#[cfg(unix)]
pub fn write_script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    chmod(&path, 0o755);
    path
}
