//! Describing a process through sysinfo: what gauth uses where there is no
//! `/proc` (macOS, the BSDs). On Linux it is compiled too and cross-checked
//! against the `/proc` reader by the integration tests. It refreshes only
//! the pids asked for (a full refresh costs 130–190 ms at 2,000 processes).
use super::{INIT_LIKE, ProcessInfo, user_name};
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
    let parent_name = p.parent().and_then(|pp| {
        refresh(&mut sys, &[pp]);
        sys.process(pp)
            .map(|pp| pp.name().to_string_lossy().into_owned())
    });
    let p = sys.process(me)?;
    let name = p.name().to_string_lossy().into_owned();
    let exe = p.exe().map(|e| e.to_string_lossy().into_owned());
    let uid = p.user_id().map(|u| **u);
    let started_at = Some(p.start_time());
    Some(ProcessInfo {
        pid,
        cmdline: p
            .cmd()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        user: uid.and_then(user_name),
        uid,
        state: format!("{:?}", p.status())
            .chars()
            .next()
            .map_or("?".into(), |c| c.to_string()),
        ppid,
        parent_gone: ppid <= 1
            || parent_name
                .as_deref()
                .is_some_and(|n| INIT_LIKE.contains(&n)),
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

/// The start time (whole seconds) of `pid`, to re-verify identity.
pub fn start_time(pid: i32) -> Option<u64> {
    let mut sys = System::new().ok()?;
    let me = Pid::from_u32(u32::try_from(pid).ok()?);
    refresh(&mut sys, &[me]);
    sys.process(me).map(sysinfo::Process::start_time)
}

/// The parent of `pid`.
pub fn parent(pid: i32) -> Option<i32> {
    let mut sys = System::new().ok()?;
    let me = Pid::from_u32(u32::try_from(pid).ok()?);
    refresh(&mut sys, &[me]);
    sys.process(me)?.parent().map(|p| p.as_u32() as i32)
}
