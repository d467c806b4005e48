//! `gauth doctor` against real listeners, a real environment and real
//! name resolution.
mod common;
use common::*;
use std::net::{IpAddr, ToSocketAddrs};

fn doctor_json(args: &[&str], env: &[(&str, &str)]) -> (i32, serde_json::Value) {
    let out = gauth()
        .arg("doctor")
        .arg("--json")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), v)
}

fn checks<'a>(v: &'a serde_json::Value, area: &str) -> Vec<&'a serde_json::Value> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["area"] == area)
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
    if v["listener"]["binds"][1]["status"] == "ok" {
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
            "http://example.com/",
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
        online[2]["detail"].as_str().unwrap().contains("only https"),
        "{online:#?}"
    );
    assert_eq!(online[3]["ok"], false);
    assert!(
        !online[3]["detail"].as_str().unwrap().is_empty(),
        "{online:#?}"
    );
    let fails: Vec<_> = checks(&v, "online")
        .into_iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert_eq!(fails.len(), 3);
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
    // No terminal (a script, CI): device.
    let out = gauth()
        .args(["doctor", "--recommend", "--port", &port])
        .envs(env)
        .output()
        .unwrap();
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
