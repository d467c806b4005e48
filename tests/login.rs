//! `gauth login` against a real OpenID provider (node's oidc-provider on
//! 127.0.0.1) with a scripted user agent as the browser: every flow, the
//! automatic decisions and fallbacks, hostile traffic at the listener, and
//! the tokens it caches used by `gauth token`.
// Real processes, sockets and the test provider through Unix APIs (and
// tests/helpers/listen.py): Unix only. Windows runs the end-to-end check of
// .ci/win-e2e under wine instead.
#![cfg(unix)]
mod common;
use common::fixtures::{tempcache, write_script};
use common::oidc::Oidc;
use common::{alive, free_port, gauth, listen, path_env};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `BROWSER` program that only records the URL it is given (and exits 0):
/// the test then acts as the browser itself, when it chooses.
fn capture_browser(dir: &Path) -> PathBuf {
    write_script(
        dir,
        "capture-url",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> {}\n",
            dir.join("urls").display()
        ),
    )
}

/// A running `gauth login` whose stderr is collected as it comes.
struct Login {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Login {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Login {
    /// Start `gauth login ARGS` detached from any terminal (`setsid`), with
    /// a cleared environment plus `env`, and stdin piped when `stdin`.
    fn start(args: &[&str], env: &[(&str, &str)], stdin: bool) -> Login {
        let mut cmd = gauth();
        cmd.arg("login")
            .args(args)
            .envs(env.iter().copied())
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: setsid is async-signal-safe; it only detaches the child
        // from the test's terminal, so "can someone paste" is the test's.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("start gauth login");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Login { child, stderr }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Wait until stderr holds a line for which `pick` says yes.
    fn wait_line(&self, what: &str, pick: impl Fn(&str) -> Option<String>) -> String {
        let end = Instant::now() + Duration::from_secs(20);
        while Instant::now() < end {
            if let Some(v) = self.stderr().lines().find_map(&pick) {
                return v;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no {what} on gauth's stderr:\n{}", self.stderr());
    }

    /// The authorization URL gauth printed.
    fn url(&self, issuer: &str) -> String {
        self.wait_line("login URL", |l| {
            let l = l.trim();
            l.starts_with(issuer).then(|| l.to_owned())
        })
    }

    fn paste(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// Wait for the exit (at most `limit`: a hang fails the test) and
    /// return (code, stdout, stderr).
    fn finish(mut self, limit: Duration) -> (i32, String, String) {
        let end = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut out = String::new();
                self.child
                    .stdout
                    .take()
                    .unwrap()
                    .read_to_string(&mut out)
                    .unwrap();
                std::thread::sleep(Duration::from_millis(50));
                return (status.code().unwrap_or(-1), out, self.stderr());
            }
            assert!(
                Instant::now() < end,
                "gauth login still running after {limit:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn token(cache: &Path) -> String {
    let out = gauth()
        .args(["token"])
        .env("GAUTH_CACHE", cache)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The provider's userinfo endpoint accepts the token.
fn userinfo(p: &Oidc, token: &str) -> serde_json::Value {
    let r = reqwest::blocking::Client::new()
        .get(format!("{}/me", p.issuer))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "userinfo refused the token");
    serde_json::from_str(&r.text().unwrap()).unwrap()
}

#[test]
fn loopback_login_then_token_the_provider_accepts() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let browser = p.browser_script(dir.path(), "");
    let path = path_env();
    let login = Login::start(
        &["--issuer", &p.issuer, "--client-id", "gauth-native"],
        &[
            ("PATH", &path),
            ("BROWSER", browser.to_str().unwrap()),
            ("GAUTH_CACHE", cache.to_str().unwrap()),
        ],
        false,
    );
    let (code, out, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("logged in as jenny"), "{out}");
    assert!(out.contains("(loopback flow)"), "{out}");
    // The decision is said, with its reason.
    assert!(
        err.contains("flow: loopback (") && err.contains("BROWSER starts"),
        "{err}"
    );
    // The redirect went to the IP literal with PKCE S256.
    let url = err
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&p.issuer))
        .unwrap()
        .to_owned();
    let redirect = query_param(&url, "redirect_uri").unwrap();
    assert!(redirect.starts_with("http://127.0.0.1:"), "{redirect}");
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let t = token(&cache);
    assert_eq!(userinfo(&p, &t)["sub"], "jenny");
    // No secret on stderr or stdout besides what `gauth token` prints.
    assert!(!err.contains(&t) && !out.contains(&t));
    // stdin is not a terminal (here /dev/null; from R, a notebook): no one
    // can paste into gauth, so it does not ask for one (issue #13).
    assert!(!err.contains("here and press Enter"), "{err}");
    assert!(
        err.contains("log in in two steps:\n`gauth login --no-wait`"),
        "{err}"
    );
}

#[test]
fn auto_takes_another_port_when_the_given_one_is_held_and_leaves_the_holder_alone() {
    let p = Oidc::start(&[]);
    let holder = listen(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let browser = p.browser_script(dir.path(), "");
    let path = path_env();
    let port = holder.port.to_string();
    let login = Login::start(
        &[
            "--issuer",
            &p.issuer,
            "--client-id",
            "gauth-native",
            "--port",
            &port,
        ],
        &[
            ("PATH", &path),
            ("BROWSER", browser.to_str().unwrap()),
            ("GAUTH_CACHE", cache.to_str().unwrap()),
        ],
        false,
    );
    let (code, _, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    // The swap is said, with the new port and why it is safe here.
    let line = err
        .lines()
        .find(|l| l.starts_with(&format!("gauth: port {port} is taken by ")))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains(": using port ")
            && line.ends_with(
                " instead (your browser reaches this machine directly, and the client allows any loopback port)"
            ),
        "{err}"
    );
    assert!(alive(holder.pid), "the holder is never touched");
    userinfo(&p, &token(&cache));
}

#[test]
fn no_browser_no_terminal_no_device_endpoint_exits_4_at_once() {
    let p = Oidc::start(&["--no-device"]);
    let dir = tempcache();
    let path = path_env();
    // Headless (no DISPLAY, no BROWSER), detached from any terminal, stdin
    // /dev/null: nobody can open a page or paste, and no device flow.
    let login = Login::start(
        &["--issuer", &p.issuer, "--client-id", "gauth-native"],
        &[
            ("PATH", &path),
            ("GAUTH_CACHE", dir.path().join("c").to_str().unwrap()),
        ],
        false,
    );
    let (code, _, err) = login.finish(Duration::from_secs(20));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("flow: device ("), "{err}");
    assert!(
        err.contains("has no device authorization endpoint")
            && err.contains(&format!(
                "run `gauth login --issuer {} --client-id gauth-native --oob` in a terminal",
                p.issuer
            )),
        "{err}"
    );
}

/// A device login at a provider other than Google carries no Google
/// caveat in its decision.
#[test]
fn the_device_decision_names_no_google_caveat_for_another_provider() {
    let p = Oidc::start(&["--no-device"]);
    let dir = tempcache();
    let path = path_env();
    let login = Login::start(
        &["--issuer", &p.issuer, "--client-id", "gauth-native"],
        &[
            ("PATH", &path),
            ("GAUTH_CACHE", dir.path().join("c").to_str().unwrap()),
        ],
        false,
    );
    let (code, _, err) = login.finish(Duration::from_secs(20));
    assert_eq!(code, 4, "{err}");
    let decision = err
        .lines()
        .find(|l| l.starts_with("gauth: flow: device ("))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(!decision.contains("Google"), "{decision}");
    assert!(
        decision.contains("the device flow needs a provider with a device authorization endpoint"),
        "{decision}"
    );
}

#[test]
fn auto_and_doctor_recommend_agree_for_a_real_environment() {
    let p = Oidc::start(&["--no-device"]);
    let dir = tempcache();
    let path = path_env();
    for (env, want) in [(vec![("GAUTH_FLOW", "paste")], "paste"), (vec![], "device")] {
        let mut env: Vec<(&str, &str)> = env;
        env.push(("PATH", &path));
        let doctor = gauth()
            .args(["doctor", "--recommend"])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&doctor.stdout).trim(), want);
        env.push(("GAUTH_CACHE", dir.path().to_str().unwrap()));
        let mut login = Login::start(
            &["--issuer", &p.issuer, "--client-id", "gauth-native"],
            &env,
            true,
        );
        login.close_stdin();
        let (_, _, err) = login.finish(Duration::from_secs(20));
        assert!(err.contains(&format!("flow: {want}")), "{err}");
    }
}

#[test]
fn paste_accepts_the_redirected_url_or_the_bare_code_and_refuses_the_rest() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let path = path_env();
    let env = [
        ("PATH", path.as_str()),
        ("GAUTH_CACHE", cache.to_str().unwrap()),
    ];
    let args = [
        "--issuer",
        p.issuer.as_str(),
        "--client-id",
        "gauth-native",
        "--oob",
    ];

    // The whole redirected URL, after garbage and a URL with a wrong state.
    let mut login = Login::start(&args, &env, true);
    let url = login.url(&p.issuer);
    let redirected = p.agent(&url, &["--print-redirect"]);
    assert!(redirected.contains("code="), "{redirected}");
    login.paste("yes please");
    login.paste(&redirected.replace("state=", "state=x"));
    login.paste(&redirected);
    let (code, out, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(paste flow)"), "{out}");
    assert!(
        err.contains("not accepted: that is not a URL, a code"),
        "{err}"
    );
    assert!(err.contains("state does not match"), "{err}");
    userinfo(&p, &token(&cache));

    // A bare code (it carries no state: accepted as the code of this login).
    let mut login = Login::start(&args, &env, true);
    let url = login.url(&p.issuer);
    let redirected = p.agent(&url, &["--print-redirect"]);
    login.paste(&query_param(&redirected, "code").unwrap());
    let (code, _, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");

    // Only garbage, then the input ends: a clear error, exit 1, no hang.
    let mut login = Login::start(&args, &env, true);
    login.url(&p.issuer);
    login.paste("\x1b]52;c;Zm9v\x07");
    login.close_stdin();
    let (code, _, err) = login.finish(Duration::from_secs(20));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the input ended before a valid code"), "{err}");
    assert!(!err.contains('\x1b'), "pasted escapes are not echoed raw");
}

#[test]
fn a_loopback_login_also_takes_a_paste_and_a_closed_stdin_never_ends_the_wait() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let browser = capture_browser(dir.path());
    let path = path_env();
    let mut login = Login::start(
        &["--issuer", &p.issuer, "--client-id", "gauth-native"],
        &[
            ("PATH", &path),
            ("BROWSER", browser.to_str().unwrap()),
            ("GAUTH_CACHE", cache.to_str().unwrap()),
        ],
        true,
    );
    let url = login.url(&p.issuer);
    // The browser lands "on another machine": the test pastes what it got.
    let redirected = p.agent(&url, &["--print-redirect"]);
    login.paste(&redirected);
    let (code, _, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");

    // stdin closed at once: the loopback wait goes on and the browser's
    // redirect still completes it.
    let login = Login::start(
        &["--issuer", &p.issuer, "--client-id", "gauth-native"],
        &[
            ("PATH", &path),
            ("BROWSER", browser.to_str().unwrap()),
            ("GAUTH_CACHE", cache.to_str().unwrap()),
        ],
        false,
    );
    let url = login.url(&p.issuer);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(p.agent(&url, &[]), "CALLBACK 200");
    let (code, _, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
}

/// Before the genuine callback: forged and wrong requests, raw junk, a
/// thousand requests and a hundred silent connections held open. The login still
/// succeeds, nothing forged is taken, and the listener is loopback only.
#[test]
fn hostile_local_traffic_never_ends_or_blocks_the_wait() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let browser = capture_browser(dir.path());
    let path = path_env();
    let login = Login::start(
        &["--issuer", &p.issuer, "--client-id", "gauth-native"],
        &[
            ("PATH", &path),
            ("BROWSER", browser.to_str().unwrap()),
            ("GAUTH_CACHE", cache.to_str().unwrap()),
        ],
        false,
    );
    let url = login.url(&p.issuer);
    let redirect = query_param(&url, "redirect_uri").unwrap();
    let port: u16 = url::Url::parse(&redirect).unwrap().port().unwrap();
    // Loopback only: nothing answers on this machine's other addresses.
    let sockets = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let listening: Vec<&str> = sockets
        .lines()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[3] == "0A" && f[1].ends_with(&format!(":{port:04X}"))
        })
        .collect();
    assert_eq!(listening.len(), 1, "{listening:?}");
    assert!(listening[0].contains("0100007F:"), "{listening:?}");

    // More silent connections than the listener serves at once (64): the
    // oldest make room, and the genuine callback still gets through.
    let silent: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let send = |raw: &[u8]| {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.write_all(raw);
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            out
        } else {
            String::new()
        }
    };
    let forged = send(b"GET /?code=forged&state=guess HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(forged.starts_with("HTTP/1.1 400"), "{forged}");
    let denied = send(b"GET /?error=access_denied&state=guess HTTP/1.1\r\n\r\n");
    assert!(
        denied.starts_with("HTTP/1.1 400"),
        "a forged error must not end it: {denied}"
    );
    assert!(send(b"GET /favicon.ico HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
    send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 junk");
    send(&[b'A'; 20000]);
    let floods: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..250 {
                    if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                        let _ = s.write_all(b"GET /?code=x&state=y HTTP/1.1\r\n\r\n");
                        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                        let mut sink = Vec::new();
                        let _ = s.read_to_end(&mut sink);
                    }
                }
            })
        })
        .collect();
    for f in floods {
        f.join().unwrap();
    }
    // The genuine browser now completes the login.
    assert_eq!(p.agent(&url, &[]), "CALLBACK 200");
    let (code, _, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    drop(silent);
    let t = token(&cache);
    assert_eq!(userinfo(&p, &t)["sub"], "jenny");
    // Closed after the one valid response.
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn a_denied_consent_is_reported_plainly() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let browser = capture_browser(dir.path());
    let path = path_env();
    let login = Login::start(
        &["--issuer", &p.issuer, "--client-id", "gauth-native"],
        &[
            ("PATH", &path),
            ("BROWSER", browser.to_str().unwrap()),
            ("GAUTH_CACHE", dir.path().join("c").to_str().unwrap()),
        ],
        false,
    );
    let url = login.url(&p.issuer);
    let out = p.agent(&url, &["--deny"]);
    assert!(
        out.contains("CALLBACK 200") || out.contains("DENIED"),
        "{out}"
    );
    let (code, _, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the provider refused the login: access_denied"),
        "{err}"
    );
}

/// The device flow: the code is shown, polling honours `slow_down`, and
/// approval, denial and expiry end it as the RFC says.
#[test]
fn device_flow_approval_slow_down_denial_and_expiry() {
    let path = path_env();
    let run = |server: &[&str], agent: Option<&[&str]>| {
        let p = Oidc::start(server);
        let dir = tempcache();
        let cache = dir.path().join("cache");
        let login = Login::start(
            &[
                "--issuer",
                &p.issuer,
                "--client-id",
                "gauth-native",
                "--flow",
                "device",
            ],
            &[("PATH", &path), ("GAUTH_CACHE", cache.to_str().unwrap())],
            false,
        );
        let complete = login.wait_line("verification URI", |l| {
            let l = l.trim();
            l.strip_prefix("(or open ")
                .and_then(|r| r.strip_suffix(" directly)"))
                .map(str::to_owned)
        });
        assert!(complete.contains("user_code="), "{complete}");
        if let Some(extra) = agent {
            let mut args = vec!["--device"];
            args.extend_from_slice(extra);
            p.agent(&complete, &args);
        }
        let (code, out, err) = login.finish(Duration::from_secs(40));
        (p, dir, cache, code, out, err)
    };
    let (p, _dir, cache, code, out, err) = run(&[], Some(&[]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(device flow)"), "{out}");
    userinfo(&p, &token(&cache));

    // A slow_down answer first: still approved, polling slowed by 5 s.
    let (_, _, _, code, _, err) = run(&["--slow-down", "1"], Some(&[]));
    assert_eq!(code, 0, "{err}");

    let (_, _, _, code, _, err) = run(&[], Some(&["--deny"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the device login was denied"), "{err}");

    let (_, _, _, code, _, err) = run(&["--device-ttl", "3"], None);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("expired"), "{err}");
}

#[test]
fn bad_input_is_a_one_line_usage_error() {
    let dir = tempcache();
    let bad_json = dir.path().join("client.json");
    std::fs::write(&bad_json, "{\"installed\": ").unwrap();
    let fifo = dir.path().join("fifo");
    // mkfifo(3): rustix has no mkfifoat on macOS.
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // A config file that cannot be used is named, not silently skipped.
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("gauth")).unwrap();
    std::fs::write(
        config.join("gauth/config.toml"),
        "client_id = \"gauth-native\"\nunknown_key = 1\n",
    )
    .unwrap();
    let out = gauth()
        .args(["login"])
        .env("GAUTH_CACHE", dir.path())
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown_key") && !err.contains("no OAuth client"),
        "{err}"
    );
    let out = gauth()
        .args(["login", "--client-id", "x"])
        .env("GAUTH_CACHE", dir.path())
        .env("GAUTH_FLOW", "pastee")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GAUTH_FLOW"));

    for (args, want) in [
        (vec!["login"], "no OAuth client"),
        // A printed `--scope -x` would not run: refused up front.
        (
            vec!["login", "--client-id", "x", "--scope=-x"],
            "does not start with '-'",
        ),
        (
            vec!["doctor", "--scope=--no-wait"],
            "does not start with '-'",
        ),
        (
            vec!["login", "--credentials", bad_json.to_str().unwrap()],
            "is not a Google client JSON",
        ),
        (
            vec!["login", "--credentials", fifo.to_str().unwrap()],
            "not a regular file",
        ),
        (
            vec![
                "login",
                "--client-id",
                "x",
                "--issuer",
                "http://id.example.com",
            ],
            "plain http",
        ),
        (
            vec!["login", "--client-id", "x", "--port", "70000"],
            "out of range",
        ),
        (
            vec!["login", "--client-id", "x", "--scope", "a b"],
            "a scope is one word",
        ),
        (vec!["token", "--scope", ""], "a scope is one word"),
        (
            vec!["login", "--client-id", "x", "--timeout", "0s"],
            "from 1s to 1h",
        ),
        (
            vec!["login", "--client-id", "x", "--timeout", "1ms"],
            "from 1s to 1h",
        ),
        (
            vec![
                "login",
                "--client-id",
                "x",
                "--issuer",
                "http://127.0.0.1:1/ok?x=1",
            ],
            "query or a fragment",
        ),
        (
            vec![
                "login",
                "--client-id",
                "x",
                "--issuer",
                "http://127.0.0.1:1/ok#frag",
            ],
            "query or a fragment",
        ),
    ] {
        let out = gauth()
            .args(&args)
            .env("GAUTH_CACHE", dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A client secret that is not a string is still a secret: the parse
/// error of the config file (login and doctor) or of a client JSON says
/// what is wrong without the value.
#[test]
fn a_client_secret_that_is_not_a_string_is_never_echoed() {
    let dir = tempcache();
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("gauth")).unwrap();
    for value in [
        "12345678",
        "12345678.25",
        "[12345678]",
        "{ v = 12345678 }",
        "1979-05-27T12:34:56Z",
    ] {
        std::fs::write(
            config.join("gauth/config.toml"),
            format!("client_id = \"gauth-native\"\nclient_secret = {value}\n"),
        )
        .unwrap();
        for args in [&["login"][..], &["doctor"]] {
            let out = gauth()
                .args(args)
                .env("GAUTH_CACHE", dir.path())
                .env("XDG_CONFIG_HOME", &config)
                .output()
                .unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                all.contains("a client secret must be a string (its value is not shown)"),
                "{args:?} {value}: {all}"
            );
            for leak in ["12345678", "1979", "12:34"] {
                assert!(!all.contains(leak), "{args:?} {value}: {all}");
            }
        }
    }
    let json = dir.path().join("client.json");
    for value in [
        "987654321",
        "[987654321]",
        "{\"a\": 987654321}",
        "9.87654321e8",
    ] {
        std::fs::write(
            &json,
            format!(
                "{{\"installed\": {{\"client_id\": \"c\", \"client_secret\": {value}, \"redirect_uris\": [\"http://localhost\"]}}}}"
            ),
        )
        .unwrap();
        let out = gauth()
            .args(["login", "--credentials", json.to_str().unwrap()])
            .env("GAUTH_CACHE", dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {err}");
        assert!(
            err.contains("is not a Google client JSON: a client secret must be a string"),
            "{value}: {err}"
        );
        assert!(
            !err.contains("987654321") && !err.contains("9.87"),
            "{value}: {err}"
        );
    }
}

/// A provider that goes away while the device login waits is named as the
/// cause, not reported as an expired code.
#[test]
fn a_provider_that_goes_away_during_device_polling_is_named() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let path = path_env();
    let login = Login::start(
        &[
            "--issuer",
            &p.issuer,
            "--client-id",
            "gauth-native",
            "--flow",
            "device",
            "--timeout",
            "4s",
        ],
        &[
            ("PATH", &path),
            ("GAUTH_CACHE", dir.path().join("c").to_str().unwrap()),
        ],
        false,
    );
    login.wait_line("user code", |l| l.contains("directly)").then(String::new));
    drop(p);
    let (code, _, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the provider could not be reached while waiting"),
        "{err}"
    );
}

/// With the discovery document cached, no request at all precedes the login
/// URL: the provider may even be down until the browser comes back.
#[test]
fn a_cached_discovery_needs_no_request_before_the_url() {
    let p = Oidc::start(&[]);
    let issuer = p.issuer.clone();
    let dir = tempcache();
    let browser = capture_browser(dir.path());
    let path = path_env();
    let cache = dir.path().join("cache");
    let env = [
        ("PATH", path.as_str()),
        ("BROWSER", browser.to_str().unwrap()),
        ("GAUTH_CACHE", cache.to_str().unwrap()),
    ];
    let args = [
        "--issuer",
        issuer.as_str(),
        "--client-id",
        "gauth-native",
        "--timeout",
        "1s",
    ];
    let (code, _, err) = Login::start(&args, &env, false).finish(Duration::from_secs(20));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no answer within 1s"), "{err}");
    drop(p);
    let (code, _, err) = Login::start(&args, &env, false).finish(Duration::from_secs(20));
    assert_eq!(code, 1, "{err}");
    let urls = std::fs::read_to_string(dir.path().join("urls")).unwrap();
    assert_eq!(urls.lines().count(), 2, "{urls}");
    assert!(
        urls.lines()
            .all(|u| u.starts_with(&format!("{issuer}/auth?")))
    );
}

/// `gauth login` alone: issuer, client and scopes from the config file; a
/// Google-style client JSON (`installed`) works the same way.
#[test]
fn config_defaults_and_a_client_json_are_enough() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let browser = p.browser_script(dir.path(), "");
    let path = path_env();
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(dir.path().join("config/gauth")).unwrap();
    std::fs::write(
        dir.path().join("config/gauth/config.toml"),
        format!(
            "issuer = \"{}\"\nclient_id = \"gauth-native\"\nscopes = [\"openid\", \"offline_access\", \"profile\"]\n",
            p.issuer
        ),
    )
    .unwrap();
    let config = dir.path().join("config");
    let env = [
        ("PATH", path.as_str()),
        ("BROWSER", browser.to_str().unwrap()),
        ("GAUTH_CACHE", cache.to_str().unwrap()),
        ("XDG_CONFIG_HOME", config.to_str().unwrap()),
    ];
    let (code, out, err) = Login::start(&[], &env, false).finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("scopes: offline_access openid profile"),
        "{out}"
    );

    let json = dir.path().join("client.json");
    std::fs::write(
        &json,
        r#"{"installed":{"client_id":"gauth-native","redirect_uris":["http://localhost"]}}"#,
    )
    .unwrap();
    let (code, out, err) = Login::start(
        &[
            "--issuer",
            &p.issuer,
            "--credentials",
            json.to_str().unwrap(),
            "--json",
        ],
        &env[..3],
        false,
    )
    .finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["flow"], "loopback");
    assert_eq!(v["client_id"], "gauth-native");
    assert_eq!(v["refresh_token"], true);
    assert!(
        !out.contains("access_token"),
        "no secret in the report: {out}"
    );
}

/// On a terminal, a port held by a holder that looks expendable is offered
/// for freeing with free-port's own prompt; after "y" the login uses it.
#[test]
fn on_a_terminal_a_taken_port_is_freed_after_asking() {
    let p = Oidc::start(&[]);
    let holder = listen(&["run_local_server"]);
    let dir = tempcache();
    let browser = p.browser_script(dir.path(), "");
    let cache = dir.path().join("cache");
    let cmd = format!(
        "env -i PATH={} BROWSER={} GAUTH_CACHE={} NO_COLOR=1 {} login --issuer {} --client-id gauth-native --port {} --timeout 30s",
        path_env(),
        browser.display(),
        cache.display(),
        env!("CARGO_BIN_EXE_gauth"),
        p.issuer,
        holder.port
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("util-linux script");
    // Answer once the question is there (script echoes what gauth prints).
    std::thread::sleep(Duration::from_millis(1500));
    child.stdin.as_mut().unwrap().write_all(b"y\n").unwrap();
    let end = Instant::now() + Duration::from_secs(40);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < end, "login on a terminal did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(
        text.contains(&format!("python3 (pid {})", holder.pid)) && text.contains("[y/N]"),
        "{text}"
    );
    assert!(text.contains("logged in as jenny"), "{text}");
    // On a terminal a paste can be typed while the login waits.
    assert!(
        text.contains("paste the address it ends on (or the code) here"),
        "{text}"
    );
    assert!(
        common::wait_dead(holder.pid, Duration::from_secs(2)),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "redirect_uri=http%3A%2F%2F127.0.0.1%3A{}%2F",
            holder.port
        )),
        "the freed port is the one used: {text}"
    );
    userinfo(&p, &token(&cache));
}

// ---- every command gauth prints runs as printed (issue #11 item 18) ----

/// The command in the first backticks of the line of `text` that contains
/// `marker`, as arguments after `gauth login` (the words hold no quotes).
fn printed_login(text: &str, marker: &str) -> Vec<String> {
    let line = text
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{text}"));
    let cmd = line
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("no command in {line:?}"));
    assert!(!cmd.contains(['\'', '"']), "{cmd}");
    let words: Vec<String> = cmd.split_whitespace().map(str::to_owned).collect();
    assert_eq!(words[..2], ["gauth", "login"], "{cmd}");
    words[2..].to_vec()
}

/// Run `gauth login ARGS` (as printed) with the paste flow's input: paste
/// what the browser lands on. Returns (code, stdout, stderr).
fn login_by_paste(p: &Oidc, args: &[String], env: &[(&str, &str)]) -> (i32, String, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut login = Login::start(&args, env, true);
    let url = login.url(&p.issuer);
    login.paste(&p.agent(&url, &["--print-redirect"]));
    login.finish(Duration::from_secs(30))
}

/// `gauth token`'s re-login hint for a login whose client has a secret
/// names where the secret comes from, never the secret, and runs as
/// printed: the client JSON the login came from (`--credentials`), or the
/// config file. When gauth knows no such place it says so, with no command
/// that would fail.
#[test]
fn relogin_hints_name_the_client_json_or_config_and_run_as_printed() {
    // `--scope openid` gets no refresh token; each login is expired by
    // hand before `gauth token` runs, so it must ask for a login. (A token
    // that dies inside the 60 s margin is refused at login itself.)
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let path = path_env();
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("gauth")).unwrap();
    let env = [
        ("PATH", path.as_str()),
        ("GAUTH_CACHE", cache.to_str().unwrap()),
        ("XDG_CONFIG_HOME", config.to_str().unwrap()),
        // The printed command runs as printed; the flow is the environment's.
        ("GAUTH_FLOW", "paste"),
    ];
    let token_err = || {
        let store = gauth::cache::Store::existing_at(&cache).unwrap().unwrap();
        for s in store.list().unwrap().entries {
            let mut e = s.entry;
            e.expires_at = Some(1);
            store.save(&e).unwrap();
        }
        let out = gauth()
            .args(["token"])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let reset = || {
        let _ = std::fs::remove_dir_all(&cache);
        let _ = std::fs::remove_file(config.join("gauth/config.toml"));
    };

    // 1. From a client JSON with a secret: the hint names the file.
    let json = dir.path().join("web-client.json");
    std::fs::write(
        &json,
        r#"{"web":{"client_id":"gauth-web","client_secret":"web-secret","redirect_uris":["http://127.0.0.1:1410/"]}}"#,
    )
    .unwrap();
    let first: Vec<String> = [
        "--issuer",
        &p.issuer,
        "--credentials",
        json.to_str().unwrap(),
        "--scope",
        "openid",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let (code, _, err) = login_by_paste(&p, &first, &env);
    assert_eq!(code, 0, "{err}");
    let err = token_err();
    assert!(!err.contains("web-secret"), "{err}");
    let again = printed_login(&err, "log in again: `");
    assert_eq!(
        again,
        [
            "--issuer",
            p.issuer.as_str(),
            "--credentials",
            json.to_str().unwrap(),
            "--scope",
            "openid"
        ],
        "{err}"
    );
    let (code, _, err) = login_by_paste(&p, &again, &env);
    assert_eq!(code, 0, "the printed command runs: {err}");

    // 2. The secret from the config file: `gauth login` takes it from there.
    reset();
    std::fs::write(
        config.join("gauth/config.toml"),
        format!(
            "issuer = \"{}\"\nclient_id = \"gauth-web\"\nclient_secret = \"web-secret\"\nscopes = [\"openid\"]\n",
            p.issuer
        ),
    )
    .unwrap();
    let (code, _, err) = login_by_paste(&p, &[], &env);
    assert_eq!(code, 0, "{err}");
    let err = token_err();
    let again = printed_login(&err, "log in again: `");
    assert!(again.is_empty(), "{err}");
    assert!(!err.contains("web-secret"), "{err}");
    let (code, _, err) = login_by_paste(&p, &again, &env);
    assert_eq!(code, 0, "the printed command runs: {err}");

    // 3. The secret given as --client-secret: nowhere gauth may name. The
    // hint says where to put it, without a command that would fail.
    reset();
    let flags: Vec<String> = [
        "--issuer",
        &p.issuer,
        "--client-id",
        "gauth-web",
        "--client-secret",
        "web-secret",
        "--scope",
        "openid",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let (code, _, err) = login_by_paste(&p, &flags, &env);
    assert_eq!(code, 0, "{err}");
    let err = token_err();
    assert!(!err.contains("web-secret") && !err.contains('`'), "{err}");
    assert!(
        err.contains(
            "log in again as client gauth-web with its secret, which gauth does not print"
        ) && err.contains(&format!(
            "gauth login --issuer {} --scope openid with its client JSON (--credentials FILE)",
            p.issuer
        )) && err.contains("client_secret in"),
        "{err}"
    );

    // 4. A public client needs only its id.
    reset();
    let flags: Vec<String> = [
        "--issuer",
        &p.issuer,
        "--client-id",
        "gauth-native",
        "--scope",
        "openid",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let (code, _, err) = login_by_paste(&p, &flags, &env);
    assert_eq!(code, 0, "{err}");
    let err = token_err();
    assert_eq!(printed_login(&err, "log in again: `"), flags, "{err}");
}

/// A timeout's hint repeats the login that was run: after a loopback wait
/// it offers the paste flow (and that command runs), after a paste it does
/// not suggest --oob again.
#[test]
fn a_timeout_hint_repeats_the_login_and_offers_oob_only_after_loopback() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let path = path_env();
    let env = [
        ("PATH", path.as_str()),
        ("GAUTH_CACHE", cache.to_str().unwrap()),
    ];
    let base = ["--issuer", p.issuer.as_str(), "--client-id", "gauth-native"];

    let mut args = base.to_vec();
    args.extend(["--timeout", "1s", "--oob"]);
    let login = Login::start(&args, &env, true);
    let line = login.wait_line("the timeout", |l| {
        l.contains("nothing valid was pasted within 1s")
            .then(|| l.to_owned())
    });
    let (code, _, err) = login.finish(Duration::from_secs(20));
    assert_eq!(code, 1, "{err}");
    assert!(
        !line.contains("with --oob") && !line.contains("to paste the redirected URL instead"),
        "{line}"
    );
    assert_eq!(
        printed_login(&line, "again"),
        args,
        "the same login: {line}"
    );

    let mut args = base.to_vec();
    args.extend(["--timeout", "5s", "--flow", "loopback", "--no-browser"]);
    let login = Login::start(&args, &env, true);
    let line = login.wait_line("the timeout", |l| {
        l.contains("no answer within 5s").then(|| l.to_owned())
    });
    let (code, _, err) = login.finish(Duration::from_secs(20));
    assert_eq!(code, 1, "{err}");
    assert_eq!(printed_login(&line, "again"), args, "{line}");
    // gauth's input is not a terminal (a pipe here; R, a notebook): the
    // paste it offers is the two-step login, each step as printed.
    let two: Vec<String> = line
        .split('`')
        .nth(3)
        .unwrap()
        .split_whitespace()
        .skip(2)
        .map(str::to_owned)
        .collect();
    assert!(
        line.contains("to paste the redirected URL instead"),
        "{line}"
    );
    assert_eq!(
        two,
        [
            "--issuer",
            p.issuer.as_str(),
            "--client-id",
            "gauth-native",
            "--no-wait"
        ],
        "the browser's 5s wait is no lifetime for a login finished by hand"
    );
    assert_eq!(
        line.split('`').nth(5),
        Some("gauth login --finish -"),
        "{line}"
    );
    let out = common::gauth()
        .arg("login")
        .args(&two)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let landed = p.agent(&url, &["--print-redirect"]);
    let mut finish = common::gauth()
        .args(["login", "--finish", "-"])
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(finish.stdin.take().unwrap(), "{landed}").unwrap();
    let out = finish.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(paste flow)"));
}

/// Doctor's "log in" command runs as printed: with no client configured it
/// first says how to get one; once that is done, the same command logs in.
#[test]
fn doctors_login_command_runs_as_printed_once_its_reason_is_followed() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let browser = p.browser_script(dir.path(), "");
    let path = path_env();
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("gauth")).unwrap();
    let config_file = config.join("gauth/config.toml");
    std::fs::write(&config_file, format!("issuer = \"{}\"\n", p.issuer)).unwrap();
    let env = [
        ("PATH", path.as_str()),
        ("BROWSER", browser.to_str().unwrap()),
        ("GAUTH_CACHE", cache.to_str().unwrap()),
        ("XDG_CONFIG_HOME", config.to_str().unwrap()),
    ];
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let doctor = || {
        let out = gauth()
            .args(["doctor", "--json", "--port", &port])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["recommendation"].clone()
    };
    // As things are, `gauth login` would fail with "no OAuth client".
    let out = gauth()
        .arg("login")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("no OAuth client"));
    let rec = doctor();
    assert_eq!(rec["flow"], "loopback", "{rec:#}");
    assert_eq!(rec["commands"][0]["run"], "gauth login", "{rec:#}");
    let reason = format!(
        "gauth login needs an OAuth client and none is configured: register one for a native app (loopback redirect) at {} and put client_id = \"…\" in {}",
        p.issuer,
        config_file.display()
    );
    assert!(
        rec["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == &reason),
        "{rec:#}"
    );
    // Do what the reason says, then run the command as printed.
    std::fs::write(
        &config_file,
        format!("issuer = \"{}\"\nclient_id = \"gauth-native\"\n", p.issuer),
    )
    .unwrap();
    let rec = doctor();
    assert!(!rec.to_string().contains("none is configured"), "{rec:#}");
    assert_eq!(rec["commands"][0]["run"], "gauth login");
    let (code, out, err) = Login::start(&[], &env, false).finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("logged in as jenny"), "{out}");
}

// ---- a taken port, over SSH and on a desktop (issue #11 item 19) ----

fn doctor_json(args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    common::doctor_json(args, env).1
}

/// Over SSH the browser reaches this machine only through the tunnel to one
/// port: a taken --port is not swapped for another (that one would not be
/// reached), and without --port the login listens on the port doctor's
/// tunnel names (HTTR_PORT here), the same in both.
#[test]
fn over_ssh_a_taken_port_is_not_swapped_and_login_uses_the_tunnels_port() {
    let p = Oidc::start(&["--no-device"]);
    let holder = listen(&[]);
    let dir = tempcache();
    let path = path_env();
    let cache = dir.path().join("cache");
    let ssh = ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22");
    let port = holder.port.to_string();
    let login = Login::start(
        &[
            "--issuer",
            &p.issuer,
            "--client-id",
            "gauth-native",
            "--flow",
            "loopback",
            "--port",
            &port,
        ],
        &[
            ("PATH", &path),
            ("GAUTH_CACHE", cache.to_str().unwrap()),
            ssh,
        ],
        false,
    );
    let (code, _, err) = login.finish(Duration::from_secs(20));
    // --flow loopback is kept: exit 3 (action needed), not another flow.
    assert_eq!(code, 3, "{err}");
    assert!(!err.contains("using port"), "not swapped: {err}");
    assert!(
        err.contains(&format!(
            "port {port} is taken by python3 (pid {})",
            holder.pid
        )) && err.contains(
            "over SSH your browser reaches this machine only through a tunnel to that port, so another port would not be reached"
        ),
        "{err}"
    );
    assert!(alive(holder.pid), "the holder is never touched");

    // No --port: the tunnel's port. Doctor offers that tunnel and names
    // that port in the login to run through it.
    let tunnel_port = free_port().to_string();
    let env = [
        ("PATH", path.as_str()),
        ("GAUTH_CACHE", cache.to_str().unwrap()),
        ssh,
        ("HTTR_PORT", tunnel_port.as_str()),
        ("USER", "jenny"),
    ];
    let mut with_client = env.to_vec();
    with_client.push(("GAUTH_CLIENT_ID", "gauth-native"));
    let v = doctor_json(&[], &with_client);
    let runs: Vec<String> = v["recommendation"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["run"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        runs.contains(&format!(
            "ssh -L {tunnel_port}:127.0.0.1:{tunnel_port} jenny@10.9.8.7"
        )) && runs.contains(&format!("gauth login --flow loopback --port {tunnel_port}")),
        "{runs:?}"
    );
    let login = Login::start(
        &[
            "--issuer",
            &p.issuer,
            "--client-id",
            "gauth-native",
            "--flow",
            "loopback",
            "--no-browser",
        ],
        &env,
        false,
    );
    let url = login.url(&p.issuer);
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some(format!("http://127.0.0.1:{tunnel_port}/").as_str()),
        "{}",
        login.stderr()
    );
    assert!(
        login.stderr().contains(&format!(
            "port {tunnel_port}: over SSH your browser reaches this machine only through a tunnel"
        )),
        "{}",
        login.stderr()
    );
}

/// A port held by another `gauth login` is named as that, by doctor and by
/// a second login, and nobody is told to pass --force (gauth login has
/// none); over SSH no tunnel is offered to it; on a terminal with a browser
/// here the second login takes another port, and says so.
#[test]
fn a_port_held_by_another_gauth_login_is_named_as_that() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let path = path_env();
    let cache = dir.path().join("cache");
    let port = free_port().to_string();
    let first = Login::start(
        &[
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
        ],
        &[("PATH", &path), ("GAUTH_CACHE", cache.to_str().unwrap())],
        false,
    );
    first.url(&p.issuer);
    let pid = first.child.id();
    let named = format!("another gauth login (pid {pid})");

    let v = doctor_json(&["--port", &port], &[("PATH", &path)]);
    let held = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "held")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert!(
        held["summary"]
            .as_str()
            .unwrap()
            .starts_with(&format!("port {port} is held by {named} on ")),
        "{held:#}"
    );
    assert!(!v.to_string().contains("--force"), "{v:#}");

    let v = doctor_json(
        &["--port", &port],
        &[
            ("PATH", &path),
            ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
            ("GAUTH_CLIENT_ID", "gauth-native"),
        ],
    );
    let rec = &v["recommendation"];
    assert!(!rec["commands"].to_string().contains("ssh -L"), "{rec:#}");
    assert!(
        rec["reasons"].to_string().contains(&format!(
            "no tunnel to port {port} offered: {named} holds it here"
        )),
        "{rec:#}"
    );

    // A second login on a terminal, with a browser here.
    let browser = p.browser_script(dir.path(), "");
    let cmd = format!(
        "env -i PATH={} BROWSER={} GAUTH_CACHE={} NO_COLOR=1 {} login --issuer {} --client-id gauth-native --port {port} --timeout 30s",
        path,
        browser.display(),
        cache.display(),
        env!("CARGO_BIN_EXE_gauth"),
        p.issuer,
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("util-linux script");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "port {port} is taken by {named}, which waits for its own browser"
        )) && text.contains(": using port ")
            && text.contains("logged in as jenny"),
        "{text}"
    );
    assert!(
        !text.contains("--force") && !text.contains("[y/N]"),
        "{text}"
    );
    assert!(alive(pid as i32), "the first login is left alone");
}

/// `gauth login` against the hostile provider (no browser, nobody to
/// paste): (code, stderr, how long it ran). A hang fails the test.
fn hostile_login(p: &Oidc, extra: &[&str], limit: Duration) -> (i32, String, Duration) {
    let dir = tempcache();
    let path = path_env();
    let mut args = vec!["--issuer", p.issuer.as_str(), "--client-id", "cli"];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let login = Login::start(
        &args,
        &[
            ("PATH", &path),
            ("GAUTH_CACHE", dir.path().join("c").to_str().unwrap()),
        ],
        false,
    );
    let (code, _, err) = login.finish(limit);
    (code, err, started.elapsed())
}

/// A provider that trickles its answer a byte a second cannot keep a login
/// past --timeout: the deadline covers the whole response, not each read.
#[test]
fn a_trickled_answer_ends_at_the_login_timeout() {
    for (what, flow) in [("discovery", "device"), ("device", "device")] {
        let p = Oidc::hostile(&["--trickle", what]);
        let (code, err, took) = hostile_login(
            &p,
            &["--flow", flow, "--timeout", "3s"],
            Duration::from_secs(60),
        );
        assert_eq!(code, 1, "{what}: {err}");
        assert!(err.contains("timed out"), "{what}: {err}");
        assert_eq!(err.matches("gauth: error").count(), 1, "{err}");
        assert!(
            took < Duration::from_secs(6),
            "{what}: the login ran {took:?} under --timeout 3s"
        );
    }
}

/// `interval` and `expires_in` are numbers from outside: u64::MAX panicked
/// (exit 101), an interval of an hour outlived --timeout, and 0 polled in
/// a busy loop. Saturated, capped, 0 → 5 s, and never past --timeout.
#[test]
fn device_durations_from_a_hostile_provider_are_saturated() {
    const MAX: &str = "18446744073709551615";
    for (interval, expires) in [(MAX, MAX), ("3600", "600"), ("1", MAX), (MAX, "600")] {
        let p = Oidc::hostile(&["--device-interval", interval, "--device-expires", expires]);
        let (code, err, took) = hostile_login(
            &p,
            &["--flow", "device", "--timeout", "4s"],
            Duration::from_secs(60),
        );
        let case = format!("interval {interval}, expires_in {expires}");
        assert_eq!(code, 1, "{case}: {err}");
        assert!(!err.contains("panicked"), "{case}: {err}");
        assert!(
            err.contains("the login was not approved within 4s"),
            "{case}: {err}"
        );
        assert!(
            took < Duration::from_secs(7),
            "{case}: the login ran {took:?} under --timeout 4s"
        );
    }
    // interval 0 (and none at all): RFC 8628's 5 s, not a busy loop.
    for interval in ["0", "none"] {
        let p = Oidc::hostile(&["--device-interval", interval]);
        let (code, err, _) = hostile_login(
            &p,
            &["--flow", "device", "--timeout", "7s"],
            Duration::from_secs(60),
        );
        assert_eq!(code, 1, "{err}");
        let stats: serde_json::Value = serde_json::from_str(
            &reqwest::blocking::get(format!("{}/stats", p.issuer))
                .unwrap()
                .text()
                .unwrap(),
        )
        .unwrap();
        let polls = stats["polls"].as_array().unwrap();
        assert_eq!(polls.len(), 1, "interval {interval}: polls at {polls:?} ms");
        assert!(polls[0].as_u64().unwrap() >= 4900, "{polls:?}");
    }
}

/// RFC 9207: `iss` is compared with the issuer as a plain string. A
/// provider whose issuer ends in `/` is accepted with its exact `iss`, and
/// an `iss` without the slash is refused; the issuer must be given as the
/// provider spells it.
#[test]
fn an_issuer_with_a_trailing_slash_is_compared_exactly() {
    let p = Oidc::start(&["--issuer-slash"]);
    assert!(p.issuer.ends_with('/'), "{}", p.issuer);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let path = path_env();
    let env = [
        ("PATH", path.as_str()),
        ("GAUTH_CACHE", cache.to_str().unwrap()),
    ];
    let mut login = Login::start(
        &[
            "--issuer",
            p.issuer.as_str(),
            "--client-id",
            "gauth-native",
            "--oob",
        ],
        &env,
        true,
    );
    let url = login.url(&p.issuer);
    let redirected = p.agent(&url, &["--print-redirect"]);
    let iss = query_param(&redirected, "iss").unwrap();
    assert_eq!(iss, p.issuer);
    // The same answer with the slash dropped from `iss`: another issuer.
    let mut forged = url::Url::parse(&redirected).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "iss" {
                v.trim_end_matches('/').to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    login.paste(forged.as_str());
    login.paste(&redirected);
    let (code, out, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(paste flow)"), "{out}");
    assert!(
        err.contains("not accepted: it comes from issuer")
            && err.contains(p.issuer.trim_end_matches('/')),
        "{err}"
    );
    token(&cache);

    // The issuer without its slash is not the provider's: one line naming
    // both, and the spelling to use.
    let bare = p.issuer.trim_end_matches('/');
    let out = gauth()
        .args([
            "login",
            "--issuer",
            bare,
            "--client-id",
            "gauth-native",
            "--oob",
        ])
        .env("GAUTH_CACHE", dir.path().join("other"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("names the issuer '{}', not '{bare}'", p.issuer))
            && err.contains(&format!("pass --issuer {} ", p.issuer)),
        "{err}"
    );
    // The cause is one line under gauth's "cannot discover the provider".
    assert_eq!(err.lines().count(), 2, "{err}");
}

/// The device flow's pages are links the user opens: a `javascript:` or
/// `file:` one is refused, never shown as a place to go.
#[test]
fn a_device_verification_uri_that_is_not_https_is_refused() {
    for (flag, uri) in [
        ("--verification-uri", "javascript:alert(document.cookie)"),
        ("--verification-uri", "file:///etc/passwd"),
        ("--verification-uri-complete", "javascript:alert(1)"),
        ("--verification-uri", "http://example.com/device"),
    ] {
        let p = Oidc::hostile(&[flag, uri]);
        let (code, err, _) = hostile_login(
            &p,
            &["--flow", "device", "--timeout", "5s"],
            Duration::from_secs(30),
        );
        assert_eq!(code, 1, "{uri}: {err}");
        assert!(!err.contains("To sign in, open"), "{uri}: {err}");
        assert!(!err.contains("(or open"), "{uri}: {err}");
        assert!(
            err.contains("verification_uri") && err.contains("https"),
            "{uri}: {err}"
        );
    }
}

/// The login is named by the email (the ID token's, else userinfo's), not
/// by the opaque `sub`: oidc-provider puts only `sub` in the ID token of a
/// code flow, and the email in userinfo.
#[test]
fn the_account_is_the_email_from_userinfo_when_the_id_token_has_none() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let browser = p.browser_script(dir.path(), "--login jenny");
    let path = path_env();
    let login = Login::start(
        &["--issuer", &p.issuer, "--client-id", "gauth-native"],
        &[
            ("PATH", &path),
            ("BROWSER", browser.to_str().unwrap()),
            ("GAUTH_CACHE", cache.to_str().unwrap()),
        ],
        false,
    );
    let (code, out, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("logged in as jenny@example.test"), "{out}");
    let out = gauth()
        .args(["--json", "accounts"])
        .env("GAUTH_CACHE", &cache)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["logins"][0]["account"], "jenny@example.test", "{v:#}");
}

/// A provider whose polling interval (capped at 60 s) is longer than
/// --timeout: gauth looks once just before the end, so "not approved
/// within 5s" is what the provider said, not a guess made without asking.
#[test]
fn a_device_interval_longer_than_the_timeout_still_gets_one_look() {
    let p = Oidc::hostile(&["--device-interval", "3600"]);
    let (code, err, took) = hostile_login(
        &p,
        &["--flow", "device", "--timeout", "5s"],
        Duration::from_secs(60),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the login was not approved within 5s"),
        "{err}"
    );
    assert!(took < Duration::from_secs(8), "{took:?}");
    let stats: serde_json::Value = serde_json::from_str(
        &reqwest::blocking::get(format!("{}/stats", p.issuer))
            .unwrap()
            .text()
            .unwrap(),
    )
    .unwrap();
    let polls = stats["polls"].as_array().unwrap();
    assert_eq!(
        polls.len(),
        1,
        "one look, just before the end: {polls:?} ms"
    );
}

/// A token endpoint that takes every device poll and never answers: the
/// provider is named as the cause (as the README promises), not "not
/// approved within 6s".
#[test]
fn a_token_endpoint_that_never_answers_a_poll_is_named() {
    let p = Oidc::hostile(&["--hang", "token"]);
    let (code, err, took) = hostile_login(
        &p,
        &["--flow", "device", "--timeout", "6s"],
        Duration::from_secs(60),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "the provider did not answer: its token endpoint {}/token had not answered gauth's poll after ",
            p.issuer
        )) && err.contains("(--timeout 6s)"),
        "{err}"
    );
    assert!(!err.contains("not approved"), "{err}");
    assert!(took < Duration::from_secs(9), "{took:?}");
}

/// A device authorization answer that does not parse is named as that,
/// with the field, never as "not a token response" (it is not meant to be
/// one) and never with the value.
#[test]
fn a_device_authorization_answer_that_does_not_parse_names_its_field() {
    for (flag, value, field) in [
        ("--device-interval", "-1", "at interval"),
        ("--device-interval", "\"5\"", "at interval"),
        ("--device-expires", "null", "at expires_in"),
    ] {
        let p = Oidc::hostile(&[flag, value]);
        let (code, err, _) = hostile_login(
            &p,
            &["--flow", "device", "--timeout", "10s"],
            Duration::from_secs(60),
        );
        assert_eq!(code, 1, "{value}: {err}");
        assert!(
            err.contains(&format!(
                "the device authorization answer is not valid ({field})"
            )),
            "{value}: {err}"
        );
        assert!(!err.contains("token response"), "{value}: {err}");
    }
}

/// `expires_in` as a string of digits (`"2"`, as some providers send it) is
/// read as that number, at login and at every refresh; a word there is
/// refused, naming the field.
#[test]
fn expires_in_as_a_string_of_digits_is_a_number_and_a_word_is_named() {
    let p = Oidc::start(&["--mangle-token", "expires-string", "--access-ttl", "2"]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let browser = p.browser_script(dir.path(), "");
    let path = path_env();
    let login = Login::start(
        &[
            "--issuer",
            &p.issuer,
            "--client-id",
            "gauth-native",
            "--flow",
            "loopback",
        ],
        &[
            ("PATH", &path),
            ("BROWSER", browser.to_str().unwrap()),
            ("GAUTH_CACHE", cache.to_str().unwrap()),
        ],
        false,
    );
    let (code, out, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("logged in as jenny"), "{out}");
    let v: serde_json::Value = serde_json::from_slice(
        &gauth()
            .args(["--json", "accounts"])
            .env("GAUTH_CACHE", &cache)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let expires_at = v["logins"][0]["expires_at"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(expires_at <= now + 2, "2 s, as the string said: {v:#}");
    // Inside the margin: `gauth token` refreshes, and the answer's string
    // `expires_in` is read the same way.
    let first = token(&cache);
    assert_eq!(userinfo(&p, &first)["sub"], "jenny");
    let second = token(&cache);
    assert_ne!(first, second, "refreshed again (2 s tokens)");
    assert_eq!(userinfo(&p, &second)["sub"], "jenny");

    let p = Oidc::start(&["--mangle-token", "expires-word"]);
    let dir = tempcache();
    let browser = p.browser_script(dir.path(), "");
    let login = Login::start(
        &[
            "--issuer",
            &p.issuer,
            "--client-id",
            "gauth-native",
            "--flow",
            "loopback",
        ],
        &[
            ("PATH", &path),
            ("BROWSER", browser.to_str().unwrap()),
            ("GAUTH_CACHE", dir.path().join("c").to_str().unwrap()),
        ],
        false,
    );
    let (code, _, err) = login.finish(Duration::from_secs(30));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "the code exchange failed: the provider's answer is not a token response (at expires_in)"
        ),
        "{err}"
    );
    assert!(!err.contains("soon"), "{err}");
}

/// A flow the user forced is theirs: with `--flow loopback` (or
/// GAUTH_FLOW=loopback) and its port taken where no other port would be
/// reached, the login stops with exit 3, the holder and what to do — it
/// does not quietly become a device login.
#[test]
fn a_forced_loopback_flow_whose_port_is_taken_stops_with_exit_3() {
    let p = Oidc::start(&[]);
    let holder = listen(&[]);
    let dir = tempcache();
    let path = path_env();
    let port = holder.port.to_string();
    let cache = dir.path().join("c");
    for (args, env) in [
        (vec!["--flow", "loopback"], vec![]),
        (vec![], vec![("GAUTH_FLOW", "loopback")]),
    ] {
        let mut all = vec![
            "--issuer",
            p.issuer.as_str(),
            "--client-id",
            "gauth-native",
            "--port",
            &port,
            "--timeout",
            "20s",
        ];
        all.extend(args);
        let mut env = env;
        env.extend([
            ("PATH", path.as_str()),
            ("GAUTH_CACHE", cache.to_str().unwrap()),
        ]);
        let started = Instant::now();
        let login = Login::start(&all, &env, false);
        let (code, _, err) = login.finish(Duration::from_secs(30));
        assert_eq!(code, 3, "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "at once: {err}"
        );
        assert!(
            err.contains(&format!("port {port} is taken by "))
                && err.contains("asks for the loopback flow, so gauth does not switch to another")
                && err.contains(&format!("`gauth doctor --port {port}` says how")),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "`gauth login --issuer {} --client-id gauth-native --port {port} --timeout 20s --oob`",
                p.issuer
            )),
            "{err}"
        );
        assert!(
            !err.contains("device flow") && !err.contains("To sign in"),
            "{err}"
        );
        assert!(alive(holder.pid));
    }
}
