//! The flow decision (`gauth::decide::flow`) over detection cases, and the verdict's
//! commands for every kind of port holder, through the real `detect`,
//! `judge` and `assemble`.
// The holder-command helpers serve a Unix-only test (ownership by uid).
#![cfg_attr(not(unix), allow(dead_code))]
mod common;
use common::fixtures::{ancestor, facts, held_by, r_process};
use gauth::decide::flow::{Situation, paste_place, recommend};
use gauth::decide::session::detect;
use gauth::ops::doctor::{Inputs, Report, assemble};
use gauth::ops::inspect::PortState;
use gauth::system::config::{Config, Flow, Forced};
use gauth::system::facts::{Ancestor, Facts};
use gauth::system::net::SocketSource;
use gauth::system::net::bind::{BindCheck, BindResult};
use gauth::system::net::selftest::{Probe, ProbeResult, SelfTest};
use gauth::system::proc::ProcessInfo;

struct Case {
    name: &'static str,
    facts: Facts,
    stdin_tty: bool,
    forced: Option<Flow>,
    listener_works: bool,
    port_free: bool,
    flow: Flow,
    /// A reason or command that must be there.
    says: &'static str,
}

const SSH: (&str, &str) = ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22");

fn cases() -> Vec<Case> {
    let desktop = || facts(&[("DISPLAY", ":0")], vec![], &["xdg-open"]);
    let ssh = |anc: Vec<Ancestor>| facts(&[SSH, ("USER", "jenny")], anc, &[]);
    let base = |name, facts, flow, says| Case {
        name,
        facts,
        stdin_tty: false,
        forced: None,
        listener_works: true,
        port_free: true,
        flow,
        says,
    };
    vec![
        base(
            "desktop",
            desktop(),
            Flow::Loopback,
            "local desktop: the browser runs on this machine",
        ),
        Case {
            port_free: false,
            ..base(
                "desktop, port taken",
                desktop(),
                Flow::Loopback,
                "gauth free-port",
            )
        },
        Case {
            listener_works: false,
            stdin_tty: true,
            ..base(
                "desktop, loopback blocked",
                desktop(),
                Flow::Paste,
                "no loopback listener answers here",
            )
        },
        Case {
            stdin_tty: true,
            ..base("SSH on a terminal", ssh(vec![]), Flow::Paste, "ssh -L")
        },
        base(
            "SSH from cron",
            ssh(vec![ancestor(10, "cron", None)]),
            Flow::Device,
            "not full Drive, Gmail, BigQuery",
        ),
        base(
            "SSH, R run from a terminal called gauth",
            ssh(vec![
                ancestor(10, "sh", None),
                ancestor(11, "R", Some("pts/1")),
            ]),
            Flow::Paste,
            "on the terminal pts/1 that R (pid 11) runs on (gauth cannot read it",
        ),
        base(
            "SSH, RStudio's rsession called gauth",
            ssh(vec![
                ancestor(10, "sh", None),
                ancestor(11, "rsession", None),
            ]),
            Flow::Paste,
            "RStudio's R console",
        ),
        base(
            "RStudio Server",
            facts(&[("RSTUDIO_PROGRAM_MODE", "server")], vec![], &[]),
            Flow::Paste,
            "options(gargle_oob_default = TRUE)",
        ),
        Case {
            forced: Some(Flow::Loopback),
            ..base(
                "headless, loopback forced",
                facts(&[], vec![], &[]),
                Flow::Loopback,
                "but a loopback login will not complete",
            )
        },
        Case {
            forced: Some(Flow::Paste),
            ..base(
                "desktop, paste forced",
                desktop(),
                Flow::Paste,
                "GAUTH_FLOW=paste asks for it",
            )
        },
    ]
}

#[test]
fn the_flow_follows_the_detected_session() {
    let mut failures = Vec::new();
    for c in cases() {
        let s = detect(&c.facts);
        let forced = c.forced.map(|flow| Forced {
            flow,
            source: format!("GAUTH_FLOW={}", flow.as_str()),
        });
        let r = recommend(&Situation {
            session: &s,
            forced: forced.as_ref(),
            paste: paste_place(&s, c.stdin_tty, &c.facts.ancestors),
            listener_works: c.listener_works,
            port: 1410,
            port_free: c.port_free,
            port_actions: vec![gauth::decide::flow::Command {
                what: "free it".into(),
                run: "gauth free-port 1410".into(),
            }],
            port_holder: None,
            google: true,
            device_refuses: Vec::new(),
            login: gauth::decide::flow::LoginBase::configured(),
        });
        let text = format!("{:?} {:?}", r.reasons, r.commands);
        if r.flow != c.flow || !text.contains(c.says) {
            failures.push(format!("{}: got {:?}: {text}", c.name, r.flow));
        }
        if r.commands
            .iter()
            .any(|c| c.run.contains("httr_oob_default"))
        {
            failures.push(format!("{}: httr's blocked OOB advised", c.name));
        }
        if r.flow == Flow::Device && r.commands.is_empty() {
            failures.push(format!("{}: device without anything to run", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- the verdict's commands follow the port section ----

const ME: u32 = 1000;

fn held(p: ProcessInfo, privileged: bool, ancestors: &[i32]) -> PortState {
    held_by(ME, privileged, privileged, p, ancestors)
}

fn invisible(uid: u32, user: &str) -> PortState {
    let mut s = held(r_process(77, uid, user), false, &[]);
    s.holders.clear();
    s.listeners[0].pids.clear();
    s
}

fn doctor(state: PortState, ancestors: Vec<Ancestor>) -> Report {
    let privileged = state.sees_all_processes;
    doctor_as(ME, privileged, state, ancestors)
}

fn doctor_as(uid: u32, can_signal: bool, state: PortState, ancestors: Vec<Ancestor>) -> Report {
    let binds = vec![BindCheck {
        address: "127.0.0.1:1410".into(),
        result: BindResult::InUse,
    }];
    assemble(Inputs {
        port: 1410,
        port_source: "default",
        session: detect(&facts(&[("DISPLAY", ":0")], vec![], &["xdg-open"])),
        port_state: state,
        bind: binds.clone(),
        listener: SelfTest {
            port: 40000,
            on_requested_port: false,
            binds,
            localhost: vec!["127.0.0.1".parse().unwrap()],
            resolve_error: None,
            probes: vec![Probe {
                listeners: "ipv4_only",
                address: "127.0.0.1:40000".into(),
                result: ProbeResult::Ok,
                detail: None,
            }],
        },
        config: Config {
            path: None,
            forced: None,
            defaults: Default::default(),
            client_source: Some("GAUTH_CLIENT_ID".into()),
            problems: vec![],
        },
        httr: gauth::system::rprofile::httr(&gauth::system::env::Env::from_pairs([])),
        rprofile: gauth::system::rprofile::Rprofile::default(),
        online: None,
        stdin_tty: true,
        ancestors,
        uid,
        can_signal_others: can_signal,
        scopes: Vec::new(),
    })
}

#[test]
#[cfg(unix)] // ownership by uid (Windows compares SIDs)
fn every_holder_gets_the_command_that_would_act() {
    let live_r = ProcessInfo {
        parent_gone: false,
        parent_name: Some("bash".into()),
        ppid: 50,
        tty: Some("pts/4".into()),
        loaded: vec![],
        ..r_process(61, ME, "jenny")
    };
    let rsession = ProcessInfo {
        name: "rsession".into(),
        exe: Some("/usr/lib/rstudio-server/bin/rsession".into()),
        parent_gone: false,
        parent_name: Some("rserver".into()),
        ppid: 50,
        ..r_process(62, ME, "jenny")
    };
    let node = ProcessInfo {
        name: "node".into(),
        exe: Some("/usr/bin/node".into()),
        cmdline: vec!["node".into(), "server.js".into()],
        parent_gone: false,
        parent_name: Some("bash".into()),
        ppid: 50,
        loaded: vec![],
        ..r_process(63, ME, "jenny")
    };
    let cases: Vec<(&str, Report, &str, &str)> = vec![
        (
            "a leftover R of mine",
            doctor(held(r_process(60, ME, "jenny"), false, &[]), vec![]),
            "gauth free-port 1410",
            "looks expendable",
        ),
        (
            "the R session that ran gauth (system(\"gauth doctor\"))",
            doctor(
                held(r_process(64, ME, "jenny"), false, &[64]),
                vec![ancestor(64, "R", Some("pts/2"))],
            ),
            "httpuv::stopAllServers()",
            "the R session that runs gauth",
        ),
        (
            "a live R session on a terminal",
            doctor(held(live_r, false, &[]), vec![]),
            "httpuv::stopAllServers()",
            "a live R session on pts/4",
        ),
        (
            "RStudio's rsession",
            doctor(held(rsession, false, &[]), vec![]),
            "httpuv::stopAllServers()",
            "RStudio's R session",
        ),
        (
            "a not-expendable process of mine",
            doctor(held(node, false, &[]), vec![]),
            "gauth free-port --force 1410",
            "only if you are sure",
        ),
        (
            "another user's, seen as root",
            doctor(held(r_process(65, 1001, "maria"), true, &[]), vec![]),
            "gauth free-port --force 1410",
            "maria's",
        ),
        (
            "another user's, invisible",
            doctor(invisible(1001, "maria"), vec![]),
            "sudo gauth free-port --force 1410",
            "maria",
        ),
    ];
    let mut failures = Vec::new();
    for (name, r, run, what) in cases {
        let held_fix = r
            .checks
            .iter()
            .find(|c| c.id == "held")
            .and_then(|c| c.fix.clone())
            .unwrap_or_default();
        // The port's fix first, then the login itself.
        let all = &r.recommendation.commands;
        assert_eq!(
            all.last().map(|c| c.run.as_str()),
            Some("gauth login"),
            "{name}"
        );
        let cmds = &all[..all.len() - 1];
        let ok = r.recommendation.flow == Flow::Loopback
            && cmds.len() == 1
            && cmds[0].run == run
            && cmds[0].what.contains(what)
            && held_fix.contains(run);
        // Never a plain free-port where it would refuse to act.
        let refused =
            run != "gauth free-port 1410" && cmds.iter().any(|c| c.run == "gauth free-port 1410");
        if !ok || refused {
            failures.push(format!("{name}: fix {held_fix:?}, commands {cmds:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `gauth login --flow auto` and `gauth doctor --recommend` make one
/// decision: over every detection case, the flow login picks is the one the
/// doctor's report recommends (the doctor's port fixes aside: the login frees
/// the port or takes another, so a taken port never changes the flow).
#[test]
fn login_auto_and_doctor_agree_over_the_detection_cases() {
    let mut failures = Vec::new();
    for c in cases() {
        let s = detect(&c.facts);
        let config = Config {
            path: None,
            forced: c.forced.map(|flow| Forced {
                flow,
                source: format!("GAUTH_FLOW={}", flow.as_str()),
            }),
            defaults: Default::default(),
            client_source: Some("GAUTH_CLIENT_ID".into()),
            problems: vec![],
        };
        let probe = |ok: bool| Probe {
            listeners: "ipv4_only",
            address: "127.0.0.1:1410".into(),
            result: if ok {
                ProbeResult::Ok
            } else {
                ProbeResult::Refused
            },
            detail: None,
        };
        let binds = vec![BindCheck {
            address: "127.0.0.1:1410".into(),
            result: BindResult::Ok,
        }];
        let doctor = assemble(Inputs {
            port: 1410,
            port_source: "default",
            session: s.clone(),
            port_state: PortState {
                port: 1410,
                listeners: vec![],
                connections: vec![],
                holders: vec![],
                time_wait: None,
                unreadable_processes: 0,
                source: Some(SocketSource::Netlink),
                source_note: None,
                sees_all_processes: false,
                caller_is_root: false,
            },
            bind: binds.clone(),
            listener: SelfTest {
                port: 1410,
                on_requested_port: true,
                binds,
                localhost: vec!["127.0.0.1".parse().unwrap()],
                resolve_error: None,
                probes: vec![probe(c.listener_works)],
            },
            config: config.clone(),
            httr: gauth::system::rprofile::httr(&gauth::system::env::Env::from_pairs([])),
            rprofile: gauth::system::rprofile::Rprofile::default(),
            online: None,
            stdin_tty: c.stdin_tty,
            ancestors: c.facts.ancestors.clone(),
            uid: ME,
            can_signal_others: false,
            scopes: Vec::new(),
        });
        let login = gauth::ops::login::auto(
            &s,
            config.forced.as_ref(),
            paste_place(&s, c.stdin_tty, &c.facts.ancestors),
            c.listener_works,
            1410,
            true,
            Vec::new(),
        );
        if login.flow != doctor.recommendation.flow || login.flow != c.flow {
            failures.push(format!(
                "{}: login {:?}, doctor {:?}, expected {:?}",
                c.name, login.flow, doctor.recommendation.flow, c.flow
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Root lacking a capability (a container that drops it): sudo changes
/// nothing, so neither the check nor the recommendation says sudo; they say
/// what is missing.
#[cfg(unix)]
#[test]
fn root_without_a_capability_is_never_told_to_use_sudo() {
    let maria = || r_process(66, 1001, "maria");
    // No CAP_SYS_PTRACE: maria's process is invisible even to root.
    let mut no_ptrace = held_by(0, true, false, maria(), &[]);
    no_ptrace.holders.clear();
    no_ptrace.listeners[0].pids.clear();
    // No CAP_KILL: root sees maria's process and may not signal it.
    let no_kill = held_by(0, false, true, maria(), &[]);
    for (name, r, missing) in [
        (
            "no CAP_SYS_PTRACE",
            doctor_as(0, true, no_ptrace, vec![]),
            "CAP_SYS_PTRACE",
        ),
        (
            "no CAP_KILL",
            doctor_as(0, false, no_kill, vec![]),
            "CAP_KILL",
        ),
    ] {
        let held = r
            .checks
            .iter()
            .find(|c| c.id == "held")
            .expect("a held check");
        let text = format!(
            "{} / fix {:?} / commands {:?}",
            held.summary, held.fix, r.recommendation.commands
        );
        assert!(!text.contains("sudo"), "{name}: {text}");
        assert!(text.contains(missing), "{name}: {text}");
        assert!(
            r.recommendation
                .commands
                .iter()
                .all(|c| !c.run.contains("free-port")),
            "{name}: nothing gauth could run acts: {text}"
        );
    }
}

/// The tunnel command is pasted into a shell: a user name that is not
/// plainly a login name is quoted; an empty SSH_CONNECTION is no SSH.
#[test]
fn the_tunnel_quotes_an_odd_user_and_empty_ssh_variables_are_no_ssh() {
    let s = detect(&facts(
        &[SSH, ("USER", "a b;rm -rf /")],
        vec![ancestor(10, "cron", None)],
        &[],
    ));
    let r = recommend(&Situation {
        session: &s,
        forced: None,
        paste: None,
        listener_works: true,
        port: 1410,
        port_free: true,
        port_actions: vec![],
        port_holder: None,
        google: true,
        device_refuses: Vec::new(),
        login: gauth::decide::flow::LoginBase::configured(),
    });
    let tunnel = r
        .commands
        .iter()
        .find(|c| c.run.starts_with("ssh -L"))
        .expect("a tunnel line");
    assert_eq!(
        tunnel.run,
        "ssh -L 1410:127.0.0.1:1410 'a b;rm -rf /'@10.9.8.7"
    );
    let s = detect(&facts(&[("SSH_CONNECTION", "")], vec![], &[]));
    assert_ne!(s.kind, gauth::decide::session::Kind::Ssh, "{s:?}");
}

/// Google's device-scope caveat is Google's: another provider's device
/// flow has no such list.
#[test]
fn the_device_scope_caveat_is_only_for_google() {
    let s = detect(&facts(
        &[SSH, ("USER", "jenny")],
        vec![ancestor(10, "cron", None)],
        &[],
    ));
    for google in [true, false] {
        let r = recommend(&Situation {
            session: &s,
            forced: None,
            paste: None,
            listener_works: true,
            port: 1410,
            port_free: true,
            port_actions: vec![],
            port_holder: None,
            google,
            device_refuses: Vec::new(),
            login: gauth::decide::flow::LoginBase::configured(),
        });
        assert_eq!(r.flow, Flow::Device);
        let text = format!("{:?}", r.reasons);
        assert_eq!(text.contains("Google"), google, "{text}");
        assert_eq!(
            text.contains("not full Drive, Gmail, BigQuery"),
            google,
            "{text}"
        );
        assert!(text.contains("device"), "{text}");
    }
}

/// Over SSH the tunnel goes to the port the login then uses, named in
/// both commands; a port a live process holds gets no tunnel (the browser
/// would reach that process), and the reason names the holder.
#[test]
fn the_tunnel_and_the_login_use_one_port_and_never_a_held_one() {
    let s = detect(&facts(
        &[SSH, ("USER", "jenny")],
        vec![ancestor(10, "bash", Some("pts/0"))],
        &[],
    ));
    let situation = |holder: Option<&str>| Situation {
        session: &s,
        forced: None,
        paste: paste_place(&s, true, &[]),
        listener_works: true,
        port: 1411,
        port_free: holder.is_none(),
        port_actions: vec![],
        port_holder: holder.map(str::to_owned),
        google: true,
        device_refuses: Vec::new(),
        login: gauth::decide::flow::LoginBase::configured(),
    };
    let r = recommend(&situation(None));
    let runs: Vec<&str> = r.commands.iter().map(|c| c.run.as_str()).collect();
    assert!(
        runs.contains(&"ssh -L 1411:127.0.0.1:1411 jenny@10.9.8.7"),
        "{runs:?}"
    );
    assert!(
        runs.contains(&"gauth login --flow loopback --port 1411"),
        "{runs:?}"
    );
    let r = recommend(&situation(Some("another gauth login (pid 4242)")));
    assert!(
        r.commands.iter().all(|c| !c.run.contains("ssh -L")),
        "{:?}",
        r.commands
    );
    assert!(
        r.reasons.iter().any(|x| x
            == "no tunnel to port 1411 offered: another gauth login (pid 4242) holds it here, and a tunnel would take your browser there, not to gauth"),
        "{:?}",
        r.reasons
    );
}

/// A device flow asked for (GAUTH_FLOW, the config file) with scopes
/// Google's device flow refuses cannot run: it is set aside, never
/// recommended, and every printed login names its flow so that it runs as
/// printed whatever the environment asks for (issue #13, attack pass).
#[test]
fn a_forced_device_flow_google_refuses_is_set_aside() {
    let forced = Forced {
        flow: Flow::Device,
        source: "GAUTH_FLOW=device".into(),
    };
    // A desktop (loopback works), and over SSH with a terminal (paste).
    let desktop = detect(&facts(
        &[("DISPLAY", ":0")],
        vec![ancestor(10, "bash", Some("pts/0"))],
        &[],
    ));
    let ssh = detect(&facts(
        &[SSH, ("USER", "jenny")],
        vec![ancestor(10, "bash", Some("pts/0"))],
        &[],
    ));
    for s in [&desktop, &ssh] {
        let r = recommend(&Situation {
            session: s,
            forced: Some(&forced),
            paste: paste_place(s, true, &[]),
            listener_works: true,
            port: 1410,
            port_free: true,
            port_actions: vec![],
            port_holder: None,
            google: true,
            device_refuses: vec!["https://www.googleapis.com/auth/drive".into()],
            login: gauth::decide::flow::LoginBase::configured(),
        });
        assert_ne!(r.flow, Flow::Device, "{r:?}");
        let text = format!("{:?}", r.reasons);
        assert!(
            text.contains("GAUTH_FLOW=device asks for the device flow"),
            "{text}"
        );
        for c in &r.commands {
            if c.run.starts_with("gauth login") {
                assert!(
                    c.run.contains("--flow loopback")
                        || c.run.contains("--oob")
                        || c.run.contains("--no-wait"),
                    "{c:?}"
                );
                assert!(!c.run.contains("--flow device"), "{c:?}");
            }
        }
    }
}
