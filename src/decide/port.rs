//! What holds a port, as data: its sockets, the processes holding them and
//! a verdict on each, and what to say about a socket no one visible holds.
use crate::decide::verdict::Verdict;
use crate::system::net::{Socket, SocketSource};
use crate::system::proc::ProcessInfo;
use serde::Serialize;

/// A socket on the port (a listener, or a connection when nothing listens)
/// and who holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Listener {
    #[serde(flatten)]
    pub socket: Socket,
    pub user: Option<String>,
    /// Pids of the visible processes holding it (empty: invisible owner).
    pub pids: Vec<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Holder {
    #[serde(flatten)]
    pub process: ProcessInfo,
    /// The endpoints it listens on, e.g. `127.0.0.1:1410`.
    pub listening_on: Vec<String>,
    /// The connections on the port it holds when nothing listens, e.g.
    /// `127.0.0.1:1410 to 127.0.0.1:50412 (established)`.
    pub connections: Vec<String>,
    /// Found only through a surviving thread (`pthread_exit` leader).
    pub via_thread: bool,
    pub verdict: Verdict,
    /// Who it is, for `free-port --only`: `PID@START@PROGRAM`, the program a
    /// hash of its executable and command line, so that what a person
    /// approved after a dry run is what gets killed (not a process that
    /// took the pid's place, nor the same one after an exec).
    pub id: String,
    #[serde(skip)]
    pub inodes: Vec<u64>,
}

/// A holder `free-port --only` names: its pid, and its start time and
/// program (the hash of [`holder_id`]) when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Only {
    pub pid: i32,
    pub start: Option<u64>,
    pub program: Option<String>,
}

impl Only {
    pub fn names(&self, h: &Holder) -> bool {
        self.pid == h.process.pid
            && self.start.is_none_or(|t| t == h.process.start_ticks)
            && self
                .program
                .as_ref()
                .is_none_or(|p| h.id.rsplit('@').next() == Some(p.as_str()))
    }
}

/// [`Holder::id`] of the process `p`.
pub fn holder_id(p: &ProcessInfo) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(p.exe.as_deref().unwrap_or("").as_bytes());
    for arg in &p.cmdline {
        h.update([0]);
        h.update(arg.as_bytes());
    }
    let hash = h.finalize();
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}@{}@{hex}", p.pid, p.start_ticks)
}

impl Holder {
    /// What it holds, for one line: `listening on 127.0.0.1:1410`, or
    /// `holding a connection (not a listener): 127.0.0.1:1410 to …`.
    pub fn holds(&self) -> String {
        let mut parts = Vec::new();
        if !self.listening_on.is_empty() {
            parts.push(format!("listening on {}", self.listening_on.join(", ")));
        }
        if !self.connections.is_empty() {
            let what = if self.connections.len() == 1 {
                "a connection"
            } else {
                "connections"
            };
            parts.push(format!(
                "holding {what} (not a listener): {}",
                self.connections.join(", ")
            ));
        }
        parts.join("; ")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TimeWait {
    pub count: usize,
    /// The longest remaining TIME_WAIT lifetime.
    pub expires_in_seconds: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PortState {
    pub port: u16,
    pub listeners: Vec<Listener>,
    /// When nothing listens: connections whose local end blocks a loopback
    /// bind (ESTABLISHED, CLOSE_WAIT, …), with who holds them.
    pub connections: Vec<Listener>,
    pub holders: Vec<Holder>,
    pub time_wait: Option<TimeWait>,
    /// Processes whose file descriptors we may not read (other users').
    pub unreadable_processes: usize,
    pub source: Option<SocketSource>,
    /// Why the fast socket source was not used, when it was not.
    pub source_note: Option<String>,
    /// Could gauth read every process's fds (CAP_SYS_PTRACE)? Named
    /// `privileged` in JSON, as documented.
    #[serde(rename = "privileged")]
    pub sees_all_processes: bool,
    /// Does gauth run as root? Then sudo adds nothing: a capability it lacks
    /// is what hides or protects other users' processes.
    #[serde(skip)]
    pub caller_is_root: bool,
}

impl PortState {
    /// Does a listener or a connection some process holds keep the port?
    pub fn is_held(&self) -> bool {
        !self.listeners.is_empty() || !self.connections.is_empty()
    }

    /// Sockets no visible process holds: their owner is another user's, or
    /// (when gauth sees every process) nobody's.
    pub fn invisible(&self) -> impl Iterator<Item = &Listener> {
        self.listeners
            .iter()
            .chain(&self.connections)
            .filter(|l| l.pids.is_empty())
    }

    /// For the first socket without a visible holder: what to say, and the
    /// fix when there is one. When gauth cannot read every process's fds the
    /// holder is another user's process (sudo sees it, unless gauth is root
    /// already and lacks CAP_SYS_PTRACE); when it can, no process has the
    /// socket open where gauth can see it, and there is nothing to kill.
    pub fn invisible_problem(&self) -> Option<(String, Option<String>)> {
        let l = self.invisible().next()?;
        let p = self.port;
        let who = l
            .user
            .clone()
            .or_else(|| l.socket.uid.map(|u| format!("uid {u}")))
            .unwrap_or_else(|| "an unknown owner".into());
        if cfg!(windows) {
            // Windows names every socket's owning pid to anyone; without
            // one (pid 0) the owner is unknown, not hidden by permissions.
            return Some((
                format!(
                    "port {p} is held by a socket on {} whose owning process Windows does not name (pid 0): its owner is unknown; nothing to kill",
                    l.socket.describe()
                ),
                None,
            ));
        }
        Some(if self.sees_all_processes {
            (
                format!(
                    "port {p} is held by a socket of {who} on {} that no visible process has open \
                     (another PID namespace, a descriptor in flight in a Unix socket, or the kernel); nothing to kill",
                    l.socket.describe()
                ),
                None,
            )
        } else if self.caller_is_root {
            // sudo cannot give root a capability it lacks.
            (
                format!(
                    "port {p} is held by a process of {who} that gauth cannot see: it runs as root \
                     without CAP_SYS_PTRACE (a container may drop it), which reading other users' \
                     open files takes; run gauth with CAP_SYS_PTRACE (e.g. on the host) to see and \
                     stop it"
                ),
                None,
            )
        } else {
            // With sudo it is visible, and another user's: --force acts.
            (
                format!("port {p} is held by a process of {who} that gauth cannot see"),
                Some(format!("sudo gauth free-port --force {p}")),
            )
        })
    }
}
