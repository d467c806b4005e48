//! Snapshots of `gauth doctor`'s human (with and without colour) and JSON
//! output, from fixed inputs run through the real `assemble`.
mod common;
use common::fixtures::{self, free_state, ok_binds};
use gauth::decide::session::detect;
use gauth::ops::doctor::{Inputs, Online, Report, assemble};
use gauth::ops::inspect::PortState;
use gauth::render::{Paint, doctor::render, to_json};
use gauth::system::config::Config;
use gauth::system::facts::Facts;
use gauth::system::net::bind::{BindCheck, BindResult};
use gauth::system::net::selftest::{Probe, ProbeResult, SelfTest};
use gauth::system::proc::ProcessInfo;
use gauth::system::rprofile::{Rprofile, oob_options};

fn facts(vars: &[(&str, &str)], ancestors: &[(&str, &str)], path: &[&str]) -> Facts {
    Facts {
        stdin_tty: true,
        ..fixtures::facts(vars, fixtures::ancestors(200, ancestors), path)
    }
}

fn probe(listeners: &'static str, address: &str, result: ProbeResult) -> Probe {
    Probe {
        listeners,
        address: address.into(),
        result,
        detail: None,
    }
}

/// localhost → ::1 first, as on many distributions.
fn selftest(port: u16) -> SelfTest {
    SelfTest {
        port,
        on_requested_port: true,
        binds: ok_binds(port),
        localhost: vec!["::1".parse().unwrap(), "127.0.0.1".parse().unwrap()],
        resolve_error: None,
        probes: vec![
            probe("ipv4_only", "[::1]:1410", ProbeResult::Refused),
            probe("ipv4_only", "127.0.0.1:1410", ProbeResult::Ok),
            probe("ipv4_and_ipv6", "[::1]:1410", ProbeResult::Ok),
            probe("ipv4_and_ipv6", "127.0.0.1:1410", ProbeResult::Ok),
        ],
    }
}

/// The leftover R session of three days ago holds 127.0.0.1:1410.
fn held_state() -> PortState {
    let p = ProcessInfo {
        cmdline: vec![
            "/usr/lib/R/bin/exec/R".into(),
            "--no-echo".into(),
            "--file=auth.R".into(),
        ],
        age_seconds: Some(3 * 86400),
        ..fixtures::r_process(16664, 1000, "jenny")
    };
    fixtures::held_by(1000, false, false, p, &[])
}

fn no_config() -> Config {
    Config {
        path: Some("/home/jenny/.config/gauth/config.toml".into()),
        forced: None,
        defaults: Default::default(),
        client_source: Some("client_id in /home/jenny/.config/gauth/config.toml".into()),
        problems: vec![],
    }
}

fn httr_default() -> gauth::ops::doctor::Httr {
    gauth::ops::doctor::httr(&gauth::system::env::Env::from_pairs([]))
}

fn desktop_held() -> Report {
    assemble(Inputs {
        port: 1410,
        port_source: "default",
        session: detect(&facts(
            &[("DISPLAY", ":0")],
            &[("bash", "bash")],
            &["xdg-open"],
        )),
        port_state: held_state(),
        bind: vec![
            BindCheck {
                address: "127.0.0.1:1410".into(),
                result: BindResult::InUse,
            },
            BindCheck {
                address: "[::1]:1410".into(),
                result: BindResult::Ok,
            },
        ],
        listener: SelfTest {
            on_requested_port: false,
            port: 40123,
            probes: vec![probe("ipv4_only", "127.0.0.1:40123", ProbeResult::Ok)],
            localhost: vec!["127.0.0.1".parse().unwrap()],
            ..selftest(40123)
        },
        config: no_config(),
        httr: httr_default(),
        rprofile: Rprofile::default(),
        online: None,
        stdin_tty: true,
        ancestors: vec![],
        uid: 1000,
        can_signal_others: false,
        scopes: Vec::new(),
    })
}

fn ssh_session() -> Report {
    assemble(Inputs {
        port: 1410,
        port_source: "default",
        session: detect(&facts(
            &[
                ("SSH_CONNECTION", "192.0.2.10 50000 192.0.2.20 22"),
                ("SSH_TTY", "/dev/pts/0"),
                ("USER", "jenny"),
            ],
            &[("bash", "-bash"), ("sshd", "sshd: jenny@pts/0")],
            &[],
        )),
        port_state: free_state(1410),
        bind: ok_binds(1410),
        listener: selftest(1410),
        config: no_config(),
        httr: httr_default(),
        rprofile: Rprofile {
            path: Some("/home/jenny/.Rprofile".into()),
            oob: oob_options(b"# mine\noptions(gargle_oob_default = TRUE) # not httr's\n"),
            problem: None,
        },
        online: Some(vec![Online {
            url: "https://oauth2.googleapis.com/token".into(),
            ok: false,
            detail:
                "DNS lookup of oauth2.googleapis.com failed (failed to lookup address information)"
                    .into(),
        }]),
        stdin_tty: true,
        ancestors: vec![],
        uid: 1000,
        can_signal_others: false,
        scopes: Vec::new(),
    })
}

fn ready_desktop() -> Report {
    assemble(Inputs {
        port: 1410,
        port_source: "default",
        session: detect(&facts(
            &[("WAYLAND_DISPLAY", "wayland-0")],
            &[("bash", "bash")],
            &["xdg-open"],
        )),
        port_state: free_state(1410),
        bind: ok_binds(1410),
        listener: SelfTest {
            localhost: vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            ..selftest(1410)
        },
        config: no_config(),
        httr: httr_default(),
        rprofile: Rprofile::default(),
        online: None,
        stdin_tty: true,
        ancestors: vec![],
        uid: 1000,
        can_signal_others: false,
        scopes: Vec::new(),
    })
}

#[test]
fn desktop_with_a_leftover_r_listener() {
    let r = desktop_held();
    assert!(!r.loopback_ready);
    insta::assert_snapshot!(render(&r, Paint::new(false), false));
}

#[test]
fn desktop_with_a_leftover_r_listener_colour() {
    insta::assert_snapshot!(render(&desktop_held(), Paint::new(true), false));
}

#[test]
fn ssh_session_with_ipv6_first_localhost() {
    let r = ssh_session();
    assert_eq!(r.recommendation.flow, gauth::system::config::Flow::Paste);
    insta::assert_snapshot!(render(&r, Paint::new(false), true));
}

#[test]
fn ready_desktop_is_ready() {
    let r = ready_desktop();
    assert!(r.loopback_ready, "{:#?}", r.checks);
    insta::assert_snapshot!(render(&r, Paint::new(false), false));
}

#[test]
fn ssh_session_json() {
    insta::assert_snapshot!(to_json(&ssh_session()));
}
