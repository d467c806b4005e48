//! Terminating port holders safely: identity re-verified right before each
//! signal (same pid, same start time in clock ticks, the same program as
//! when judged, still holding the socket), signals sent through a pidfd so a reused pid can never be hit,
//! SIGTERM first and SIGKILL only after a timeout, and exits observed rather
//! than assumed: a holder is dealt with once it has exited, not when it lets
//! go of the socket (it may take the port again), as `docker stop` does. On Windows (no signals) a process handle is held from the
//! identity check to `TerminateProcess`: see `kill/windows.rs`.
#[cfg(unix)]
use rustix::event::{PollFd, PollFlags, Timespec, poll};
#[cfg(unix)]
use rustix::io::Errno;
#[cfg(unix)]
use rustix::process::{Pid, Signal};
use serde::Serialize;
#[cfg(unix)]
use std::os::fd::OwnedFd;
#[cfg(unix)]
use std::path::Path;
use std::time::Duration;
#[cfg(unix)]
use std::time::Instant;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::terminate_all;

/// SIGKILL's number (the same on Linux and macOS), for callers that pass
/// signals as (number, name).
pub const SIGKILL: i32 = 9;
/// SIGTERM's number (the same on Linux and macOS).
pub const SIGTERM: i32 = 15;

/// A process to terminate, as it was when the port was inspected.
#[derive(Debug, Clone)]
pub struct Target {
    pub pid: i32,
    /// The port it holds (the portable identity check looks it up again).
    pub port: u16,
    pub start_ticks: u64,
    /// What it ran when judged: the verdict is about this program, and
    /// holds only while it still runs it (exec keeps pid and start time).
    pub program: crate::system::proc::Program,
    pub inodes: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// It exited after `signal` (`escalated`: SIGKILL had to follow, at
    /// the timeout; `released`: it had let go of the port but kept running;
    /// `rebound`: it had let go of the port and taken it again).
    Exited {
        signal: &'static str,
        escalated: bool,
        released: bool,
        rebound: bool,
        waited_ms: u64,
    },
    /// It exited or let go of the socket before we signalled: nothing sent.
    AlreadyGone,
    /// The pid now belongs to another process: nothing sent.
    IdentityChanged,
    /// The same process now runs another program (it exec'd) than the one
    /// judged: not signalled under the old verdict. `sent`: the signal it
    /// had already been sent (None: nothing sent); `exe` and `cmdline`:
    /// what it runs now.
    ProgramChanged {
        sent: Option<&'static str>,
        exe: Option<String>,
        cmdline: Vec<String>,
    },
    /// Still alive after SIGKILL (uninterruptible sleep, or a debugger).
    Survived { waited_ms: u64 },
    /// The signal could not be sent (permission).
    Failed { error: String },
}

/// How long to wait for an exit after SIGKILL before giving up.
const KILL_GRACE: Duration = Duration::from_secs(2);

#[cfg(unix)]
enum Handle {
    Pidfd(OwnedFd),
    /// Kernels before 5.3 have no pidfd: plain kill(2) after re-verifying.
    Pid,
}

#[cfg(unix)]
struct Pending {
    index: usize,
    target: Target,
    handle: Handle,
    signal: &'static str,
    escalated: bool,
    /// At the SIGKILL: it no longer held its socket, but ran on.
    released: bool,
    /// At the SIGKILL: it held a new socket on the port.
    rebound: bool,
}

/// How long the targets may take to exit after the first signal before
/// `terminate_all` says it is waiting for them (most exit at once, and a
/// line announcing a wait that is already over is noise).
pub const QUIET_WAIT: Duration = Duration::from_millis(200);

#[cfg(unix)]
/// Send `first` to every target, wait up to `timeout` for all of them, send
/// SIGKILL to the survivors, wait again. One outcome per target, in order.
/// When SIGKILL is to follow and some targets are still running after
/// [`QUIET_WAIT`], `on_wait` gets their indices in `targets` once, before
/// the rest of the wait.
pub fn terminate_all(
    proc_root: &Path,
    targets: &[Target],
    first: (i32, &'static str),
    timeout: Duration,
    on_wait: &mut dyn FnMut(&[usize]),
) -> Vec<Outcome> {
    let started = Instant::now();
    // The verdicts refuse this already; the signals must not depend on it.
    if let Some(why) = crate::system::proc::foreign_proc(proc_root) {
        return vec![Outcome::Failed { error: why }; targets.len()];
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; targets.len()];
    let mut pending = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        match open_verified(proc_root, target) {
            Err(outcome) => outcomes[index] = Some(outcome),
            Ok(handle) => match send(proc_root, target, &handle, first.0) {
                Ok(()) => pending.push(Pending {
                    index,
                    target: target.clone(),
                    handle,
                    signal: first.1,
                    escalated: false,
                    released: false,
                    rebound: false,
                }),
                Err(outcome) => outcomes[index] = Some(outcome),
            },
        }
    }
    if first.0 == SIGKILL {
        pending = wait(proc_root, pending, timeout, &mut outcomes, started);
    } else {
        let quiet = QUIET_WAIT.min(timeout);
        pending = wait(proc_root, pending, quiet, &mut outcomes, started);
        if !pending.is_empty() && quiet < timeout {
            let waiting: Vec<usize> = pending.iter().map(|p| p.index).collect();
            on_wait(&waiting);
            pending = wait(proc_root, pending, timeout - quiet, &mut outcomes, started);
        }
    }
    if first.0 != SIGKILL {
        let mut escalated = Vec::new();
        for mut p in pending {
            // Whether it let go of the port (and took it again) changes
            // nothing: it is the process that was judged and confirmed, and
            // only its exit ends its hold on the port.
            p.released = !still_holds(proc_root, &p.target);
            p.rebound = p.released && holds_port(proc_root, &p.target);
            let checked = verify(proc_root, &p.target, Some(p.signal));
            match checked.and_then(|()| send(proc_root, &p.target, &p.handle, SIGKILL)) {
                Ok(()) => {
                    p.signal = "SIGKILL";
                    p.escalated = true;
                    escalated.push(p);
                }
                // Gone between the last look and the signal (and its pid
                // perhaps reused already): the wait below sees its exit.
                Err(Outcome::AlreadyGone | Outcome::IdentityChanged) => escalated.push(p),
                Err(outcome) => outcomes[p.index] = Some(outcome),
            }
        }
        pending = escalated;
    }
    let left = wait(proc_root, pending, KILL_GRACE, &mut outcomes, started);
    for p in left {
        outcomes[p.index] = Some(Outcome::Survived {
            waited_ms: ms(started.elapsed()),
        });
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::AlreadyGone))
        .collect()
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(unix)]
/// Check the target is still the process we inspected, then pin it with a
/// pidfd and check again (the pidfd cannot be recycled, the pid can).
fn open_verified(proc_root: &Path, t: &Target) -> Result<Handle, Outcome> {
    verify(proc_root, t, None)?;
    let Some(pid) = Pid::from_raw(t.pid) else {
        return Err(Outcome::AlreadyGone);
    };
    match pidfd_open(pid) {
        Ok(fd) => {
            verify(proc_root, t, None)?;
            Ok(Handle::Pidfd(fd))
        }
        Err(Errno::SRCH) => Err(Outcome::AlreadyGone),
        Err(Errno::NOSYS) => Ok(Handle::Pid),
        Err(err) => Err(Outcome::Failed {
            error: format!("pidfd_open({}): {err}", t.pid),
        }),
    }
}

#[cfg(target_os = "linux")]
fn pidfd_open(pid: Pid) -> rustix::io::Result<OwnedFd> {
    rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
}

#[cfg(target_os = "linux")]
fn pidfd_send_signal(fd: &OwnedFd, signal: Signal) -> rustix::io::Result<()> {
    rustix::process::pidfd_send_signal(fd, signal)
}

/// No pidfds outside Linux: kill(2) right after re-verifying instead.
#[cfg(all(unix, not(target_os = "linux")))]
fn pidfd_open(_pid: Pid) -> rustix::io::Result<OwnedFd> {
    Err(Errno::NOSYS)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn pidfd_send_signal(_fd: &OwnedFd, _signal: Signal) -> rustix::io::Result<()> {
    Err(Errno::NOSYS)
}

#[cfg(unix)]
/// Does the target still hold one of its sockets?
fn still_holds(proc_root: &Path, t: &Target) -> bool {
    if cfg!(target_os = "linux") {
        crate::system::net::owners::holds(proc_root, t.pid, &t.inodes)
    } else {
        crate::system::net::portable::scan(t.port)
            .is_ok_and(|s| s.holdings.iter().any(|h| h.pid == t.pid))
    }
}

#[cfg(unix)]
/// Does the target hold any socket on its port now (a new one, after
/// letting go of those it was judged by)?
fn holds_port(proc_root: &Path, t: &Target) -> bool {
    if cfg!(target_os = "linux") {
        crate::system::net::sockets(t.port, proc_root).is_ok_and(|(socks, _, _)| {
            let inodes: Vec<u64> = socks.iter().map(|s| s.inode).filter(|&i| i != 0).collect();
            crate::system::net::owners::holds(proc_root, t.pid, &inodes)
        })
    } else {
        still_holds(proc_root, t)
    }
}

#[cfg(unix)]
/// Is the target still the process judged: same start time, same program,
/// and (before the first signal, `sent` = None) still holding its socket?
/// After the first signal it may have let go of the socket: it is still the
/// process that was confirmed, and only its exit ends its hold on the port.
fn verify(proc_root: &Path, t: &Target, sent: Option<&'static str>) -> Result<(), Outcome> {
    let Some(now) = crate::system::proc::now(proc_root, t.pid) else {
        return Err(Outcome::AlreadyGone);
    };
    if now.start_ticks != t.start_ticks {
        return Err(Outcome::IdentityChanged);
    }
    if now.program != t.program {
        // A process on its way out shows no program: gone, not changed.
        if now.exiting {
            return Err(Outcome::AlreadyGone);
        }
        return Err(Outcome::ProgramChanged {
            sent,
            exe: now.program.exe,
            cmdline: now.program.cmdline,
        });
    }
    if sent.is_none() && !still_holds(proc_root, t) {
        return Err(Outcome::AlreadyGone);
    }
    Ok(())
}

#[cfg(unix)]
fn send(proc_root: &Path, t: &Target, handle: &Handle, signal: i32) -> Result<(), Outcome> {
    let Some(signal) = Signal::from_named_raw(signal) else {
        return Err(Outcome::Failed {
            error: format!("unknown signal {signal}"),
        });
    };
    let rc = match handle {
        Handle::Pidfd(fd) => pidfd_send_signal(fd, signal),
        Handle::Pid => {
            // Without a pidfd, the identity check must come right before kill.
            if crate::system::proc::start_ticks(proc_root, t.pid) != Some(t.start_ticks) {
                return Err(Outcome::IdentityChanged);
            }
            match Pid::from_raw(t.pid) {
                Some(pid) => rustix::process::kill_process(pid, signal),
                None => Err(Errno::SRCH),
            }
        }
    };
    match rc {
        Ok(()) => Ok(()),
        Err(Errno::SRCH) => Err(Outcome::AlreadyGone),
        Err(Errno::PERM) => Err(Outcome::Failed {
            error: permission_denied(t.port, rustix::process::geteuid().is_root()),
        }),
        Err(err) => Err(Outcome::Failed {
            error: err.to_string(),
        }),
    }
}

/// What to say when a signal is refused: sudo (with --force, since the
/// process is another user's to root) unless gauth is root already, when
/// only a capability or a security module can be in the way.
#[cfg(unix)]
fn permission_denied(port: u16, root: bool) -> String {
    if root {
        "permission denied even as root (gauth lacks CAP_KILL, or a security module forbids it)"
            .into()
    } else {
        format!("permission denied; run `sudo gauth free-port --force {port}`")
    }
}

#[cfg(unix)]
fn exited(proc_root: &Path, p: &Pending) -> bool {
    match &p.handle {
        Handle::Pidfd(fd) => {
            // A pidfd polls readable once the process has exited.
            let mut fds = [PollFd::new(fd, PollFlags::IN)];
            poll(&mut fds, Some(&Timespec::default())).is_ok_and(|n| n == 1)
        }
        Handle::Pid => {
            let dir = proc_root.join(p.target.pid.to_string());
            let gone_or_reused = crate::system::proc::start_ticks(proc_root, p.target.pid)
                != Some(p.target.start_ticks);
            // A zombie has exited; it holds nothing and only waits to be
            // reaped (forever under a PID 1 that never reaps).
            let zombie_alone = if cfg!(target_os = "linux") {
                crate::system::proc::read_stat(proc_root, p.target.pid)
                    .is_some_and(|s| s.state == 'Z')
                    && std::fs::read_dir(dir.join("task")).map_or(0, |d| d.count()) <= 1
            } else {
                crate::system::proc::portable::is_zombie(p.target.pid)
            };
            gone_or_reused || zombie_alone
        }
    }
}

#[cfg(unix)]
/// Wait until every pending process has exited or `limit` has passed; return
/// those still alive.
fn wait(
    proc_root: &Path,
    mut pending: Vec<Pending>,
    limit: Duration,
    outcomes: &mut [Option<Outcome>],
    started: Instant,
) -> Vec<Pending> {
    let deadline = Instant::now() + limit;
    loop {
        pending.retain(|p| {
            if !exited(proc_root, p) {
                return true;
            }
            outcomes[p.index] = Some(Outcome::Exited {
                signal: p.signal,
                escalated: p.escalated,
                released: p.released,
                rebound: p.rebound,
                waited_ms: ms(started.elapsed()),
            });
            false
        });
        let now = Instant::now();
        if pending.is_empty() || now >= deadline {
            return pending;
        }
        // Sleep in poll(2) on every pidfd at once, waking at least every
        // 20 ms for the pid-only fallback.
        let mut fds: Vec<PollFd<'_>> = pending
            .iter()
            .filter_map(|p| match &p.handle {
                Handle::Pidfd(fd) => Some(PollFd::new(fd, PollFlags::IN)),
                Handle::Pid => None,
            })
            .collect();
        let slice =
            Timespec::try_from((deadline - now).min(Duration::from_millis(20))).unwrap_or_default();
        // EINTR or an error: the loop looks again after at most one slice.
        if poll(&mut fds, Some(&slice)).is_err() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::permission_denied;

    #[test]
    fn a_refused_signal_names_what_would_act() {
        assert_eq!(
            permission_denied(1410, false),
            "permission denied; run `sudo gauth free-port --force 1410`"
        );
        let root = permission_denied(1410, true);
        assert!(
            !root.contains("sudo") && root.contains("CAP_KILL"),
            "{root}"
        );
    }
}
