//! Shared helpers for the integration tests: real listener processes (the
//! Python helper in tests/helpers/listen.py) and running the real binary;
//! the values and files tests build by hand are in `fixtures`.
#![allow(dead_code)]
pub mod fixtures;
#[cfg(unix)]
pub mod oidc;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn helper() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/helpers/listen.py")
}

/// A listener process; killed (SIGKILL) and reaped on drop.
pub struct Listener {
    pub child: Child,
    pub port: u16,
    /// The pid that holds the socket (the orphaned child for --fork-orphan).
    pub pid: i32,
}

impl Drop for Listener {
    fn drop(&mut self) {
        #[cfg(unix)]
        unsafe {
            libc::kill(self.pid, libc::SIGKILL)
        };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start the helper with `args` and wait for its READY line (see
/// `listen_with`).
pub fn listen(args: &[&str]) -> Listener {
    listen_with(Command::new("python3").arg(helper()).args(args))
}

/// Start a listener command and wait for its READY line. It runs in a
/// session of its own, without a controlling terminal: a helper on the
/// terminal that runs `cargo test`, with its parent (this test) alive, would
/// be "a live interactive session", never a leftover. (A test that wants a
/// terminal gives the helper one with `script`, which makes its own.)
pub fn listen_with(cmd: &mut Command) -> Listener {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid(2) is async-signal-safe; the child has not exec'd
        // yet and is not a process group leader, so it cannot fail.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("start listener helper");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read READY");
    let field = |k: &str| -> String {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .unwrap_or_else(|| panic!("no {k} in helper output {line:?}"))
            .to_owned()
    };
    Listener {
        port: field("port=").parse().unwrap(),
        pid: field("pid=").parse().unwrap(),
        child,
    }
}

/// The real binary with a cleared environment (hermetic: nothing of the
/// developer's HTTR_*, BROWSER, SSH_* or NO_COLOR leaks in) and no stdin.
/// A test that needs a variable sets it.
pub fn gauth() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gauth"));
    c.env_clear().stdin(Stdio::null());
    c
}

/// `gauth ARGS` with `env` (on a cleared environment, no stdin), run as an
/// orphan in a session of its own, as under cron or CI: neither gauth nor
/// any ancestor it can see has a terminal, whatever terminal runs `cargo
/// test`. gauth looks at its ancestors' terminals too, and this test
/// process (otherwise its parent) may sit on the developer's: `setsid`
/// alone would leave it an ancestor, so `setsid --fork` orphans a shell
/// that runs gauth and writes its exit status to a file.
#[cfg(unix)]
pub fn output_detached(args: &[&str], env: &[(&str, &str)]) -> Output {
    use std::os::unix::process::ExitStatusExt;
    let status = tempfile::NamedTempFile::new().expect("status file");
    let out = Command::new("/usr/bin/setsid")
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .args([
            "--fork",
            "/bin/sh",
            "-c",
            // dash exports PWD: drop it, the environment stays hermetic.
            r#"unset PWD; f=$1; shift; "$@"; echo $? > "$f""#,
            "sh",
        ])
        .arg(status.path())
        .arg(env!("CARGO_BIN_EXE_gauth"))
        .args(args)
        .output()
        .expect("util-linux setsid");
    // output() returns at EOF on both pipes: once the shell, which holds
    // them, has written the status and exited.
    let code: i32 = std::fs::read_to_string(status.path())
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no exit status from the detached gauth: {out:?}"));
    Output {
        status: std::process::ExitStatus::from_raw(code << 8),
        ..out
    }
}

/// `gauth doctor --json ARGS` with `env`: (exit code, the document).
pub fn doctor_json(args: &[&str], env: &[(&str, &str)]) -> (i32, serde_json::Value) {
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

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// This test process's PATH, for a gauth that must find what the test's
/// environment has (python3, node).
#[allow(clippy::disallowed_methods)]
pub fn path_env() -> String {
    std::env::var("PATH").unwrap_or_default()
}

/// The program's path in the first directory of this process's PATH that
/// has it.
#[allow(clippy::disallowed_methods)]
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

pub fn run(args: &[&str]) -> Output {
    gauth().args(args).output().expect("run gauth")
}

/// Run with --json and parse stdout.
pub fn run_json(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = gauth()
        .arg("--json")
        .args(args)
        .output()
        .expect("run gauth");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), v, stderr)
}

/// Alive = exists and is not a finished zombie. A zombie leader whose other
/// threads still run (pthread_exit) is alive.
pub fn alive(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("");
    if state == "Z" {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count());
        return tasks > 1;
    }
    true
}

pub fn wait_dead(pid: i32, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    !alive(pid)
}

pub fn holder_pids(v: &serde_json::Value) -> Vec<i64> {
    let mut p: Vec<i64> = v["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["pid"].as_i64().unwrap())
        .collect();
    p.sort();
    p
}

/// For the end-to-end tests (namespaces, other users): fail, never skip,
/// when not root.
#[cfg(unix)]
pub fn require_root() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "the end-to-end tests run as root (as CI does)"
    );
}

/// A port nothing listened on a moment ago (the kernel's pick).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn bind_ok(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        && std::net::TcpListener::bind(("::1", port)).is_ok()
}
