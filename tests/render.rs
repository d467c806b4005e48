//! Snapshots of the human (with and without colour) and JSON renderings, on
//! port states built by hand so that pids, ports and times are fixed; the
//! reports on them (status, summary, refusals) come from the real code.
mod common;
use common::fixtures::{self, free_state, socket};
use gauth::decide::verdict::Caller;
use gauth::ops::free_port::{Action, Options, Report, decide};
use gauth::ops::inspect::{Holder, Listener, PortState, TimeWait};
use gauth::render::free_port::{confirm_question, render_result, render_state, waiting_line};
use gauth::render::{Paint, to_json};
use gauth::system::kill::Outcome;
use gauth::system::net::bind::{BindCheck, BindResult};
use gauth::system::proc::ProcessInfo;

/// Three days old, started by `Rscript auth.R`.
fn r_process() -> ProcessInfo {
    ProcessInfo {
        cmdline: vec![
            "/usr/lib/R/bin/exec/R".into(),
            "--no-echo".into(),
            "--no-restore".into(),
            "--file=auth.R".into(),
        ],
        start_ticks: 123_456,
        age_seconds: Some(3 * 86400 + 100),
        ..fixtures::r_process(16664, 1000, "jenny")
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
        foreign_proc: None,
        self_and_ancestors: vec![3000, 2999, 1],
        port: 1410,
        sid: None,
    }
}

fn holder(p: ProcessInfo, on: &str, inode: u64) -> Holder {
    fixtures::holder(p, on, inode, &caller())
}

fn held_state() -> PortState {
    PortState {
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
        holders: vec![
            holder(r_process(), "127.0.0.1:1410", 11),
            holder(node_process(), "[::1]:1410", 12),
        ],
        ..free_state(1410)
    }
}

/// The report the real code makes on `state`, after `actions`, with the
/// port as found again afterwards (`after`).
fn report(
    state: PortState,
    after: Option<PortState>,
    actions: Vec<Action>,
    bind: Vec<BindCheck>,
) -> Report {
    Report::new(false, state, after, actions, bind)
}

/// `gauth free-port --yes 1410`.
fn opts_yes() -> Options {
    Options {
        port: 1410,
        dry_run: false,
        yes: true,
        force: false,
        signal: (15, "SIGTERM"),
        timeout: std::time::Duration::from_secs(3),
        interactive: false,
        only: Vec::new(),
    }
}

/// `state` without the holders and sockets of `pids` (they exited).
fn without(state: &PortState, pids: &[i32]) -> PortState {
    let mut s = state.clone();
    s.holders.retain(|h| !pids.contains(&h.process.pid));
    s.listeners
        .retain(|l| !l.pids.iter().any(|p| pids.contains(p)));
    s
}

fn ok_binds() -> Vec<BindCheck> {
    fixtures::ok_binds(1410)
}

/// R exited on SIGTERM; node was refused (not expendable without --force).
fn partial_report() -> Report {
    let state = held_state();
    let refused = decide(&state.holders[1], &opts_yes()).expect("refused without asking");
    let after = without(&state, &[16664]);
    report(
        state,
        Some(after),
        vec![
            Action::Signalled {
                outcome: Outcome::Exited {
                    signal: "SIGTERM",
                    escalated: false,
                    released: false,
                    rebound: false,
                    waited_ms: 120,
                },
            },
            refused,
        ],
        vec![
            BindCheck {
                address: "127.0.0.1:1410".into(),
                result: BindResult::Ok,
            },
            BindCheck {
                address: "[::1]:1410".into(),
                result: BindResult::InUse,
            },
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
    let after = without(&state, &[16664]);
    let r = report(
        state,
        Some(after),
        vec![Action::Signalled {
            outcome: Outcome::Exited {
                signal: "SIGKILL",
                escalated: true,
                released: false,
                rebound: false,
                waited_ms: 3012,
            },
        }],
        ok_binds(),
    );
    insta::assert_snapshot!(render_result(&r, Paint::new(false)));
}

/// A holder that let go of the port on SIGTERM but ran on until the
/// timeout's SIGKILL: it is dealt with by its exit, not by letting go.
#[test]
fn human_result_released_then_killed() {
    let mut state = held_state();
    state.holders.truncate(1);
    state.listeners.truncate(1);
    let after = without(&state, &[16664]);
    let r = report(
        state,
        Some(after),
        vec![Action::Signalled {
            outcome: Outcome::Exited {
                signal: "SIGKILL",
                escalated: true,
                released: true,
                rebound: false,
                waited_ms: 3004,
            },
        }],
        ok_binds(),
    );
    insta::assert_snapshot!(render_result(&r, Paint::new(false)));
}

/// A holder that exec'd another program between the verdict and the
/// signal: nothing sent; what runs now is named with its own verdict.
#[test]
fn human_result_program_changed() {
    let mut state = held_state();
    state.holders.truncate(1);
    state.listeners.truncate(1);
    let mut after = state.clone();
    let sleep = ProcessInfo {
        name: "sleep".into(),
        exe: Some("/usr/bin/sleep".into()),
        cmdline: vec!["sleep".into(), "3600".into()],
        loaded: vec![],
        ..r_process()
    };
    after.holders = vec![holder(sleep, "127.0.0.1:1410", 11)];
    let r = report(
        state,
        Some(after),
        vec![Action::Signalled {
            outcome: Outcome::ProgramChanged {
                sent: None,
                exe: Some("/usr/bin/sleep".into()),
                cmdline: vec!["sleep".into(), "3600".into()],
            },
        }],
        vec![BindCheck {
            address: "127.0.0.1:1410".into(),
            result: BindResult::InUse,
        }],
    );
    insta::assert_snapshot!(render_result(&r, Paint::new(false)));
    assert_eq!(r.now_held_by.len(), 1, "what runs now was never judged");
    let json = to_json(&r);
    assert!(
        json.contains(r#""result": "program_changed""#) && json.contains(r#""sent": null"#),
        "{json}"
    );
}

/// Windows has no signal to send first: a holder ended by TerminateProcess
/// is "terminated", not "exited after" a signal.
#[test]
fn human_result_terminated_on_windows() {
    let mut state = held_state();
    state.holders.truncate(1);
    state.listeners.truncate(1);
    let after = without(&state, &[16664]);
    let r = report(
        state,
        Some(after),
        vec![Action::Signalled {
            outcome: Outcome::Exited {
                signal: "TerminateProcess",
                escalated: false,
                released: false,
                rebound: false,
                waited_ms: 40,
            },
        }],
        ok_binds(),
    );
    let text = render_result(&r, Paint::new(false));
    assert!(text.contains("R (pid 16664) terminated (0.0 s)"), "{text}");
    assert!(!text.contains("exited after"), "{text}");
}

/// A holder that took the port again after SIGTERM (SIGKILLed), and a
/// replacement that appeared meanwhile (named, judged, not signalled).
#[test]
fn human_result_rebound_and_now_held_by() {
    let mut state = held_state();
    state.holders.truncate(1);
    state.listeners.truncate(1);
    // R is gone; node took 127.0.0.1:1410 meanwhile.
    let mut after = without(&state, &[16664]);
    after.listeners.push(Listener {
        socket: socket("127.0.0.1", 13),
        user: Some("jenny".into()),
        pids: vec![2001],
    });
    after
        .holders
        .push(holder(node_process(), "127.0.0.1:1410", 13));
    let r = report(
        state,
        Some(after),
        vec![Action::Signalled {
            outcome: Outcome::Exited {
                signal: "SIGKILL",
                escalated: true,
                released: true,
                rebound: true,
                waited_ms: 260,
            },
        }],
        vec![BindCheck {
            address: "127.0.0.1:1410".into(),
            result: BindResult::InUse,
        }],
    );
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
        None,
        vec![],
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

/// Unix: another user's process that gauth cannot see (sudo shows it).
#[cfg(unix)]
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
        None,
        vec![],
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

/// Windows: a socket whose owning process Windows does not name (pid 0)
/// has an unknown owner; no sudo, no uid, nothing to kill.
#[cfg(windows)]
#[test]
fn human_invisible_owner_on_windows() {
    let mut state = held_state();
    state.holders.clear();
    state.listeners.truncate(1);
    state.listeners[0].pids.clear();
    state.listeners[0].user = None;
    state.listeners[0].socket.uid = None;
    let r = report(
        state,
        None,
        vec![],
        vec![BindCheck {
            address: "127.0.0.1:1410".into(),
            result: BindResult::InUse,
        }],
    );
    let text = format!(
        "{}{}",
        render_state(&r.state, Paint::new(false), false),
        render_result(&r, Paint::new(false))
    );
    assert!(
        text.contains("whose owning process Windows does not name (pid 0): its owner is unknown"),
        "{text}"
    );
    assert!(!text.contains("sudo") && !text.contains("uid "), "{text}");
}

#[test]
fn json_report() {
    insta::assert_snapshot!(to_json(&partial_report()));
}

#[test]
fn one_question_and_one_wait_line_name_every_holder_escaped() {
    let mut hostile = node_process();
    hostile.name = "ev\x1b[2Jil".into();
    let r = holder(r_process(), "127.0.0.1:1410", 11);
    let h = holder(hostile, "127.0.0.1:1410", 12);
    assert_eq!(confirm_question(&[&r]), "\nKill R (pid 16664)? [y/N] ");
    assert_eq!(
        confirm_question(&[&r, &h]),
        "\nKill these 2 processes (R pid 16664, ev\\e[2Jil pid 2001)? [y/N] "
    );
    assert_eq!(
        waiting_line(&[&r, &h], "SIGTERM", std::time::Duration::from_millis(2500)),
        "SIGTERM sent; waiting up to 2.5 s for R (pid 16664), ev\\e[2Jil (pid 2001) to exit before SIGKILL…\n"
    );
}

/// Root without CAP_SYS_PTRACE (a container that drops it): jenny's holder
/// is invisible, and sudo would not help.
#[cfg(unix)]
#[test]
fn human_invisible_owner_to_root_without_cap_sys_ptrace() {
    let mut state = held_state();
    state.holders.clear();
    state.listeners.truncate(1);
    state.listeners[0].pids.clear();
    state.unreadable_processes = 3;
    state.caller_is_root = true;
    let r = report(
        state,
        None,
        vec![],
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
