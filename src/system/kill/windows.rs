//! Ending port holders on Windows, which has no signals: each target is
//! opened once, its identity (creation time) and its socket are checked
//! through that handle, and the same handle is passed to `TerminateProcess`,
//! so a pid reused in between can never be hit. The exit is observed by
//! waiting on the handle, not assumed. Windows has no exec: a process's
//! image is fixed when it is created, so the creation time checked through
//! the handle pins the program too (`Target::program` is for Unix).
use super::{KILL_GRACE, Outcome, Target, ms};
use std::path::Path;
use std::time::{Duration, Instant};
use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER, FILETIME, GetLastError, HANDLE,
    WAIT_OBJECT_0,
};
use windows_sys::Win32::System::Threading::{
    GetExitCodeProcess, GetProcessTimes, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    PROCESS_SYNCHRONIZE, PROCESS_TERMINATE, TerminateProcess, WaitForSingleObject,
};

/// What the outcome calls the one "signal" Windows has.
const TERMINATED: &str = "TerminateProcess";
/// `STILL_ACTIVE`: what GetExitCodeProcess says of a running process.
const STILL_ACTIVE: u32 = 259;
/// The exit code the holder is given.
const EXIT_CODE: u32 = 1;

/// An open process handle, closed when dropped.
struct Process(HANDLE);

impl Drop for Process {
    fn drop(&mut self) {
        // SAFETY: the handle came from OpenProcess and is closed only here.
        unsafe { CloseHandle(self.0) };
    }
}

impl Process {
    fn open(pid: i32) -> Result<Process, Outcome> {
        let Ok(pid) = u32::try_from(pid) else {
            return Err(Outcome::AlreadyGone);
        };
        let access = PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_SYNCHRONIZE;
        // SAFETY: plain call; a null result is handled below.
        let h = unsafe { OpenProcess(access, 0, pid) };
        if !h.is_null() {
            return Ok(Process(h));
        }
        // SAFETY: reads the calling thread's last error.
        match unsafe { GetLastError() } {
            ERROR_INVALID_PARAMETER => Err(Outcome::AlreadyGone),
            ERROR_ACCESS_DENIED => Err(Outcome::Failed {
                error: "access denied; run gauth from an elevated prompt".into(),
            }),
            code => Err(Outcome::Failed {
                error: format!(
                    "OpenProcess({pid}): {}",
                    std::io::Error::from_raw_os_error(code as i32)
                ),
            }),
        }
    }

    /// Its creation time in whole seconds since the epoch: the same number
    /// sysinfo gave when the port was inspected (`Target::start_ticks`).
    fn started(&self) -> Option<u64> {
        let zero = FILETIME {
            dwLowDateTime: 0,
            dwHighDateTime: 0,
        };
        let (mut created, mut exited, mut kernel, mut user) = (zero, zero, zero, zero);
        // SAFETY: the handle is open with PROCESS_QUERY_LIMITED_INFORMATION;
        // the four FILETIMEs are valid for writing.
        let ok =
            unsafe { GetProcessTimes(self.0, &mut created, &mut exited, &mut kernel, &mut user) };
        if ok == 0 {
            return None;
        }
        let ticks = (u64::from(created.dwHighDateTime) << 32) | u64::from(created.dwLowDateTime);
        // 100 ns ticks since 1601, as sysinfo converts them.
        Some((ticks / 10_000_000).saturating_sub(11_644_473_600))
    }

    fn running(&self) -> bool {
        let mut code = 0u32;
        // SAFETY: the handle is open with PROCESS_QUERY_LIMITED_INFORMATION.
        let ok = unsafe { GetExitCodeProcess(self.0, &mut code) };
        ok != 0 && code == STILL_ACTIVE
    }

    /// Wait up to `limit` for it to exit.
    fn wait(&self, limit: Duration) -> bool {
        let ms = u32::try_from(limit.as_millis()).unwrap_or(u32::MAX);
        // SAFETY: the handle is open with SYNCHRONIZE.
        unsafe { WaitForSingleObject(self.0, ms) == WAIT_OBJECT_0 }
    }
}

/// Does the target still hold one of the port's sockets?
fn still_holds(t: &Target) -> bool {
    crate::system::net::portable::scan(t.port)
        .is_ok_and(|s| s.holdings.iter().any(|h| h.pid == t.pid))
}

/// Open the target and check, through the handle, that it is the process
/// inspected (same creation time) and still holds the port.
fn open_verified(t: &Target) -> Result<Process, Outcome> {
    let p = Process::open(t.pid)?;
    if !p.running() {
        return Err(Outcome::AlreadyGone);
    }
    match p.started() {
        None => Err(Outcome::Failed {
            error: format!("cannot read the start time of pid {}", t.pid),
        }),
        Some(s) if s != t.start_ticks => Err(Outcome::IdentityChanged),
        Some(_) if !still_holds(t) => Err(Outcome::AlreadyGone),
        Some(_) => Ok(p),
    }
}

/// End every target with `TerminateProcess` (there is no gentler signal to
/// send first, so `first` is not used), then wait up to `timeout` plus a
/// grace for each to exit. One outcome per target, in order. No SIGKILL
/// follows, so there is no wait to announce: `_on_wait` is never called.
pub fn terminate_all(
    _proc_root: &Path,
    targets: &[Target],
    _first: (i32, &'static str),
    timeout: Duration,
    _on_wait: &mut dyn FnMut(&[usize]),
) -> Vec<Outcome> {
    let started = Instant::now();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; targets.len()];
    let mut pending = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        match open_verified(target) {
            Err(outcome) => outcomes[index] = Some(outcome),
            Ok(p) => {
                // SAFETY: the handle is open with PROCESS_TERMINATE and still
                // names the process verified above.
                if unsafe { TerminateProcess(p.0, EXIT_CODE) } != 0 {
                    pending.push((index, p));
                } else if !p.running() {
                    outcomes[index] = Some(Outcome::AlreadyGone);
                } else {
                    outcomes[index] = Some(Outcome::Failed {
                        error: format!(
                            "TerminateProcess: {}; run gauth from an elevated prompt if it is another account's",
                            std::io::Error::last_os_error()
                        ),
                    });
                }
            }
        }
    }
    let deadline = started + timeout + KILL_GRACE;
    for (index, p) in pending {
        let left = deadline.saturating_duration_since(Instant::now());
        outcomes[index] = Some(if p.wait(left) {
            Outcome::Exited {
                signal: TERMINATED,
                escalated: false,
                released: false,
                rebound: false,
                waited_ms: ms(started.elapsed()),
            }
        } else {
            Outcome::Survived {
                waited_ms: ms(started.elapsed()),
            }
        });
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::AlreadyGone))
        .collect()
}
