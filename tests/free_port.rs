//! `gauth free-port` against real processes and sockets.
// Real processes, sockets and the test provider through Unix APIs (and
// tests/helpers/listen.py): Unix only. Windows runs the end-to-end check of
// .ci/win-e2e under wine instead.
#![cfg(unix)]
mod common;
use common::*;
use std::time::Duration;

#[test]
fn dry_run_reports_and_leaves_the_holder_alive() {
    let l = listen(&["run_local_server"]);
    let (code, v, _) = run_json(&["free-port", "--dry-run", &l.port.to_string()]);
    assert_eq!(code, 3);
    assert_eq!(v["status"], "held");
    assert_eq!(holder_pids(&v), vec![l.pid as i64]);
    let h = &v["holders"][0];
    assert_eq!(h["name"], "python3");
    assert_eq!(h["listening_on"][0], format!("127.0.0.1:{}", l.port));
    assert_eq!(h["verdict"]["class"], "expendable");
    assert!(
        h["cmdline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "run_local_server")
    );
    assert_eq!(v["actions"][0]["action"], "none");
    assert!(alive(l.pid));
    assert!(!bind_ok(l.port));
}

#[test]
fn yes_kills_and_the_port_binds_again() {
    let l = listen(&["run_local_server"]);
    let (code, v, stderr) = run_json(&["free-port", "--yes", &l.port.to_string()]);
    assert_eq!(code, 0, "{v:#}\n{stderr}");
    assert_eq!(v["status"], "free");
    assert_eq!(v["actions"][0]["action"], "signalled");
    assert_eq!(v["actions"][0]["result"], "exited");
    assert_eq!(v["actions"][0]["signal"], "SIGTERM");
    assert_eq!(v["actions"][0]["escalated"], false);
    assert!(
        v["bind"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["status"] == "ok")
    );
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
    assert!(bind_ok(l.port));
}

/// `--only ID`: what a person approved after a dry run is what gets killed;
/// a holder it does not name (another process, the same pid started again,
/// or the same process after an exec into another program) is left alone
/// and named (issue #13: R asks, gauth acts).
#[test]
fn only_the_named_holder_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("exec-now");
    let l = listen(&["run_local_server", "--exec-on-file", flag.to_str().unwrap()]);
    let port = l.port.to_string();
    let (_, v, _) = run_json(&["free-port", "--dry-run", &port]);
    let id = v["holders"][0]["id"].as_str().unwrap().to_owned();
    let start = v["holders"][0]["start_ticks"].as_u64().unwrap();
    assert!(id.starts_with(&format!("{}@{start}@", l.pid)), "{id}");
    for only in [
        format!("{}", l.pid + 1),
        format!("{}@{}", l.pid, start + 1),
        format!("{}@{start}@0123456789abcdef", l.pid),
    ] {
        let (code, v, stderr) = run_json(&["free-port", "--yes", "--only", &only, &port]);
        assert_eq!(code, 3, "{only}: {v:#}\n{stderr}");
        assert_eq!(v["actions"][0]["action"], "refused", "{v:#}");
        assert!(alive(l.pid), "{only}");
    }
    // The holder execs another program (same pid, same start time): the
    // id the person approved no longer names it.
    std::fs::write(&flag, "").unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (_, now, _) = run_json(&["free-port", "--dry-run", &port]);
        if now["holders"][0]["id"] != id.as_str() {
            break;
        }
        assert!(std::time::Instant::now() < end, "no exec: {now:#}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // (--force: `sleep` is not expendable, and only --only may refuse it.)
    let (code, v, stderr) = run_json(&["free-port", "--yes", "--force", "--only", &id, &port]);
    assert_eq!(code, 3, "{v:#}\n{stderr}");
    assert!(
        v["actions"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not a holder --only names"),
        "{v:#}"
    );
    assert!(alive(l.pid));
    // Its id as it is now (`sleep`, not expendable: --force): killed.
    let (_, now, _) = run_json(&["free-port", "--dry-run", &port]);
    let id = now["holders"][0]["id"].as_str().unwrap().to_owned();
    let (code, v, stderr) = run_json(&["free-port", "--yes", "--force", "--only", &id, &port]);
    assert_eq!(code, 0, "{v:#}\n{stderr}");
    assert!(wait_dead(l.pid, Duration::from_secs(5)));
    for bad in ["12x", "0", "1@2@xyz", "1@@"] {
        let out = gauth()
            .args(["free-port", "--yes", "--only", bad, &port])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("is not a holder's id"));
    }
}

#[test]
fn human_output_names_the_holder_and_proves_the_result() {
    let l = listen(&["run_local_server"]);
    let out = run(&[
        "free-port",
        "--yes",
        "--color",
        "never",
        &l.port.to_string(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("python3 (pid {}, user ", l.pid)),
        "{text}"
    );
    assert!(
        text.contains(&format!("listening on 127.0.0.1:{}", l.port)),
        "{text}"
    );
    assert!(
        text.contains(
            "looks expendable: a leftover Python auth listener (run_local_server) owned by you"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!("python3 (pid {}) exited after SIGTERM", l.pid)),
        "{text}"
    );
    assert!(
        text.contains(&format!("port {} is free now", l.port)),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour with --color never");
}

#[test]
fn ipv6_only_and_dual_stack_listeners_are_found() {
    for (addr, shown) in [("::1", "[::1]"), ("::", "[::]")] {
        let l = listen(&["--addr", addr, "run_local_server"]);
        let (code, v, _) = run_json(&["free-port", "--dry-run", &l.port.to_string()]);
        assert_eq!(code, 3);
        assert_eq!(v["listeners"][0]["family"], "ipv6");
        assert_eq!(v["listeners"][0]["address"], addr);
        assert_eq!(
            v["holders"][0]["listening_on"][0],
            format!("{shown}:{}", l.port)
        );
        // On `::` it is reachable from other machines: not a loopback auth
        // helper, so it takes --force.
        let class = if addr == "::" {
            "not_expendable"
        } else {
            "expendable"
        };
        assert_eq!(v["holders"][0]["verdict"]["class"], class, "{v:#}");
        let port = l.port.to_string();
        let mut args = vec!["free-port", "--yes", &port];
        if addr == "::" {
            args.push("--force");
        }
        let (code, v, _) = run_json(&args);
        assert_eq!(code, 0, "{v:#}");
        assert!(bind_ok(l.port));
    }
}

#[test]
fn a_forked_child_keeping_the_socket_is_found_and_killed() {
    let l = listen(&["--fork-orphan", "run_local_server"]);
    let (_, v, _) = run_json(&["free-port", "--dry-run", &l.port.to_string()]);
    assert_eq!(holder_pids(&v), vec![l.pid as i64]);
    assert_eq!(v["holders"][0]["parent_gone"], true);
    assert_eq!(
        v["holders"][0]["verdict"]["class"], "expendable",
        "an orphaned Python auth listener of yours"
    );
    let (code, _, _) = run_json(&["free-port", "--yes", &l.port.to_string()]);
    assert_eq!(code, 0);
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
    assert!(bind_ok(l.port));
}

#[test]
fn two_so_reuseport_owners_are_both_found_and_killed() {
    let a = listen(&["--reuseport", "run_local_server"]);
    let b = listen(&[
        "--reuseport",
        "--port",
        &a.port.to_string(),
        "run_local_server",
    ]);
    let (_, v, _) = run_json(&["free-port", "--dry-run", &a.port.to_string()]);
    assert_eq!(v["listeners"].as_array().unwrap().len(), 2);
    let mut want = vec![a.pid as i64, b.pid as i64];
    want.sort();
    assert_eq!(holder_pids(&v), want);
    let (code, v, _) = run_json(&["free-port", "--yes", &a.port.to_string()]);
    assert_eq!(code, 0, "{v:#}");
    assert!(wait_dead(a.pid, Duration::from_secs(1)) && wait_dead(b.pid, Duration::from_secs(1)));
}

#[test]
fn a_process_ignoring_sigterm_gets_sigkill_after_the_timeout() {
    let l = listen(&["--ignore-term", "run_local_server"]);
    let (code, v, _) = run_json(&[
        "free-port",
        "--yes",
        "--timeout",
        "300ms",
        &l.port.to_string(),
    ]);
    assert_eq!(code, 0, "{v:#}");
    let a = &v["actions"][0];
    assert_eq!(a["result"], "exited");
    assert_eq!(a["signal"], "SIGKILL");
    assert_eq!(a["escalated"], true);
    assert!(a["waited_ms"].as_u64().unwrap() >= 300);
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
}

#[test]
fn a_not_expendable_holder_needs_force() {
    // A Python process with no auth trace, still attached to its parent.
    let l = listen(&[]);
    let (code, v, _) = run_json(&["free-port", "--yes", &l.port.to_string()]);
    assert_eq!(code, 3);
    assert_eq!(v["holders"][0]["verdict"]["class"], "not_expendable");
    assert_eq!(v["actions"][0]["action"], "refused");
    assert!(
        v["actions"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("--force")
    );
    assert!(v["summary"].as_str().unwrap().contains("still held"));
    assert!(alive(l.pid));
    let (code, v, _) = run_json(&["free-port", "--yes", "--force", &l.port.to_string()]);
    assert_eq!(code, 0, "{v:#}");
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
}

#[test]
fn without_a_terminal_or_yes_it_refuses_and_never_waits() {
    let l = listen(&["run_local_server"]);
    let out = run(&["free-port", &l.port.to_string()]);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no terminal to ask on; re-run with --yes"),
        "{text}"
    );
    assert!(alive(l.pid));
}

#[test]
fn gauths_own_ancestor_is_never_killed_even_with_force() {
    // This test process is gauth's parent: it holds the port itself.
    let sock = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port().to_string();
    let (code, v, _) = run_json(&["free-port", "--yes", "--force", &port]);
    assert_eq!(code, 3);
    assert_eq!(v["holders"][0]["pid"], std::process::id());
    assert_eq!(v["holders"][0]["verdict"]["class"], "protected");
    assert!(
        v["holders"][0]["verdict"]["summary"]
            .as_str()
            .unwrap()
            .contains("gauth's own ancestor")
    );
    assert_eq!(v["actions"][0]["action"], "refused");
}

/// bind(2) on 127.0.0.1:port without SO_REUSEADDR.
fn plain_bind_fails(port: u16) -> bool {
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
    // Zeroed, then filled: macOS has `sin_len` and a u8 family, Linux not.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_port = port.to_be();
    addr.sin_addr = libc::in_addr {
        s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
    };
    #[cfg(target_os = "macos")]
    {
        addr.sin_len = std::mem::size_of::<libc::sockaddr_in>() as u8;
    }
    let rc = unsafe {
        libc::bind(
            raw,
            &addr as *const _ as *const libc::sockaddr,
            std::mem::size_of_val(&addr) as u32,
        )
    };
    unsafe { libc::close(raw) };
    rc == -1
}

#[test]
fn a_time_wait_only_port_is_reported_as_such() {
    // The old listener did not set SO_REUSEADDR: every bind fails for now.
    let l = listen(&["--time-wait"]);
    let (code, v, _) = run_json(&["free-port", &l.port.to_string()]);
    assert_eq!(v["status"], "time_wait", "{v:#}");
    assert_eq!(v["free"], false);
    assert_eq!(code, 3);
    assert!(v["listeners"].as_array().unwrap().is_empty());
    assert!(v["holders"].as_array().unwrap().is_empty());
    assert_eq!(v["time_wait"]["count"], 1);
    let secs = v["time_wait"]["expires_in_seconds"].as_u64().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
    let summary = v["summary"].as_str().unwrap();
    assert!(
        summary.contains("nothing to kill") && summary.contains("binding fails until they expire"),
        "{summary}"
    );
    assert!(plain_bind_fails(l.port), "what the summary claims");
}

#[test]
fn a_time_wait_port_of_an_reuseaddr_listener_is_usable() {
    // httpuv's case: old and new sockets both set SO_REUSEADDR.
    let l = listen(&["--time-wait", "--reuseaddr"]);
    let (code, v, _) = run_json(&["free-port", &l.port.to_string()]);
    assert_eq!(v["status"], "time_wait", "{v:#}");
    assert_eq!((code, &v["free"]), (0, &serde_json::Value::Bool(true)));
    assert!(v["summary"].as_str().unwrap().contains("works now"));
    assert!(
        plain_bind_fails(l.port),
        "without SO_REUSEADDR it still fails"
    );
}

#[test]
fn a_pthread_exit_zombie_holder_is_found_and_killed() {
    let l = listen(&["--pthread-exit", "run_local_server"]);
    let (_, v, _) = run_json(&["free-port", "--dry-run", &l.port.to_string()]);
    assert_eq!(holder_pids(&v), vec![l.pid as i64], "{v:#}");
    let h = &v["holders"][0];
    assert_eq!(h["state"], "Z");
    assert_eq!(h["via_thread"], true);
    assert!(
        h["cmdline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "run_local_server"),
        "command line read from the live thread"
    );
    let (code, v, _) = run_json(&["free-port", "--yes", &l.port.to_string()]);
    assert_eq!(code, 0, "{v:#}");
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
}

#[test]
fn a_free_port_is_free() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, v, _) = run_json(&["free-port", &port.to_string()]);
    assert_eq!(code, 0);
    assert_eq!(v["status"], "free");
    assert_eq!(v["summary"], format!("port {port} is free"));
    assert_eq!(v["schema_version"], 1);
}

/// Run gauth under `script` so that its stdin is a terminal, answering the
/// prompt with `answer`.
fn run_on_a_terminal(args: &str, answer: &str) -> (i32, String) {
    use std::io::Write;
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_gauth"));
    let mut child = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux script");
    // Give gauth time to print its question before the answer arrives.
    std::thread::sleep(Duration::from_millis(700));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn on_a_terminal_it_asks_and_respects_no() {
    let l = listen(&["run_local_server"]);
    let (code, text) = run_on_a_terminal(&format!("free-port {}", l.port), "n\n");
    assert!(
        text.contains(&format!("Kill python3 (pid {})? [y/N]", l.pid)),
        "{text}"
    );
    assert!(text.contains("you chose not to kill it"), "{text}");
    assert_eq!(code, 3, "{text}");
    assert!(alive(l.pid));
}

#[test]
fn on_a_terminal_yes_kills() {
    let l = listen(&["run_local_server"]);
    let (code, text) = run_on_a_terminal(&format!("free-port {}", l.port), "y\n");
    assert!(
        text.contains(&format!("Kill python3 (pid {})? [y/N]", l.pid)),
        "{text}"
    );
    assert_eq!(code, 0, "{text}");
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
    assert!(text.contains("is free now"), "{text}");
}

#[test]
fn the_portable_backend_agrees_with_the_fast_path() {
    let a = listen(&["--reuseport", "run_local_server"]);
    let b = listen(&[
        "--reuseport",
        "--port",
        &a.port.to_string(),
        "--addr",
        "127.0.0.1",
    ]);
    let fast = gauth::system::net::scan(a.port, std::path::Path::new("/proc")).unwrap();
    let portable = gauth::system::net::portable::scan(a.port).unwrap();
    let pids = |s: &gauth::system::net::Scan| s.holdings.iter().map(|h| h.pid).collect::<Vec<_>>();
    let mut want = vec![a.pid, b.pid];
    want.sort();
    assert_eq!(pids(&fast), want);
    assert_eq!(pids(&portable), want);
    let mut f = fast.listeners.clone();
    let mut p = portable.listeners.clone();
    f.sort_by_key(|s| s.inode);
    p.sort_by_key(|s| s.inode);
    assert_eq!(f, p);
}

#[test]
fn the_portable_process_description_agrees_with_proc() {
    // A child of this test: its parent (and so every field) stays put.
    let l = listen(&["run_local_server"]);
    let now = gauth::system::now_unix();
    let fast = gauth::system::proc::describe(std::path::Path::new("/proc"), l.pid, now).unwrap();
    let portable = gauth::system::proc::portable::describe(l.pid, now).unwrap();
    assert_eq!(portable.name, fast.name);
    assert_eq!(portable.ppid, fast.ppid);
    assert_eq!(portable.uid, fast.uid);
    assert_eq!(portable.user, fast.user);
    assert_eq!(portable.cmdline, fast.cmdline);
    assert_eq!(portable.exe, fast.exe);
    assert_eq!(portable.parent_gone, fast.parent_gone);
    assert!(
        portable
            .started_at
            .unwrap()
            .abs_diff(fast.started_at.unwrap())
            <= 1
    );
    assert_eq!(
        gauth::system::proc::portable::start_time(l.pid),
        portable.started_at
    );
    assert_eq!(
        gauth::system::proc::portable::parent(l.pid),
        Some(fast.ppid)
    );
}

#[test]
fn the_procfs_fallback_agrees_with_netlink() {
    let a = listen(&["--addr", "::", "run_local_server"]);
    let b = listen(&["--addr", "127.0.0.1"]);
    for l in [&a, &b] {
        let (fast, source, _) =
            gauth::system::net::sockets(l.port, std::path::Path::new("/proc")).unwrap();
        assert_eq!(source, gauth::system::net::SocketSource::Netlink);
        let slow =
            gauth::system::net::procnet::read(std::path::Path::new("/proc"), l.port).unwrap();
        assert_eq!(
            fast,
            slow.into_iter()
                .filter(|s| s.state == gauth::system::net::TcpState::Listen)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_listener_no_process_has_open_is_named_not_killed() {
    let l = listen(&["--in-flight"]);
    let (code, v, _) = run_json(&["free-port", "--yes", "--force", &l.port.to_string()]);
    assert_eq!(code, 3);
    assert_eq!(v["status"], "held");
    assert_eq!(v["listeners"].as_array().unwrap().len(), 1);
    assert_eq!(v["listeners"][0]["pids"], serde_json::json!([]));
    assert!(v["holders"].as_array().unwrap().is_empty(), "{v:#}");
    let summary = v["summary"].as_str().unwrap();
    if unsafe { libc::geteuid() } == 0 {
        assert!(
            summary.contains("no visible process has open") && summary.contains("nothing to kill"),
            "{summary}"
        );
        assert!(
            !summary.contains("sudo"),
            "root is told nothing about sudo: {summary}"
        );
    } else {
        assert!(summary.contains("sudo gauth free-port"), "{summary}");
    }
    assert!(
        alive(l.pid),
        "its creator is not a holder and is left alone"
    );
}

/// Letting go of the port is not exiting: a holder that closes its socket
/// on SIGTERM and keeps running may take the port again at any time, so it
/// gets SIGKILL after --timeout, as `docker stop` does.
#[test]
fn a_holder_that_lets_go_on_sigterm_and_keeps_running_gets_sigkill() {
    let l = listen(&["--close-on-term", "run_local_server"]);
    let port = l.port.to_string();
    let (code, v, _) = run_json(&["free-port", "--yes", "--timeout", "1s", &port]);
    assert_eq!(code, 0, "{v:#}");
    let a = &v["actions"][0];
    assert_eq!(
        (
            a["result"].as_str(),
            a["signal"].as_str(),
            a["escalated"].as_bool(),
            a["released"].as_bool(),
            a["rebound"].as_bool()
        ),
        (
            Some("exited"),
            Some("SIGKILL"),
            Some(true),
            Some(true),
            Some(false)
        ),
        "{v:#}"
    );
    assert!(a["waited_ms"].as_u64().unwrap() >= 1000, "{v:#}");
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
    assert!(bind_ok(l.port));
    // The same, as a person reads it.
    let l = listen(&["--close-on-term", "run_local_server"]);
    let out = run(&[
        "free-port",
        "--yes",
        "--timeout",
        "300ms",
        &l.port.to_string(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "python3 (pid {}) let go of the port after the first signal but kept running, and was killed with SIGKILL",
            l.pid
        )),
        "{text}"
    );
    assert!(!text.contains("still running"), "{text}");
}

/// The case of issue #11: it lets go on SIGTERM, keeps running and binds
/// again 0.2 s later. Declaring the port free after the release left it
/// held again at once.
#[test]
fn a_holder_that_lets_go_and_binds_again_later_is_not_left_holding_the_port() {
    let l = listen(&[
        "--close-on-term",
        "--rebind-after",
        "0.2",
        "run_local_server",
    ]);
    let port = l.port.to_string();
    let (code, v, _) = run_json(&["free-port", "--yes", "--timeout", "1s", &port]);
    // Whatever gauth said, the port must be free now, and stay so.
    std::thread::sleep(Duration::from_millis(400));
    assert!(bind_ok(l.port), "the port is held again: {v:#}");
    assert!(wait_dead(l.pid, Duration::from_secs(1)), "{v:#}");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["status"], "free", "{v:#}");
    let a = &v["actions"][0];
    assert_eq!(
        (
            a["result"].as_str(),
            a["signal"].as_str(),
            a["escalated"].as_bool(),
            a["rebound"].as_bool()
        ),
        (Some("exited"), Some("SIGKILL"), Some(true), Some(true)),
        "{v:#}"
    );
}

#[test]
fn a_live_interactive_session_is_not_a_leftover() {
    // The listener runs on a real terminal (under `script`) with its parent
    // alive: somebody's session, not a leftover.
    let cmd = format!("python3 {} run_local_server", helper().display());
    let l = listen_with(std::process::Command::new("script").args(["-qfec", &cmd, "/dev/null"]));
    let (code, v, _) = run_json(&["free-port", "--yes", &l.port.to_string()]);
    assert_eq!(code, 3, "{v:#}");
    let h = &v["holders"][0];
    assert!(h["tty"].as_str().unwrap().starts_with("pts/"), "{h:#}");
    assert_eq!(h["verdict"]["class"], "not_expendable");
    assert!(
        h["verdict"]["summary"]
            .as_str()
            .unwrap()
            .contains("an interactive Python session on pts/"),
        "{h:#}"
    );
    assert!(alive(l.pid));
    let (code, _, _) = run_json(&["free-port", "--yes", "--force", &l.port.to_string()]);
    assert_eq!(code, 0);
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
}

#[test]
fn signal_kill_is_sent_at_once_and_not_escalated() {
    let l = listen(&["--ignore-term", "run_local_server"]);
    let (code, v, _) = run_json(&["free-port", "-y", "--signal", "KILL", &l.port.to_string()]);
    assert_eq!(code, 0, "{v:#}");
    let a = &v["actions"][0];
    assert_eq!(
        (
            a["result"].as_str(),
            a["signal"].as_str(),
            a["escalated"].as_bool()
        ),
        (Some("exited"), Some("SIGKILL"), Some(false))
    );
    assert!(a["waited_ms"].as_u64().unwrap() < 1000);
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
}

/// Another process chooses its own name and argv: escape sequences in them
/// (OSC 52 to the clipboard, a title change, clearing the screen) reach the
/// terminal escaped, never raw; JSON keeps them exactly.
#[test]
fn hostile_names_are_escaped_in_human_output() {
    let name = "\x1b]0;pwned\x07";
    let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
    let l = listen(&["--comm", &hex, "\x1b]52;c;ZWNobyBvd25lZA==\x07\x1b[2J"]);
    for args in [
        vec!["free-port", "--dry-run", "--color", "never"],
        vec!["free-port", "--dry-run", "--color", "always", "-v"],
        vec!["doctor", "--port"],
    ] {
        let mut args = args;
        args.push(Box::leak(l.port.to_string().into_boxed_str()));
        let out = run(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        let raw: String = text.replace("\x1b[0m", "").replace("\x1b[1m", "");
        // Colour codes are gauth's own (CSI … m); nothing else may start
        // with ESC or BEL.
        let stripped = strip_sgr(&raw);
        assert!(
            !stripped.contains('\x1b') && !stripped.contains('\x07'),
            "{args:?}: raw control characters in {text:?}"
        );
        assert!(
            text.contains("\\e]0;pwned\\x07"),
            "{args:?}: name not shown escaped: {text}"
        );
    }
    let out = run(&[
        "free-port",
        "--dry-run",
        "--color",
        "never",
        &l.port.to_string(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\\e]52;c;ZWNobyBvd25lZA==\\x07\\e[2J"),
        "{text}"
    );
    let (_, v, _) = run_json(&["free-port", "--dry-run", &l.port.to_string()]);
    assert_eq!(v["holders"][0]["name"], name);
}

/// Remove SGR colour sequences (`ESC [ digits/; m`), which gauth itself
/// writes when colour is on.
fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 2..];
        let end = tail.find(|c: char| !(c.is_ascii_digit() || c == ';'));
        match end {
            Some(e) if tail[e..].starts_with('m') => rest = &tail[e + 1..],
            _ => {
                out.push_str("\x1b[");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The kernel keeps 15 bytes of a name and cuts `起動_スクリプト.sh` inside
/// a character: /proc/PID/stat is then not UTF-8.
const CUT_NAME_HEX: &str = "e8b5b7e58b955fe382b9e382afe383";

#[test]
fn an_ancestor_with_a_non_utf8_name_is_still_an_ancestor() {
    // python (holds the port) → bash renamed to a cut name → gauth.
    let script = format!(
        "printf '{}' > /proc/$$/comm; \"$GAUTH\" --json free-port --yes --force \"$PORT\"; echo EXIT=$?",
        CUT_NAME_HEX
            .as_bytes()
            .chunks(2)
            .map(|c| format!("\\x{}", std::str::from_utf8(c).unwrap()))
            .collect::<String>()
    );
    let mut child = std::process::Command::new("python3")
        .arg(helper())
        .args(["--spawn", &script])
        .env("GAUTH", env!("CARGO_BIN_EXE_gauth"))
        .stdout(std::process::Stdio::piped())
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0 {
        text.push_str(&line);
        if line.starts_with("EXIT=") {
            break;
        }
        line.clear();
    }
    let alive_after = alive(pid);
    let _ = child.kill();
    let _ = child.wait();
    assert!(alive_after, "gauth killed its own grandparent:\n{text}");
    assert!(text.contains("EXIT=3"), "{text}");
    let json = &text[text.find('{').unwrap()..text.rfind('}').unwrap() + 1];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(holder_pids(&v), vec![pid as i64], "{v:#}");
    assert_eq!(v["holders"][0]["verdict"]["class"], "protected", "{v:#}");
    assert!(
        v["holders"][0]["verdict"]["summary"]
            .as_str()
            .unwrap()
            .contains("gauth's own ancestor"),
        "{v:#}"
    );
    assert_eq!(v["actions"][0]["action"], "refused");
}

#[test]
fn a_holder_with_a_non_utf8_name_is_named() {
    let l = listen(&["--comm", "e8b5b7e58b95e383"]);
    let (code, v, _) = run_json(&["free-port", "--dry-run", &l.port.to_string()]);
    assert_eq!(code, 3);
    assert_eq!(holder_pids(&v), vec![l.pid as i64], "{v:#}");
    assert_eq!(v["listeners"][0]["pids"], serde_json::json!([l.pid]));
    assert_eq!(v["holders"][0]["name"], "起動\u{fffd}", "{v:#}");
    let summary = v["summary"].as_str().unwrap();
    assert!(!summary.contains("no visible process"), "{summary}");
    let out = run(&[
        "free-port",
        "--dry-run",
        "--color",
        "never",
        &l.port.to_string(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("(pid {}, user ", l.pid)), "{text}");
}

#[test]
fn an_established_connection_on_the_port_is_named() {
    let l = listen(&["--connection", "established"]);
    let port = l.port.to_string();
    let (code, v, _) = run_json(&["free-port", "--dry-run", &port]);
    assert_eq!(code, 3);
    assert_eq!(v["status"], "held", "{v:#}");
    assert_eq!(holder_pids(&v), vec![l.pid as i64], "{v:#}");
    let h = &v["holders"][0];
    assert!(h["listening_on"].as_array().unwrap().is_empty(), "{h:#}");
    let conn = h["connections"][0].as_str().unwrap();
    assert!(
        conn.starts_with(&format!("127.0.0.1:{port} to 127.0.0.1:"))
            && conn.ends_with("(established)"),
        "{conn}"
    );
    assert_eq!(v["connections"][0]["pids"], serde_json::json!([l.pid]));
    assert!(
        v["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("python3 (pid {})", l.pid)),
        "{v:#}"
    );
    let out = run(&["free-port", "--dry-run", "--color", "never", &port]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("pid {}", l.pid))
            && text.contains("holding a connection (not a listener): 127.0.0.1:"),
        "{text}"
    );
    // doctor names it too, rather than blaming a sandbox.
    let out = gauth()
        .args(["--json", "doctor", "--port", &port])
        .output()
        .unwrap();
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let port_checks: Vec<_> = d["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["area"] == "port")
        .collect();
    assert!(
        port_checks.iter().any(|c| c["id"] == "held"
            && c["summary"]
                .as_str()
                .unwrap()
                .contains(&format!("python3 (pid {})", l.pid))),
        "{port_checks:#?}"
    );
    assert!(
        !port_checks.iter().any(|c| c["id"] == "blocked"),
        "{port_checks:#?}"
    );
    assert!(alive(l.pid));
}

#[test]
fn a_close_wait_connection_on_the_port_is_freed_with_force() {
    let l = listen(&["--connection", "close_wait"]);
    let port = l.port.to_string();
    let (code, v, _) = run_json(&["free-port", "--yes", &port]);
    assert_eq!(code, 3, "a connection is no auth listener: --force");
    assert!(
        v["holders"][0]["connections"][0]
            .as_str()
            .unwrap()
            .ends_with("(close_wait)"),
        "{v:#}"
    );
    assert_eq!(v["actions"][0]["action"], "refused", "{v:#}");
    assert!(alive(l.pid));
    let (code, v, _) = run_json(&["free-port", "--yes", "--force", &port]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["actions"][0]["result"], "exited", "{v:#}");
    assert_eq!(v["status"], "free", "{v:#}");
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
    assert!(bind_ok(l.port));
}

#[test]
fn a_holder_that_listens_again_on_sigterm_is_sigkilled() {
    let l = listen(&["--relisten-on-term", "run_local_server"]);
    let (code, v, _) = run_json(&["free-port", "--yes", "--timeout", "2s", &l.port.to_string()]);
    assert_eq!(code, 0, "{v:#}");
    let a = &v["actions"][0];
    assert_eq!(
        (
            a["result"].as_str(),
            a["signal"].as_str(),
            a["escalated"].as_bool()
        ),
        (Some("exited"), Some("SIGKILL"), Some(true)),
        "{v:#}"
    );
    assert_eq!(a["rebound"], true, "{v:#}");
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
    assert!(bind_ok(l.port));
    assert_eq!(v["status"], "free");
}

#[test]
fn a_replacement_forked_on_sigterm_is_named_and_the_port_is_not_free() {
    let l = listen(&["--fork-on-term", "run_local_server"]);
    let port = l.port.to_string();
    let out = gauth()
        .args(["--json", "free-port", "--yes", "--timeout", "2s", &port])
        .output()
        .unwrap();
    // The replacement is this test's to clean up, whatever gauth said.
    if let Ok(scan) = gauth::system::net::scan(l.port, std::path::Path::new("/proc")) {
        for h in scan.holdings {
            unsafe { libc::kill(h.pid, libc::SIGKILL) };
        }
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let now: Vec<i64> = v["now_held_by"]
        .as_array()
        .map(|a| a.iter().filter_map(|h| h["pid"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(out.status.code(), Some(3), "{v:#}");
    assert_eq!(v["status"], "held", "{v:#}");
    assert_eq!(now.len(), 1, "{v:#}");
    assert_ne!(now[0], l.pid as i64);
    assert!(v["now_held_by"][0]["verdict"]["class"].is_string(), "{v:#}");
    let summary = v["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("now held by python3 (pid {})", now[0])),
        "{summary}"
    );
}

/// Two expendable holders on one port (SO_REUSEPORT, both with the
/// `run_local_server` tag on 127.0.0.1).
fn two_expendable_holders() -> (Listener, Listener) {
    let a = listen(&["--reuseport", "run_local_server"]);
    let b = listen(&[
        "--reuseport",
        "--port",
        &a.port.to_string(),
        "run_local_server",
    ]);
    (a, b)
}

/// The one question for both, in the order gauth lists the holders.
fn both_question(text: &str, a: &Listener, b: &Listener) {
    let ab = format!(
        "Kill these 2 processes (python3 pid {}, python3 pid {})? [y/N]",
        a.pid, b.pid
    );
    let ba = format!(
        "Kill these 2 processes (python3 pid {}, python3 pid {})? [y/N]",
        b.pid, a.pid
    );
    assert!(text.contains(&ab) || text.contains(&ba), "{text}");
    assert_eq!(text.matches("[y/N]").count(), 1, "asked once: {text}");
}

#[test]
fn on_a_terminal_one_yes_kills_every_holder() {
    let (a, b) = two_expendable_holders();
    let (code, text) = run_on_a_terminal(&format!("free-port {}", a.port), "y\n");
    both_question(&text, &a, &b);
    assert_eq!(code, 0, "{text}");
    assert!(wait_dead(a.pid, Duration::from_secs(1)), "{text}");
    assert!(wait_dead(b.pid, Duration::from_secs(1)), "{text}");
    assert!(text.contains("is free now"), "{text}");
}

#[test]
fn on_a_terminal_one_no_declines_every_holder() {
    let (a, b) = two_expendable_holders();
    let (code, text) = run_on_a_terminal(&format!("free-port {}", a.port), "n\n");
    both_question(&text, &a, &b);
    assert_eq!(code, 3, "{text}");
    assert_eq!(
        text.matches("you chose not to kill it").count(),
        2,
        "{text}"
    );
    assert!(alive(a.pid) && alive(b.pid));
}

#[test]
fn the_wait_before_sigkill_is_announced_on_stderr() {
    let l = listen(&["--ignore-term", "run_local_server"]);
    let port = l.port.to_string();
    let out = run(&["free-port", "--yes", "--timeout", "1s", &port]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let line = format!(
        "SIGTERM sent; waiting up to 1.0 s for python3 (pid {}) to exit before SIGKILL…",
        l.pid
    );
    assert!(stderr.contains(&line), "stderr: {stderr}");
    assert!(!stdout.contains("waiting up to"), "{stdout}");
    assert!(wait_dead(l.pid, Duration::from_secs(1)));
}

#[test]
fn the_wait_is_not_announced_with_quiet_or_json_or_when_nobody_lingers() {
    for args in [&["-q"][..], &["--json"][..]] {
        let l = listen(&["--ignore-term", "run_local_server"]);
        let port = l.port.to_string();
        let out = gauth()
            .args(args)
            .args(["free-port", "--yes", "--timeout", "1s", &port])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("waiting up to"), "{args:?}: {stderr}");
        assert!(wait_dead(l.pid, Duration::from_secs(1)));
    }
    // A holder that exits at once on SIGTERM: nothing to announce.
    let l = listen(&["run_local_server"]);
    let out = run(&["free-port", "--yes", &l.port.to_string()]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("waiting up to"), "{stderr}");
}

/// `gauth ARGS` on a terminal (under `script`): the child, and its output
/// (stdout and stderr, as the terminal shows them) as it comes.
fn spawn_on_a_terminal(args: &str) -> (std::process::Child, std::sync::mpsc::Receiver<Vec<u8>>) {
    use std::io::Read;
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_gauth"));
    let mut child = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux script");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Collect output from `rx` until `text` contains `want` (or 10 s pass).
fn read_until(rx: &std::sync::mpsc::Receiver<Vec<u8>>, text: &mut String, want: &str) {
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while !text.contains(want) {
        let left = end.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Err(_) => panic!("no {want:?} in: {text}"),
        }
    }
}

/// The program a process runs now, from its /proc/PID/exe.
fn exe_of(pid: i32) -> String {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// The verdict was about a Python auth listener; while gauth waits for
/// the answer, the holder execs `sleep` (same pid, same start time, same
/// socket). The "yes" was about python3: sleep is not signalled.
#[test]
fn a_holder_that_runs_another_program_after_the_verdict_is_not_signalled() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let trigger = dir.path().join("exec-now");
    let l = listen(&[
        "--exec-on-file",
        trigger.to_str().unwrap(),
        "run_local_server",
    ]);
    let (mut child, rx) = spawn_on_a_terminal(&format!("free-port {}", l.port));
    let mut text = String::new();
    read_until(&rx, &mut text, "[y/N]");
    assert!(text.contains("looks expendable"), "{text}");
    std::fs::write(&trigger, "").unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(5);
    while !exe_of(l.pid).ends_with("/sleep") {
        assert!(std::time::Instant::now() < end, "the holder never exec'd");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.stdin.take().unwrap().write_all(b"y\n").unwrap();
    let status = child.wait().unwrap();
    while let Ok(chunk) = rx.recv_timeout(Duration::from_secs(2)) {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(alive(l.pid), "sleep was signalled: {text}");
    assert!(!bind_ok(l.port));
    assert_eq!(status.code(), Some(3), "{text}");
    assert!(
        text.contains(&format!(
            "python3 (pid {}) now runs another program (sleep 3600); nothing sent",
            l.pid
        )),
        "{text}"
    );
    // The port is named as held by what runs now, with its own verdict.
    assert!(
        text.contains(&format!(
            "now held by sleep (pid {}): not expendable",
            l.pid
        )),
        "{text}"
    );
}

/// The re-check before SIGKILL: a holder that answers SIGTERM by exec'ing
/// another program (which keeps the socket) is not SIGKILLed under the
/// verdict on the program it was.
#[test]
fn a_holder_that_runs_another_program_after_sigterm_gets_no_sigkill() {
    let l = listen(&["--exec-on-term", "run_local_server"]);
    let port = l.port.to_string();
    let (code, v, _) = run_json(&["free-port", "--yes", "--timeout", "500ms", &port]);
    assert!(alive(l.pid), "sleep was SIGKILLed: {v:#}");
    assert_eq!(exe_of(l.pid), "/usr/bin/sleep");
    assert_eq!(code, 3, "{v:#}");
    let a = &v["actions"][0];
    assert_eq!(a["result"], "program_changed", "{v:#}");
    assert_eq!(a["sent"], "SIGTERM", "{v:#}");
    assert_eq!(a["cmdline"], serde_json::json!(["sleep", "3600"]), "{v:#}");
    assert_eq!(v["now_held_by"][0]["name"], "sleep", "{v:#}");
    assert_eq!(v["status"], "held");
}
