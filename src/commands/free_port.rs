//! `gauth free-port`: inspect a port, judge each holder, kill the expendable
//! ones on confirmation, and prove the port is free.
use crate::port::bind::{self, BindCheck};
use crate::port::{self, Socket, SocketSource};
use crate::process::kill::{self, Outcome, Target};
use crate::process::verdict::{self, Caller, Class, Verdict};
use crate::process::{self, ProcessInfo};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// Version of the JSON documents; bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

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
    /// The endpoints it holds, e.g. `127.0.0.1:1410`.
    pub listening_on: Vec<String>,
    /// Found only through a surviving thread (`pthread_exit` leader).
    pub via_thread: bool,
    pub verdict: Verdict,
    #[serde(skip)]
    pub inodes: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimeWait {
    pub count: usize,
    /// The longest remaining TIME_WAIT lifetime.
    pub expires_in_seconds: u64,
}

/// What holds a port right now: shared by free-port and doctor.
#[derive(Debug, Clone, Serialize)]
pub struct PortState {
    pub port: u16,
    pub listeners: Vec<Listener>,
    pub holders: Vec<Holder>,
    pub time_wait: Option<TimeWait>,
    /// Processes whose file descriptors we may not read (other users').
    pub unreadable_processes: usize,
    pub source: Option<SocketSource>,
    /// Why the fast socket source was not used, when it was not.
    pub source_note: Option<String>,
    /// Could gauth see every process's fds (root or CAP_SYS_PTRACE-like)?
    pub privileged: bool,
}

impl PortState {
    /// Listeners no visible process holds: their owner is another user's.
    pub fn invisible(&self) -> impl Iterator<Item = &Listener> {
        self.listeners.iter().filter(|l| l.pids.is_empty())
    }

    /// For the first listener without a visible holder: what to say, and the
    /// fix when there is one. Unprivileged, the holder is another user's
    /// process (sudo sees it); privileged, no process has the socket open
    /// where gauth can see it, and there is nothing to kill.
    pub fn invisible_problem(&self) -> Option<(String, Option<String>)> {
        let l = self.invisible().next()?;
        let p = self.port;
        let who = l
            .user
            .clone()
            .unwrap_or_else(|| format!("uid {}", l.socket.uid));
        Some(if self.privileged {
            (
                format!(
                    "port {p} is held by a socket of {who} on {} that no visible process has open \
                     (another PID namespace, a descriptor in flight in a Unix socket, or the kernel); nothing to kill",
                    l.socket.endpoint()
                ),
                None,
            )
        } else {
            (
                format!("port {p} is held by a process of {who} that gauth cannot see"),
                Some(format!("sudo gauth free-port {p}")),
            )
        })
    }
}

/// Inspect `port`: sockets, holders, verdicts.
pub fn inspect(
    proc_root: &Path,
    port: u16,
    caller: &Caller,
    now_unix: u64,
) -> anyhow::Result<PortState> {
    let scan = port::scan(port, proc_root)?;
    let mut holders = Vec::new();
    for h in &scan.holdings {
        let Some(info) = process::describe(proc_root, h.pid, now_unix) else {
            continue;
        };
        let listening_on = scan
            .listeners
            .iter()
            .filter(|s| h.inodes.contains(&s.inode))
            .map(Socket::endpoint)
            .collect();
        let verdict = verdict::judge(&info, caller);
        holders.push(Holder {
            process: info,
            listening_on,
            via_thread: h.via_task,
            verdict,
            inodes: h.inodes.clone(),
        });
    }
    let listeners = scan
        .listeners
        .iter()
        .map(|s| Listener {
            socket: s.clone(),
            // The holders' user names are known already: one NSS lookup less.
            user: holders
                .iter()
                .find(|h| h.process.uid == Some(s.uid))
                .and_then(|h| h.process.user.clone())
                .or_else(|| process::user_name(s.uid)),
            pids: holders
                .iter()
                .filter(|h| h.inodes.contains(&s.inode))
                .map(|h| h.process.pid)
                .collect(),
        })
        .collect();
    let time_wait = (!scan.time_wait.is_empty()).then(|| TimeWait {
        count: scan.time_wait.len(),
        expires_in_seconds: scan
            .time_wait
            .iter()
            .filter_map(|s| s.expires)
            .max()
            .map_or(60, |d| d.as_secs_f64().ceil() as u64),
    });
    Ok(PortState {
        port,
        listeners,
        holders,
        time_wait,
        unreadable_processes: scan.unreadable,
        source: scan.source,
        source_note: scan.fallback_reason.clone(),
        privileged: caller.privileged,
    })
}

/// What was done to one holder.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// `--dry-run`: nothing done.
    None,
    /// Not attempted, and why.
    Refused { reason: String },
    /// The user answered no.
    Declined,
    Signalled {
        #[serde(flatten)]
        outcome: Outcome,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing listens and both loopback binds succeed.
    Free,
    /// No listener, only TIME_WAIT connections: nothing to kill. `free`
    /// says whether a bind works anyway (it does when both the old and the
    /// new socket set SO_REUSEADDR).
    TimeWait,
    /// Listeners remain.
    Held,
    /// Nothing listens that we can see, yet a bind fails.
    Blocked,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub dry_run: bool,
    pub status: Status,
    /// `true` when a login listener can start on the port now.
    pub free: bool,
    pub summary: String,
    #[serde(flatten)]
    pub state: PortState,
    /// One per holder, in the same order.
    pub actions: Vec<Action>,
    /// Endpoints still listening after the actions.
    pub still_listening: Vec<String>,
    pub bind: Vec<BindCheck>,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub port: u16,
    pub dry_run: bool,
    pub yes: bool,
    pub force: bool,
    pub signal: (i32, &'static str),
    pub timeout: Duration,
    /// Whether a person can be asked (stdin is a terminal).
    pub interactive: bool,
}

/// How the command talks to a person while it works.
pub trait Ui {
    /// The holders were found (print them before asking anything).
    fn found(&mut self, state: &PortState);
    /// Ask before killing `holder`.
    fn confirm(&mut self, holder: &Holder) -> bool;
}

pub fn run(
    proc_root: &Path,
    opts: &Options,
    caller: &Caller,
    now_unix: u64,
    ui: &mut dyn Ui,
) -> anyhow::Result<Report> {
    let state = inspect(proc_root, opts.port, caller, now_unix)?;
    ui.found(&state);

    let mut actions = Vec::with_capacity(state.holders.len());
    let mut targets = Vec::new();
    let mut target_slots = Vec::new();
    for (i, h) in state.holders.iter().enumerate() {
        let action = match h.verdict.class {
            _ if opts.dry_run => Action::None,
            Class::Protected => Action::Refused {
                reason: h.verdict.summary.clone(),
            },
            Class::NotExpendable if !opts.force => Action::Refused {
                reason: format!("{}; pass --force to kill it anyway", h.verdict.summary),
            },
            _ if opts.yes => Action::None,
            _ if !opts.interactive => Action::Refused {
                reason: "no terminal to ask on; re-run with --yes to kill without asking".into(),
            },
            _ if ui.confirm(h) => Action::None,
            _ => Action::Declined,
        };
        if !opts.dry_run && matches!(action, Action::None) {
            targets.push(Target {
                pid: h.process.pid,
                port: opts.port,
                start_ticks: h.process.start_ticks,
                inodes: h.inodes.clone(),
            });
            target_slots.push(i);
        }
        actions.push(action);
    }
    if !targets.is_empty() {
        let outcomes = kill::terminate_all(proc_root, &targets, opts.signal, opts.timeout);
        for (slot, outcome) in target_slots.into_iter().zip(outcomes) {
            actions[slot] = Action::Signalled { outcome };
        }
    }

    // Prove the result: look again, then really bind.
    let still_listening: Vec<String> = if targets.is_empty() {
        state
            .listeners
            .iter()
            .map(|l| l.socket.endpoint())
            .collect()
    } else {
        port::sockets(opts.port, proc_root)?
            .0
            .iter()
            .filter(|s| s.state == port::TcpState::Listen)
            .map(Socket::endpoint)
            .collect()
    };
    let bind = bind::check_loopback(opts.port);
    let binds_ok = !bind.iter().any(BindCheck::blocks);
    let status = if !still_listening.is_empty() {
        Status::Held
    } else if state.listeners.is_empty() && state.time_wait.is_some() {
        Status::TimeWait
    } else if !binds_ok {
        Status::Blocked
    } else {
        Status::Free
    };
    let free = still_listening.is_empty() && binds_ok;
    let summary = summarize(opts, &state, &actions, status, &bind);
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        dry_run: opts.dry_run,
        status,
        free,
        summary,
        state,
        actions,
        still_listening,
        bind,
    })
}

fn summarize(
    opts: &Options,
    state: &PortState,
    actions: &[Action],
    status: Status,
    bind: &[BindCheck],
) -> String {
    let p = opts.port;
    match status {
        Status::Free if state.listeners.is_empty() => format!("port {p} is free"),
        Status::Free => format!("port {p} is free now"),
        Status::TimeWait => {
            let (n, secs) = state
                .time_wait
                .as_ref()
                .map_or((0, 60), |t| (t.count, t.expires_in_seconds));
            let conns = if n == 1 {
                "1 connection".to_owned()
            } else {
                format!("{n} connections")
            };
            if bind.iter().any(BindCheck::blocks) {
                format!(
                    "port {p} has no listener, only {conns} in TIME_WAIT: nothing to kill; \
                     binding fails until they expire (within {secs} s)"
                )
            } else {
                format!(
                    "port {p} has no listener, only {conns} in TIME_WAIT (gone within {secs} s): nothing to kill; \
                     the test bind with SO_REUSEADDR (as httpuv and gauth bind) works now"
                )
            }
        }
        Status::Blocked => {
            let why: Vec<String> = bind
                .iter()
                .filter(|b| b.blocks())
                .map(|b| {
                    format!(
                        "{}: {}",
                        b.address,
                        serde_json::to_value(&b.result)
                            .ok()
                            .and_then(|v| v
                                .get("error")
                                .and_then(|e| e.as_str().map(str::to_owned)))
                            .unwrap_or_else(|| "in use".into())
                    )
                })
                .collect();
            format!(
                "port {p} has no listener gauth can see, yet binding fails ({})",
                why.join("; ")
            )
        }
        Status::Held => {
            if let Some((summary, fix)) = state.invisible_problem() {
                return match fix {
                    Some(fix) => format!("{summary}; run `{fix}`"),
                    None => summary,
                };
            }
            if opts.dry_run {
                let n = state.holders.len();
                return format!(
                    "port {p} is held by {n} process{} (dry run: nothing was killed)",
                    if n == 1 { "" } else { "es" }
                );
            }
            let mut why = Vec::new();
            for (h, a) in state.holders.iter().zip(actions) {
                let name = format!("{} (pid {})", h.process.name, h.process.pid);
                match a {
                    Action::Refused { reason } => why.push(format!("{name}: {reason}")),
                    Action::Declined => why.push(format!("{name}: you chose not to kill it")),
                    Action::Signalled {
                        outcome: Outcome::Survived { .. },
                    } => why.push(format!("{name}: survived SIGKILL")),
                    Action::Signalled {
                        outcome: Outcome::Failed { error },
                    } => why.push(format!("{name}: {error}")),
                    _ => {}
                }
            }
            if why.is_empty() {
                format!("port {p} is still held")
            } else {
                format!("port {p} is still held by {}", why.join("; "))
            }
        }
    }
}
