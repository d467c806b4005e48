//! Shared helpers for the integration tests: real listener processes (the
//! Python helper in tests/helpers/listen.py) and running the real binary.
#![allow(dead_code)]
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

/// Start the helper with `args` and wait for its READY line.
pub fn listen(args: &[&str]) -> Listener {
    listen_with(Command::new("python3").arg(helper()).args(args))
}

pub fn listen_with(cmd: &mut Command) -> Listener {
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

pub fn bind_ok(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        && std::net::TcpListener::bind(("::1", port)).is_ok()
}
