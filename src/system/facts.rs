//! Gathering the facts session detection needs: environment variables, gauth's
//! process ancestry, marker files, programs on PATH, whether a display answers.
//! Everything impure about detection lives here; `detect` is a pure function
//! of `Facts`.
use super::env::Env;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One of gauth's ancestors, nearest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ancestor {
    pub pid: i32,
    pub name: String,
    pub cmdline: String,
    /// Its controlling terminal (`pts/3`), if any: someone may type there.
    pub tty: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub vars: BTreeMap<String, String>,
    pub ancestors: Vec<Ancestor>,
    /// The browser openers (and helpers) found on PATH, and the programs
    /// `BROWSER` names (as written there) that exist and are executable.
    pub on_path: BTreeSet<String>,
    /// Does the X server `DISPLAY` names accept a connection? `None`: no
    /// `DISPLAY`, or not checked (a display beyond loopback is never contacted).
    pub x11_answers: Option<bool>,
    /// Does the Wayland socket `WAYLAND_DISPLAY` names accept a connection?
    pub wayland_answers: Option<bool>,
    /// Marker files that exist (absolute paths as named in `MARKERS`).
    pub files: BTreeSet<String>,
    /// `/proc/version` (WSL kernels say "microsoft").
    pub proc_version: String,
    /// `/proc/1/cgroup` (container runtimes leave their names there).
    pub pid1_cgroup: String,
    /// `linux`, `macos`, `windows`, …
    pub os: String,
    /// Can a person answer a prompt on stdin?
    pub stdin_tty: bool,
}

/// Programs whose presence on PATH matters.
pub const PROGRAMS: &[&str] = &[
    "xdg-open",
    "gnome-open",
    "kfmclient",
    "wslview",
    "x-www-browser",
    "sensible-browser",
    "open",
    "powershell.exe",
    "cmd.exe",
];

/// Files whose existence matters.
pub const MARKERS: &[&str] = &[
    "/.dockerenv",
    "/run/.containerenv",
    "/proc/sys/fs/binfmt_misc/WSLInterop",
];

impl Facts {
    /// On Windows only what Windows has: the environment, the ancestors
    /// (through sysinfo) and PATH. No marker files and no `/proc`: under
    /// wine the host's `/.dockerenv` or `/proc` would show through drive
    /// `Z:` and be taken for facts about this Windows session.
    #[cfg(windows)]
    pub fn gather(env: &Env, stdin_tty: bool) -> Self {
        let path = env.var("PATH").unwrap_or("");
        let mut found = on_path(path);
        found.extend(
            browser_programs(env.var("BROWSER").unwrap_or(""))
                .filter(|p| executable(p, path))
                .map(str::to_owned),
        );
        Facts {
            vars: env.vars().clone(),
            ancestors: ancestors_portable(),
            on_path: found,
            os: std::env::consts::OS.to_owned(),
            stdin_tty,
            ..Facts::default()
        }
    }

    #[cfg(unix)]
    pub fn gather(env: &Env, stdin_tty: bool) -> Self {
        let read = |p: std::path::PathBuf| {
            crate::system::fsutil::read_regular(&p, crate::system::fsutil::CAP)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        let path = env.var("PATH").unwrap_or("");
        let mut found = on_path(path);
        found.extend(
            browser_programs(env.var("BROWSER").unwrap_or(""))
                .filter(|p| executable(p, path))
                .map(str::to_owned),
        );
        Facts {
            vars: env.vars().clone(),
            ancestors: ancestors(env),
            on_path: found,
            x11_answers: env
                .var("DISPLAY")
                .filter(|d| !d.is_empty())
                .and_then(|d| x11_answers(env, d)),
            wayland_answers: env
                .var("WAYLAND_DISPLAY")
                .filter(|d| !d.is_empty())
                .map(|d| wayland_answers(env, d)),
            files: MARKERS
                .iter()
                .filter(|m| env.fs_root.join(m.trim_start_matches('/')).exists())
                .map(|m| (*m).to_owned())
                .collect(),
            proc_version: read(env.proc_root.join("version")),
            pid1_cgroup: read(env.proc_root.join("1/cgroup")),
            os: std::env::consts::OS.to_owned(),
            stdin_tty,
        }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Set and not empty.
    pub fn is_set(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| !v.is_empty())
    }
}

fn on_path(path: &str) -> BTreeSet<String> {
    PROGRAMS
        .iter()
        .filter(|prog| executable(prog, path))
        .map(|p| (*p).to_owned())
        .collect()
}

/// The program of each command in a `BROWSER` list (`firefox:w3m %s`).
pub fn browser_programs(v: &str) -> impl Iterator<Item = &str> {
    v.split(':').filter_map(|c| c.split_whitespace().next())
}

/// An executable file: `prog` itself when it names a path, else on PATH
/// (Windows: a file, tried as named and with each of `.exe`, `.cmd`,
/// `.bat`, `.com`).
#[cfg(windows)]
fn executable(prog: &str, path: &str) -> bool {
    let ok = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file())
            || [".exe", ".cmd", ".bat", ".com"].iter().any(|ext| {
                let mut with = p.as_os_str().to_owned();
                with.push(ext);
                std::fs::metadata(std::path::Path::new(&with)).is_ok_and(|m| m.is_file())
            })
    };
    if prog.contains(['/', '\\']) {
        return ok(std::path::Path::new(prog));
    }
    std::env::split_paths(path).any(|dir| ok(&dir.join(prog)))
}

/// An executable file: `prog` itself when it names a path, else on PATH.
#[cfg(unix)]
fn executable(prog: &str, path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let ok = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if prog.contains('/') {
        return ok(std::path::Path::new(prog));
    }
    std::env::split_paths(path).any(|dir| ok(&dir.join(prog)))
}

#[cfg(unix)]
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(300);

#[cfg(unix)]
fn unix_answers(path: &std::path::Path) -> bool {
    std::os::unix::net::UnixStream::connect(path).is_ok()
}

/// Connect to the X server (and close at once: nothing is opened). `:N`,
/// `unix:N` → `/tmp/.X11-unix/XN` (or Linux's abstract socket);
/// `localhost:N` (ssh -X) → TCP 6000+N on loopback; a host beyond loopback
/// is not contacted (`None`).
#[cfg(unix)]
fn x11_answers(env: &Env, display: &str) -> Option<bool> {
    // A value that is no display at all (`junk`, `:`, `:abc`) opens nothing:
    // "no", not "unknown". Only a display on another host stays unknown
    // (checking it would leave the machine).
    let Some((host, rest)) = display.rsplit_once(':') else {
        return Some(false);
    };
    let Some(n) = rest.split('.').next().and_then(|d| d.parse::<u16>().ok()) else {
        return Some(false);
    };
    if host.starts_with('/') {
        // macOS launchd: the whole value is the socket's path.
        return Some(unix_answers(std::path::Path::new(display)));
    }
    if host.is_empty() || host == "unix" {
        let sock = format!("tmp/.X11-unix/X{n}");
        if unix_answers(&env.fs_root.join(&sock)) {
            return Some(true);
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            let abstract_ok =
                std::os::unix::net::SocketAddr::from_abstract_name(format!("/{sock}"))
                    .and_then(|a| std::os::unix::net::UnixStream::connect_addr(&a))
                    .is_ok();
            return Some(abstract_ok);
        }
        #[cfg(not(target_os = "linux"))]
        return Some(false);
    }
    let port = 6000u16.checked_add(n)?;
    let addrs: Vec<std::net::IpAddr> = match host.trim_matches(['[', ']']) {
        "localhost" => vec![
            std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::Ipv6Addr::LOCALHOST.into(),
        ],
        h => match h.parse::<std::net::IpAddr>() {
            Ok(ip) if ip.is_loopback() => vec![ip],
            _ => return None,
        },
    };
    Some(addrs.into_iter().any(|ip| {
        std::net::TcpStream::connect_timeout(&(ip, port).into(), CONNECT_TIMEOUT).is_ok()
    }))
}

/// The Wayland socket: `WAYLAND_DISPLAY` itself when absolute, else under
/// `XDG_RUNTIME_DIR` (libwayland's rule).
#[cfg(unix)]
fn wayland_answers(env: &Env, display: &str) -> bool {
    if display.starts_with('/') {
        return unix_answers(std::path::Path::new(display));
    }
    env.var("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .is_some_and(|d| unix_answers(&std::path::Path::new(d).join(display)))
}

/// gauth's ancestors through sysinfo (Windows): names without `.exe`, so
/// that `sshd.exe` is the `sshd` detection knows. Windows does not reparent,
/// so a parent pid whose process started after its child is a reused pid,
/// not an ancestor: the walk stops there.
#[cfg(windows)]
fn ancestors_portable() -> Vec<Ancestor> {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};
    let mut out = Vec::new();
    let Ok(mut sys) = System::new() else {
        return out;
    };
    sys.refresh_processes_specifics(
        ProcessesToUpdate::All,
        true,
        ProcessRefreshKind::nothing()
            .with_cmd(UpdateKind::Always)
            .without_tasks(),
    );
    let Some(me) = sysinfo::get_current_pid()
        .ok()
        .and_then(|pid| sys.process(pid))
    else {
        return out;
    };
    let mut child_started = me.start_time();
    let mut next: Option<Pid> = me.parent();
    while let Some(pid) = next {
        let Some(p) = sys.process(pid) else { break };
        if p.start_time() > child_started || out.len() >= 64 {
            break;
        }
        let name = p.name().to_string_lossy();
        out.push(Ancestor {
            pid: pid.as_u32() as i32,
            name: crate::system::proc::program_name(&name).to_owned(),
            cmdline: p
                .cmd()
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            tty: None,
        });
        child_started = p.start_time();
        next = p.parent().filter(|pp| *pp != pid);
    }
    out
}

#[cfg(unix)]
fn ancestors(env: &Env) -> Vec<Ancestor> {
    let root = &env.proc_root;
    let mut out = Vec::new();
    // Bytes, not text: a name cut inside a character must not end the walk.
    let mut pid = match std::fs::read(root.join("self/stat"))
        .ok()
        .and_then(|s| crate::system::proc::parse_stat(&s))
    {
        Some(st) => st.ppid,
        None => return out,
    };
    while pid > 0 && out.len() < 64 {
        let dir = root.join(pid.to_string());
        let Some(stat) = std::fs::read(dir.join("stat"))
            .ok()
            .and_then(|s| crate::system::proc::parse_stat(&s))
        else {
            break;
        };
        let cmdline = std::fs::read(dir.join("cmdline"))
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        out.push(Ancestor {
            pid,
            name: stat.comm,
            cmdline,
            tty: crate::system::proc::tty_name(stat.tty_nr),
        });
        if stat.ppid == pid {
            break;
        }
        pid = stat.ppid;
    }
    out
}
