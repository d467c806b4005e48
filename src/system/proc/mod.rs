//! Describing a process from `/proc` (or sysinfo elsewhere): who it is, who
//! owns it, when it started, whether its parent is gone, what it has loaded.
use serde::Serialize;
use std::path::Path;

pub mod caller;
pub mod portable;

/// The fields of `/proc/PID/stat` that gauth uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    /// Field 22: start time in clock ticks since boot. Unlike sysinfo's whole
    /// seconds, fine enough to tell a reused pid from the original.
    pub start_ticks: u64,
    /// Field 7: the controlling terminal's device number (0: none).
    pub tty_nr: u64,
}

/// `pts/3`, `tty2`, or the raw device for other terminals. The kernel packs
/// the major number into bits 8–19 and the minor into 0–7 and 20–31.
pub fn tty_name(tty_nr: u64) -> Option<String> {
    if tty_nr == 0 {
        return None;
    }
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    Some(match major {
        136..=143 => format!("pts/{}", (major - 136) * 256 + minor),
        4 if minor < 64 => format!("tty{minor}"),
        _ => format!("tty {major}:{minor}"),
    })
}

/// Parse `/proc/PID/stat`. The command name is in parentheses and may itself
/// contain spaces and `)`, so split at the last `)`. It is whatever bytes the
/// process chose, cut by the kernel at 15 bytes (often inside a UTF-8
/// character): shown lossily, never a reason to fail.
pub fn parse_stat(bytes: &[u8]) -> Option<Stat> {
    let open = bytes.iter().position(|&b| b == b'(')?;
    let close = bytes.iter().rposition(|&b| b == b')')?;
    if close < open {
        return None;
    }
    let comm = String::from_utf8_lossy(&bytes[open + 1..close]).into_owned();
    let rest = String::from_utf8_lossy(&bytes[close + 1..]);
    let rest: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); field 22 is rest[19].
    let state = rest.first()?.chars().next()?;
    let ppid = rest.get(1)?.parse().ok()?;
    let start_ticks = rest.get(19)?.parse().ok()?;
    let tty_nr = rest.get(4)?.parse::<i64>().ok()? as u64 & 0xffff_ffff;
    Some(Stat {
        comm,
        state,
        ppid,
        tty_nr,
        start_ticks,
    })
}

/// Read and parse `/proc/PID/stat`; `None` when it is gone or unreadable.
pub fn read_stat(proc_root: &Path, pid: i32) -> Option<Stat> {
    parse_stat(&std::fs::read(proc_root.join(pid.to_string()).join("stat")).ok()?)
}

/// A `/proc` file as text: its bytes, invalid UTF-8 shown lossily (a path
/// or a name in it must not make the whole file unreadable).
fn read_lossy(path: &Path) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The real uid from `/proc/PID/status`.
pub fn parse_status_uid(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Seconds since boot, from `/proc/uptime` ("12345.67 23456.78"). Used
/// instead of `btime` in `/proc/stat`, which the kernel builds from every
/// CPU's and interrupt's counters on each read.
pub fn parse_uptime(text: &str) -> Option<f64> {
    text.split_whitespace()
        .next()?
        .parse()
        .ok()
        .filter(|u: &f64| u.is_finite() && *u >= 0.0)
}

/// The systemd unit a process runs in, from `/proc/PID/cgroup`, when it is a
/// system service (`…/system.slice/NAME.service`).
pub fn parse_cgroup_service(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let path = l.splitn(3, ':').nth(2)?;
        let mut parts = path.split('/');
        parts.find(|p| *p == "system.slice")?;
        parts
            .next()
            .filter(|u| u.ends_with(".service"))
            .map(str::to_owned)
    })
}

/// Shared objects whose presence marks a process as an OAuth/HTTP helper.
/// The command line often hides it (`R` started from RStudio), the mappings
/// do not.
const TRACE_LIBS: &[(&str, &str)] = &[("httpuv", "httpuv")];

pub fn parse_maps_traces(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let Some(path) = line.split_whitespace().nth(5) else {
            continue;
        };
        let file = path.rsplit('/').next().unwrap_or(path);
        for (needle, name) in TRACE_LIBS {
            if file.contains(needle) && !found.iter().any(|f| f == name) {
                found.push((*name).to_owned());
            }
        }
    }
    found
}

/// What a process runs: its executable and its command line. exec(2)
/// keeps the pid and the start time and changes both: a verdict on a
/// process is a verdict on the program it ran when judged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Program {
    /// The `/proc/PID/exe` link (None: unreadable, as another user's
    /// process is without privilege).
    pub exe: Option<String>,
    pub cmdline: Vec<String>,
}

impl Program {
    /// `sleep 3600`, or `[name]` without a command line.
    pub fn command_line(&self) -> String {
        match (&self.exe, self.cmdline.is_empty()) {
            (_, false) => self.cmdline.join(" "),
            (Some(exe), true) => exe.clone(),
            (None, true) => String::new(),
        }
    }
}

/// A process as the identity check sees it right before a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Now {
    pub start_ticks: u64,
    pub program: Program,
    /// It has exited or is exiting (a zombie with no live thread, or its
    /// memory already released: no command line and no executable), so a
    /// program that "changed" is only one that is going.
    pub exiting: bool,
}

/// Read what `dir` (a /proc/PID) runs; a zombie leader (`pthread_exit`)
/// shows no command line or executable, its surviving threads still do.
fn read_program(dir: &Path, stat: &Stat) -> Program {
    let mut sources = vec![dir.to_path_buf()];
    if stat.state == 'Z'
        && let Ok(tasks) = std::fs::read_dir(dir.join("task"))
    {
        sources.extend(tasks.flatten().map(|t| t.path()));
    }
    let cmdline: Vec<String> = sources
        .iter()
        .filter_map(|d| std::fs::read(d.join("cmdline")).ok())
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
        })
        .find(|c| !c.is_empty())
        .unwrap_or_default();
    let exe = sources
        .iter()
        .find_map(|d| std::fs::read_link(d.join("exe")).ok())
        .map(|p| p.to_string_lossy().into_owned());
    Program { exe, cmdline }
}

/// `pid`'s start time, program and whether it is exiting, read right
/// before a signal (the same reading `describe` made for the verdict);
/// `None` when it is gone.
#[cfg(unix)]
pub fn now(proc_root: &Path, pid: i32) -> Option<Now> {
    if cfg!(not(target_os = "linux")) {
        return portable::now(pid);
    }
    let dir = proc_root.join(pid.to_string());
    let stat = read_stat(proc_root, pid)?;
    let program = read_program(&dir, &stat);
    let zombie_alone =
        stat.state == 'Z' && std::fs::read_dir(dir.join("task")).map_or(0, |d| d.count()) <= 1;
    let exiting =
        zombie_alone || stat.state == 'X' || program.exe.is_none() && program.cmdline.is_empty();
    Some(Now {
        start_ticks: stat.start_ticks,
        program,
        exiting,
    })
}

/// Everything gauth shows about a process holding a port.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessInfo {
    pub pid: i32,
    pub name: String,
    pub exe: Option<String>,
    pub cmdline: Vec<String>,
    pub uid: Option<u32>,
    /// The owner's account name (on Windows `DOMAIN\\name` or the SID when
    /// no name is known).
    pub user: Option<String>,
    /// The owner's security identifier (Windows only, where there are no
    /// uids): what "owned by you" compares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub state: String,
    pub ppid: i32,
    pub parent_name: Option<String>,
    /// Reparented to PID 1 or an init-like subreaper: whoever started it is
    /// gone.
    pub parent_gone: bool,
    /// The controlling terminal (`pts/3`): an interactive session.
    pub tty: Option<String>,
    /// Clock ticks since boot; with the pid, the process's identity.
    pub start_ticks: u64,
    /// Seconds since the epoch.
    pub started_at: Option<u64>,
    pub age_seconds: Option<u64>,
    /// The systemd system unit, when it is one.
    pub service: Option<String>,
    /// Libraries loaded that mark an HTTP/OAuth helper (httpuv).
    pub loaded: Vec<String>,
}

impl ProcessInfo {
    /// The program it ran when described.
    pub fn program(&self) -> Program {
        Program {
            exe: self.exe.clone(),
            cmdline: self.cmdline.clone(),
        }
    }

    /// The name to show: R runs as `R` even when started as `Rscript`.
    pub fn display_name(&self) -> &str {
        &self.name
    }

    pub fn command_line(&self) -> String {
        if self.cmdline.is_empty() {
            format!("[{}]", self.name)
        } else {
            self.cmdline.join(" ")
        }
    }
}

/// Processes that adopt orphans: a child of one of these has lost its parent.
/// (Windows does not reparent: see `portable::describe`.)
pub(crate) const INIT_LIKE: &[&str] = &[
    "launchd",
    "systemd",
    "init",
    "tini",
    "dumb-init",
    "docker-init",
    "catatonit",
    "s6-svscan",
    "runit",
];

/// The kernel's clock ticks per second (`USER_HZ`): the unit of start times
/// in `/proc/PID/stat` and of timers in `/proc/net/tcp`.
pub fn clock_ticks_per_second() -> u64 {
    // From the auxiliary vector (AT_CLKTCK), as sysconf(_SC_CLK_TCK) does.
    #[cfg(unix)]
    let hz = rustix::param::clock_ticks_per_second();
    // No clock ticks outside Unix; never read there (no `/proc`).
    #[cfg(not(unix))]
    let hz = 0;
    match hz {
        0 => 100,
        hz => hz,
    }
}

/// Describe `pid`; `None` when it has exited.
pub fn describe(proc_root: &Path, pid: i32, now_unix: u64) -> Option<ProcessInfo> {
    if cfg!(not(target_os = "linux")) {
        return portable::describe(pid, now_unix);
    }
    let dir = proc_root.join(pid.to_string());
    let stat = read_stat(proc_root, pid)?;
    let read = |name: &str| read_lossy(&dir.join(name));
    let uid = read("status").as_deref().and_then(parse_status_uid);
    let Program { exe, cmdline } = read_program(&dir, &stat);
    // The maps of a zombie leader are its surviving threads'.
    let mut sources = vec![dir.clone()];
    if stat.state == 'Z'
        && let Ok(tasks) = std::fs::read_dir(dir.join("task"))
    {
        sources.extend(tasks.flatten().map(|t| t.path()));
    }
    let is_r = looks_like_r(&stat.comm, exe.as_deref());
    let parent = read_stat(proc_root, stat.ppid);
    let parent_name = parent.as_ref().map(|p| p.comm.clone());
    let parent_gone = stat.ppid <= 1
        || parent_name
            .as_deref()
            .is_some_and(|n| INIT_LIKE.contains(&n));
    let hz = clock_ticks_per_second();
    let started_at = read_lossy(&proc_root.join("uptime"))
        .as_deref()
        .and_then(parse_uptime)
        .map(|uptime| {
            let boot = now_unix as f64 - uptime;
            (boot + stat.start_ticks as f64 / hz as f64)
                .round()
                .max(0.0) as u64
        });
    Some(ProcessInfo {
        pid,
        name: stat.comm,
        exe,
        cmdline,
        uid,
        user: uid.and_then(user_name),
        sid: None,
        state: stat.state.to_string(),
        ppid: stat.ppid,
        parent_name,
        parent_gone,
        tty: tty_name(stat.tty_nr),
        start_ticks: stat.start_ticks,
        started_at,
        age_seconds: started_at.map(|s| now_unix.saturating_sub(s)),
        service: read("cgroup").as_deref().and_then(parse_cgroup_service),
        // Only R loads httpuv, and /proc/PID/maps is the costliest file to
        // read here (the kernel formats every mapping's path): skip it for
        // everything else.
        loaded: if is_r {
            sources
                .iter()
                .filter_map(|d| read_lossy(&d.join("maps")))
                .map(|m| parse_maps_traces(&m))
                .find(|t| !t.is_empty())
                .unwrap_or_default()
        } else {
            Vec::new()
        },
    })
}

/// R under any of its names: `R` (what Rscript and R CMD run as), `rsession`
/// (RStudio), or the R binary itself.
pub fn looks_like_r(name: &str, exe: Option<&str>) -> bool {
    matches!(
        program_name(name),
        "R" | "Rscript" | "rsession" | "Rterm" | "Rgui"
    ) || exe.is_some_and(|e| e.ends_with("/bin/exec/R"))
}

/// A process name without Windows' `.exe` (any case): `Rterm.exe` is
/// `Rterm`, `python.exe` is `python`. Elsewhere the name is the name.
pub fn program_name(name: &str) -> &str {
    name.len()
        .checked_sub(4)
        .filter(|&cut| name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(".exe"))
        .map_or(name, |cut| &name[..cut])
}

/// Is `p` the caller's own process? By uid on Unix; by the account's SID on
/// Windows, which has no uids (a process described there never has one, so
/// only a hand-built one, as in the rendering tests, matches by uid).
pub fn owned_by_caller(p: &ProcessInfo, uid: u32) -> bool {
    #[cfg(windows)]
    {
        p.uid == Some(uid) || p.sid.is_some() && p.sid == portable::current_sid()
    }
    #[cfg(not(windows))]
    {
        p.uid == Some(uid)
    }
}

/// The start time (clock ticks) of `pid` now, to re-verify identity.
pub fn start_ticks(proc_root: &Path, pid: i32) -> Option<u64> {
    if cfg!(not(target_os = "linux")) {
        return portable::start_time(pid);
    }
    read_stat(proc_root, pid).map(|s| s.start_ticks)
}

/// The user name for a uid, from the system's user database (none on
/// Windows, which has no uids: see [`ProcessInfo::sid`]).
#[cfg(windows)]
pub fn user_name(_uid: u32) -> Option<String> {
    None
}

/// The user name for a uid, from the system's user database.
#[cfg(unix)]
pub fn user_name(uid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: all pointers are valid for the call; getpwuid_r writes only
    // into `pwd` and `buf` (of the length given) and sets `result`.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr(pwd.pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// Why `proc_root` is not the `/proc` of gauth's own PID namespace, when it
/// is not: in a child namespace that kept its parent's `/proc` (`unshare -p
/// -f` without `--mount-proc`) every pid read there names a process of the
/// parent namespace, and the same number here is another process or none.
/// `/proc/self` is how that procfs names the reader: gauth's own pid only in
/// its own namespace's. Unreadable, it cannot be told apart: counted as
/// another's. Only Linux reads `/proc`; elsewhere pids come from the system.
pub fn foreign_proc(proc_root: &Path) -> Option<String> {
    if cfg!(not(target_os = "linux")) {
        return None;
    }
    let me = std::process::id();
    let link = proc_root.join("self");
    match std::fs::read_link(&link) {
        Ok(target) => {
            let seen = target.to_string_lossy().into_owned();
            (seen.parse::<u32>().ok() != Some(me)).then(|| {
                format!(
                    "{} belongs to another PID namespace (it names gauth pid {}, \
                     and gauth is pid {me} in its own)",
                    proc_root.display(),
                    seen
                )
            })
        }
        Err(e) => Some(format!(
            "{} cannot be read ({e}), so whether {} belongs to gauth's own PID namespace cannot be told",
            link.display(),
            proc_root.display()
        )),
    }
}

/// gauth's own pid and its ancestors, nearest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ancestry {
    pub pids: Vec<i32>,
    /// Set when the walk stopped at a process that exists but whose parent
    /// could not be read: anything might be further up, so nothing may be
    /// assumed not to be an ancestor.
    pub unverified: Option<String>,
}

/// gauth's own pid and those of all its ancestors (never to be killed).
pub fn self_and_ancestors(proc_root: &Path) -> Ancestry {
    ancestry_of(proc_root, std::process::id() as i32)
}

/// `pid` and its ancestors. A link that cannot be read while its process
/// still exists makes the chain `unverified` rather than short.
pub fn ancestry_of(proc_root: &Path, pid: i32) -> Ancestry {
    let mut chain = Ancestry {
        pids: vec![pid],
        unverified: None,
    };
    if cfg!(not(target_os = "linux")) {
        while let Some(ppid) = portable::parent(chain.pids[chain.pids.len() - 1])
            .filter(|p| *p > 0 && !chain.pids.contains(p))
        {
            chain.pids.push(ppid);
        }
        return chain;
    }
    let mut pid = pid;
    loop {
        let Some(stat) = read_stat(proc_root, pid) else {
            if exists(proc_root, pid) {
                chain.unverified = Some(format!(
                    "the parent of pid {pid} cannot be read from {}",
                    proc_root.join(pid.to_string()).join("stat").display()
                ));
            }
            break;
        };
        if stat.ppid <= 0 || chain.pids.contains(&stat.ppid) {
            break;
        }
        chain.pids.push(stat.ppid);
        pid = stat.ppid;
    }
    chain
}

/// Does `pid` exist (its /proc directory is there, or the kernel says so)?
fn exists(proc_root: &Path, pid: i32) -> bool {
    if proc_root.join(pid.to_string()).exists() {
        return true;
    }
    // A fake proc root in tests must not consult the real kernel.
    if proc_root != Path::new("/proc") {
        return false;
    }
    #[cfg(not(unix))]
    return false;
    #[cfg(unix)]
    rustix::process::Pid::from_raw(pid).is_some_and(|p| {
        !matches!(
            rustix::process::test_kill_process(p),
            Err(rustix::io::Errno::SRCH)
        )
    })
}

/// The effective capability set from `/proc/self/status`.
#[cfg(unix)]
fn effective_caps(proc_root: &Path) -> Option<u64> {
    let status = read_lossy(&proc_root.join("self/status"))?;
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))?
        .trim();
    u64::from_str_radix(hex, 16).ok()
}

/// Decide from the capability set when it can be read, else from being root.
#[cfg(unix)]
fn has_cap(proc_root: &Path, cap: u32) -> bool {
    effective_caps(proc_root).map_or_else(
        || rustix::process::geteuid().is_root(),
        |caps| caps & (1 << cap) != 0,
    )
}

/// Windows has no capabilities (and `/proc` there is a path on drive `Z:`
/// under wine, never to be read): elevation is what counts.
#[cfg(windows)]
fn has_cap(_proc_root: &Path, _cap: u32) -> bool {
    portable::elevated()
}

/// May we signal processes of other users (CAP_KILL, which root has)? On
/// Windows: is gauth elevated (an administrator's full token)?
pub fn can_signal_others(proc_root: &Path) -> bool {
    const CAP_KILL: u32 = 5;
    has_cap(proc_root, CAP_KILL)
}

/// May we read every process's fds (CAP_SYS_PTRACE, which root normally
/// has; a container may drop it)? Without it another user's holder is
/// invisible, and "no process has it open" cannot be claimed. Windows names
/// every socket's owning pid to anyone (pid 0 when it does not know).
pub fn sees_all_processes(proc_root: &Path) -> bool {
    const CAP_SYS_PTRACE: u32 = 19;
    cfg!(windows) || has_cap(proc_root, CAP_SYS_PTRACE)
}

#[cfg(unix)]
pub fn current_uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// Windows has no uids: 0 stands for the caller and is never compared
/// (ownership there is by SID, see [`owned_by_caller`]).
#[cfg(windows)]
pub fn current_uid() -> u32 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_parens_in_name() {
        let s = "42 (my (weird) name) S 7 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 2 0 123456 0 0";
        let st = parse_stat(s.as_bytes()).unwrap();
        assert_eq!(st.comm, "my (weird) name");
        assert_eq!((st.state, st.ppid, st.start_ticks), ('S', 7, 123456));
        assert_eq!(parse_stat(b"42 (x) S"), None);
        assert_eq!(parse_stat(b""), None);
        assert_eq!(parse_stat(b") (x"), None);
    }

    #[test]
    fn status_cgroup_uptime_maps() {
        assert_eq!(
            parse_status_uid("Name:\tR\nUid:\t1000\t1000\t1000\t1000\n"),
            Some(1000)
        );
        assert_eq!(
            parse_uptime(
                "3690.25 7000.00
"
            ),
            Some(3690.25)
        );
        assert_eq!(parse_uptime("-1 0"), None);
        assert_eq!(
            parse_cgroup_service("0::/system.slice/sshd.service\n"),
            Some("sshd.service".into())
        );
        assert_eq!(
            parse_cgroup_service("0::/user.slice/user-1000.slice/session-2.scope\n"),
            None
        );
        let maps = "7f00-7f01 r-xp 0 08:01 1 /usr/lib/R/site-library/httpuv/libs/httpuv.so\n\
                    7f02-7f03 r-xp 0 08:01 2 /usr/lib/x86_64-linux-gnu/libuv.so.1\n7f04-7f05 rw-p 0 0 0\n";
        assert_eq!(parse_maps_traces(maps), vec!["httpuv"]);
    }

    #[test]
    fn a_name_cut_inside_a_character_still_parses() {
        // `起動_スクリプト.sh`, cut by the kernel at 15 bytes.
        let mut line = b"42 (".to_vec();
        line.extend_from_slice(&[
            0xe8, 0xb5, 0xb7, 0xe5, 0x8b, 0x95, b'_', 0xe3, 0x82, 0xb9, 0xe3, 0x82, 0xaf, 0xe3,
            0x83,
        ]);
        line.extend_from_slice(b") S 7 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0");
        let st = parse_stat(&line).unwrap();
        assert_eq!(st.comm, "起動_スク\u{fffd}");
        assert_eq!((st.state, st.ppid, st.start_ticks), ('S', 7, 99));
    }

    #[test]
    #[cfg(target_os = "linux")] // a fake /proc tree
    fn an_unreadable_link_makes_the_ancestry_unverified_not_short() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, bytes: &[u8]| {
            let path = root.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        };
        write(
            "30/stat",
            b"30 (gauth) S 20 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
        );
        write(
            "20/stat",
            b"20 (\xe8\xb5) S 10 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 4 0 0",
        );
        write(
            "10/stat",
            b"10 (python3) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0",
        );
        let a = ancestry_of(root.path(), 30);
        assert_eq!(a.pids, vec![30, 20, 10, 1]);
        assert_eq!(a.unverified, None);
        // A link that exists but cannot be parsed: the chain is unverified.
        write("20/stat", b"garbage");
        let a = ancestry_of(root.path(), 30);
        assert_eq!(a.pids, vec![30, 20]);
        assert!(a.unverified.unwrap().contains("pid 20"));
        // A vanished parent ends the chain; nothing is unknown about it.
        std::fs::remove_dir_all(root.path().join("20")).unwrap();
        let a = ancestry_of(root.path(), 30);
        assert_eq!((a.pids, a.unverified), (vec![30, 20], None));
    }

    #[test]
    #[cfg(target_os = "linux")] // fake /proc trees
    fn a_proc_whose_self_is_not_gauth_is_another_namespaces() {
        assert_eq!(
            foreign_proc(Path::new("/proc")),
            None,
            "the real one is ours"
        );
        let root = tempfile::tempdir().unwrap();
        let missing = foreign_proc(root.path()).unwrap();
        assert!(missing.contains("cannot be read"), "{missing}");
        let me = std::process::id();
        std::os::unix::fs::symlink((me + 1).to_string(), root.path().join("self")).unwrap();
        let other = foreign_proc(root.path()).unwrap();
        assert!(
            other.contains("another PID namespace")
                && other.contains(&format!("gauth pid {}", me + 1))
                && other.contains(&format!("gauth is pid {me}")),
            "{other}"
        );
        std::fs::remove_file(root.path().join("self")).unwrap();
        std::os::unix::fs::symlink(me.to_string(), root.path().join("self")).unwrap();
        assert_eq!(foreign_proc(root.path()), None);
    }

    proptest::proptest! {
        #[test]
        fn stat_parser_never_panics_on_bytes(b in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse_stat(&b);
        }

        #[test]
        fn any_comm_bytes_round_trip(comm in proptest::collection::vec(1u8.., 0..16), ppid in 0i32..) {
            let mut line = b"7 (".to_vec();
            line.extend_from_slice(&comm);
            line.extend_from_slice(format!(") S {ppid} 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0").as_bytes());
            let st = parse_stat(&line).unwrap();
            proptest::prop_assert_eq!(st.comm, String::from_utf8_lossy(&comm).into_owned());
            proptest::prop_assert_eq!((st.ppid, st.start_ticks), (ppid, 9));
        }

        #[test]
        fn stat_parser_never_panics(s in "\\PC*") {
            let _ = parse_stat(s.as_bytes());
            let _ = parse_status_uid(&s);
            let _ = parse_cgroup_service(&s);
            let _ = parse_maps_traces(&s);
            let _ = parse_uptime(&s);
        }

        #[test]
        fn stat_round_trips(pid in 1i32.., comm in "[^\\x00]{0,15}", ppid in 0i32.., start: u64) {
            let line = format!("{pid} ({comm}) S {ppid} 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 {start} 0 0");
            let st = parse_stat(line.as_bytes()).unwrap();
            proptest::prop_assert_eq!(st.comm, comm);
            proptest::prop_assert_eq!((st.ppid, st.start_ticks), (ppid, start));
        }
    }
}
