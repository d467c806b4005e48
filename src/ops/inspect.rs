//! What holds a port right now, gathered from the system: its sockets, the
//! processes holding them and a verdict on each. Shared by free-port, doctor
//! and login; the types are [`crate::decide::port`]'s.
use crate::decide::verdict::{self, Caller, OnPort};
use crate::system::net::Socket;
use crate::system::proc;
use crate::text::escape::esc;
use std::path::Path;

pub use crate::decide::port::{Holder, Listener, PortState, TimeWait};

/// Inspect `port`: sockets, holders, verdicts.
pub fn inspect(
    proc_root: &Path,
    port: u16,
    caller: &Caller,
    now_unix: u64,
) -> anyhow::Result<PortState> {
    let scan = crate::system::net::scan(port, proc_root)?;
    let mut holders = Vec::new();
    for h in &scan.holdings {
        let Some(info) = proc::describe(proc_root, h.pid, now_unix) else {
            continue;
        };
        let listening: Vec<&Socket> = scan
            .listeners
            .iter()
            .filter(|s| h.inodes.contains(&s.inode))
            .collect();
        let connections: Vec<String> = scan
            .connections
            .iter()
            .filter(|s| h.inodes.contains(&s.inode))
            .map(Socket::describe)
            .collect();
        let on = OnPort {
            listening: listening.iter().map(|s| s.address).collect(),
            connections: connections.len(),
        };
        let verdict = verdict::judge(&info, &on, caller);
        holders.push(Holder {
            id: crate::decide::port::holder_id(&info),
            process: info,
            listening_on: listening.iter().map(|s| s.endpoint()).collect(),
            connections,
            via_thread: h.via_task,
            verdict,
            inodes: h.inodes.clone(),
        });
    }
    let with_holders = |socks: &[Socket]| -> Vec<Listener> {
        socks
            .iter()
            .map(|s| Listener {
                socket: s.clone(),
                // The holders' user names are known already: one NSS lookup less.
                user: holders
                    .iter()
                    .find(|h| {
                        if s.uid.is_some() {
                            h.process.uid == s.uid
                        } else {
                            h.inodes.contains(&s.inode)
                        }
                    })
                    .and_then(|h| h.process.user.clone())
                    .or_else(|| s.uid.and_then(proc::user_name)),
                pids: holders
                    .iter()
                    .filter(|h| h.inodes.contains(&s.inode))
                    .map(|h| h.process.pid)
                    .collect(),
            })
            .collect()
    };
    let listeners = with_holders(&scan.listeners);
    let connections = with_holders(&scan.connections);
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
        connections,
        holders,
        time_wait,
        unreadable_processes: scan.unreadable,
        source: scan.source,
        source_note: scan.fallback_reason.clone(),
        sees_all_processes: caller.sees_all_processes,
        caller_is_root: caller.uid == 0,
    })
}

/// Is `p` a `gauth login` (its listener waits for its own browser)? By
/// the program it runs — its executable is named `gauth` (`gauth.exe`), or
/// is this very gauth — and its subcommand: used for wording and to keep
/// kill advice away from it, never to decide a kill. Not by its name:
/// `comm` and argv are the process's own to rewrite (`prctl(PR_SET_NAME)`,
/// its argv memory), the executable is the kernel's record of what it ran.
/// Another user's executable cannot be read without privilege: then it is
/// not called a gauth login (it is named by its name, owner and verdict).
pub fn is_gauth_login(p: &crate::system::proc::ProcessInfo) -> bool {
    let Some(exe) = p.exe.as_deref() else {
        return false;
    };
    let file = exe.trim_end_matches(" (deleted)");
    let this_gauth = std::env::current_exe()
        .ok()
        .is_some_and(|me| me.as_os_str() == std::ffi::OsStr::new(file));
    let named_gauth = {
        let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
        crate::system::proc::program_name(base) == "gauth"
    };
    (this_gauth || named_gauth) && p.cmdline.iter().skip(1).any(|a| a == "login")
}

/// Whose `p` is, when it is not the caller's (`uid`): the user's name, else
/// `uid N`, else `another user`. `None`: the caller's own.
pub fn other_owner(p: &crate::system::proc::ProcessInfo, uid: u32) -> Option<String> {
    if crate::system::proc::owned_by_caller(p, uid) {
        return None;
    }
    Some(
        p.user
            .clone()
            .or_else(|| p.uid.map(|u| format!("uid {u}")))
            .unwrap_or_else(|| "another user".into()),
    )
}

/// A holder of the port, as a person would name it: `R (pid 12)`,
/// `another gauth login (pid 40)` (the caller's), or `a gauth login of
/// nobody (pid 41)` (another user's). `uid`: the caller's.
pub fn holder_label(h: &Holder, uid: u32) -> String {
    if is_gauth_login(&h.process) {
        match other_owner(&h.process, uid) {
            None => format!("another gauth login (pid {})", h.process.pid),
            Some(who) => format!("a gauth login of {who} (pid {})", h.process.pid),
        }
    } else {
        format!("{} (pid {})", h.process.name, h.process.pid)
    }
}

/// Who holds the port, when a live process does (a visible holder, or a
/// socket whose owner gauth cannot see); TIME_WAIT alone is nobody.
pub fn port_holder(state: &PortState, uid: u32) -> Option<String> {
    if let Some(h) = state.holders.first() {
        return Some(holder_label(h, uid));
    }
    state.invisible().next().map(|l| {
        let who = l
            .user
            .clone()
            .or_else(|| l.socket.uid.map(|u| format!("uid {u}")));
        match who {
            Some(who) => format!("a process of {who} that gauth cannot see"),
            None => "a process gauth cannot see".to_owned(),
        }
    })
}
/// Who holds a taken port, for a message, and whether free-port's prompt
/// could free it.
pub struct Held {
    /// ` by R (pid 12): not expendable: …`, ` by another gauth login (pid
    /// 40), …`, or nothing when it cannot be told.
    pub by: String,
    /// Every holder looks expendable: worth asking to free it. Otherwise
    /// free-port would only refuse, and its advice (`--force`) is for
    /// `gauth free-port`, not for this login.
    pub expendable: bool,
}

pub fn held(env: &crate::system::env::Env, port: u16) -> Held {
    use crate::decide::verdict::Class;
    let caller = crate::decide::verdict::Caller::current(&env.proc_root, port);
    let Ok(state) =
        crate::ops::inspect::inspect(&env.proc_root, port, &caller, crate::system::now_unix())
    else {
        // free-port's own run says what it cannot see.
        return Held {
            by: String::new(),
            expendable: true,
        };
    };
    let by = match state.holders.first() {
        Some(h) if crate::ops::inspect::is_gauth_login(&h.process) => {
            let label = esc(&crate::ops::inspect::holder_label(h, caller.uid));
            match crate::ops::inspect::other_owner(&h.process, caller.uid) {
                None => format!(
                    " by {label}, which waits for its own browser (it ends by itself at its --timeout; Ctrl-C where it runs ends it now)"
                ),
                // Not the caller's terminal, not the caller's to end.
                Some(owner) => format!(
                    " by {label}, which waits for its own browser (it ends by itself at its --timeout; it is {}'s to end, not yours)",
                    esc(&owner)
                ),
            }
        }
        Some(h) => format!(
            " by {} (pid {}): {}",
            esc(&h.process.name),
            h.process.pid,
            esc(&h.verdict.summary)
        ),
        None => crate::ops::inspect::port_holder(&state, caller.uid)
            .map(|w| format!(" by {}", esc(&w)))
            .unwrap_or_default(),
    };
    Held {
        by,
        expendable: !state.holders.is_empty()
            && state.invisible().next().is_none()
            && state
                .holders
                .iter()
                .all(|h| h.verdict.class == Class::Expendable),
    }
}
