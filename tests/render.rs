//! Snapshots of the human (with and without colour) and JSON renderings, on
//! reports built by hand so that pids, ports and times are fixed.
use gauth::commands::free_port::{Action, Report, Status};
use gauth::output::{Paint, free_port::render_result, free_port::render_state, to_json};
use gauth::port::bind::{BindCheck, BindResult};
use gauth::port::state::{Holder, Listener, PortState, TimeWait};
use gauth::port::{Family, Socket, SocketSource, TcpState};
use gauth::process::ProcessInfo;
use gauth::process::kill::Outcome;
use gauth::process::verdict::{Caller, OnPort, judge};

fn r_process() -> ProcessInfo {
    ProcessInfo {
        pid: 16664,
        name: "R".into(),
        exe: Some("/usr/lib/R/bin/exec/R".into()),
        cmdline: vec![
            "/usr/lib/R/bin/exec/R".into(),
            "--no-echo".into(),
            "--no-restore".into(),
            "--file=auth.R".into(),
        ],
        uid: Some(1000),
        user: Some("jenny".into()),
        sid: None,
        state: "S".into(),
        ppid: 1,
        parent_name: Some("systemd".into()),
        parent_gone: true,
        tty: None,
        start_ticks: 123_456,
        started_at: Some(1_700_000_000),
        age_seconds: Some(3 * 86400 + 100),
        service: None,
        loaded: vec!["httpuv".into()],
    }
}

fn node_process() -> ProcessInfo {
    ProcessInfo {
        pid: 2001,
        name: "node".into(),
        exe: Some("/usr/bin/node".into()),
        cmdline: vec!["node".into(), "server.js".into()],
        ppid: 1990,
        parent_name: Some("bash".into()),
        parent_gone: false,
        age_seconds: Some(600),
        loaded: vec![],
        ..r_process()
    }
}

fn caller() -> Caller {
    Caller {
        uid: 1000,
        can_signal_others: false,
        sees_all_processes: false,
        ancestry_unverified: None,
        self_and_ancestors: vec![3000, 2999, 1],
        port: 1410,
    }
}

fn socket(addr: &str, inode: u64) -> Socket {
    let address: std::net::IpAddr = addr.parse().unwrap();
    Socket {
        family: if address.is_ipv4() {
            Family::Ipv4
        } else {
            Family::Ipv6
        },
        address,
        port: 1410,
        state: TcpState::Listen,
        uid: Some(1000),
        inode,
        expires: None,
        remote: None,
    }
}

fn holder(p: ProcessInfo, on: &str, inode: u64) -> Holder {
    let listening = vec![on.parse::<std::net::SocketAddr>().unwrap().ip()];
    let verdict = judge(
        &p,
        &OnPort {
            listening,
            connections: 0,
        },
        &caller(),
    );
    Holder {
        process: p,
        listening_on: vec![on.into()],
        connections: vec![],
        via_thread: false,
        verdict,
        inodes: vec![inode],
    }
}

fn held_state() -> PortState {
    PortState {
        port: 1410,
        listeners: vec![
            Listener {
                socket: socket("127.0.0.1", 11),
                user: Some("jenny".into()),
                pids: vec![16664],
            },
            Listener {
                socket: socket("::1", 12),
                user: Some("jenny".into()),
                pids: vec![2001],
            },
        ],
        connections: vec![],
        holders: vec![
            holder(r_process(), "127.0.0.1:1410", 11),
            holder(node_process(), "[::1]:1410", 12),
        ],
        time_wait: None,
        unreadable_processes: 0,
        source: Some(SocketSource::Netlink),
        source_note: None,
        sees_all_processes: false,
    }
}

fn report(
    state: PortState,
    actions: Vec<Action>,
    status: Status,
    summary: &str,
    bind: Vec<BindCheck>,
) -> Report {
    let free = matches!(status, Status::Free);
    Report {
        schema_version: 1,
        dry_run: false,
        status,
        free,
        summary: summary.into(),
        still_listening: if free {
            vec![]
        } else {
            vec!["[::1]:1410".into()]
        },
        state,
        actions,
        now_held_by: vec![],
        bind,
    }
}

fn ok_binds() -> Vec<BindCheck> {
    vec![
        BindCheck {
            address: "127.0.0.1:1410".into(),
            result: BindResult::Ok,
        },
        BindCheck {
            address: "[::1]:1410".into(),
            result: BindResult::Ok,
        },
    ]
}

fn partial_report() -> Report {
    report(
        held_state(),
        vec![
            Action::Signalled { outcome: Outcome::Exited { signal: "SIGTERM", escalated: false, rebound: false, waited_ms: 120 } },
            Action::Refused {
                reason: "not expendable: node is not a known auth helper (R, Python); pass --force to kill it anyway".into(),
            },
        ],
        Status::Held,
        "port 1410 is still held by node (pid 2001): not expendable: node is not a known auth helper (R, Python); pass --force to kill it anyway",
        vec![
            BindCheck { address: "127.0.0.1:1410".into(), result: BindResult::Ok },
            BindCheck { address: "[::1]:1410".into(), result: BindResult::InUse },
        ],
    )
}

#[test]
fn human_state_plain() {
    insta::assert_snapshot!(render_state(&held_state(), Paint::new(false), false));
}

#[test]
fn human_state_verbose() {
    insta::assert_snapshot!(render_state(&held_state(), Paint::new(false), true));
}

#[test]
fn human_state_colour() {
    insta::assert_snapshot!(render_state(&held_state(), Paint::new(true), false));
}

#[test]
fn human_result_partial() {
    insta::assert_snapshot!(render_result(&partial_report(), Paint::new(false)));
}

#[test]
fn human_result_colour() {
    insta::assert_snapshot!(render_result(&partial_report(), Paint::new(true)));
}

#[test]
fn human_result_escalated_and_free() {
    let mut state = held_state();
    state.holders.truncate(1);
    state.listeners.truncate(1);
    let r = report(
        state,
        vec![Action::Signalled {
            outcome: Outcome::Exited {
                signal: "SIGKILL",
                escalated: true,
                rebound: false,
                waited_ms: 3012,
            },
        }],
        Status::Free,
        "port 1410 is free now",
        ok_binds(),
    );
    insta::assert_snapshot!(render_result(&r, Paint::new(false)));
}

/// A holder that took the port again after SIGTERM (SIGKILLed), and a
/// replacement that appeared meanwhile (named, judged, not signalled).
#[test]
fn human_result_rebound_and_now_held_by() {
    let mut state = held_state();
    state.holders.truncate(1);
    state.listeners.truncate(1);
    let mut r = report(
        state,
        vec![Action::Signalled {
            outcome: Outcome::Exited {
                signal: "SIGKILL",
                escalated: true,
                rebound: true,
                waited_ms: 260,
            },
        }],
        Status::Held,
        "port 1410 is now held by node (pid 2001): not expendable: node is not a known auth helper (R, Python)",
        vec![],
    );
    r.now_held_by = vec![holder(node_process(), "127.0.0.1:1410", 13)];
    insta::assert_snapshot!(render_result(&r, Paint::new(false)));
}

#[test]
fn human_time_wait() {
    let state = PortState {
        listeners: vec![],
        connections: vec![],
        holders: vec![],
        time_wait: Some(TimeWait {
            count: 2,
            expires_in_seconds: 41,
        }),
        ..held_state()
    };
    let r = report(
        state,
        vec![],
        Status::TimeWait,
        "port 1410 has no listener, only 2 connections in TIME_WAIT: nothing to kill; binding fails until they expire (within 41 s)",
        vec![BindCheck {
            address: "127.0.0.1:1410".into(),
            result: BindResult::InUse,
        }],
    );
    insta::assert_snapshot!(format!(
        "{}{}",
        render_state(&r.state, Paint::new(false), false),
        render_result(&r, Paint::new(false))
    ));
}

#[test]
fn human_invisible_owner() {
    let mut state = held_state();
    state.holders.clear();
    state.listeners.truncate(1);
    state.listeners[0].pids.clear();
    state.listeners[0].user = Some("root".into());
    state.listeners[0].socket.uid = Some(0);
    state.unreadable_processes = 57;
    let r = report(
        state,
        vec![],
        Status::Held,
        "port 1410 is held by a process of root that gauth cannot see; run `sudo gauth free-port 1410`",
        vec![BindCheck {
            address: "127.0.0.1:1410".into(),
            result: BindResult::InUse,
        }],
    );
    insta::assert_snapshot!(format!(
        "{}{}",
        render_state(&r.state, Paint::new(false), false),
        render_result(&r, Paint::new(false))
    ));
}

#[test]
fn json_report() {
    insta::assert_snapshot!(to_json(&partial_report()));
}
