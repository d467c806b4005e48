//! `gauth login` with a real browser: headless Debian Chromium, driven by
//! tests/oidc/chromium.mjs, against the real provider on loopback. Ignored
//! by plain `cargo test` (they need `/usr/bin/chromium`); `.ci/run` runs
//! them with `--include-ignored`, and without Chromium they fail, never skip.
// Real processes, sockets and the test provider through Unix APIs (and
// tests/helpers/listen.py): Unix only. Windows runs the end-to-end check of
// .ci/win-e2e under wine instead.
#![cfg(unix)]
mod common;
// The cache (0700, as gauth wants it), which also holds the browser's log,
// pid file and screenshot.
use common::fixtures::{tempcache as workdir, write_script};
use common::gauth;
use common::oidc::{Oidc, oidc_dir, which};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

/// gauth's own limit for a login; every wait below is bounded by it or less.
const LOGIN_TIMEOUT: &str = "40s";

fn need_chromium() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: these tests drive a real browser. Install Debian's \
         chromium (`apt-get install chromium`; .ci/run does) and run them again"
    );
}

/// A process that is not our child (the browser gauth started): asked to
/// stop on drop, so it closes Chromium and removes its profile; killed if
/// it does not.
struct Stray(PathBuf);

impl Drop for Stray {
    fn drop(&mut self) {
        let Some(pid) = std::fs::read_to_string(&self.0)
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
        else {
            return;
        };
        if common::alive(pid) {
            unsafe { libc::kill(pid, libc::SIGTERM) };
            if !common::wait_dead(pid, Duration::from_secs(5)) {
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

/// Our own child, killed and reaped on drop.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Wait for `child` at most `limit`; a child still running then is a
/// failure (and is killed by `Reaped`'s drop).
fn wait_bounded(child: &mut Reaped, limit: Duration, what: &str) -> ExitStatus {
    let end = Instant::now() + limit;
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < end, "{what} still running after {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The `BROWSER` program: records its pid (the `exec`ed node keeps it), then
/// runs chromium.mjs on the URL gauth gives it, logging to `browser.log`.
/// Not named `browser.sh`: gauth takes that for VS Code's remote helper.
fn browser_program(dir: &Path) -> PathBuf {
    write_script(
        dir,
        "open-url",
        &format!(
            "#!/bin/sh\necho $$ >{pid}\nexec {node} {script} \"$1\" --shot {shot} >>{log} 2>&1\n",
            pid = dir.join("browser.pid").display(),
            node = which("node").display(),
            script = oidc_dir().join("chromium.mjs").display(),
            shot = dir.join("final.png").display(),
            log = dir.join("browser.log").display(),
        ),
    )
}

/// A PATH for gauth and what it starts: node's directory, then the system's.
fn path_var() -> String {
    let node = which("node");
    format!("{}:/usr/bin:/bin", node.parent().unwrap().display())
}

/// chromium.mjs's verdict: its last line, `RESULT ok …` or `RESULT fail …`.
fn browser_result(log: &Path, limit: Duration) -> Option<String> {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.starts_with("RESULT ")) {
            return Some(line.to_owned());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn token_works(p: &Oidc, cache: &Path) {
    let out: Output = gauth()
        .env("GAUTH_CACHE", cache)
        .arg("token")
        .output()
        .expect("run gauth token");
    assert!(
        out.status.success(),
        "gauth token: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(!token.is_empty());
    let res = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .get(format!("{}/me", p.issuer))
        .bearer_auth(&token)
        .send()
        .expect("GET /me");
    let status = res.status().as_u16();
    let body = res.text().unwrap_or_default();
    assert_eq!(status, 200, "userinfo refused the token: {body}");
    let me: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(me["sub"], "jenny", "{body}");
}

#[test]
#[ignore = "needs Debian chromium; run by .ci/run"]
fn loopback_login_in_real_chromium_then_the_token_works() {
    need_chromium();
    let p = Oidc::start(&[]);
    let dir = workdir();
    let browser = browser_program(dir.path());
    let _stray = Stray(dir.path().join("browser.pid"));
    let started = Instant::now();
    let mut login = Reaped(
        gauth()
            .env("PATH", path_var())
            .env("BROWSER", &browser)
            .env("GAUTH_CACHE", dir.path().join("cache"))
            .args([
                "login",
                "--issuer",
                &p.issuer,
                "--client-id",
                "gauth-native",
            ])
            .args(["--timeout", LOGIN_TIMEOUT])
            .stdout(std::fs::File::create(dir.path().join("login.out")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("login.err")).unwrap())
            .spawn()
            .expect("run gauth login"),
    );
    let status = wait_bounded(&mut login, Duration::from_secs(50), "gauth login");
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
    let log = dir.path().join("browser.log");
    let result = browser_result(&log, Duration::from_secs(15));
    let report = format!(
        "gauth login: {status}\nstdout: {}\nstderr: {}\nbrowser log ({}):\n{}",
        read("login.out"),
        read("login.err"),
        log.display(),
        read("browser.log"),
    );
    assert!(status.success(), "{report}");
    assert!(read("login.err").contains("flow: loopback"), "{report}");
    assert!(
        result
            .as_deref()
            .is_some_and(|r| r.starts_with("RESULT ok")),
        "Chromium did not end on gauth's success page\n{report}"
    );
    eprintln!("loopback login in Chromium: {:?}", started.elapsed());
    token_works(&p, &dir.path().join("cache"));
}

#[test]
#[ignore = "needs Debian chromium; run by .ci/run"]
fn device_login_confirmed_in_real_chromium_then_the_token_works() {
    need_chromium();
    let p = Oidc::start(&[]);
    let dir = workdir();
    let started = Instant::now();
    // No BROWSER: the device flow only prints where to go, as on a server.
    let mut login = Reaped(
        gauth()
            .env("GAUTH_CACHE", dir.path().join("cache"))
            .args(["login", "--flow", "device", "--issuer", &p.issuer])
            .args(["--client-id", "gauth-native", "--timeout", LOGIN_TIMEOUT])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run gauth login"),
    );
    let stdout = login.0.stdout.take().unwrap();
    let out_reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    let (tx, rx) = mpsc::channel::<String>();
    let stderr = BufReader::new(login.0.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    // "To sign in, open URI on any device and enter the code", a blank
    // line, then the code on a line of its own.
    let mut seen = Vec::new();
    let (mut uri, mut code) = (None, None);
    let end = Instant::now() + Duration::from_secs(20);
    while code.is_none() {
        let left = end.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            panic!(
                "gauth printed no verification URI and code:\n{}",
                seen.join("\n")
            );
        };
        seen.push(line.clone());
        if let Some(rest) = line.trim().strip_prefix("To sign in, open ") {
            uri = rest
                .strip_suffix(" on any device and enter the code")
                .map(str::to_owned);
        } else if uri.is_some() && !line.trim().is_empty() {
            code = Some(line.trim().to_owned());
        }
    }
    let (uri, code) = (uri.unwrap(), code.unwrap());
    assert!(uri.starts_with(&p.issuer), "{uri}");

    // The person opens the plain verification URI and types the code.
    let log = dir.path().join("browser.log");
    let mut browser = Reaped(
        Command::new(which("node"))
            .arg(oidc_dir().join("chromium.mjs"))
            .arg(&uri)
            .args(["--device", "--code", &code, "--timeout", "40", "--shot"])
            .arg(dir.path().join("final.png"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.path().join("browser.err")).unwrap())
            .spawn()
            .expect("run chromium.mjs"),
    );
    let browser_status = wait_bounded(&mut browser, Duration::from_secs(45), "chromium.mjs");
    let status = wait_bounded(&mut login, Duration::from_secs(45), "gauth login");
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(2)) {
        seen.push(line);
    }
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let report = format!(
        "gauth login: {status}\nstdout: {}\nstderr:\n{}\nchromium.mjs: {browser_status}\n{}{}",
        out_reader.join().unwrap(),
        seen.join("\n"),
        read(&log),
        read(&dir.path().join("browser.err")),
    );
    assert!(browser_status.success(), "{report}");
    assert!(read(&log).contains("RESULT ok"), "{report}");
    assert!(status.success(), "{report}");
    eprintln!("device login in Chromium: {:?}", started.elapsed());
    token_works(&p, &dir.path().join("cache"));
}
