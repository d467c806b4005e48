//! The caller as the kill verdict needs it: gauth's uid and privileges, its
//! own pid and ancestors, and whether `/proc` is its PID namespace's.

/// What the verdict needs to know about the caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub uid: u32,
    /// May signal other users' processes (CAP_KILL; root has it).
    pub can_signal_others: bool,
    /// May read every process's fds (CAP_SYS_PTRACE; root normally has
    /// it): only then is a socket nobody visible holds really nobody's.
    pub sees_all_processes: bool,
    /// gauth's pid first, then its ancestors.
    pub self_and_ancestors: Vec<i32>,
    /// Why the ancestry could not be followed to its end, when it could not:
    /// then any holder might be an ancestor.
    pub ancestry_unverified: Option<String>,
    /// Why the proc root is not the `/proc` of gauth's PID namespace, when
    /// it is not (see [`super::foreign_proc`]): then its pids are not the
    /// ones gauth's signals reach, and every holder is protected.
    pub foreign_proc: Option<String>,
    pub port: u16,
    /// The caller's account SID on Windows, where processes have no uids
    /// (`None` elsewhere): looked up here, so that judging whose a process
    /// is reads nothing.
    pub sid: Option<String>,
}

impl Caller {
    /// The caller as this process sees itself.
    pub fn current(proc_root: &std::path::Path, port: u16) -> Caller {
        let ancestry = super::self_and_ancestors(proc_root);
        Caller {
            uid: super::current_uid(),
            can_signal_others: super::can_signal_others(proc_root),
            sees_all_processes: super::sees_all_processes(proc_root),
            self_and_ancestors: ancestry.pids,
            ancestry_unverified: ancestry.unverified,
            foreign_proc: super::foreign_proc(proc_root),
            port,
            #[cfg(windows)]
            sid: super::portable::current_sid(),
            #[cfg(not(windows))]
            sid: None,
        }
    }
}
