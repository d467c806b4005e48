//! A login in two commands (issue #13): `gauth login --no-wait` starts it
//! and prints the URL, `gauth login --finish ANSWER` completes it with what
//! the user pasted; `login --flow auto` does the first half itself where
//! gauth cannot read the paste. Against the real OpenID provider, with the
//! scripted user agent as the person's browser.
#![cfg(unix)]
mod common;
use common::fixtures::{mode, now, tempcache};
use common::oidc::Oidc;
use common::{gauth, output_detached, path_env, stderr, stdout};
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

fn start(p: &Oidc, cache: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let out = gauth()
        .args(["login", "--no-wait", "--json", "--issuer", &p.issuer])
        .args(["--client-id", "gauth-native"])
        .args(extra)
        .env("GAUTH_CACHE", cache)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    (out, v)
}

fn finish(cache: &Path, answer: &str) -> Output {
    gauth()
        .args(["login", "--json", "--finish", answer])
        .env("GAUTH_CACHE", cache)
        .output()
        .unwrap()
}

fn finish_on_stdin(cache: &Path, answer: &str) -> Output {
    let mut child = gauth()
        .args(["login", "--json", "--finish", "-"])
        .env("GAUTH_CACHE", cache)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{answer}").unwrap();
    child.wait_with_output().unwrap()
}

fn pending(cache: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(cache.join("pending"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

fn token_works(p: &Oidc, cache: &Path, extra: &[&str]) {
    let out = gauth()
        .arg("token")
        .args(extra)
        .env("GAUTH_CACHE", cache)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    let me = reqwest::blocking::Client::new()
        .get(format!("{}/me", p.issuer))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(me.status().as_u16(), 200);
}

/// The URL, then the address the browser lands on: the login is cached,
/// the pending login is gone, and the same answer again is refused.
#[test]
fn no_wait_then_finish_logs_in_once() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let before = now();
    let (out, v) = start(&p, &cache, &[]);
    let url = v["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/auth?", p.issuer)), "{v}");
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    assert_eq!(v["redirect_uri"], "http://127.0.0.1:1410/");
    let expires = v["expires_at"].as_u64().unwrap();
    assert!((before + 299..=now() + 301).contains(&expires), "{v}");
    assert!(
        stderr(&out).is_empty(),
        "--json says nothing else: {}",
        stderr(&out)
    );
    // The pending login: one file, 0600, in a 0700 directory.
    let files = pending(&cache);
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&files[0]), 0o600);
    assert_eq!(mode(&cache.join("pending")), 0o700);
    let landed = p.agent(url, &["--print-redirect"]);
    let out = finish_on_stdin(&cache, &landed);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["flow"], "paste");
    assert_eq!(report["account"], "jenny@example.test");
    assert!(pending(&cache).is_empty(), "used once");
    token_works(&p, &cache, &[]);
    // The same answer again: the login it belonged to is gone.
    let out = finish(&cache, &landed);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no login is waiting"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("code="), "{}", stderr(&out));
}

/// Several logins can wait; each answer finds its own by its state; a
/// forged state, an expired login, and a bare code among several are
/// refused with exit 2.
#[test]
fn answers_find_their_own_login_and_the_rest_are_refused() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    // Expired: a login that waited past its --timeout.
    let (_, old) = start(&p, &cache, &["--timeout", "1s"]);
    let old_landed = p.agent(old["url"].as_str().unwrap(), &["--print-redirect"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let out = finish(&cache, &old_landed);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));
    // The new one it names runs as printed (the same provider, client and
    // scopes; the default lifetime, not the 1 s of the old one).
    let err = stderr(&out);
    let cmd = err.split('`').nth(1).unwrap_or_else(|| panic!("{err}"));
    let words: Vec<&str> = cmd.split_whitespace().collect();
    assert_eq!(words[..2], ["gauth", "login"], "{cmd}");
    assert!(
        !cmd.contains("--timeout") && cmd.ends_with("--no-wait"),
        "{cmd}"
    );
    let again = gauth()
        .args(&words[1..])
        .env("GAUTH_CACHE", &cache)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    for p in pending(&cache) {
        std::fs::remove_file(p).unwrap();
    }

    let (_, b) = start(&p, &cache, &[]);
    let (_, c) = start(
        &p,
        &cache,
        &["--scope", "openid", "--scope", "offline_access"],
    );
    let b_landed = p.agent(b["url"].as_str().unwrap(), &["--print-redirect"]);
    let c_landed = p.agent(c["url"].as_str().unwrap(), &["--print-redirect"]);
    // A forged state (the right shape, another value).
    let forged = {
        let mut u = url::Url::parse(&b_landed).unwrap();
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" {
                    format!("x{v}")
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        u.to_string()
    };
    let out = finish(&cache, &forged);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // A bare code, with two logins waiting: which one?
    let code = |landed: &str| {
        url::Url::parse(landed)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned()
    };
    let out = finish(&cache, &code(&c_landed));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 logins are waiting"),
        "{}",
        stderr(&out)
    );
    // Each by its own address, C first.
    let out = finish(&cache, &c_landed);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scopes"], serde_json::json!(["offline_access", "openid"]));
    // One left. Its address cut short before the state (a wrapped line):
    // refused, and the login still waits for the right answer.
    let cut = b_landed[..b_landed.find("state=").unwrap()].trim_end_matches(['&', '?']);
    assert!(cut.contains("code="), "{cut}");
    let out = finish(&cache, cut);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("still waiting"), "{}", stderr(&out));
    assert_eq!(pending(&cache).len(), 1);
    // A bare code is its.
    let out = finish(&cache, &code(&b_landed));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(pending(&cache).is_empty());
    // Two logins now (C's has no email scope: its account is the subject).
    token_works(&p, &cache, &["--account", "jenny@example.test"]);
    token_works(&p, &cache, &["--account", "jenny"]);
    // Garbage is a usage error that names no secret.
    let out = finish(&cache, "not a\u{1b}[31m paste");
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains('\u{1b}'), "{}", stderr(&out));
}

/// At most five logins wait: a sixth drops the oldest, and says so.
#[test]
fn at_most_five_logins_wait() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let (_, first) = start(&p, &cache, &[]);
    for _ in 0..4 {
        start(&p, &cache, &[]);
    }
    assert_eq!(pending(&cache).len(), 5);
    let out = gauth()
        .args(["login", "--no-wait", "--issuer", &p.issuer])
        .args(["--client-id", "gauth-native"])
        .env("GAUTH_CACHE", &cache)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("can no longer be finished"),
        "{}",
        stderr(&out)
    );
    // Human output: the URL alone on stdout, how to finish on stderr.
    assert!(stdout(&out).starts_with(&p.issuer) && stdout(&out).lines().count() == 1);
    assert!(
        stderr(&out).contains("gauth login --finish"),
        "{}",
        stderr(&out)
    );
    assert_eq!(pending(&cache).len(), 5);
    let landed = p.agent(first["url"].as_str().unwrap(), &["--print-redirect"]);
    let out = finish(&cache, &landed);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // Twenty started at once onto the five waiting: five wait at the end,
    // and each of the twenty dropped was said by the login that dropped it.
    let kids: Vec<_> = (0..20)
        .map(|_| {
            gauth()
                .args(["login", "--no-wait", "--issuer", &p.issuer])
                .args(["--client-id", "gauth-native"])
                .env("GAUTH_CACHE", &cache)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut said = 0;
    for k in kids {
        let out = k.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        said += stderr(&out).matches("can no longer be finished").count();
    }
    assert_eq!(pending(&cache).len(), 5, "{:?}", pending(&cache));
    assert_eq!(said, 20);
}

/// Where gauth cannot read the paste (a hosted IDE's console: RStudio
/// Server; gauth's input not a terminal), `login --flow auto` starts the
/// login, says how to finish it, and stops at once with exit 4; the
/// `--finish` it names completes it. It never says the console takes a
/// paste that gauth itself would read.
#[test]
fn auto_where_gauth_cannot_read_the_paste_starts_the_login_and_names_the_finish() {
    let p = Oidc::start(&[]);
    let dir = tempcache();
    let cache = dir.path().join("cache");
    let path = path_env();
    let started = std::time::Instant::now();
    let out = output_detached(
        &[
            "login",
            "--issuer",
            &p.issuer,
            "--client-id",
            "gauth-native",
        ],
        &[
            ("PATH", &path),
            ("GAUTH_CACHE", cache.to_str().unwrap()),
            ("RSTUDIO", "1"),
            ("RSTUDIO_PROGRAM_MODE", "server"),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "at once"
    );
    assert!(err.contains("gauth cannot read"), "{err}");
    assert!(!err.contains("takes it"), "{err}");
    assert!(err.contains("gauth login --finish"), "{err}");
    let url = err
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&p.issuer))
        .unwrap_or_else(|| panic!("no URL: {err}"))
        .to_owned();
    assert_eq!(pending(&cache).len(), 1);
    let landed = p.agent(&url, &["--print-redirect"]);
    let out = finish(&cache, &landed);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    token_works(&p, &cache, &[]);
    // doctor, in the same place, names the two commands.
    let (_, v) = common::doctor_json(
        &["--port", &common::free_port().to_string()],
        &[
            ("PATH", &path),
            ("RSTUDIO", "1"),
            ("RSTUDIO_PROGRAM_MODE", "server"),
        ],
    );
    let commands = v["recommendation"]["commands"].to_string();
    assert_eq!(v["recommendation"]["flow"], "paste", "{v:#}");
    assert!(
        commands.contains("--no-wait") && commands.contains("gauth login --finish"),
        "{commands}"
    );
    // No client configured: the R call names the client JSON the reason
    // says to save, as the shell commands do.
    assert!(
        commands.contains(r#"gauth::login(credentials = \"client.json\")"#),
        "{commands}"
    );
    assert!(!v["recommendation"].to_string().contains("takes it"));
}

/// Google's device flow takes only a few scopes: doctor never recommends it
/// for others, and `--flow device` refuses before any request.
#[test]
fn google_device_flow_only_where_its_scopes_fit() {
    let path = path_env();
    // Nobody can paste (no terminal anywhere), no browser: device, if the
    // scopes fit.
    let nowhere = [
        ("PATH", path.as_str()),
        ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
        ("GAUTH_CLIENT_ID", "x.apps.googleusercontent.com"),
    ];
    let port = common::free_port().to_string();
    let word = |scopes: &[&str]| {
        let mut args = vec!["doctor", "--recommend", "--port", &port];
        for s in scopes {
            args.extend(["--scope", s]);
        }
        let out = output_detached(&args, &nowhere);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out).trim().to_owned()
    };
    assert_eq!(word(&[]), "device");
    assert_eq!(
        word(&["openid", "https://www.googleapis.com/auth/drive.file"]),
        "device"
    );
    assert_eq!(word(&["https://www.googleapis.com/auth/drive"]), "paste");
    assert_eq!(word(&["https://www.googleapis.com/auth/bigquery"]), "paste");
    // The commands it prints are for the scopes it was asked about, and
    // the second one runs as printed (it reads the address on stdin).
    let bq = "https://www.googleapis.com/auth/bigquery";
    let out = output_detached(
        &["doctor", "--json", "--port", &port, "--scope", bq],
        &nowhere,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs: Vec<&str> = v["recommendation"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["run"].as_str().unwrap())
        .collect();
    assert_eq!(
        runs[..3],
        [
            format!("gauth login --scope {bq} --no-wait").as_str(),
            "gauth login --finish -",
            format!("gauth::login(scopes = c(\"{bq}\"))").as_str(),
        ],
        "{v}"
    );
    // Forced, it stops before any request (there is no network here: a
    // request would fail otherwise, with exit 1).
    let out = gauth()
        .args(["login", "--flow", "device"])
        .args(["--scope", "https://www.googleapis.com/auth/drive"])
        .args(["--client-id", "x.apps.googleusercontent.com"])
        .env("GAUTH_CACHE", tempcache().path().join("c"))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("Google's device flow refuses https://www.googleapis.com/auth/drive"),
        "{err}"
    );
    // Asked for by GAUTH_FLOW (or the config file) rather than on the
    // command line, it is set aside, as doctor does: nobody can paste here,
    // so the login is started and the --finish named (exit 4), never a
    // paste read from an input nobody types into.
    let cache = tempcache();
    let cache_dir = cache.path().join("c");
    let env = [
        ("PATH", path.as_str()),
        ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
        ("GAUTH_CLIENT_ID", "x.apps.googleusercontent.com"),
        ("GAUTH_FLOW", "device"),
        ("GAUTH_CACHE", cache_dir.to_str().unwrap()),
    ];
    let out = output_detached(
        &["login", "--scope", "https://www.googleapis.com/auth/drive"],
        &env,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("GAUTH_FLOW=device asks for the device flow"),
        "{err}"
    );
    assert!(err.contains("gauth login --finish"), "{err}");
    assert_eq!(pending(&cache_dir).len(), 1, "{err}");
    let word = output_detached(
        &[
            "doctor",
            "--recommend",
            "--port",
            &port,
            "--scope",
            "https://www.googleapis.com/auth/drive",
        ],
        &env,
    );
    assert_eq!(stdout(&word).trim(), "paste", "{}", stderr(&word));
}
