//! The Google preset end to end, without the internet: inside fresh mount
//! and network namespaces (`unshare -m -n`), a private `/etc/hosts` sends
//! accounts.google.com, oauth2.googleapis.com and
//! openidconnect.googleapis.com to 127.0.0.1, a private CA is trusted (added
//! to the system's bundle, or named by `SSL_CERT_FILE`), and a fake Google
//! (tests/google/fake_google.mjs) on port 443 checks what the real `gauth`
//! sends: PKCE S256, the loopback redirect of a Desktop client, the client's
//! authentication, the device flow's scope rule. A scripted curl is the
//! user's browser. Nothing can leave the machine: the namespace has only
//! loopback.
//!
//! These need root (namespaces, mounts, port 443), node, curl, openssl and
//! util-linux, so they are ignored by a plain `cargo test` and run by
//! `.ci/run` with `cargo test --test google -- --include-ignored`.
#![cfg(target_os = "linux")]
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const DESKTOP_ID: &str = "281749360512-d3sk70pfake0c1ient.apps.googleusercontent.com";
const DESKTOP_SECRET: &str = "GOCSPX-fakeDesktopSecret-0123456789";
const TV_ID: &str = "281749360512-tvfake0c1ient0000.apps.googleusercontent.com";
const TV_SECRET: &str = "GOCSPX-fakeTvSecret-01234567890123";
const EMAIL: &str = "jenny@gmail.test";
const DRIVE: &str = "https://www.googleapis.com/auth/drive";
const DRIVE_FILE: &str = "https://www.googleapis.com/auth/drive.file";
const GOOGLE_NAMES: [&str; 3] = [
    "accounts.google.com",
    "oauth2.googleapis.com",
    "openidconnect.googleapis.com",
];

fn require_root() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "the Google end-to-end tests run as root (as CI does)"
    );
}

/// How the namespace trusts the fake's CA.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trust {
    /// The system bundle plus the CA, mounted over
    /// /etc/ssl/certs/ca-certificates.crt (as `update-ca-certificates`
    /// would make it).
    SystemBundle,
    /// Not in the system's store: only a test that sets `SSL_CERT_FILE`
    /// trusts it.
    NotInstalled,
}

/// The fake Google in its namespaces, with everything the test made for it
/// (CA, certificate, hosts file, client JSON, the scripted browser, the
/// cache) in a private directory. Killed on drop.
struct FakeGoogle {
    dir: tempfile::TempDir,
    child: Child,
}

impl Drop for FakeGoogle {
    fn drop(&mut self) {
        // The child is `unshare`, which exec'd sh, which exec'd node: one
        // process, ours.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

impl FakeGoogle {
    fn start(trust: Trust) -> FakeGoogle {
        Self::start_with(trust, false)
    }

    /// `iss`: the redirect back carries `iss=https://accounts.google.com`
    /// (RFC 9207), which gauth then checks.
    fn start_with(trust: Trust, iss: bool) -> FakeGoogle {
        require_root();
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let p = |f: &str| dir.path().join(f).display().to_string();
        // A private CA and a certificate for Google's three host names
        // (P-256 keys: quick to make).
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=gauth fake Google test CA",
            "-keyout",
            &p("ca.key"),
            "-out",
            &p("ca.pem"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=accounts.google.com",
            "-keyout",
            &p("server.key"),
            "-out",
            &p("server.csr"),
        ]);
        let sans: Vec<String> = GOOGLE_NAMES.iter().map(|n| format!("DNS:{n}")).collect();
        std::fs::write(
            dir.path().join("server.ext"),
            format!(
                "subjectAltName={}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
                sans.join(",")
            ),
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            &p("server.csr"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &p("server.ext"),
            "-out",
            &p("server.pem"),
        ]);
        let ca = std::fs::read_to_string(p("ca.pem")).unwrap();
        let system = "/etc/ssl/certs/ca-certificates.crt";
        let mut bundle = std::fs::read_to_string(system)
            .unwrap_or_else(|e| panic!("{system}: {e} (install ca-certificates)"));
        bundle.push_str(&ca);
        std::fs::write(dir.path().join("bundle.pem"), bundle).unwrap();
        std::fs::write(
            dir.path().join("hosts"),
            format!(
                "127.0.0.1 localhost\n::1 localhost\n127.0.0.1 {}\n",
                GOOGLE_NAMES.join(" ")
            ),
        )
        .unwrap();
        let client = |id: &str, secret: &str, ty: &str| serde_json::json!({"id": id, "secret": secret, "type": ty});
        let config = serde_json::json!({
            "cert": p("server.pem"),
            "key": p("server.key"),
            "log": p("requests.jsonl"),
            "port": 443,
            "interval": 1,
            "iss": iss,
            "user": {"sub": "110169484474386276334", "email": EMAIL},
            "clients": [
                client(DESKTOP_ID, DESKTOP_SECRET, "installed"),
                client(TV_ID, TV_SECRET, "tv"),
            ],
        });
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        // A Desktop client's JSON as the Cloud console hands it out.
        let json = serde_json::json!({"installed": {
            "client_id": DESKTOP_ID,
            "project_id": "gauth-fake",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_secret": DESKTOP_SECRET,
            "redirect_uris": ["http://localhost"],
        }});
        std::fs::write(dir.path().join("client.json"), json.to_string()).unwrap();
        // The user's browser: fetches the login page and follows Google's
        // redirect back to gauth's listener, as a browser would after the
        // user consented. It trusts the CA on its own: what is tested is
        // gauth's trust, not curl's.
        write_executable(
            &dir.path().join("browser"),
            &format!(
                "#!/bin/sh\nexec curl -sS -o /dev/null -L --max-redirs 3 --max-time 30 --cacert {ca} -w '%{{http_code}}\\n' \"$1\" >> {log} 2>&1\n",
                ca = p("ca.pem"),
                log = p("browser.log"),
            ),
        );
        std::fs::create_dir(dir.path().join("home")).unwrap();
        let fake = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/google/fake_google.mjs");
        let script = r#"set -e
ip link set lo up
mount --bind "$1/hosts" /etc/hosts
if [ "$2" = bundle ]; then mount --bind "$1/bundle.pem" /etc/ssl/certs/ca-certificates.crt; fi
exec node "$3" "$1/config.json""#;
        let mut child = Command::new("unshare")
            .args(["-m", "-n", "sh", "-c", script, "sh"])
            .arg(dir.path())
            .arg(if trust == Trust::SystemBundle {
                "bundle"
            } else {
                "none"
            })
            .arg(fake)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("fake.err")).unwrap())
            .spawn()
            .expect("unshare (util-linux)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if !line.starts_with("READY") {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the fake Google did not start: {line:?}\n{}",
                std::fs::read_to_string(dir.path().join("fake.err")).unwrap_or_default()
            );
        }
        FakeGoogle { dir, child }
    }

    fn path(&self, f: &str) -> PathBuf {
        self.dir.path().join(f)
    }

    fn cache(&self) -> PathBuf {
        self.path("cache")
    }

    /// Run `program ARGS` inside the fake's namespaces, in a session of its
    /// own (no terminal: nobody can paste), with a clean environment plus
    /// `env`, under a 90 s limit (a hang fails the test).
    fn run_in(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new("timeout");
        cmd.args(["-k", "5", "90", "nsenter", "--target"])
            .arg(self.child.id().to_string())
            .args(["--mount", "--net", "--", program])
            .args(args)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", self.path("home"))
            .env("GAUTH_CACHE", self.cache())
            .env("BROWSER", self.path("browser"))
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        // SAFETY: setsid(2) is async-signal-safe; it only detaches the
        // child from the test's terminal.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        cmd.output().expect("timeout, nsenter")
    }

    /// `gauth ARGS` inside the namespaces: (exit code, stdout, stderr).
    /// `gauth login --flow device` with the "TVs and Limited Input devices"
    /// client, asking for `scopes`, waiting at most `timeout`.
    fn tv_device_login(&self, scopes: &[&str], timeout: &str) -> (i32, String, String) {
        let mut args = vec!["login", "--client-id", TV_ID, "--client-secret", TV_SECRET];
        args.extend(["--flow", "device"]);
        for s in scopes {
            args.extend(["--scope", s]);
        }
        args.extend(["--timeout", timeout]);
        self.gauth(&args, &[])
    }

    fn gauth(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let out = self.run_in(env!("CARGO_BIN_EXE_gauth"), args, env);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Every request the fake saw (and every TLS handshake it refused), in
    /// order.
    fn log(&self) -> Vec<Value> {
        std::fs::read_to_string(self.path("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The requests to `path` (e.g. `/token`).
    fn requests(&self, path: &str) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|r| r["path"] == path)
            .collect()
    }

    /// The token requests of one grant type.
    fn grants(&self, grant_type: &str) -> Vec<Value> {
        self.requests("/token")
            .into_iter()
            .filter(|r| r["grant_type"] == grant_type)
            .collect()
    }

    /// Everything the test knows about the run, for failure messages.
    fn dump(&self) -> String {
        format!(
            "fake's log:\n{}\nbrowser: {}\nfake's stderr: {}",
            std::fs::read_to_string(self.path("requests.jsonl")).unwrap_or_default(),
            std::fs::read_to_string(self.path("browser.log")).unwrap_or_default(),
            std::fs::read_to_string(self.path("fake.err")).unwrap_or_default(),
        )
    }

    /// Make every cached login's access token look expired, as time would,
    /// so that the next `gauth token` must refresh it.
    fn expire_cached_logins(&self) {
        let store = gauth::cache::Store::open_at(&self.cache()).unwrap();
        let listing = store.list().unwrap();
        assert!(!listing.entries.is_empty(), "no cached login to expire");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        for stored in listing.entries {
            let mut e = stored.entry;
            e.expires_at = Some(now - 10);
            store.save(&e).unwrap();
        }
    }
}

/// The one authorization request of a loopback login, checked as Google
/// would see it from a Desktop client: returns the redirect URI it named.
fn assert_google_authorization(fake: &FakeGoogle, scope: &str) -> String {
    let auths = fake.requests("/o/oauth2/v2/auth");
    assert_eq!(
        auths.len(),
        1,
        "one authorization request:\n{}",
        fake.dump()
    );
    let a = &auths[0];
    let q = &a["query"];
    assert_eq!(a["host"], "accounts.google.com", "{a}");
    assert_eq!(a["violations"], serde_json::json!([]), "{a}");
    assert_eq!(a["status"], 302, "{a}");
    assert_eq!(a["code_issued"], true, "{a}");
    assert_eq!(q["response_type"], "code", "{a}");
    assert_eq!(q["client_id"], DESKTOP_ID, "{a}");
    // PKCE S256 with a SHA-256 challenge (43 base64url characters).
    assert_eq!(q["code_challenge_method"], "S256", "{a}");
    let challenge = q["code_challenge"].as_str().unwrap();
    assert_eq!(challenge.len(), 43, "{a}");
    assert!(
        challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{a}"
    );
    // A one-time state of at least 128 bits.
    assert!(q["state"].as_str().unwrap().len() >= 22, "{a}");
    // The loopback redirect of a native app (RFC 8252 §7.3): the IP
    // literal, not `localhost`, with the port gauth listens on.
    let r = &a["redirect"];
    assert_eq!(r["host"], "127.0.0.1", "{a}");
    let port: u16 = r["port"].as_str().unwrap().parse().unwrap();
    assert!(port > 0, "{a}");
    assert_eq!(r["path"], "/", "{a}");
    assert_eq!(r["query"], "", "{a}");
    // What makes Google hand out a refresh token every time.
    assert_eq!(q["access_type"], "offline", "{a}");
    assert_eq!(q["prompt"], "consent", "{a}");
    assert_eq!(q["scope"], scope, "{a}");
    assert_eq!(a["offline"], true, "{a}");
    q["redirect_uri"].as_str().unwrap().to_owned()
}

/// The code exchange that followed: at Google's token host, with the
/// Desktop client's secret (HTTP Basic), the verifier whose S256 hash is the
/// challenge, and the same redirect URI. Returns the tokens the fake issued.
fn assert_google_code_exchange(fake: &FakeGoogle, redirect_uri: &str) -> Value {
    let exchanges = fake.grants("authorization_code");
    assert_eq!(exchanges.len(), 1, "one code exchange:\n{}", fake.dump());
    let x = &exchanges[0];
    assert_eq!(x["host"], "oauth2.googleapis.com", "{x}");
    assert_eq!(x["sni"], "oauth2.googleapis.com", "{x}");
    assert_eq!(
        x["content_type"], "application/x-www-form-urlencoded",
        "{x}"
    );
    assert_eq!(x["client_id"], DESKTOP_ID, "{x}");
    assert_eq!(x["client_auth"], "basic", "{x}");
    assert_eq!(x["code"], "ok", "{x}");
    assert_eq!(x["pkce"], "ok", "{x}");
    let n = x["verifier_length"].as_u64().unwrap();
    assert!((43..=128).contains(&n), "{x}");
    assert_eq!(x["redirect_uri"], redirect_uri, "{x}");
    assert_eq!(x["status"], 200, "{x}");
    x["issued"].clone()
}

/// No secret of the login on gauth's output, except where it belongs (the
/// access token on `gauth token`'s stdout).
fn assert_no_secrets(fake: &FakeGoogle, text: &str) {
    assert!(!text.contains(DESKTOP_SECRET) && !text.contains(TV_SECRET));
    for r in fake.log() {
        for k in ["access_token", "refresh_token"] {
            if let Some(t) = r["issued"][k].as_str() {
                assert!(!text.contains(t), "{k} in gauth's output: {text}");
            }
        }
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A Desktop client given as --client-id/--client-secret, the CA added to
/// the system's bundle: the loopback login Google sees is PKCE S256 to the
/// IP literal with access_type=offline and prompt=consent; then `gauth
/// token` serves the cache without a request, refreshes an expired token
/// with the refresh token Google issued, and `gauth logout` revokes it.
#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn loopback_login_with_a_desktop_client_then_token_refresh_and_logout() {
    let fake = FakeGoogle::start(Trust::SystemBundle);
    let (code, out, err) = fake.gauth(
        &[
            "login",
            "--client-id",
            DESKTOP_ID,
            "--client-secret",
            DESKTOP_SECRET,
            "--flow",
            "loopback",
            "--scope",
            "openid",
            "--scope",
            "email",
            "--scope",
            DRIVE,
            "--timeout",
            "30s",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}\n{}", fake.dump());
    assert!(out.contains(&format!("logged in as {EMAIL}")), "{out}");
    assert!(out.contains("(loopback flow)"), "{out}");
    let redirect = assert_google_authorization(&fake, &format!("openid email {DRIVE}"));
    let issued = assert_google_code_exchange(&fake, &redirect);
    assert!(issued["refresh_token"].as_str().unwrap().starts_with("1//"));
    assert_no_secrets(&fake, &format!("{out}{err}"));

    // A cache hit: the token Google issued, and no request.
    let before = fake.log().len();
    let (code, out, err) = fake.gauth(&["token"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), issued["access_token"].as_str().unwrap());
    assert_eq!(fake.log().len(), before, "a cache hit sends nothing");

    // The account from the ID token's email; the scopes as Google granted
    // them (full URLs).
    let (code, out, err) = fake.gauth(&["--json", "token"], &[]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["account"], EMAIL, "{v}");
    assert_eq!(
        v["scopes"],
        serde_json::json!([
            DRIVE,
            "https://www.googleapis.com/auth/userinfo.email",
            "openid"
        ]),
        "{v}"
    );

    // Expired: refreshed with Google's refresh token, by the same client.
    fake.expire_cached_logins();
    let (code, out, err) = fake.gauth(&["token"], &[]);
    assert_eq!(code, 0, "{err}\n{}", fake.dump());
    let refreshes = fake.grants("refresh_token");
    assert_eq!(refreshes.len(), 1, "{}", fake.dump());
    let r = &refreshes[0];
    assert_eq!(r["host"], "oauth2.googleapis.com", "{r}");
    assert_eq!(r["refresh"], "ok", "{r}");
    assert_eq!(r["client_auth"], "basic", "{r}");
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(out.trim(), r["issued"]["access_token"].as_str().unwrap());
    assert_ne!(out.trim(), issued["access_token"].as_str().unwrap());
    // Google keeps the refresh token: the cached one still works.
    let (code, _, err) = fake.gauth(&["token"], &[]);
    assert_eq!(code, 0, "{err}");

    // Logout revokes the grant at Google's revocation endpoint.
    let (code, out, err) = fake.gauth(&["--json", "logout"], &[]);
    assert_eq!(code, 0, "{err}\n{}", fake.dump());
    let revokes = fake.requests("/revoke");
    assert_eq!(revokes.len(), 1, "{}", fake.dump());
    assert_eq!(revokes[0]["host"], "oauth2.googleapis.com");
    assert_eq!(revokes[0]["token_kind"], "refresh_token", "{}", revokes[0]);
    assert_eq!(revokes[0]["revoked"], true, "{}", revokes[0]);
    assert!(out.contains("\"revoked\""), "{out}");
    assert_no_secrets(&fake, &format!("{out}{err}"));
    let (code, _, err) = fake.gauth(&["token"], &[]);
    assert_eq!(code, 4, "{err}");

    // doctor --online reaches Google's endpoints through the same store.
    let (code, out, err) = fake.gauth(&["--json", "doctor", "--online"], &[]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let online = v["online"].as_array().unwrap();
    assert!(
        !online.is_empty() && online.iter().all(|o| o["ok"] == true),
        "{online:?}"
    );
    let discovery = fake.requests("/.well-known/openid-configuration");
    assert_eq!(discovery.len(), 1, "{}", fake.dump());
    assert_eq!(discovery[0]["host"], "accounts.google.com");
    assert_eq!(discovery[0]["status"], 200);
}

/// The same login from the client JSON a Desktop client downloads
/// (`installed`, `redirect_uris: ["http://localhost"]`), the CA trusted
/// only through `SSL_CERT_FILE`, and Google sending `iss` back (RFC 9207):
/// still the IP literal with any port, and the secret from the file.
#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn loopback_login_with_an_installed_client_json_trusting_ssl_cert_file() {
    let fake = FakeGoogle::start_with(Trust::NotInstalled, true);
    let ca = fake.path("ca.pem");
    let env = [("SSL_CERT_FILE", ca.to_str().unwrap())];
    let json = fake.path("client.json");
    let (code, out, err) = fake.gauth(
        &[
            "login",
            "--credentials",
            json.to_str().unwrap(),
            "--flow",
            "loopback",
            "--timeout",
            "30s",
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}\n{}", fake.dump());
    assert!(out.contains(&format!("logged in as {EMAIL}")), "{out}");
    // gauth's default scopes for Google.
    let redirect = assert_google_authorization(&fake, "openid email");
    let issued = assert_google_code_exchange(&fake, &redirect);
    assert_no_secrets(&fake, &format!("{out}{err}"));
    let (code, out, err) = fake.gauth(&["token"], &env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), issued["access_token"].as_str().unwrap());
    // The refresh goes through SSL_CERT_FILE's CA as well.
    fake.expire_cached_logins();
    let (code, _, err) = fake.gauth(&["token"], &env);
    assert_eq!(code, 0, "{err}\n{}", fake.dump());
    assert_eq!(fake.grants("refresh_token").len(), 1, "{}", fake.dump());
}

/// A CA that is neither in the system's store nor in `SSL_CERT_FILE` is not
/// trusted: the TLS handshake fails, no request reaches "Google", and the
/// login says it could not reach the provider (exit 1).
#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn a_ca_gauth_does_not_trust_is_refused_before_anything_is_sent() {
    let fake = FakeGoogle::start(Trust::NotInstalled);
    let (code, _, err) = fake.tv_device_login(&[DRIVE_FILE], "20s");
    assert_eq!(code, 1, "{err}\n{}", fake.dump());
    assert!(err.contains("could not reach the provider"), "{err}");
    // The server hears of the failed handshake when gauth's alert (or
    // close) arrives, which may be after gauth has exited.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !fake.log().iter().any(|r| r["event"] == "tls_error") {
        assert!(
            std::time::Instant::now() < end,
            "no refused handshake:\n{}",
            fake.dump()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let log = fake.log();
    assert!(
        log.iter().all(|r| r["path"].is_null()),
        "a request got through an untrusted handshake:\n{}",
        fake.dump()
    );
}

/// The device flow with a "TVs and Limited Input devices" client and a
/// scope Google allows there (drive.file): Google's device answer names
/// `verification_url` (not RFC 8628's `verification_uri`) and answers the
/// first poll with HTTP 428 authorization_pending; gauth shows the code and
/// the page, polls until the approval, and caches a token that works.
#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn device_login_with_drive_file_and_a_tv_client() {
    let fake = FakeGoogle::start(Trust::SystemBundle);
    let (code, out, err) = fake.tv_device_login(&[DRIVE_FILE], "30s");
    assert_eq!(code, 0, "{err}\n{}", fake.dump());
    assert!(err.contains("GQVQ-JKEC"), "the user code is shown: {err}");
    assert!(
        err.contains("https://www.google.com/device"),
        "Google's verification_url is shown: {err}"
    );
    let starts = fake.requests("/device/code");
    assert_eq!(starts.len(), 1, "{}", fake.dump());
    let s = &starts[0];
    assert_eq!(s["host"], "oauth2.googleapis.com", "{s}");
    assert_eq!(s["client_id"], TV_ID, "{s}");
    assert_eq!(s["scopes"], serde_json::json!([DRIVE_FILE]), "{s}");
    assert_eq!(s["status"], 200, "{s}");
    let polls = fake.grants("urn:ietf:params:oauth:grant-type:device_code");
    assert_eq!(
        polls.len(),
        2,
        "one pending poll, then the tokens:\n{}",
        fake.dump()
    );
    assert_eq!(polls[0]["status"], 428, "{}", polls[0]);
    assert_eq!(polls[0]["error"], "authorization_pending", "{}", polls[0]);
    assert_eq!(polls[1]["status"], 200, "{}", polls[1]);
    // Google wants the TV client's secret on every token request.
    assert!(
        polls.iter().all(|p| p["client_auth"] == "basic"),
        "{polls:?}"
    );
    let issued = &polls[1]["issued"];
    assert_no_secrets(&fake, &format!("{out}{err}"));
    // No ID token with drive.file alone: the account comes from userinfo,
    // asked with the new token (Google names no email without the email
    // scope, so the login has no account name).
    let info = fake.requests("/v1/userinfo");
    assert_eq!(info.len(), 1, "{}", fake.dump());
    assert_eq!(
        info[0]["host"], "openidconnect.googleapis.com",
        "{}",
        info[0]
    );
    assert_eq!(info[0]["bearer"], "ok", "{}", info[0]);
    let (code, out, err) = fake.gauth(&["token", "--scope", DRIVE_FILE], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), issued["access_token"].as_str().unwrap());
    let (code, out, err) = fake.gauth(&["--json", "token"], &[]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["expires_at"].as_u64().unwrap() > now_secs() + 3000,
        "Google's expires_in 3599: {v}"
    );
}

/// Google's device flow takes only clients of type "TVs and Limited Input
/// devices": a Desktop client gets 401 invalid_client ("Invalid client
/// type."), and gauth says so in one line that names the client type it
/// needs and the flows that work (exit 1).
#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn device_login_with_a_desktop_client_is_refused_by_google() {
    let fake = FakeGoogle::start(Trust::SystemBundle);
    let (code, _, err) = fake.gauth(
        &[
            "login",
            "--client-id",
            DESKTOP_ID,
            "--client-secret",
            DESKTOP_SECRET,
            "--flow",
            "device",
            "--scope",
            DRIVE_FILE,
            "--timeout",
            "20s",
        ],
        &[],
    );
    assert_eq!(code, 1, "{err}\n{}", fake.dump());
    assert!(
        err.contains("invalid_client")
            && err.contains("TVs and Limited Input devices")
            && err.contains("gauth login --oob"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("error:")).count(),
        1,
        "{err}"
    );
    assert!(!err.contains(DESKTOP_SECRET), "{err}");
}

/// The device login that issue #13 §2 wants refused before any request:
/// `--flow device` with a scope outside Google's device-flow list (full
/// Drive) stops with a usage error (exit 2) that names the scope.
#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn device_flow_refuses_a_scope_google_does_not_allow_there() {
    let fake = FakeGoogle::start(Trust::SystemBundle);
    let (code, _, err) = fake.tv_device_login(&["openid", DRIVE], "20s");
    assert_eq!(code, 2, "{err}\n{}", fake.dump());
    assert!(err.contains(DRIVE), "the scope is named: {err}");
    assert!(
        !err.contains("openid is") && !err.contains("'openid'"),
        "only the refused scope is named: {err}"
    );
}

/// … and that refusal happens before anything is sent: Google never sees
/// a /device/code request.
#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn device_flow_with_a_scope_google_refuses_sends_no_request() {
    let fake = FakeGoogle::start(Trust::SystemBundle);
    let _ = fake.tv_device_login(&[DRIVE], "20s");
    assert!(
        fake.requests("/device/code").is_empty(),
        "gauth asked Google for a device code with a scope Google refuses there:\n{}",
        fake.dump()
    );
}

/// The fake itself answers as Google does for the device flow's scopes, so
/// that the two tests above mean something: full Drive is `invalid_scope`
/// ("Invalid device flow scope: …"), drive.file and the short names
/// (`email` = userinfo.email) are fine.
#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn the_fake_applies_googles_device_scope_rule() {
    let fake = FakeGoogle::start(Trust::SystemBundle);
    let ask = |scope: &str| -> (u16, Value) {
        let out = fake.run_in(
            "curl",
            &[
                "-sS",
                "-w",
                "\n%{http_code}",
                "-u",
                &format!("{TV_ID}:{TV_SECRET}"),
                "--data-urlencode",
                &format!("scope={scope}"),
                "https://oauth2.googleapis.com/device/code",
            ],
            &[],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap();
        (status.parse().unwrap(), serde_json::from_str(body).unwrap())
    };
    let (status, v) = ask(DRIVE);
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"], "invalid_scope", "{v}");
    assert_eq!(
        v["error_description"],
        format!("Invalid device flow scope: {DRIVE}")
    );
    let (status, v) = ask(&format!("openid email profile {DRIVE_FILE}"));
    assert_eq!(status, 200, "{v}");
    assert!(v["verification_url"].is_string() && v["verification_uri"].is_null());
    assert_eq!(v["interval"], 1);
}

/// Google grants `email` as https://www.googleapis.com/auth/userinfo.email
/// (and `profile` as …/userinfo.profile): a login asked for with the short
/// name must still be found by it (before this was fixed, the cache kept
/// only the granted names, so `gauth token --scope email` exited 4 and told
/// the user to run the very login they had just run).
#[test]
#[ignore = "end-to-end: needs root (mount and network namespaces); run by .ci/run"]
fn token_finds_a_google_login_by_the_short_scope_name_it_was_asked_with() {
    let fake = FakeGoogle::start(Trust::SystemBundle);
    let json = fake.path("client.json");
    let (code, _, err) = fake.gauth(
        &[
            "login",
            "--credentials",
            json.to_str().unwrap(),
            "--flow",
            "loopback",
            "--scope",
            "openid",
            "--scope",
            "email",
            "--timeout",
            "30s",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}\n{}", fake.dump());
    let issued = &fake.grants("authorization_code")[0]["issued"];
    assert_eq!(
        issued["scope"],
        "openid https://www.googleapis.com/auth/userinfo.email"
    );
    // The full name Google granted finds it…
    let (code, out, err) = fake.gauth(
        &[
            "token",
            "--scope",
            "https://www.googleapis.com/auth/userinfo.email",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), issued["access_token"].as_str().unwrap());
    // … and so must the name it was asked for.
    let (code, out, err) = fake.gauth(&["token", "--scope", "email"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), issued["access_token"].as_str().unwrap());
}
