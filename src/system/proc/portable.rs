//! Describing a process through sysinfo: what gauth uses where there is no
//! `/proc` (macOS, Windows, the BSDs). On Linux it is compiled too and
//! cross-checked against the `/proc` reader by the integration tests. It
//! refreshes only the pids asked for (a full refresh costs 130–190 ms at
//! 2,000 processes). Owners are uids on Unix and accounts (SIDs) on Windows.
use super::{INIT_LIKE, ProcessInfo, Program, user_name};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

fn refresh(sys: &mut System, pids: &[Pid]) {
    let kind = ProcessRefreshKind::nothing()
        .with_cmd(UpdateKind::Always)
        .with_exe(UpdateKind::Always)
        .with_user(UpdateKind::Always)
        .without_tasks();
    sys.refresh_processes_specifics(ProcessesToUpdate::Some(pids), true, kind);
}

/// Describe `pid`; `None` when it is gone. Without `/proc` the identity is
/// the start time in whole seconds (coarser than Linux's clock ticks).
pub fn describe(pid: i32, now_unix: u64) -> Option<ProcessInfo> {
    let mut sys = System::new().ok()?;
    let me = Pid::from_u32(u32::try_from(pid).ok()?);
    refresh(&mut sys, &[me]);
    let p = sys.process(me)?;
    let ppid = p.parent().map_or(0, |pp| pp.as_u32() as i32);
    let started = p.start_time();
    let parent = p.parent().and_then(|pp| {
        refresh(&mut sys, &[pp]);
        sys.process(pp)
            .map(|pp| (pp.name().to_string_lossy().into_owned(), pp.start_time()))
    });
    let p = sys.process(me)?;
    let name = p.name().to_string_lossy().into_owned();
    let Program { exe, cmdline } = program(p);
    let owner = owner(p);
    let started_at = Some(started);
    let parent_gone = parent_gone(ppid, parent.as_ref(), started);
    let parent_name = parent.map(|(n, _)| n);
    Some(ProcessInfo {
        pid,
        cmdline,
        uid: owner.uid,
        user: owner.user,
        sid: owner.sid,
        state: format!("{:?}", p.status())
            .chars()
            .next()
            .map_or("?".into(), |c| c.to_string()),
        ppid,
        parent_gone,
        parent_name,
        // sysinfo does not report the controlling terminal.
        tty: None,
        start_ticks: p.start_time(),
        started_at,
        age_seconds: started_at.map(|s| now_unix.saturating_sub(s)),
        service: None,
        // Mapped libraries are not available portably.
        loaded: Vec::new(),
        name,
        exe,
    })
}

fn program(p: &sysinfo::Process) -> Program {
    Program {
        exe: p.exe().map(|e| e.to_string_lossy().into_owned()),
        cmdline: p
            .cmd()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    }
}

/// `pid`'s start time (whole seconds), program and whether it has exited,
/// right before a signal (Unix: Windows has no exec, see `kill/windows.rs`).
#[cfg(unix)]
pub fn now(pid: i32) -> Option<super::Now> {
    let mut sys = System::new().ok()?;
    let me = Pid::from_u32(u32::try_from(pid).ok()?);
    refresh(&mut sys, &[me]);
    let p = sys.process(me)?;
    let program = program(p);
    Some(super::Now {
        start_ticks: p.start_time(),
        exiting: p.status() == sysinfo::ProcessStatus::Zombie
            || program.exe.is_none() && program.cmdline.is_empty(),
        program,
    })
}

/// The start time (whole seconds) of `pid`, to re-verify identity.
pub fn start_time(pid: i32) -> Option<u64> {
    let mut sys = System::new().ok()?;
    let me = Pid::from_u32(u32::try_from(pid).ok()?);
    refresh(&mut sys, &[me]);
    sys.process(me).map(sysinfo::Process::start_time)
}

/// Is `pid` a zombie (exited, not yet reaped)?
pub fn is_zombie(pid: i32) -> bool {
    let Some(mut sys) = System::new().ok() else {
        return false;
    };
    let Ok(me) = u32::try_from(pid).map(Pid::from_u32) else {
        return false;
    };
    refresh(&mut sys, &[me]);
    sys.process(me)
        .is_some_and(|p| p.status() == sysinfo::ProcessStatus::Zombie)
}

/// The parent of `pid`.
pub fn parent(pid: i32) -> Option<i32> {
    let mut sys = System::new().ok()?;
    let me = Pid::from_u32(u32::try_from(pid).ok()?);
    refresh(&mut sys, &[me]);
    sys.process(me)?.parent().map(|p| p.as_u32() as i32)
}

/// Has the process lost the parent that started it? On Unix an orphan is
/// adopted by PID 1 or an init-like subreaper. Windows never reparents: the
/// parent pid stays, so the parent is gone when that pid no longer exists or
/// belongs to a process started after the child (the pid was reused).
fn parent_gone(ppid: i32, parent: Option<&(String, u64)>, started: u64) -> bool {
    if cfg!(windows) {
        return match parent {
            None => true,
            Some((_, parent_started)) => *parent_started > started,
        };
    }
    ppid <= 1 || parent.is_some_and(|(n, _)| INIT_LIKE.contains(&n.as_str()))
}

struct Owner {
    uid: Option<u32>,
    user: Option<String>,
    sid: Option<String>,
}

#[cfg(not(windows))]
fn owner(p: &sysinfo::Process) -> Owner {
    let uid = p.user_id().map(|u| **u);
    Owner {
        uid,
        user: uid.and_then(user_name),
        sid: None,
    }
}

/// A Windows account: its SID, and `DOMAIN\\name` when the account
/// database knows it (else the SID stands in for the name). Never a uid.
/// The name is looked up for this one SID (`LookupAccountSidW`), not
/// through sysinfo's `Users`, which enumerates every account (and trips a
/// null-buffer check when there are none, as under wine).
#[cfg(windows)]
fn owner(p: &sysinfo::Process) -> Owner {
    let _ = user_name;
    let sid = p.user_id().map(sid_text);
    let name = sid.as_deref().and_then(account_name);
    Owner {
        uid: None,
        user: name.or_else(|| sid.clone()),
        sid,
    }
}

/// `DOMAIN\\name` for a SID in text form.
#[cfg(windows)]
fn account_name(sid: &str) -> Option<String> {
    use windows_sys::Win32::Foundation::LocalFree;
    use windows_sys::Win32::Security::Authorization::ConvertStringSidToSidW;
    use windows_sys::Win32::Security::{LookupAccountSidW, PSID, SID_NAME_USE};
    let wide: Vec<u16> = sid.encode_utf16().chain(std::iter::once(0)).collect();
    let mut psid: PSID = std::ptr::null_mut();
    // SAFETY: `wide` is NUL-terminated; on success `psid` is a LocalAlloc'd
    // SID freed below.
    if unsafe { ConvertStringSidToSidW(wide.as_ptr(), &mut psid) } == 0 {
        return None;
    }
    let mut name = [0u16; 256];
    let mut domain = [0u16; 256];
    let (mut name_len, mut domain_len) = (name.len() as u32, domain.len() as u32);
    let mut kind: SID_NAME_USE = 0;
    // SAFETY: the buffers and their lengths (in characters) match; `psid`
    // is a valid SID.
    let ok = unsafe {
        LookupAccountSidW(
            std::ptr::null(),
            psid,
            name.as_mut_ptr(),
            &mut name_len,
            domain.as_mut_ptr(),
            &mut domain_len,
            &mut kind,
        )
    };
    // SAFETY: allocated by ConvertStringSidToSidW, freed once.
    unsafe { LocalFree(psid) };
    if ok == 0 {
        return None;
    }
    let text = |b: &[u16], n: u32| String::from_utf16_lossy(&b[..(n as usize).min(b.len())]);
    let (name, domain) = (text(&name, name_len), text(&domain, domain_len));
    Some(if domain.is_empty() {
        name
    } else {
        format!("{domain}\\{name}")
    })
}

/// `S-1-5-21-…`: sysinfo's Windows `Uid` is a SID that displays so.
#[cfg(windows)]
fn sid_text(id: &sysinfo::Uid) -> String {
    (**id).to_string()
}

/// The SID of the account gauth runs as (Windows), looked up once.
#[cfg(windows)]
pub fn current_sid() -> Option<String> {
    static SID: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SID.get_or_init(|| {
        let me = sysinfo::get_current_pid().ok()?;
        let mut sys = System::new().ok()?;
        refresh(&mut sys, &[me]);
        sys.process(me)?.user_id().map(sid_text)
    })
    .clone()
}

/// Does gauth run elevated (an administrator's full token)? Only then may
/// it end other accounts' processes.
#[cfg(windows)]
pub fn elevated() -> bool {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::Security::{
        GetTokenInformation, TOKEN_ELEVATION, TOKEN_QUERY, TokenElevation,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no
    // closing; OpenProcessToken writes a handle into `token` only on
    // success, and it is closed below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return false;
    }
    let mut elevation = TOKEN_ELEVATION { TokenIsElevated: 0 };
    let mut len = 0u32;
    // SAFETY: `elevation` is a TOKEN_ELEVATION of the size passed; `token`
    // is a valid token handle opened above.
    let ok = unsafe {
        GetTokenInformation(
            token,
            TokenElevation,
            (&raw mut elevation).cast(),
            std::mem::size_of::<TOKEN_ELEVATION>() as u32,
            &mut len,
        )
    };
    // SAFETY: `token` was opened above and is closed once.
    unsafe { CloseHandle(token) };
    ok != 0 && elevation.TokenIsElevated != 0
}
