//! End-to-end: real R/httpuv listeners, other users' processes, a real SSH
//! session, a private /etc/hosts. These need
//! root, R with httpuv, and port 1410, so they are ignored by a plain
//! `cargo test` and run by `.ci/run` (which installs what they need) with
//! `cargo test --test e2e -- --include-ignored --test-threads=1`.
// Real processes, sockets and the test provider through Unix APIs (and
// tests/helpers/listen.py): Unix only. Windows runs the end-to-end check of
// .ci/win-e2e under wine instead.
#![cfg(unix)]
mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A copy of the gauth binary and the helper that user `nobody` can run
/// (the checkout may sit under a directory only root can enter).
fn world_readable_copies() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_gauth"), dir.path().join("gauth")).unwrap();
    std::fs::copy(helper(), dir.path().join("listen.py")).unwrap();
    // The scripted browser, for the tests where another user answers.
    std::fs::copy(
        common::oidc::oidc_dir().join("agent.mjs"),
        dir.path().join("agent.mjs"),
    )
    .unwrap();
    for f in ["listen.py", "agent.mjs"] {
        std::fs::set_permissions(dir.path().join(f), std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }
    dir
}

fn as_nobody(program: &std::path::Path) -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(program);
    c
}

#[test]
#[ignore = "end-to-end: needs root; run by .ci/run"]
fn another_users_process_is_not_expendable_even_for_root() {
    require_root();
    let dir = world_readable_copies();
    let l = listen_with(
        as_nobody(std::path::Path::new("/usr/bin/python3"))
            .arg(dir.path().join("listen.py"))
            .arg("oauth"),
    );
    let (code, v, _) = run_json(&["free-port", "--yes", &l.port.to_string()]);
    assert_eq!(code, 3);
    let h = &v["holders"][0];
    assert_eq!(h["user"], "nobody");
    assert_eq!(h["verdict"]["class"], "not_expendable");
    assert_eq!(
        h["verdict"]["summary"],
        "not expendable: another user's process (nobody)"
    );
    assert!(alive(l.pid));
    let (code, _, _) = run_json(&["free-port", "--yes", "--force", &l.port.to_string()]);
    assert_eq!(code, 0, "root may, with --force");
    assert!(wait_dead(l.pid, Duration::from_secs(2)));
}

#[test]
#[ignore = "end-to-end: needs root; run by .ci/run"]
fn an_unprivileged_user_is_told_to_use_sudo() {
    require_root();
    let dir = world_readable_copies();
    let l = listen(&["oauth"]); // root's listener
    let out = as_nobody(&dir.path().join("gauth"))
        .args(["free-port", "--json", "--yes", &l.port.to_string()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(3), "{v:#}");
    assert_eq!(v["status"], "held");
    assert_eq!(v["listeners"][0]["uid"], 0);
    assert_eq!(
        v["listeners"][0]["pids"],
        serde_json::json!([]),
        "nobody cannot see root's fds"
    );
    assert!(v["unreadable_processes"].as_u64().unwrap() >= 1);
    let summary = v["summary"].as_str().unwrap();
    assert!(
        summary.contains("held by a process of root")
            && summary.contains(&format!("sudo gauth free-port --force {}", l.port)),
        "{summary}"
    );
    assert!(alive(l.pid));
}

#[test]
#[ignore = "end-to-end: needs root; run by .ci/run"]
fn root_without_cap_sys_ptrace_does_not_claim_nobody_holds_it() {
    // Root that may not read other users' fds (a container without
    // CAP_SYS_PTRACE) cannot tell "nobody has it open" from "invisible".
    require_root();
    let dir = world_readable_copies();
    let l = listen_with(
        as_nobody(std::path::Path::new("/usr/bin/python3"))
            .arg(dir.path().join("listen.py"))
            .arg("run_local_server"),
    );
    let out = Command::new("setpriv")
        .args([
            "--inh-caps=-sys_ptrace",
            "--bounding-set=-sys_ptrace",
            "--",
            env!("CARGO_BIN_EXE_gauth"),
            "free-port",
            "--json",
            "--dry-run",
            &l.port.to_string(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["privileged"], false, "{v:#}");
    assert_eq!(v["listeners"][0]["pids"], serde_json::json!([]), "{v:#}");
    let summary = v["summary"].as_str().unwrap();
    assert!(
        summary.contains("held by a process of nobody that gauth cannot see")
            && !summary.contains("no visible process has"),
        "{summary}"
    );
    // sudo cannot give root a capability it lacks: say what is missing.
    assert!(
        summary.contains("without CAP_SYS_PTRACE") && !summary.contains("sudo"),
        "{summary}"
    );
    assert!(alive(l.pid));
}

const R_SERVER: &str = r#"
s <- httpuv::startServer("127.0.0.1", 1410L, list(call = function(req) list(status = 200L, headers = list("Content-Type" = "text/plain"), body = "ok")))
cat("READY\n"); flush(stdout())
while (TRUE) httpuv::service(1000)
"#;

const R_RESTART: &str = r#"
s <- tryCatch(httpuv::startServer("127.0.0.1", 1410L, list(call = function(req) list(status = 200L))), error = function(e) { cat("FAILED:", conditionMessage(e), "\n"); quit(status = 1) })
cat("STARTED\n"); httpuv::stopServer(s)
"#;

/// An orphaned R listening with httpuv on 1410: the shell that started it
/// exits at once. Killed on drop.
struct OrphanedR(i32);

impl OrphanedR {
    fn start() -> OrphanedR {
        let out = Command::new("sh")
            .args([
                "-c",
                "Rscript -e \"$0\" >/dev/null 2>&1 & echo $!",
                R_SERVER,
            ])
            .output()
            .expect("sh");
        let pid = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("R pid");
        let r = OrphanedR(pid);
        wait_listening(1410);
        r
    }
}

impl Drop for OrphanedR {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0, libc::SIGKILL) };
    }
}

fn wait_listening(port: u16) {
    let end = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "R never listened on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "end-to-end: needs R with httpuv and port 1410; run by .ci/run"]
fn a_real_orphaned_r_httpuv_listener_is_found_judged_killed_and_r_can_listen_again() {
    let r = OrphanedR::start();
    let pid = r.0;

    // The problem, reproduced: a second R cannot start its listener.
    let second = Command::new("Rscript")
        .args(["-e", R_RESTART])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&second.stdout).into_owned()
        + &String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success() && text.contains("address already in use"),
        "{text}"
    );

    let (code, v, _) = run_json(&["free-port", "--dry-run", "1410"]);
    assert_eq!(code, 3);
    assert_eq!(holder_pids(&v), vec![pid as i64], "{v:#}");
    let h = &v["holders"][0];
    assert_eq!(h["name"], "R");
    assert_eq!(h["parent_gone"], true);
    assert_eq!(h["loaded"], serde_json::json!(["httpuv"]));
    assert_eq!(
        h["verdict"]["summary"],
        "looks expendable: a leftover R auth listener (httpuv) owned by you, orphaned"
    );

    let (code, v, _) = run_json(&["free-port", "--yes", "1410"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["actions"][0]["result"], "exited");
    assert!(wait_dead(pid, Duration::from_secs(2)));

    let again = Command::new("Rscript")
        .args(["-e", R_RESTART])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.status.success() && text.contains("STARTED"),
        "{text}{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

/// A throw-away sshd on a loopback port, logging in as root with a
/// throw-away key; killed on drop.
struct Sshd {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    fn start() -> Sshd {
        require_root();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (key, kind) in [("host_key", "ed25519"), ("user_key", "ed25519")] {
            let st = Command::new("ssh-keygen")
                .args(["-q", "-t", kind, "-N", "", "-f"])
                .arg(d.join(key))
                .status()
                .unwrap();
            assert!(st.success());
        }
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\n\
             PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PrintMotd no\nAcceptEnv NONE\n",
            d = d.display()
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stderr(Stdio::null())
            .spawn()
            .expect("start sshd (apt-get install openssh-server)");
        let end = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < end, "sshd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Sshd { child, port, dir }
    }

    /// Run `remote` (a shell command line) over SSH; stdout.
    fn run(&self, remote: &str) -> (i32, String) {
        let out = Command::new("ssh")
            .arg("-i")
            .arg(self.dir.path().join("user_key"))
            .args(["-p", &self.port.to_string()])
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "LogLevel=ERROR",
            ])
            .arg("root@127.0.0.1")
            .arg(remote)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

#[test]
#[ignore = "end-to-end: needs root and openssh-server; run by .ci/run"]
fn doctor_in_a_real_ssh_session_detects_ssh_also_under_env_i() {
    let sshd = Sshd::start();
    let dir = world_readable_copies();
    let gauth_bin = dir.path().join("gauth");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, out) = sshd.run(&format!(
        "{} doctor --json --port {port}",
        gauth_bin.display()
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(code, 3, "a plain SSH session needs a fallback");
    assert_eq!(v["session"]["kind"], "ssh", "{:#}", v["session"]);
    assert_eq!(v["session"]["reach"], "tunnel");
    assert_eq!(v["session"]["ssh"]["server"], "127.0.0.1");
    assert_eq!(v["session"]["ssh"]["server_port"], sshd.port);
    let ev = v["session"]["evidence"].to_string();
    assert!(
        ev.contains("SSH_CONNECTION=127.0.0.1") && ev.contains("sshd among gauth's ancestors"),
        "{ev}"
    );
    assert_ne!(v["recommendation"]["flow"], "loopback");
    let tunnel = format!(
        "ssh -L {port}:127.0.0.1:{port} -p {} root@127.0.0.1",
        sshd.port
    );
    assert!(
        v["recommendation"]["commands"]
            .to_string()
            .contains(&tunnel),
        "{:#}",
        v["recommendation"]
    );

    // The variables gone (env -i, as after `sudo -i` or `su -`): the sshd
    // ancestor still says SSH.
    let (_, out) = sshd.run(&format!(
        "env -i {} doctor --json --port {port}",
        gauth_bin.display()
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["session"]["kind"], "ssh", "{:#}", v["session"]);
    let ev = v["session"]["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 1, "only the ancestry is left: {ev:?}");
    assert!(
        ev[0]
            .as_str()
            .unwrap()
            .contains("sshd among gauth's ancestors")
    );
}

#[test]
#[ignore = "end-to-end: needs R with httpuv and port 1410; run by .ci/run"]
fn doctor_names_a_real_orphaned_r_listener_with_the_free_port_fix() {
    let r = OrphanedR::start();
    let pid = r.0;
    // The loopback flow asked for, so the recommendation must carry the
    // command that frees the port (whatever this machine's browser).
    // A client configured, so that `gauth login` alone runs as printed.
    let out = gauth()
        .args(["doctor", "--json"])
        .env("GAUTH_FLOW", "loopback")
        .env("GAUTH_CLIENT_ID", "1-abc.apps.googleusercontent.com")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(v["port"], 1410);
    let held = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "held")
        .expect("a held check");
    let summary = held["summary"].as_str().unwrap();
    assert!(summary.contains(&format!("R (pid {pid})")), "{summary}");
    assert!(
        summary.contains(
            "looks expendable: a leftover R auth listener (httpuv) owned by you, orphaned"
        ),
        "{summary}"
    );
    assert_eq!(held["fix"], "gauth free-port 1410");
    assert_eq!(v["recommendation"]["flow"], "loopback", "{v:#}");
    let runs: Vec<&str> = v["recommendation"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["run"].as_str())
        .collect();
    assert_eq!(runs, ["gauth free-port 1410", "gauth login"], "{v:#}");
    let human = gauth()
        .args(["doctor", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("fix: gauth free-port 1410"), "{text}");
    assert!(alive(pid), "doctor never kills");
}

#[test]
#[ignore = "end-to-end: needs root (a private mount namespace); run by .ci/run"]
fn localhost_resolving_to_ipv6_first_is_named() {
    require_root();
    let dir = world_readable_copies();
    std::fs::write(
        dir.path().join("hosts"),
        "::1 localhost ip6-localhost\n127.0.0.1 localhost\n",
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Only this process sees the other /etc/hosts.
    let script = format!(
        "mount --bind {d}/hosts /etc/hosts && exec {d}/gauth doctor --json --port {port}",
        d = dir.path().display()
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["listener"]["localhost"][0], "::1", "{:#}", v["listener"]);
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "localhost")
        .unwrap();
    assert_eq!(c["status"], "warn");
    assert!(
        c["summary"].as_str().unwrap().starts_with("localhost resolves to ::1 first; a listener on 127.0.0.1 only, like httr's, is refused there"),
        "{c}"
    );
    assert!(c["fix"].as_str().unwrap().contains("HTTR_SERVER"));
}

#[test]
#[ignore = "end-to-end: needs root (a network namespace); run by .ci/run"]
fn a_sandbox_without_loopback_is_named_and_loopback_is_not_recommended() {
    require_root();
    // A fresh network namespace: its loopback interface is down.
    let out = Command::new("unshare")
        .args([
            "-n",
            env!("CARGO_BIN_EXE_gauth"),
            "doctor",
            "--json",
            "--port",
            "1410",
        ])
        .env("GAUTH_FLOW", "")
        .env("GAUTH_OOB", "")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(3));
    let rt = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "round_trip")
        .unwrap();
    assert_eq!(rt["status"], "fail", "{rt}");
    assert!(
        rt["evidence"].to_string().contains("unreachable"),
        "the cause is named: {rt}"
    );
    assert_ne!(v["recommendation"]["flow"], "loopback");
    assert_eq!(v["loopback_ready"], false);
}

#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn localhost_beyond_loopback_is_reported_and_never_contacted() {
    require_root();
    let dir = world_readable_copies();
    std::fs::write(dir.path().join("hosts"), "10.0.0.1 localhost\n").unwrap();
    // Inside fresh namespaces: loopback up, 10.0.0.1 on it, a listener on
    // 10.0.0.1:1410 that only counts the connections that reach it.
    let counter = r#"
import socket, subprocess, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.1", 1410)); s.listen(16)
out = subprocess.run([sys.argv[1], "doctor", "--json", "--port", "1410"], capture_output=True)
s.setblocking(False)
n = 0
while True:
    try:
        s.accept(); n += 1
    except BlockingIOError:
        break
sys.stderr.write("ACCEPTED %d\n" % n)
sys.stdout.buffer.write(out.stdout)
"#;
    let script = format!(
        "ip link set lo up && ip addr add 10.0.0.1/8 dev lo && mount --bind {d}/hosts /etc/hosts && exec python3 -c '{counter}' {d}/gauth",
        d = dir.path().display()
    );
    let out = Command::new("unshare")
        .args(["-m", "-n", "sh", "-c", &script])
        .env("GAUTH_FLOW", "")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(
        v["listener"]["localhost"][0], "10.0.0.1",
        "{:#}",
        v["listener"]
    );
    assert!(
        err.contains("ACCEPTED 0"),
        "gauth connected beyond loopback: {err}"
    );
    assert!(
        !v["listener"]["probes"].to_string().contains("10.0.0.1"),
        "{:#}",
        v["listener"]["probes"]
    );
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "localhost")
        .unwrap();
    assert_eq!(c["status"], "fail");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("10.0.0.1, which is not loopback"),
        "{c}"
    );
}

/// Plain http goes only to loopback addresses: with `localhost` pointing at
/// 10.0.0.1 (a hosts file), `gauth token` (a cached login whose token
/// endpoint is `http://localhost:…`, with a client secret), `gauth login
/// --issuer http://localhost:…` and `doctor --online --endpoint
/// http://localhost:…` each refuse in one line, and nothing reaches 10.0.0.1.
#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn plain_http_to_a_localhost_beyond_loopback_is_never_sent() {
    use gauth::auth::secret::Secret;
    use gauth::cache::{Entry, Store};
    require_root();
    let dir = world_readable_copies();
    std::fs::write(dir.path().join("hosts"), "10.0.0.1 localhost\n").unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Store::open_at(&cache)
        .unwrap()
        .save(&Entry {
            issuer: "http://localhost:8080".into(),
            client_id: "cli".into(),
            client_secret: Some(Secret::new("s3cret-of-the-client")),
            token_endpoint: "http://localhost:8080/token".into(),
            revocation_endpoint: None,
            account: Some("a@example.test".into()),
            scopes: vec!["openid".into()],
            access_token: Secret::new("at"),
            refresh_token: Some(Secret::new("rt-never-in-clear")),
            expires_at: Some(now - 10),
            created_at: now,
            credentials: None,
        })
        .unwrap();
    // Inside fresh namespaces: loopback up, 10.0.0.1 on it, a listener on
    // 10.0.0.1:8080 that only counts the connections that reach it.
    let counter = r#"
import json, socket, subprocess, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.1", 8080)); s.listen(16)
out = subprocess.run(sys.argv[1:], capture_output=True, timeout=120)
s.setblocking(False)
n = 0
while True:
    try:
        s.accept(); n += 1
    except BlockingIOError:
        break
print(json.dumps({"code": out.returncode, "stdout": out.stdout.decode(), "stderr": out.stderr.decode(), "accepted": n}))
"#;
    let run = |args: &[&str]| -> serde_json::Value {
        let script = format!(
            "ip link set lo up && ip addr add 10.0.0.1/8 dev lo && mount --bind {d}/hosts /etc/hosts && exec python3 -c '{counter}' \"$@\"",
            d = dir.path().display()
        );
        let out = Command::new("unshare")
            .args(["-m", "-n", "sh", "-c", &script, "sh"])
            .arg(dir.path().join("gauth"))
            .args(args)
            .env_clear()
            .env("GAUTH_CACHE", &cache)
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let refusal = "localhost resolves to 10.0.0.1, which is not a loopback address";
    for args in [
        &["token"][..],
        &[
            "login",
            "--issuer",
            "http://localhost:8080",
            "--client-id",
            "cli",
            "--flow",
            "device",
            "--timeout",
            "3s",
        ],
    ] {
        let v = run(args);
        let err = v["stderr"].as_str().unwrap();
        assert_eq!(v["accepted"], 0, "{args:?} connected to 10.0.0.1: {v:#}");
        assert_eq!(v["code"], 1, "{args:?}: {v:#}");
        assert!(err.contains(refusal), "{args:?}: {err}");
        assert!(
            !err.contains("s3cret") && !err.contains("rt-never"),
            "{err}"
        );
    }
    let v = run(&[
        "doctor",
        "--json",
        "--online",
        "--endpoint",
        "http://localhost:8080/",
    ]);
    assert_eq!(v["accepted"], 0, "doctor connected to 10.0.0.1: {v:#}");
    let doc: serde_json::Value = serde_json::from_str(v["stdout"].as_str().unwrap()).unwrap();
    let online = &doc["online"][0];
    assert_eq!(online["ok"], false, "{online}");
    assert!(
        online["detail"].as_str().unwrap().contains(refusal),
        "{online}"
    );
    // The verdict says what happened: refused, not "does not answer".
    let c = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "endpoint")
        .unwrap();
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .starts_with("http://localhost:8080/ was not contacted: "),
        "{c}"
    );
}

/// A directory holding only a `gauth` copy, to put first on R's PATH.
fn gauth_on_path() -> (tempfile::TempDir, String) {
    let dir = world_readable_copies();
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    (dir, path)
}

#[test]
#[ignore = "end-to-end: needs R with httpuv and port 1410; run by .ci/run"]
fn the_r_session_that_holds_the_port_and_runs_doctor_is_told_to_stop_its_servers() {
    let (_dir, path) = gauth_on_path();
    let code = r#"
s <- httpuv::startServer("127.0.0.1", 1410L, list(call = function(req) list(status = 200L)))
out <- system2("gauth", c("doctor", "--json"), stdout = TRUE)
cat(out, sep = "\n")
"#;
    let out = Command::new("Rscript")
        .args(["-e", code])
        .env("PATH", &path)
        .env_remove("HTTR_PORT")
        .env("DISPLAY", "")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let start = text
        .find('{')
        .unwrap_or_else(|| panic!("{text}{}", String::from_utf8_lossy(&out.stderr)));
    let v: serde_json::Value = serde_json::from_str(&text[start..]).unwrap();
    let held = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "held")
        .unwrap();
    assert!(
        held["fix"]
            .as_str()
            .unwrap()
            .contains("httpuv::stopAllServers()"),
        "{held}"
    );
    assert!(
        !held["fix"].as_str().unwrap().contains("free-port"),
        "gauth never kills its own caller: {held}"
    );
}

#[test]
#[ignore = "end-to-end: needs R; run by .ci/run"]
fn the_readme_rprofile_line_turns_gargle_oob_on_exactly_when_loopback_will_not_work() {
    let (dir, path) = gauth_on_path();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("options(gargle_oob_default = tryCatch("))
        .expect("the .Rprofile line in README.md");
    let code =
        format!("{line}\ncat(\"OOB=\", getOption(\"gargle_oob_default\"), \"\\n\", sep = \"\")");
    let run = |flow: &str, path: &str| {
        let out = Command::new("Rscript")
            .args(["-e", &code])
            .env("PATH", path)
            .env("GAUTH_FLOW", flow)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        text
    };
    assert!(run("paste", &path).contains("OOB=TRUE"));
    assert!(run("device", &path).contains("OOB=TRUE"));
    assert!(run("loopback", &path).contains("OOB=FALSE"));
    // No gauth at all: R starts, with loopback as before.
    drop(dir);
    assert!(run("paste", "/usr/bin:/bin").contains("OOB=FALSE"));
}

#[test]
#[ignore = "end-to-end: needs openssl; run by .ci/run"]
fn online_trusts_the_systems_ca_store() {
    // A private CA, as a corporate TLS proxy adds one, and a server whose
    // certificate it signed.
    let d = tempfile::tempdir().unwrap();
    let p = |f: &str| d.path().join(f).display().to_string();
    let ssl = |args: &[&str]| {
        let st = Command::new("openssl")
            .args(args)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "openssl {args:?}");
    };
    ssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=gauth test CA",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    ssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &p("srv.key"),
        "-out",
        &p("srv.csr"),
    ]);
    std::fs::write(
        d.path().join("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    ssl(&[
        "x509",
        "-req",
        "-in",
        &p("srv.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &p("ext"),
        "-out",
        &p("srv.pem"),
    ]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            &p("srv.pem"),
            "-key",
            &p("srv.key"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = format!("https://127.0.0.1:{port}/");
    let online = |cert_file: Option<&str>| {
        let mut c = gauth();
        c.args(["doctor", "--json", "--online", "--endpoint", &url]);
        if let Some(f) = cert_file {
            c.env("SSL_CERT_FILE", f);
        }
        let out = c.output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["online"][0].clone()
    };
    let trusted = online(Some(&p("ca.pem")));
    let untrusted = online(Some("/dev/null"));
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(trusted["ok"], true, "{trusted}");
    assert_eq!(untrusted["ok"], false, "{untrusted}");
}

/// Run `script` with bash as PID 1 of a new PID namespace (`unshare -p -f`,
/// plus `extra` unshare flags), with the listener helper as `$1` and gauth
/// as `$2`, a directory for its files as `$3`. stdin and stdout are piped: the script and the test talk in
/// lines.
fn in_a_pid_namespace(extra: &[&str], script: &str, dir: &std::path::Path) -> std::process::Child {
    Command::new("unshare")
        .args(["-p", "-f"])
        .args(extra)
        .args(["bash", "-c", script, "bash"])
        .arg(helper())
        .arg(env!("CARGO_BIN_EXE_gauth"))
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("unshare")
}

/// The host pid of the process holding `port` (this test sees the host's
/// PID namespace).
fn host_holder(port: u16) -> i32 {
    let scan = gauth::system::net::scan(port, std::path::Path::new("/proc")).unwrap();
    assert_eq!(scan.holdings.len(), 1, "{:?}", scan.holdings);
    scan.holdings[0].pid
}

#[test]
#[ignore = "end-to-end: needs root (a PID namespace); run by .ci/run"]
fn in_a_child_pid_namespace_with_the_hosts_proc_nothing_is_signalled() {
    use std::io::{BufRead, BufReader, Write};
    require_root();
    // Without --mount-proc, /proc is the host's: its pids are not the pids
    // gauth's signals reach in here. A decoy that holds nothing is planted
    // at the holder's host pid (ns_last_pid), and gauth itself gets as its
    // pid in here the host pid of this test, whose ancestry /proc shows in
    // full: with neither, the old code's walk of "its own" ancestry failed
    // by luck and protected everything; with both, it killed the decoy.
    let script = r#"
        set -u
        coproc L { exec python3 "$1" run_local_server; }
        holder=$L_PID
        read -r ready <&"${L[0]}"
        echo "$ready"
        read -r host_pid self_pid
        echo $((host_pid - 1)) > /proc/sys/kernel/ns_last_pid
        sleep 3600 & decoy=$!
        [ "$decoy" = "$host_pid" ] || { echo "DECOY at $decoy, not $host_pid"; exit 1; }
        port=${ready#*port=}; port=${port%% *}
        echo $((self_pid - 1)) > /proc/sys/kernel/ns_last_pid
        "$2" --json free-port --yes --force "$port" > "$3/free-port.json"
        echo "EXIT $?"
        echo $((self_pid - 1)) > /proc/sys/kernel/ns_last_pid
        "$2" --json doctor --port "$port" > "$3/doctor.json"
        # bash, PID 1 in here, reaps what was killed on SIGCHLD.
        sleep 0.2
        kill -0 "$decoy" && echo DECOY_ALIVE
        kill -0 "$holder" && echo HOLDER_ALIVE
        echo DONE
    "#;
    let dir = tempfile::tempdir().unwrap();
    let mut child = in_a_pid_namespace(&[], script, dir.path());
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next().unwrap().unwrap();
    let port: u16 = ready
        .split_whitespace()
        .find_map(|w| w.strip_prefix("port="))
        .unwrap()
        .parse()
        .unwrap();
    let holder = host_holder(port);
    writeln!(
        child.stdin.as_mut().unwrap(),
        "{holder} {}",
        std::process::id()
    )
    .unwrap();
    let mut rest = Vec::new();
    for line in lines {
        let line = line.unwrap();
        if line.starts_with("EXIT") {
            // Seen from the host, where a zombie is not alive.
            assert!(alive(holder), "the holder was killed");
        }
        rest.push(line);
    }
    let _ = child.wait();
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.path().join(name)).unwrap()).unwrap()
    };
    let (free_port, doctor) = (read("free-port.json"), read("doctor.json"));
    assert!(rest.contains(&"DONE".to_owned()), "{rest:?}");
    assert!(
        rest.contains(&"DECOY_ALIVE".to_owned()),
        "{rest:?}\n{free_port:#}"
    );
    assert!(
        rest.contains(&"HOLDER_ALIVE".to_owned()),
        "{rest:?}\n{free_port:#}"
    );
    assert!(
        rest.contains(&"EXIT 3".to_owned()),
        "{rest:?}\n{free_port:#}"
    );
    // Why, in one line, and in the JSON report.
    let summary = free_port["summary"].as_str().unwrap();
    assert!(
        summary.contains("another PID namespace") && !summary.contains('\n'),
        "{summary}"
    );
    assert_eq!(
        free_port["actions"][0]["action"], "refused",
        "{free_port:#}"
    );
    assert!(
        free_port["actions"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("another PID namespace"),
        "{free_port:#}"
    );
    // Nobody in that /proc is called expendable, gauth and its ancestors
    // included, and doctor offers nothing that signals.
    for h in free_port["holders"].as_array().unwrap() {
        assert_eq!(h["verdict"]["class"], "protected", "{h:#}");
    }
    let port_checks: Vec<&serde_json::Value> = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["area"] == "port")
        .collect();
    assert!(
        port_checks.iter().any(|c| c["summary"]
            .as_str()
            .unwrap()
            .contains("another PID namespace")),
        "{port_checks:#?}"
    );
    let text = doctor.to_string();
    assert!(
        !text.contains("free-port") && !text.contains("looks expendable"),
        "{doctor:#}"
    );
}

#[test]
#[ignore = "end-to-end: needs root (a PID namespace); run by .ci/run"]
fn in_a_child_pid_namespace_with_its_own_proc_free_port_works() {
    use std::io::{BufRead, BufReader};
    require_root();
    let script = r#"
        set -u
        coproc L { exec python3 "$1" run_local_server; }
        holder=$L_PID
        read -r ready <&"${L[0]}"
        port=${ready#*port=}; port=${port%% *}
        "$2" --json free-port --yes "$port" > /dev/null
        echo "EXIT $?"
        # bash, PID 1 in here, reaps what was killed on SIGCHLD.
        sleep 0.2
        kill -0 "$holder" 2>/dev/null || echo HOLDER_GONE
    "#;
    let dir = tempfile::tempdir().unwrap();
    let mut child = in_a_pid_namespace(&["--mount-proc"], script, dir.path());
    let out: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(Result::unwrap)
        .collect();
    let _ = child.wait();
    assert!(out.contains(&"EXIT 0".to_owned()), "{out:#?}");
    assert!(out.contains(&"HOLDER_GONE".to_owned()), "{out:#?}");
}

/// Another local user reads the login URL (with its `state`) from the
/// browser's argv in `/proc`, has the provider issue a code for *their own*
/// account against this login's public PKCE challenge, and sends it to
/// gauth's listener before the browser does (login CSRF: the victim's
/// cache would hold the attacker's account). The listener refuses a
/// connection from another uid with a 403, says so, keeps waiting, and the
/// login completes with the user's own browser.
#[test]
#[ignore = "end-to-end: needs root (another user's connection); run by .ci/run"]
fn another_users_answer_to_the_loopback_listener_is_refused() {
    require_root();
    let p = common::oidc::Oidc::start(&[]);
    let dir = world_readable_copies();
    let d = dir.path();
    let node = common::oidc::which("node");
    // The attacker, as nobody: the URL from the browser's command line, a
    // code for mallory's account at the provider (its login and consent
    // pages, the victim's code_challenge and redirect_uri), then the
    // listener with that code and the victim's state.
    std::fs::write(
        d.join("steal.py"),
        format!(
            r#"import re, subprocess, sys, urllib.request, urllib.error
cmd = open("/proc/%s/cmdline" % sys.argv[1], "rb").read().decode()
url = next(a for a in cmd.split("\0") if "state=" in a)
forged = subprocess.run(["{node}", "{agent}", url, "--login", "mallory", "--print-redirect"],
                        capture_output=True, text=True, check=True).stdout.strip()
print("forged", "code=" in forged and "state=" in forged, flush=True)
try:
    print("status", urllib.request.urlopen(forged, timeout=10).status, flush=True)
except urllib.error.HTTPError as e:
    print("status", e.code, flush=True)
"#,
            node = node.display(),
            agent = d.join("agent.mjs").display(),
        ),
    )
    .unwrap();
    // gauth's browser: runs the attacker first (and waits for it), then the
    // user's own agent on the same URL.
    let browser = d.join("open-url");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nsetpriv --reuid=65534 --regid=65534 --clear-groups -- /usr/bin/python3 {steal} $$ >{d}/steal.out 2>&1\nexec {node} {agent} \"$1\" >{d}/browser.log 2>&1\n",
            steal = d.join("steal.py").display(),
            d = d.display(),
            node = node.display(),
            agent = d.join("agent.mjs").display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(d.join("steal.py"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = gauth()
        .args([
            "login",
            "--issuer",
            &p.issuer,
            "--client-id",
            "gauth-native",
            "--flow",
            "loopback",
            "--timeout",
            "60s",
        ])
        .env("PATH", "/usr/bin:/bin")
        .env("BROWSER", &browser)
        .env("GAUTH_CACHE", cache.path().join("c"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let steal = std::fs::read_to_string(d.join("steal.out")).unwrap_or_default();
    assert!(
        steal.contains("forged True"),
        "the attacker got a code of its own: {steal}"
    );
    assert!(steal.contains("status 403"), "{steal}\n{err}");
    assert!(
        err.contains("a connection from uid 65534 (not you) was refused"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(stdout.contains("logged in as jenny"), "{stdout}\n{err}");
}

/// The other side of the owner check: a user who is not root logs in with
/// their own browser (a connection of their own uid), and a forwarder
/// running as root (as `ssh -L` or a container's port forwarder may)
/// is let through too.
#[test]
#[ignore = "end-to-end: needs root (runs gauth as another user); run by .ci/run"]
fn a_users_own_browser_and_a_root_forwarder_may_answer() {
    require_root();
    let p = common::oidc::Oidc::start(&[]);
    let dir = world_readable_copies();
    let d = dir.path();
    let node = common::oidc::which("node");
    let home = d.join("home");
    std::fs::create_dir(&home).unwrap();
    std::os::unix::fs::chown(&home, Some(65534), Some(65534)).unwrap();
    for (how, browser) in [
        // The browser itself, as the user (gauth's child, so nobody too).
        (
            "own",
            format!(
                "exec {} {} \"$1\"",
                node.display(),
                d.join("agent.mjs").display()
            ),
        ),
        // A forwarder as root: the agent goes to the provider and prints
        // the redirect; root's curl-like GET then carries it to the listener.
        (
            "root",
            format!(
                "{} {} \"$1\" --print-redirect > {h}/redirect && touch {h}/ready",
                node.display(),
                d.join("agent.mjs").display(),
                h = home.display()
            ),
        ),
    ] {
        let script = d.join(format!("open-{how}"));
        std::fs::write(&script, format!("#!/bin/sh\n{browser}\n")).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let _ = std::fs::remove_file(home.join("ready"));
        let child = as_nobody(&d.join("gauth"))
            .args([
                "login",
                "--issuer",
                &p.issuer,
                "--client-id",
                "gauth-native",
                "--flow",
                "loopback",
                "--timeout",
                "60s",
            ])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("BROWSER", &script)
            .env("GAUTH_CACHE", home.join(format!("cache-{how}")))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if how == "root" {
            let end = Instant::now() + Duration::from_secs(30);
            while !home.join("ready").exists() {
                assert!(Instant::now() < end, "no redirect from the agent");
                std::thread::sleep(Duration::from_millis(50));
            }
            let url = std::fs::read_to_string(home.join("redirect")).unwrap();
            // This test runs as root: its connection is root's.
            let r = reqwest::blocking::get(url.trim()).unwrap();
            assert_eq!(r.status().as_u16(), 200);
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{how}: {err}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("logged in as jenny"),
            "{how}: {err}"
        );
        assert!(!err.contains("was refused"), "{how}: {err}");
        // The kernel was asked (not waved through for lack of an answer).
        assert!(!err.contains("cannot tell which user"), "{how}: {err}");
    }
}

/// Two users log in on one server on the same (tunnel) port. Root's login
/// finds the port held by nobody's `gauth login`: it names whose it is,
/// never tells root to Ctrl-C a login on someone else's terminal, and, as
/// root forced the loopback flow, stops with exit 3 instead of quietly
/// becoming a device login. doctor says the same.
#[test]
#[ignore = "end-to-end: needs root (another user's gauth login); run by .ci/run"]
fn a_port_held_by_another_users_gauth_login_names_its_owner() {
    require_root();
    let p = common::oidc::Oidc::start(&[]);
    let dir = world_readable_copies();
    let d = dir.path();
    let home = d.join("home");
    std::fs::create_dir(&home).unwrap();
    std::os::unix::fs::chown(&home, Some(65534), Some(65534)).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let mut theirs = as_nobody(&d.join("gauth"))
        .args([
            "login",
            "--issuer",
            &p.issuer,
            "--client-id",
            "gauth-native",
            "--flow",
            "loopback",
            "--port",
            &port,
            "--no-browser",
            "--timeout",
            "60s",
        ])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", &home)
        .env("GAUTH_CACHE", home.join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = theirs.id();
    let end = Instant::now() + Duration::from_secs(20);
    while bind_ok(port.parse().unwrap()) {
        assert!(Instant::now() < end, "nobody's login never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    let named = format!("a gauth login of nobody (pid {pid})");
    let cache = tempfile::tempdir().unwrap();
    let login = |extra: &[&str], browser: &str| {
        let mut args = vec![
            "login",
            "--issuer",
            &p.issuer,
            "--client-id",
            "gauth-native",
            "--port",
            &port,
            "--timeout",
            "3s",
        ];
        args.extend_from_slice(extra);
        output_detached(
            &args,
            &[
                ("PATH", "/usr/bin:/bin"),
                ("GAUTH_CACHE", cache.path().join("c").to_str().unwrap()),
                ("BROWSER", browser),
            ],
        )
    };
    // Forced: exit 3 with the owner, at once.
    let out = login(&["--flow", "loopback"], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "port {port} is taken by {named}, which waits for its own browser"
        )) && err.contains("it is nobody's to end, not yours")
            && !err.contains("Ctrl-C"),
        "{err}"
    );
    // Auto, with a browser here: another port, said with the same owner.
    let out = login(&[], "/bin/true");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("port {port} is taken by {named}")) && !err.contains("Ctrl-C"),
        "{err}"
    );
    // doctor (as root, who can see it).
    let (_, v, _) = run_json(&["doctor", "--port", &port]);
    let held = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "held")
        .unwrap_or_else(|| panic!("{v:#}"))
        .clone();
    assert!(
        held["summary"]
            .as_str()
            .unwrap()
            .starts_with(&format!("port {port} is held by {named} ")),
        "{held:#}"
    );
    let fix = held["fix"].to_string();
    assert!(
        fix.contains("nobody's to end, not yours") && !fix.contains("Ctrl-C"),
        "{held:#}"
    );
    assert!(alive(pid as i32), "nobody's login is left alone");
    let _ = theirs.kill();
    let _ = theirs.wait();
}
