//! `gauth login` against a real OpenID provider (node's oidc-provider on
//! 127.0.0.1) with a scripted user agent as the browser: every flow, the
//! automatic decisions and fallbacks, hostile traffic at the listener, and
//! the tokens it caches used by `gauth token`.
// Real processes, sockets and the test provider through Unix APIs (and
// tests/helpers/listen.py): Unix only. Windows runs the end-to-end check of
// .ci/win-e2e under wine instead.
#![cfg(unix)]
mod common;
use common::oidc::Oidc;
use common::{alive, gauth, listen};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A private (0700) cache directory for one test.
fn tempcache() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    d
}

/// A `BROWSER` program that only records the URL it is given (and exits 0):
/// the test then acts as the browser itself, when it chooses.
fn capture_browser(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("capture-url");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> {}\n",
            dir.join("urls").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
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

#[allow(clippy::disallowed_methods)]
fn path_env() -> String {
    std::env::var("PATH").unwrap_or_default()
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
    assert!(
        err.contains(&format!(
            "port {port} is taken: using another port (the client allows any loopback port)"
        )),
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
        err.contains("has no device authorization endpoint") && err.contains("gauth login --oob"),
        "{err}"
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
