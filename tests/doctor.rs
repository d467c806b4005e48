//! `gauth doctor` against real listeners, a real environment and real
//! name resolution.
// Real processes, sockets and the test provider through Unix APIs (and
// tests/helpers/listen.py): Unix only. Windows runs the end-to-end check of
// .ci/win-e2e under wine instead.
#![cfg(unix)]
mod common;
use common::*;
use std::net::{IpAddr, ToSocketAddrs};

fn checks<'a>(v: &'a serde_json::Value, area: &str) -> Vec<&'a serde_json::Value> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["area"] == area)
        .collect()
}

#[test]
fn the_json_document_is_complete_and_versioned() {
    let port = free_port();
    let (code, v) = doctor_json(&["--port", &port.to_string()], &[]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["port"], port);
    assert_eq!(v["port_source"], "--port");
    for area in ["session", "browser", "port", "listener", "config"] {
        assert!(!checks(&v, area).is_empty(), "no {area} checks: {v:#}");
    }
    for c in v["checks"].as_array().unwrap() {
        assert!(
            ["ok", "warn", "fail", "info"].contains(&c["status"].as_str().unwrap()),
            "{c}"
        );
        assert!(!c["summary"].as_str().unwrap().is_empty());
    }
    let flow = v["recommendation"]["flow"].as_str().unwrap();
    assert!(["loopback", "paste", "device"].contains(&flow));
    assert!(
        !v["recommendation"]["reasons"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        code == 0,
        v["loopback_ready"] == true,
        "exit 0 exactly when loopback works as things are"
    );
    assert!(!v["session"]["evidence"].as_array().unwrap().is_empty());
}

#[test]
fn recommend_prints_one_word_that_matches_the_json() {
    let port = free_port().to_string();
    let out = gauth()
        .args(["doctor", "--recommend", "--port", &port])
        .output()
        .unwrap();
    let word = String::from_utf8(out.stdout).unwrap();
    assert!(
        ["loopback\n", "paste\n", "device\n"].contains(&word.as_str()),
        "{word:?}"
    );
    let (_, v) = doctor_json(&["--port", &port], &[]);
    assert_eq!(
        format!("{}\n", v["recommendation"]["flow"].as_str().unwrap()),
        word
    );
    let forced = gauth()
        .args(["doctor", "--recommend", "--port", &port])
        .env("GAUTH_FLOW", "paste")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&forced.stdout), "paste\n");
    let forced = gauth()
        .args(["doctor", "--recommend", "--port", &port])
        .env("GAUTH_OOB", "true")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&forced.stdout), "paste\n");
}

#[test]
fn a_held_port_names_the_holder_and_the_fix() {
    for (addr, shown) in [("127.0.0.1", "127.0.0.1"), ("::1", "[::1]"), ("::", "[::]")] {
        let l = listen(&["--addr", addr, "run_local_server"]);
        let (code, v) = doctor_json(&["--port", &l.port.to_string()], &[]);
        assert_eq!(code, 3, "a held port needs an action");
        let held: Vec<_> = checks(&v, "port")
            .into_iter()
            .filter(|c| c["id"] == "held")
            .collect();
        assert_eq!(held.len(), 1, "{v:#}");
        let summary = held[0]["summary"].as_str().unwrap();
        assert!(
            summary.contains(&format!("python3 (pid {})", l.pid)),
            "{summary}"
        );
        assert!(
            summary.contains(&format!("{shown}:{}", l.port)),
            "{summary}"
        );
        if addr == "::" {
            // Reachable from other machines: not a loopback auth helper.
            assert!(summary.contains("not expendable"), "{summary}");
            assert!(
                held[0]["fix"].as_str().unwrap().contains("--force"),
                "{v:#}"
            );
        } else {
            assert!(summary.contains("looks expendable"), "{summary}");
            assert_eq!(held[0]["fix"], format!("gauth free-port {}", l.port));
        }
        assert_eq!(v["port_state"]["holders"][0]["pid"], l.pid);
        // The listener self-test moves to a free port and says so.
        assert_eq!(
            v["listener"]["on_requested_port"],
            addr == "::1",
            "only 127.0.0.1 decides the port"
        );
        assert!(alive(l.pid), "doctor never kills");
    }
}

#[test]
fn the_localhost_check_reports_real_resolution_order() {
    let port = free_port();
    let (_, v) = doctor_json(&["--port", &port.to_string()], &[]);
    let want: Vec<String> = {
        let mut seen: Vec<IpAddr> = Vec::new();
        for a in ("localhost", port).to_socket_addrs().unwrap() {
            if !seen.contains(&a.ip()) {
                seen.push(a.ip());
            }
        }
        seen.iter().map(IpAddr::to_string).collect()
    };
    let got: Vec<String> = v["listener"]["localhost"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, want);
    let probes = v["listener"]["probes"].as_array().unwrap();
    // With only a 127.0.0.1 listener, ::1 is refused (a fact of the kernel,
    // measured, not assumed); with both, everything answers.
    let find = |l: &str, a: &str| {
        probes
            .iter()
            .find(|p| p["listeners"] == l && p["address"] == a)
            .map(|p| p["result"].as_str().unwrap().to_owned())
    };
    assert_eq!(
        find("ipv4_only", &format!("127.0.0.1:{port}")).as_deref(),
        Some("ok")
    );
    // Whether ::1 works here is measured by the test too, so a doctor that
    // wrongly reports it broken fails instead of skipping the checks.
    let ipv6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    assert_eq!(v["listener"]["binds"][1]["status"] == "ok", ipv6, "{v:#}");
    if ipv6 {
        assert_eq!(
            find("ipv4_only", &format!("[::1]:{port}")).as_deref(),
            Some("refused")
        );
        assert_eq!(
            find("ipv4_and_ipv6", &format!("[::1]:{port}")).as_deref(),
            Some("ok")
        );
    }
    let localhost = checks(&v, "listener")
        .into_iter()
        .find(|c| c["id"] == "localhost")
        .unwrap();
    assert!(
        localhost["evidence"][0]
            .as_str()
            .unwrap()
            .contains(&want.join(", "))
    );
}

#[test]
fn the_self_test_leaves_no_time_wait_on_the_port() {
    let port = free_port();
    let (_, v) = doctor_json(&["--port", &port.to_string()], &[]);
    assert_eq!(v["listener"]["on_requested_port"], true);
    let (_, again) = doctor_json(&["--port", &port.to_string()], &[]);
    assert!(
        again["port_state"]["time_wait"].is_null(),
        "the self-test closed client-first: {:#}",
        again["port_state"]
    );
}

#[test]
fn session_signals_from_the_environment() {
    let port = free_port().to_string();
    let (code, v) = doctor_json(
        &["--port", &port],
        &[
            ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 2222"),
            ("DISPLAY", ""),
            ("USER", "jenny"),
        ],
    );
    assert_eq!(v["session"]["kind"], "ssh");
    assert_eq!(v["session"]["reach"], "tunnel");
    assert_eq!(code, 3);
    let cmds = v["recommendation"]["commands"].as_array().unwrap();
    assert!(
        cmds.iter()
            .any(|c| c["run"] == format!("ssh -L {port}:127.0.0.1:{port} -p 2222 jenny@10.9.8.7")),
        "{cmds:#?}"
    );
    let (_, v) = doctor_json(
        &["--port", &port],
        &[("RSTUDIO_PROGRAM_MODE", "server"), ("RSTUDIO", "1")],
    );
    assert_eq!(v["session"]["name"], "RStudio Server / Posit Workbench");
    let (_, v) = doctor_json(
        &["--port", &port],
        &[("GAUTH_OOB", "1"), ("RSTUDIO_PROGRAM_MODE", "server")],
    );
    assert_eq!(v["recommendation"]["flow"], "paste");
    assert!(
        v["recommendation"]["commands"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["run"] == "options(gargle_oob_default = TRUE)")
    );
}

#[test]
fn httr_port_mismatch_is_a_failure_with_a_fix() {
    let port = free_port().to_string();
    let (code, v) = doctor_json(&[], &[("HTTR_PORT", &port), ("HTTR_SERVER_PORT", "8080")]);
    assert_eq!(code, 3);
    assert_eq!(v["port"].to_string(), port, "HTTR_PORT picks the port");
    assert_eq!(v["port_source"], "HTTR_PORT");
    let c = checks(&v, "config")
        .into_iter()
        .find(|c| c["id"] == "httr")
        .unwrap();
    assert_eq!(c["status"], "fail");
    assert!(c["summary"].as_str().unwrap().contains("differ"), "{c}");
    assert!(
        c["fix"]
            .as_str()
            .unwrap()
            .contains("unset HTTR_SERVER_PORT")
    );
    let (_, v) = doctor_json(&["--port", &port], &[("HTTR_LOCALHOST", "0.0.0.0")]);
    let c = checks(&v, "config")
        .into_iter()
        .find(|c| c["id"] == "httr_host")
        .unwrap();
    assert_eq!(c["status"], "warn");
}

#[test]
fn bad_configuration_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("gauth")).unwrap();
    std::fs::write(dir.path().join("gauth/config.toml"), "flow = [\n").unwrap();
    let port = free_port().to_string();
    let (code, v) = doctor_json(
        &["--port", &port],
        &[
            ("XDG_CONFIG_HOME", dir.path().to_str().unwrap()),
            ("GAUTH_FLOW", "pigeon"),
        ],
    );
    assert_eq!(code, 3);
    let bad: Vec<_> = checks(&v, "config")
        .into_iter()
        .filter(|c| c["id"] == "invalid")
        .collect();
    assert_eq!(bad.len(), 2, "{v:#}");
    assert!(
        bad.iter()
            .all(|c| !c["summary"].as_str().unwrap().contains('\n'))
    );
}

#[test]
fn online_reports_a_reachable_endpoint_and_a_dead_one_cleanly() {
    use std::io::{Read, Write};
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (mut c, _) = server.accept().unwrap();
        let mut buf = [0u8; 2048];
        let _ = c.read(&mut buf);
        c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            .unwrap();
    });
    // Speaks TCP but not TLS: the handshake fails, and says so.
    let not_tls = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let not_tls_addr = not_tls.local_addr().unwrap();
    let t2 = std::thread::spawn(move || {
        if let Ok((mut c, _)) = not_tls.accept() {
            let _ = c.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let dead = free_port();
    let port = free_port().to_string();
    let up = format!("http://{addr}/.well-known/openid-configuration");
    let down = format!("http://127.0.0.1:{dead}/token");
    let (_, v) = doctor_json(
        &[
            "--port",
            &port,
            "--online",
            "--endpoint",
            &up,
            "--endpoint",
            &down,
            "--endpoint",
            &format!("https://{not_tls_addr}/"),
        ],
        &[],
    );
    t.join().unwrap();
    t2.join().unwrap();
    let online = v["online"].as_array().unwrap();
    assert_eq!(online[0]["ok"], true, "{online:#?}");
    assert_eq!(online[0]["detail"], "HTTP 200");
    assert_eq!(online[1]["ok"], false);
    assert!(
        online[1]["detail"].as_str().unwrap().contains("connection"),
        "{online:#?}"
    );
    assert_eq!(online[2]["ok"], false);
    assert!(
        !online[2]["detail"].as_str().unwrap().is_empty(),
        "{online:#?}"
    );
    let fails: Vec<_> = checks(&v, "online")
        .into_iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert_eq!(fails.len(), 2);
    assert_eq!(
        v["loopback_ready"], false,
        "a dead provider blocks every flow"
    );
}

#[test]
fn a_bad_endpoint_is_a_usage_error() {
    for bad in [
        "http://example.com/",
        "not a url",
        "ftp://127.0.0.1/",
        "http://10.0.0.1/token",
    ] {
        let out = gauth()
            .args(["doctor", "--online", "--endpoint", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--endpoint"), "{err}");
    }
    let ok = gauth()
        .args([
            "doctor",
            "--online",
            "--endpoint",
            "http://[::1]:9/x",
            "--recommend",
        ])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "loopback http is allowed");
}

#[test]
fn doctor_makes_no_network_access_by_default() {
    let port = free_port().to_string();
    let (_, v) = doctor_json(&["--port", &port], &[]);
    assert!(v["online"].is_null());
    assert!(checks(&v, "online").is_empty());
}

#[test]
fn the_flow_for_a_remote_session_depends_on_whether_someone_can_paste() {
    let port = free_port().to_string();
    let env = [
        ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
        ("DISPLAY", ""),
        ("GAUTH_FLOW", ""),
        ("GAUTH_OOB", ""),
    ];
    // No terminal (a script, CI): device. Detached, so that the terminal
    // `cargo test` may run on is no ancestor's.
    let out = output_detached(&["doctor", "--recommend", "--port", &port], &env);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "device\n");
    // On a terminal (under `script`): paste.
    let cmd = format!(
        "{} doctor --recommend --port {port}",
        env!("CARGO_BIN_EXE_gauth")
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .envs(env)
        .stdin(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "paste");
}

#[test]
fn hosted_ides_get_paste_even_without_a_terminal() {
    // R in RStudio Server runs gauth with no tty on stdin, yet the user can
    // paste into the R console: paste, never device (gargle has no device flow).
    let port = free_port().to_string();
    for env in [
        &[("RSTUDIO_PROGRAM_MODE", "server"), ("RSTUDIO", "1")][..],
        &[("JUPYTERHUB_USER", "jenny")],
        &[("CLOUD_SHELL", "true")],
    ] {
        let out = gauth()
            .args(["doctor", "--recommend", "--port", &port])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "paste\n", "{env:?}");
    }
}

/// A desktop where a loopback login works, in a clean environment: an X
/// server socket that accepts connections (a Unix listener at
/// `/tmp/.X11-unix/XN`), an `xdg-open` on PATH that does nothing, an empty
/// HOME. `live: false` leaves the display without a server.
struct Desktop {
    dir: tempfile::TempDir,
    display: String,
    socket: Option<std::path::PathBuf>,
    _x: Option<std::os::unix::net::UnixListener>,
}

impl Drop for Desktop {
    fn drop(&mut self) {
        if let Some(s) = &self.socket {
            let _ = std::fs::remove_file(s);
        }
    }
}

/// A program that does nothing.
fn script(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    fixtures::write_script(dir, name, "#!/bin/sh\nexit 0\n")
}

impl Desktop {
    fn new(live: bool) -> Desktop {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        script(&dir.path().join("bin"), "xdg-open");
        let x11 = std::path::Path::new("/tmp/.X11-unix");
        if !x11.exists() {
            std::fs::create_dir_all(x11).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(x11, std::fs::Permissions::from_mode(0o1777)).unwrap();
        }
        // One number per Desktop in this process (tests run in parallel),
        // skipping any display that exists on the machine.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(400);
        let n = loop {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if !x11.join(format!("X{n}")).exists() && !x11.join(format!("X{n}.lock")).exists() {
                break n;
            }
        };
        let (socket, x) = if live {
            let s = x11.join(format!("X{n}"));
            let l = std::os::unix::net::UnixListener::bind(&s).unwrap();
            (Some(s), Some(l))
        } else {
            (None, None)
        };
        Desktop {
            dir,
            display: format!(":{n}"),
            socket,
            _x: x,
        }
    }

    fn path(&self) -> String {
        format!("{}/bin:/usr/bin:/bin", self.dir.path().display())
    }

    /// gauth in a clean environment on this desktop, plus `extra`.
    fn doctor(&self, args: &[&str], extra: &[(&str, &str)]) -> (i32, serde_json::Value) {
        let out = gauth()
            .env_clear()
            .env("PATH", self.path())
            .env("HOME", self.dir.path().join("home"))
            .env("DISPLAY", &self.display)
            .envs(extra.iter().copied())
            .current_dir(self.dir.path())
            .args(["doctor", "--json"])
            .args(args)
            .output()
            .unwrap();
        let v = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), v)
    }
}

#[test]
fn a_desktop_whose_x_server_answers_is_ready() {
    let d = Desktop::new(true);
    let p = free_port().to_string();
    let (code, v) = d.doctor(&["--port", &p], &[]);
    assert_eq!(v["session"]["kind"], "local_desktop", "{:#}", v["session"]);
    assert_eq!(v["session"]["browser"]["opener"], "xdg-open");
    assert_eq!(code, 0, "{:#}", v["checks"]);
}

#[test]
fn a_display_without_an_x_server_is_not_ready() {
    let d = Desktop::new(false);
    let p = free_port().to_string();
    let (code, v) = d.doctor(&["--port", &p], &[]);
    assert_eq!(code, 3, "{:#}", v["session"]);
    assert_eq!(v["loopback_ready"], false);
    assert_ne!(v["session"]["kind"], "local_desktop");
    assert!(
        v["session"].to_string().contains(&format!(
            "DISPLAY={} is set, but no X server answers there",
            d.display
        )),
        "{:#}",
        v["session"]
    );
}

#[test]
fn a_browser_variable_naming_a_missing_program_is_not_ready() {
    let d = Desktop::new(true);
    let p = free_port().to_string();
    let (code, v) = d.doctor(&["--port", &p], &[("BROWSER", "/nonexistent/firefox")]);
    assert_eq!(code, 3);
    assert_eq!(v["session"]["browser"]["lands"], "nowhere");
    assert!(
        v["session"]["browser"]["evidence"]
            .to_string()
            .contains("is not an executable program here"),
        "{:#}",
        v["session"]["browser"]
    );
}

#[test]
fn a_forced_loopback_where_no_browser_can_open_is_not_ready() {
    // No DISPLAY at all: headless (or a container, here).
    let d = Desktop::new(false);
    let p = free_port().to_string();
    let out = gauth()
        .env_clear()
        .env("PATH", d.path())
        .env("HOME", d.dir.path().join("home"))
        .env("GAUTH_FLOW", "loopback")
        .args(["doctor", "--json", "--port", &p])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(3), "{:#}", v["recommendation"]);
    assert_eq!(v["loopback_ready"], false);
    assert_eq!(
        v["recommendation"]["flow"], "loopback",
        "the setting is obeyed"
    );
    assert!(
        v["recommendation"]["reasons"]
            .to_string()
            .contains("but a loopback login will not complete"),
        "{:#}",
        v["recommendation"]
    );
}

#[test]
fn a_browser_program_on_this_machine_reaches_loopback_even_over_ssh() {
    let d = Desktop::new(false);
    let w3m = script(&d.dir.path().join("bin"), "w3m");
    let p = free_port().to_string();
    let out = gauth()
        .env_clear()
        .env("PATH", d.path())
        .env("HOME", d.dir.path().join("home"))
        .env("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22")
        .env("BROWSER", w3m.to_str().unwrap())
        .args(["doctor", "--json", "--port", &p])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["session"]["kind"], "ssh");
    assert_eq!(v["session"]["reach"], "yes", "{:#}", v["session"]);
    assert_eq!(v["session"]["browser"]["lands"], "here");
    assert_eq!(v["recommendation"]["flow"], "loopback");
    assert_eq!(out.status.code(), Some(0), "{:#}", v["checks"]);
}

/// A user's own `browser.sh` is a program that runs here, not VS Code's
/// helper: over SSH it reaches this loopback. The helper itself is known
/// by where VS Code installs it.
#[test]
fn a_users_own_browser_sh_runs_here_and_only_vs_codes_helper_opens_on_the_client() {
    let d = Desktop::new(false);
    let mine = script(&d.dir.path().join("bin"), "browser.sh");
    let helpers = d
        .dir
        .path()
        .join("home/.vscode-server/bin/0f0d87fa/bin/helpers");
    std::fs::create_dir_all(&helpers).unwrap();
    let helper = script(&helpers, "browser.sh");
    let p = free_port().to_string();
    let doctor = |browser: &std::path::Path| {
        let out = gauth()
            .env_clear()
            .env("PATH", d.path())
            .env("HOME", d.dir.path().join("home"))
            .env("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22")
            .env("BROWSER", browser)
            .args(["doctor", "--json", "--port", &p])
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let v = doctor(&mine);
    assert_eq!(v["session"]["kind"], "ssh");
    assert_eq!(
        v["session"]["browser"]["lands"], "here",
        "{:#}",
        v["session"]
    );
    assert_eq!(v["session"]["reach"], "yes", "{:#}", v["session"]);
    assert_eq!(v["recommendation"]["flow"], "loopback");
    let v = doctor(&helper);
    assert_eq!(
        v["session"]["browser"]["lands"], "client",
        "{:#}",
        v["session"]
    );
    assert_eq!(v["session"]["reach"], "tunnel", "{:#}", v["session"]);
}

#[test]
fn httr_port_alone_breaks_the_redirect_and_is_a_failure() {
    let d = Desktop::new(true);
    let p = free_port().to_string();
    let (code, v) = d.doctor(&[], &[("HTTR_PORT", &p)]);
    assert_eq!(v["port"].to_string(), p);
    assert_eq!(v["httr"]["listen_port"], p);
    assert_eq!(
        v["httr"]["redirect_port"], "1410",
        "httr's default, not HTTR_PORT"
    );
    let c = checks(&v, "config")
        .into_iter()
        .find(|c| c["id"] == "httr")
        .unwrap();
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        c["fix"].as_str().unwrap().contains("HTTR_SERVER_PORT"),
        "{c}"
    );
    assert_eq!(code, 3);
    // Both set to the same port: consistent.
    let (code, v) = d.doctor(&[], &[("HTTR_PORT", &p), ("HTTR_SERVER_PORT", &p)]);
    let c = checks(&v, "config")
        .into_iter()
        .find(|c| c["id"] == "httr")
        .unwrap();
    assert_eq!(c["status"], "ok", "{c}");
    assert_eq!(code, 0);
}

/// Run gauth with a deadline: a hang is a failure, not a stuck test run.
fn doctor_with_deadline(cmd: &mut std::process::Command) -> serde_json::Value {
    use std::io::Read;
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gauth doctor hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn fifos_and_devices_as_config_or_rprofile_are_named_not_a_hang() {
    let d = Desktop::new(true);
    let home = d.dir.path().join("home");
    std::fs::create_dir_all(home.join(".config/gauth")).unwrap();
    let config = home.join(".config/gauth/config.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&config)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("/dev/zero", home.join(".Rprofile")).unwrap();
    let p = free_port().to_string();
    let mut cmd = gauth();
    cmd.env_clear()
        .env("PATH", d.path())
        .env("HOME", &home)
        .env("DISPLAY", &d.display)
        .current_dir(d.dir.path())
        .args(["doctor", "--json", "--port", &p]);
    let v = doctor_with_deadline(&mut cmd);
    let config_checks = checks(&v, "config");
    let text =
        serde_json::Value::from(config_checks.into_iter().cloned().collect::<Vec<_>>()).to_string();
    assert!(
        text.contains(&format!(
            "cannot read {}: not a regular file (a FIFO)",
            config.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "cannot read {}: not a regular file (a character device)",
            home.join(".Rprofile").display()
        )),
        "{text}"
    );
    // The current directory's .Rprofile comes first (R's rule): a FIFO there.
    let cwd = tempfile::tempdir().unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(cwd.path().join(".Rprofile"))
            .status()
            .unwrap()
            .success()
    );
    let mut cmd = gauth();
    cmd.env_clear()
        .env("PATH", d.path())
        .env("HOME", d.dir.path())
        .current_dir(cwd.path())
        .args(["doctor", "--json", "--port", &p]);
    let v = doctor_with_deadline(&mut cmd);
    assert_eq!(v["rprofile"]["path"], ".Rprofile");
    assert_eq!(v["rprofile"]["problem"], "not a regular file (a FIFO)");
}

#[test]
fn rprofile_options_are_read_as_r_code() {
    let d = Desktop::new(true);
    let home = d.dir.path().join("home");
    let p = free_port().to_string();
    for (text, want) in [
        // Latin-1, and the short `T`.
        (
            &b"# R\xe9glages de J\xe9r\xf4me\noptions(gargle_oob_default = T)\n"[..],
            true,
        ),
        (b"options(gargle_oob_default = FALSE)  # TRUE\n", false),
        (b"# options(gargle_oob_default = TRUE)\n", false),
    ] {
        std::fs::write(home.join(".Rprofile"), text).unwrap();
        let (_, v) = d.doctor(&["--port", &p], &[]);
        let found = checks(&v, "config").iter().any(|c| {
            c["id"] == "rprofile"
                && c["summary"]
                    .as_str()
                    .unwrap()
                    .contains("gargle_oob_default")
        });
        assert_eq!(found, want, "{}", String::from_utf8_lossy(text));
    }
}

/// Doctor reads a profile as R does: R itself (Rscript, with the profile
/// as R_PROFILE_USER) says which out-of-band options it sets, and doctor
/// must say the same — after a raw string holding a quote, and for the
/// options R takes from one list.
#[test]
fn rprofile_options_agree_with_r_itself() {
    let Ok(rscript) = which("Rscript") else {
        eprintln!("skipped: no Rscript (the CI installs r-base-core)");
        return;
    };
    let d = Desktop::new(true);
    let p = free_port().to_string();
    let profile = d.dir.path().join("profile.R");
    let profile_s = profile.to_str().unwrap();
    for text in [
        "x <- r\"[He said \"hi]\"\noptions(gargle_oob_default = TRUE)\n",
        "y <- R'---(a )' ]' \" # )---'\noptions(httr_oob_default = T)\n",
        "options(list(gargle_oob_default = TRUE))\n",
        "options(base::list(width = 100, httr_oob_default = TRUE))\n",
        "x <- r\"(options(gargle_oob_default = TRUE))\"\n",
        "x <- list(gargle_oob_default = TRUE)\n",
        "options(x = list(gargle_oob_default = TRUE))\n",
    ] {
        std::fs::write(&profile, text).unwrap();
        let r = std::process::Command::new(&rscript)
            .env("R_PROFILE_USER", &profile)
            .args([
                "-e",
                "for (o in c('gargle_oob_default', 'httr_oob_default')) if (isTRUE(getOption(o))) cat(o, '')",
            ])
            .output()
            .unwrap();
        assert!(r.status.success(), "{text}: {r:?}");
        let mut by_r: Vec<String> = String::from_utf8_lossy(&r.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        by_r.sort();
        let (_, v) = d.doctor(&["--port", &p], &[("R_PROFILE_USER", profile_s)]);
        let mut by_doctor: Vec<String> = v["rprofile"]["oob"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap().to_owned())
            .collect();
        by_doctor.sort();
        assert_eq!(by_doctor, by_r, "{text}");
    }
}

/// The program's path on PATH.
fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    on_path(program).ok_or(())
}

#[test]
fn recommend_exits_0_whenever_it_answered() {
    let p = free_port().to_string();
    let out = gauth()
        .args(["doctor", "--recommend", "--port", &p])
        .env("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22")
        .env("DISPLAY", "")
        .env("GAUTH_FLOW", "paste")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "paste\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_tunnel_names_an_ipv6_server_as_openssh_takes_it_and_a_bad_connection_gives_none() {
    let p = free_port().to_string();
    let (_, v) = doctor_json(
        &["--port", &p],
        &[
            ("SSH_CONNECTION", "2001:db8::1 50000 2001:db8::5 22"),
            ("DISPLAY", ""),
            ("BROWSER", ""),
            ("USER", "jenny"),
        ],
    );
    let cmds = v["recommendation"]["commands"].to_string();
    assert!(
        cmds.contains(&format!("ssh -L {p}:127.0.0.1:{p} jenny@2001:db8::5\"")),
        "{cmds}"
    );
    for bad in [
        "10.1.2.3 50000 10.9.8.7",
        "10.1.2.3 50000 $(reboot) 22",
        "10.1.2.3 50000 10.9.8.7 ssh",
    ] {
        let (_, v) = doctor_json(
            &["--port", &p],
            &[("SSH_CONNECTION", bad), ("DISPLAY", ""), ("USER", "jenny")],
        );
        assert_eq!(v["session"]["kind"], "ssh");
        assert!(
            !v["recommendation"]["commands"]
                .to_string()
                .contains("ssh -L"),
            "{bad}: {:#}",
            v["recommendation"]
        );
    }
}

#[test]
fn paste_is_possible_when_an_ancestor_runs_on_a_terminal() {
    // gauth's own stdin is not a terminal (as under R's system2), but the
    // shell that ran it is on one: someone is there to paste.
    let p = free_port().to_string();
    let cmd = format!(
        "sh -c '{} doctor --json --port {p} </dev/null; exit 0'",
        env!("CARGO_BIN_EXE_gauth")
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22")
        .env("DISPLAY", "")
        .env("GAUTH_FLOW", "")
        .env("GAUTH_OOB", "")
        .stdin(std::process::Stdio::piped())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value =
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(
        v["recommendation"]["flow"], "paste",
        "{:#}",
        v["recommendation"]
    );
    // gauth cannot read that terminal itself (its input is /dev/null): the
    // login takes two commands, and doctor names them (issue #13).
    let reasons = v["recommendation"]["reasons"].to_string();
    assert!(
        reasons.contains("on the terminal") && reasons.contains("gauth cannot read it"),
        "{:#}",
        v["recommendation"]
    );
    let commands = v["recommendation"]["commands"].to_string();
    assert!(
        commands.contains("--no-wait") && commands.contains("gauth login --finish"),
        "{:#}",
        v["recommendation"]
    );
    assert!(!commands.contains("--oob"), "{commands}");
}

#[test]
fn device_is_recommended_with_the_command_that_runs_it_and_no_httr_oob() {
    let p = free_port().to_string();
    let (_, v) = doctor_json(
        &["--port", &p],
        &[
            ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
            ("DISPLAY", ""),
            ("GAUTH_FLOW", "device"),
            ("GAUTH_CLIENT_ID", "1-abc.apps.googleusercontent.com"),
        ],
    );
    let rec = v["recommendation"].to_string();
    assert_eq!(v["recommendation"]["flow"], "device");
    assert!(
        rec.contains("takes only a few scopes (openid, email, profile, drive.file, drive.appdata, YouTube's; not full Drive, Gmail, BigQuery or cloud-platform"),
        "{rec}"
    );
    assert!(rec.contains("gauth login --flow device"), "{rec}");
    assert!(!rec.contains("httr_oob_default"), "{rec}");
    let (_, v) = doctor_json(
        &["--port", &p],
        &[
            ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
            ("DISPLAY", ""),
            ("GAUTH_FLOW", "paste"),
        ],
    );
    assert!(!v["recommendation"].to_string().contains("httr_oob_default"));
}

/// Google's device-scope caveat only where the login would be at Google:
/// the config file's issuer decides.
#[test]
fn the_device_scope_caveat_is_printed_only_for_google() {
    let p = free_port().to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("gauth")).unwrap();
    let xdg = dir.path().to_str().unwrap();
    for (config, google) in [
        (None, true),
        (Some("issuer = \"https://accounts.google.com\"\n"), true),
        (Some("issuer = \"https://login.example.org\"\n"), false),
    ] {
        let file = dir.path().join("gauth/config.toml");
        match config {
            Some(text) => std::fs::write(&file, text).unwrap(),
            None => {
                let _ = std::fs::remove_file(&file);
            }
        }
        let (_, v) = doctor_json(
            &["--port", &p],
            &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                ("GAUTH_FLOW", "device"),
                ("GAUTH_CLIENT_ID", "some-client"),
                ("XDG_CONFIG_HOME", xdg),
            ],
        );
        let rec = v["recommendation"].to_string();
        assert_eq!(v["recommendation"]["flow"], "device");
        assert_eq!(
            rec.contains("Google's device flow needs an OAuth client of type TVs and Limited Input devices and takes only a few scopes"),
            google,
            "{config:?}: {rec}"
        );
    }
}

/// With no OAuth client configured, `gauth login` alone fails: for
/// Google the verdict says how to get a Desktop-app client JSON and its
/// commands pass it with --credentials.
#[test]
fn without_a_client_the_verdict_says_how_to_get_one() {
    let p = free_port().to_string();
    // Google's device flow takes only another type of client.
    let (_, v) = doctor_json(
        &["--port", &p],
        &[
            ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
            ("GAUTH_FLOW", "device"),
        ],
    );
    let reasons = v["recommendation"]["reasons"].to_string();
    assert!(
        reasons.contains(
            "none is configured: for Google, create one of type TVs and Limited Input devices (Google Cloud console"
        ) && !reasons.contains("Desktop app"),
        "{reasons}"
    );
    let (_, v) = doctor_json(
        &["--port", &p],
        &[
            ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
            ("GAUTH_FLOW", "paste"),
        ],
    );
    let rec = &v["recommendation"];
    assert!(
        rec["reasons"].to_string().contains(
            "none is configured: for Google, create one of type Desktop app (Google Cloud console > APIs & Services > Credentials > Create credentials > OAuth client ID), download its JSON and save it here as client.json"
        ),
        "{rec:#}"
    );
    let runs: Vec<&str> = rec["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["run"].as_str().unwrap())
        .filter(|r| r.starts_with("gauth login"))
        .collect();
    assert!(!runs.is_empty(), "{rec:#}");
    assert!(
        runs.iter()
            .all(|r| r.starts_with("gauth login --credentials client.json")),
        "{runs:?}"
    );
    assert_eq!(v["config"]["client_source"], serde_json::Value::Null);
    // With a client (here GAUTH_CLIENT_ID), plain `gauth login`.
    let (_, v) = doctor_json(
        &["--port", &p],
        &[
            ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
            ("GAUTH_CLIENT_ID", "1-abc.apps.googleusercontent.com"),
        ],
    );
    assert_eq!(v["config"]["client_source"], "GAUTH_CLIENT_ID");
    let rec = v["recommendation"].to_string();
    assert!(
        !rec.contains("--credentials") && !rec.contains("none is configured"),
        "{rec}"
    );
    assert!(rec.contains("\"gauth login --flow device\""), "{rec}");
}

#[test]
fn a_failed_online_check_is_named_in_the_verdict() {
    let d = Desktop::new(true);
    let p = free_port().to_string();
    let dead = format!("http://127.0.0.1:{}/token", free_port());
    let (code, v) = d.doctor(&["--port", &p, "--online", "--endpoint", &dead], &[]);
    assert_eq!(code, 3);
    assert_eq!(v["loopback_ready"], false);
    assert!(
        v["recommendation"]["reasons"]
            .to_string()
            .contains("the provider does not answer"),
        "{:#}",
        v["recommendation"]
    );
}

/// httr sends the browser to HTTR_SERVER: a value that is no host is a
/// failure, a non-loopback host while R listens on loopback a warning.
#[test]
fn httr_server_is_checked_as_the_redirect_host() {
    let p = free_port().to_string();
    let status = |v: &serde_json::Value| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "httr_server")
            .map(|c| c["status"].as_str().unwrap().to_owned())
    };
    for (value, want) in [
        ("localhost:9/x", Some("fail")),
        ("a\nb", Some("fail")),
        ("example.com", Some("warn")),
        ("10.0.0.5", Some("warn")),
        ("127.0.0.1", None),
        ("localhost", None),
    ] {
        let (_, v) = doctor_json(&["--port", &p], &[("HTTR_SERVER", value)]);
        assert_eq!(status(&v).as_deref(), want, "HTTR_SERVER={value:?}");
    }
}

/// A config file that does not parse may well name a client: the verdict
/// names the parse problem as what stops `gauth login`, never "none is
/// configured" (nor its Google client-JSON advice).
#[test]
fn a_config_file_that_does_not_parse_is_the_reason_not_a_missing_client() {
    let p = free_port().to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("gauth")).unwrap();
    std::fs::write(
        dir.path().join("gauth/config.toml"),
        "client_id = \"cli\"\nissuer = \"https://id.example.org\"\nflow = 3\n",
    )
    .unwrap();
    let (_, v) = doctor_json(
        &["--port", &p],
        &[
            ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
            ("XDG_CONFIG_HOME", dir.path().to_str().unwrap()),
        ],
    );
    let rec = &v["recommendation"];
    let reasons = rec["reasons"].to_string();
    assert!(!reasons.contains("none is configured"), "{rec:#}");
    assert!(
        reasons.contains("gauth login refuses to run until its configuration is fixed: ")
            && reasons.contains("config.toml"),
        "{rec:#}"
    );
    assert!(
        !rec["commands"].to_string().contains("--credentials"),
        "{rec:#}"
    );
}

/// A process that only calls itself gauth (its name set with
/// prctl(PR_SET_NAME), `login` in its argv) is not a gauth login: the
/// executable it runs (python3 here) is what says which program it is.
#[test]
fn a_process_that_only_names_itself_gauth_is_not_a_gauth_login() {
    use std::io::BufRead;
    let code = r#"
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"gauth", 0, 0, 0)  # PR_SET_NAME
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(60)
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", code, "login"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().to_owned();
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", child.id())).unwrap();
    assert_eq!(comm.trim(), "gauth", "the impostor is in place");
    let (_, v) = doctor_json(&["--port", &port], &[]);
    let _ = child.kill();
    let _ = child.wait();
    let held = checks(&v, "port")
        .into_iter()
        .find(|c| c["id"] == "held")
        .unwrap_or_else(|| panic!("{v:#}"));
    let summary = held["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(&format!(
            "port {port} is held by gauth (pid {}) ",
            child.id()
        )),
        "{held:#}"
    );
    assert!(!v.to_string().contains("gauth login ("), "{v:#}");
    assert!(
        !v.to_string().contains("waits for its own browser"),
        "{v:#}"
    );
}
