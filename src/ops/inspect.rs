//! What holds a port right now, gathered from the system: its sockets, the
//! processes holding them and a verdict on each. Shared by free-port, doctor
//! and login; the types are [`crate::decide::port`]'s.
use crate::decide::verdict::{self, Caller, OnPort};
use crate::system::net::Socket;
use crate::system::proc;
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
