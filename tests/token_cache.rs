//! `gauth token`, `accounts` and `logout` against a real OpenID provider
//! (node's oidc-provider): tokens are obtained the way a login does (the
//! scripted browser + a token-endpoint POST with PKCE), saved through the
//! library as `gauth login` saves them, then the real binary is run.
// Real processes, sockets and the test provider through Unix APIs (and
// tests/helpers/listen.py): Unix only. Windows runs the end-to-end check of
// .ci/win-e2e under wine instead.
#![cfg(unix)]
mod common;
use base64::Engine;
use common::fixtures::{mode, now, offline_entry, tempcache};
use common::oidc::Oidc;
use common::{gauth, stderr, stdout};
use gauth::auth::secret::Secret;
use gauth::cache::{Entry, Store};
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

const SCOPES: &str = "openid offline_access email";

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn random(n: usize) -> Vec<u8> {
    use std::io::Read;
    let mut buf = vec![0; n];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut buf)
        .unwrap();
    buf
}

#[derive(Clone, Copy)]
enum Client {
    /// Public, PKCE, refresh tokens rotate on every use.
    Native,
    /// Confidential (`web-secret`).
    Web,
}

struct Disco {
    token: String,
    revocation: String,
    userinfo: String,
}

fn discover(p: &Oidc) -> Disco {
    let d: serde_json::Value = http()
        .get(format!("{}/.well-known/openid-configuration", p.issuer))
        .send()
        .unwrap()
        .text()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    Disco {
        token: d["token_endpoint"].as_str().unwrap().to_owned(),
        revocation: d["revocation_endpoint"].as_str().unwrap().to_owned(),
        userinfo: d["userinfo_endpoint"].as_str().unwrap().to_owned(),
    }
}

/// Log `user` in as a browser would and exchange the code: the cache entry
/// `gauth login` will write, with the real expiry.
fn login(p: &Oidc, user: &str, client: Client) -> Entry {
    let d = discover(p);
    let verifier = b64(&random(32));
    let challenge = b64(&Sha256::digest(verifier.as_bytes()));
    let state = b64(&random(16));
    let (client_id, redirect_uri, secret) = match client {
        Client::Native => ("gauth-native", "http://127.0.0.1:5555/callback", None),
        Client::Web => ("gauth-web", "http://127.0.0.1:1410/", Some("web-secret")),
    };
    let mut auth = url::Url::parse(&format!("{}/auth", p.issuer)).unwrap();
    auth.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", SCOPES)
        .append_pair("prompt", "consent")
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let redirect = p.agent(auth.as_str(), &["--print-redirect", "--login", user]);
    let redirect = url::Url::parse(&redirect).unwrap();
    let param = |k: &str| {
        redirect
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {k} in {redirect}"))
    };
    assert_eq!(param("state"), state);
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", param("code")),
        ("redirect_uri", redirect_uri.to_owned()),
        ("code_verifier", verifier),
    ];
    let mut req = http().post(&d.token);
    match secret {
        Some(s) => req = req.basic_auth(client_id, Some(s)),
        None => form.push(("client_id", client_id.to_owned())),
    }
    let t: serde_json::Value =
        serde_json::from_str(&req.form(&form).send().unwrap().text().unwrap()).unwrap();
    let access = t["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{t}"))
        .to_owned();
    let refresh = t["refresh_token"].as_str().expect("a refresh token");
    let me = userinfo(&d.userinfo, &access);
    assert_eq!(me.0, 200);
    let mut scopes: Vec<String> = SCOPES.split(' ').map(str::to_owned).collect();
    scopes.sort();
    Entry {
        issuer: p.issuer.clone(),
        client_id: client_id.to_owned(),
        client_secret: secret.map(Secret::new),
        token_endpoint: d.token,
        revocation_endpoint: Some(d.revocation),
        account: me.1["email"].as_str().map(str::to_owned),
        scopes,
        access_token: Secret::new(access),
        refresh_token: Some(Secret::new(refresh)),
        expires_at: Some(now() + t["expires_in"].as_u64().unwrap()),
        created_at: now(),
        credentials: None,
    }
}

/// GET the provider's userinfo with the token: (status, body).
fn userinfo(url: &str, token: &str) -> (u16, serde_json::Value) {
    let res = http().get(url).bearer_auth(token).send().unwrap();
    let status = res.status().as_u16();
    let body = res.text().unwrap_or_default();
    (status, serde_json::from_str(&body).unwrap_or_default())
}

fn token_cmd(cache: &Path, args: &[&str]) -> Output {
    gauth()
        .env("GAUTH_CACHE", cache)
        .args(args)
        .output()
        .unwrap()
}

/// The only entry in the cache, read back through the library.
fn cached(cache: &Path) -> Entry {
    let listing = Store::open_at(cache).unwrap().list().unwrap();
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    assert_eq!(listing.entries.len(), 1);
    listing.entries[0].entry.clone()
}

#[test]
fn a_cached_token_is_printed_with_no_request() {
    let p = Oidc::start(&[]);
    let entry = login(&p, "jenny", Client::Native);
    let cache = tempcache();
    Store::open_at(cache.path()).unwrap().save(&entry).unwrap();
    let access = entry.access_token.expose().to_owned();
    // No provider any more: a request, a discovery, anything on the
    // network would fail.
    drop(p);

    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{access}\n"));
    assert_eq!(stderr(&out), "");

    let out = token_cmd(cache.path(), &["token", "-v"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("no request made"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&access));

    let out = token_cmd(cache.path(), &["--json", "token"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    let mut expected = [
        "schema_version",
        "access_token",
        "expires_at",
        "expires_in",
        "scopes",
        "account",
        "issuer",
        "client_id",
    ];
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["access_token"], access.as_str());
    assert_eq!(v["expires_at"], entry.expires_at.unwrap());
    assert!(v["expires_in"].as_u64().unwrap() > 3500);
    assert_eq!(
        v["scopes"],
        serde_json::json!(["email", "offline_access", "openid"])
    );
    assert_eq!(v["account"], "jenny@example.test");
    assert_eq!(v["issuer"], entry.issuer.as_str());
    assert_eq!(v["client_id"], "gauth-native");

    // The selection flags pick it; others find nothing (exit 4).
    let ok = token_cmd(
        cache.path(),
        &["token", "--client-id", "gauth-native", "--scope", "email"],
    );
    assert_eq!(stdout(&ok), format!("{access}\n"));
    let none = token_cmd(cache.path(), &["token", "--account", "bob@example.test"]);
    assert_eq!(none.status.code(), Some(4));
    assert!(stderr(&none).contains("no cached login matches --account bob@example.test"));
}

#[test]
fn an_expired_token_is_refreshed_and_the_provider_accepts_it() {
    let p = Oidc::start(&["--access-ttl", "2"]);
    let d = discover(&p);
    let entry = login(&p, "jenny", Client::Native);
    let cache = tempcache();
    let saved = Store::open_at(cache.path()).unwrap().save(&entry).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    // (The provider still takes the old one for its 15 s clock tolerance:
    // that gauth refreshed shows in the new token and in -v.)
    let old = entry.access_token.expose();

    let out = token_cmd(cache.path(), &["token", "-v"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let fresh = stdout(&out).trim_end().to_owned();
    assert_ne!(fresh, old);
    assert!(stderr(&out).contains("refreshed at"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&fresh));
    assert_eq!(userinfo(&d.userinfo, &fresh).0, 200);

    // The rotated refresh token replaced the old one, in a 0600 file.
    let now_cached = cached(cache.path());
    assert_eq!(now_cached.access_token.expose(), fresh);
    assert_ne!(
        now_cached.refresh_token.as_ref().unwrap(),
        entry.refresh_token.as_ref().unwrap()
    );
    assert_eq!(mode(&saved.path), 0o600);
    assert_eq!(mode(&cache.path().join("tokens")), 0o700);
    assert_eq!(mode(cache.path()), 0o700);
}

#[test]
fn a_confidential_client_refreshes_with_its_secret() {
    let p = Oidc::start(&[]);
    let d = discover(&p);
    let mut entry = login(&p, "jenny", Client::Web);
    entry.expires_at = Some(now() - 10);
    let cache = tempcache();
    Store::open_at(cache.path()).unwrap().save(&entry).unwrap();
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let fresh = stdout(&out).trim_end().to_owned();
    assert_ne!(fresh, entry.access_token.expose());
    assert_eq!(userinfo(&d.userinfo, &fresh).0, 200);
    assert!(!stderr(&out).contains("web-secret"));
}

/// Twenty `gauth token` at once on an expired login: refresh tokens rotate,
/// and a second use of one revokes the family (invalid_grant for everyone),
/// so this passes only when the refreshes are serialized by the lock.
#[test]
fn twenty_concurrent_refreshes_share_one_rotation() {
    let p = Oidc::start(&[]);
    let d = discover(&p);
    let mut entry = login(&p, "jenny", Client::Native);
    entry.expires_at = Some(now() - 10);
    let cache = tempcache();
    Store::open_at(cache.path()).unwrap().save(&entry).unwrap();

    let children: Vec<_> = (0..20)
        .map(|_| {
            gauth()
                .env("GAUTH_CACHE", cache.path())
                .arg("token")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut tokens = std::collections::BTreeSet::new();
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        assert!(!stderr(out).contains("invalid_grant"), "{}", stderr(out));
        tokens.insert(stdout(out).trim_end().to_owned());
    }
    for t in &tokens {
        assert_eq!(userinfo(&d.userinfo, t).0, 200, "a token was revoked");
    }
    assert!(!tokens.contains(entry.access_token.expose()));

    // The cache is intact: one readable login, no temporary files, and its
    // refresh token still works.
    let left: Vec<String> = std::fs::read_dir(cache.path().join("tokens"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    let mut after = cached(cache.path());
    assert!(tokens.contains(after.access_token.expose()));
    after.expires_at = Some(now() - 10);
    Store::open_at(cache.path()).unwrap().save(&after).unwrap();
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(userinfo(&d.userinfo, stdout(&out).trim_end()).0, 200);
}

#[test]
fn a_revoked_refresh_token_asks_for_a_login() {
    let p = Oidc::start(&[]);
    let d = discover(&p);
    let mut entry = login(&p, "jenny", Client::Native);
    let rt = entry.refresh_token.clone().unwrap();
    let res = http()
        .post(&d.revocation)
        .form(&[
            ("token", rt.expose()),
            ("token_type_hint", "refresh_token"),
            ("client_id", "gauth-native"),
        ])
        .send()
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    entry.expires_at = Some(now() - 10);
    let cache = tempcache();
    Store::open_at(cache.path()).unwrap().save(&entry).unwrap();

    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("invalid_grant"), "{err}");
    assert!(
        err.contains(&format!(
            // The login's scopes are what `gauth login` asks a non-Google
            // provider for by default: no --scope needed.
            "`gauth login --issuer {} --client-id gauth-native`",
            p.issuer
        )),
        "{err}"
    );
    assert!(!err.contains(rt.expose()) && !err.contains(entry.access_token.expose()));
    // The login is kept (refusals are not silent deletions), without the
    // refresh token the provider refused and expired: the next `gauth token`
    // asks nothing of the provider and names the same login to run.
    let kept = cached(cache.path());
    assert_eq!(kept.refresh_token, None);
    assert!(kept.expires_at.is_some_and(|at| at <= now()));
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("gauth login --issuer"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_login_or_no_refresh_token_exits_4_with_the_login_to_run() {
    let cache = tempcache();
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(4));
    // No client is configured either: `gauth login` alone would fail, so
    // the hint says how to get one (issue #11 item 18).
    assert!(
        stderr(&out).starts_with(
            "gauth: error: no cached login; run `gauth login --credentials client.json` (gauth login needs an OAuth client and none is configured: for Google, create one of type Desktop app"
        ),
        "{}",
        stderr(&out)
    );
    // The same with flags that pick a login: the command carries them, and
    // still says how to get a client.
    let out = token_cmd(cache.path(), &["token", "--scope", "email"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).starts_with(
            "gauth: error: no cached login matches --scope email; run `gauth login --credentials client.json --scope email` (gauth login needs an OAuth client and none is configured: for Google, create one of type Desktop app"
        ),
        "{}",
        stderr(&out)
    );

    let e = offline_entry("a@example.test", now() - 1, false);
    Store::open_at(cache.path()).unwrap().save(&e).unwrap();
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        stderr(&out),
        // The client has a secret that nothing here gives (no client JSON,
        // environment or config file): `gauth login --client-id
        // desktop-client` would fail, so no command is printed, only where
        // the secret goes (issue #11 item 18).
        "gauth: error: the access token of a@example.test at https://accounts.google.com expired and there is no refresh token; log in again as client desktop-client with its secret, which gauth does not print: run gauth login with its client JSON (--credentials FILE), or with --client-id desktop-client --client-secret SECRET, or put client_id and client_secret in ~/.config/gauth/config.toml\n"
    );
    // About to expire (inside the 60 s margin) counts as expired.
    let e = offline_entry("a@example.test", now() + 30, false);
    Store::open_at(cache.path()).unwrap().save(&e).unwrap();
    assert_eq!(token_cmd(cache.path(), &["token"]).status.code(), Some(4));
}

#[test]
fn several_logins_need_a_choice_and_accounts_lists_them_without_secrets() {
    let cache = tempcache();
    let store = Store::open_at(cache.path()).unwrap();
    let a = offline_entry("a@example.test", now() + 3600, true);
    let b = offline_entry("b@example.test", now() - 10, true);
    let c = offline_entry("c@example.test", now() - 10, false);
    for e in [&a, &b, &c] {
        store.save(e).unwrap();
    }
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "gauth: error: 3 cached logins match; pick one by adding --account a@example.test | --account b@example.test | --account c@example.test\n"
    );
    let out = token_cmd(cache.path(), &["token", "--account", "A@example.test"]);
    assert_eq!(stdout(&out), "ya29.token-of-a-at-example.test\n");

    let out = token_cmd(cache.path(), &["accounts"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("ACCOUNT") && lines[0].ends_with("TOKEN"));
    assert!(lines[1].starts_with("a@example.test") && lines[1].contains(" min left"));
    assert!(lines[2].contains("expired, renewed on use"), "{text}");
    assert!(lines[3].contains("expired: log in again"), "{text}");
    assert!(lines[1].contains("desktop-client") && lines[1].contains("email openid"));

    let out = token_cmd(cache.path(), &["--json", "accounts"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    let logins = v["logins"].as_array().unwrap();
    assert_eq!(logins.len(), 3);
    let states: Vec<&str> = logins
        .iter()
        .map(|l| l["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["valid", "refreshable", "expired"]);
    assert_eq!(logins[0]["has_refresh_token"], true);
    assert_eq!(logins[2]["has_refresh_token"], false);
    for o in [&out, &token_cmd(cache.path(), &["accounts", "-v"])] {
        let all = format!("{}{}", stdout(o), stderr(o));
        assert!(
            !all.contains("ya29.")
                && !all.contains("1//refresh")
                && !all.contains("client-secret-1")
        );
    }
}

#[test]
fn logout_revokes_at_the_provider_then_deletes() {
    let p = Oidc::start(&[]);
    let d = discover(&p);
    let jenny = login(&p, "jenny", Client::Native);
    let bob = login(&p, "bob", Client::Native);
    let cache = tempcache();
    let store = Store::open_at(cache.path()).unwrap();
    store.save(&jenny).unwrap();
    store.save(&bob).unwrap();
    // A third login whose provider has no revocation endpoint, and a
    // fourth whose revocation endpoint is down.
    store
        .save(&offline_entry("c@example.test", now() + 3600, true))
        .unwrap();
    let mut down = offline_entry("d@example.test", now() + 3600, true);
    down.revocation_endpoint = Some("http://127.0.0.1:1/revoke".into());
    store.save(&down).unwrap();

    let out = token_cmd(cache.path(), &["logout", "--account", "jenny@example.test"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "Logged out of jenny@example.test at {}: revoked and deleted\n",
            p.issuer
        )
    );
    assert_eq!(userinfo(&d.userinfo, jenny.access_token.expose()).0, 401);
    assert_eq!(userinfo(&d.userinfo, bob.access_token.expose()).0, 200);
    let out = token_cmd(cache.path(), &["token", "--account", "jenny@example.test"]);
    assert_eq!(out.status.code(), Some(4));

    let out = token_cmd(cache.path(), &["--json", "logout", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_account = |a: &str| {
        v["logouts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["account"] == a)
            .unwrap()
            .clone()
    };
    assert_eq!(by_account("bob@example.test")["revocation"], "revoked");
    assert_eq!(by_account("bob@example.test")["revoked"], "refresh_token");
    assert_eq!(by_account("c@example.test")["revocation"], "unsupported");
    let failed = by_account("d@example.test");
    assert_eq!(failed["revocation"], "failed");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("could not be reached")
    );
    assert!(
        v["logouts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["deleted"] == true)
    );
    assert_eq!(userinfo(&d.userinfo, bob.access_token.expose()).0, 401);
    assert!(
        Store::open_at(cache.path())
            .unwrap()
            .list()
            .unwrap()
            .entries
            .is_empty()
    );

    // The human wording for the two local-only cases.
    store
        .save(&offline_entry("c@example.test", now() + 3600, true))
        .unwrap();
    store.save(&down).unwrap();
    let out = token_cmd(cache.path(), &["logout", "--all"]);
    let text = stdout(&out);
    assert!(text.contains("c@example.test at https://accounts.google.com: no revocation endpoint (deleted locally)"), "{text}");
    assert!(text.contains("d@example.test at https://accounts.google.com: revocation failed: http://127.0.0.1:1/revoke could not be reached"), "{text}");
    assert!(text.contains("(deleted locally)\n"), "{text}");
    assert_eq!(token_cmd(cache.path(), &["logout"]).status.code(), Some(0));
}

#[test]
fn a_corrupt_cache_file_is_a_clear_one_line_warning() {
    let cache = tempcache();
    let store = Store::open_at(cache.path()).unwrap();
    let tokens = cache.path().join("tokens");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(tokens.join("bad\x1b[31m.json"))
            .unwrap();
        f.write_all(b"{\"access_token\": \"ya29.x\", ").unwrap();
    }
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert_eq!(
        lines[0],
        format!(
            "gauth: warning: {}/bad\\e[31m.json: corrupt login file: cut short at line 1, column 27 (ignored: delete it, or log in again)",
            tokens.display()
        )
    );
    assert!(!err.contains("ya29"));
    // Beside a good login, the good one is used and the bad one named.
    store
        .save(&offline_entry("a@example.test", now() + 3600, true))
        .unwrap();
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "ya29.token-of-a-at-example.test\n");
    assert!(stderr(&out).contains("corrupt login file"));
    assert_eq!(token_cmd(cache.path(), &["-q", "token"]).stderr, b"");
}

/// A cache others can read (not write) is used, and the fix is said; a
/// command that only reads changes nothing on disk and makes nothing.
#[test]
fn an_open_cache_directory_is_said_and_left_alone_by_readers() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("gauth");
    Store::open_at(&cache)
        .unwrap()
        .save(&offline_entry("a@example.test", now() + 3600, true))
        .unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = token_cmd(&cache, &["token"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        format!(
            "gauth: warning: {d}: other users can read the token cache (mode 755); make it private: `chmod 700 {d}`\n",
            d = cache.display()
        )
    );
    assert_eq!(mode(&cache), 0o755, "a reader changes nothing");
    // XDG_CACHE_HOME, then HOME, when GAUTH_CACHE is not set.
    let out = gauth()
        .env("XDG_CACHE_HOME", tmp.path())
        .arg("token")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "ya29.token-of-a-at-example.test\n");
    let out = gauth()
        .env("HOME", tmp.path())
        .args(["--json", "accounts"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["cache_dir"],
        tmp.path().join(".cache/gauth").display().to_string()
    );
    assert_eq!(v["logins"], serde_json::json!([]));
    assert!(
        !tmp.path().join(".cache").exists(),
        "accounts made no cache directory"
    );
    // `gauth token` with no cache: exit 4, and nothing made, not even the
    // parents of GAUTH_CACHE.
    let missing = tmp.path().join("no/such/cache");
    let out = token_cmd(&missing, &["token"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(!tmp.path().join("no").exists());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Whatever bytes a cache file holds, reading the cache never panics and
    /// reports at most a one-line problem that does not quote the file.
    #[test]
    fn any_cache_file_reads_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
        let cache = tempfile::tempdir().unwrap();
        let store = Store::open_at(cache.path()).unwrap();
        std::fs::write(cache.path().join("tokens/x.json"), &bytes).unwrap();
        let listing = store.list().unwrap();
        proptest::prop_assert_eq!(listing.entries.len() + listing.problems.len(), 1);
        for p in &listing.problems {
            proptest::prop_assert!(!p.line().contains('\n'));
        }
    }
}

/// With several logins and no flags, the config file's defaults pick the
/// default login (so `gauth token` alone keeps working).
#[test]
fn the_config_defaults_pick_the_default_login() {
    let cache = tempcache();
    let store = Store::open_at(cache.path()).unwrap();
    let a = offline_entry("a@example.test", now() + 3600, true);
    let b = Entry {
        client_id: "other-client".into(),
        access_token: Secret::new("ya29.token-of-other"),
        ..offline_entry("b@example.test", now() + 3600, true)
    };
    store.save(&a).unwrap();
    store.save(&b).unwrap();
    assert_eq!(token_cmd(cache.path(), &["token"]).status.code(), Some(2));
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(config.path().join("gauth")).unwrap();
    std::fs::write(
        config.path().join("gauth/config.toml"),
        "client_id = \"other-client\"\n",
    )
    .unwrap();
    let out = gauth()
        .args(["token"])
        .env("GAUTH_CACHE", cache.path())
        .env("XDG_CONFIG_HOME", config.path())
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "ya29.token-of-other\n", "{}", stderr(&out));
}

/// A listener that only counts the connections made to it (the test reads
/// the count after gauth has exited).
struct Counter {
    listener: std::net::TcpListener,
}

impl Counter {
    fn start() -> Counter {
        Counter {
            listener: std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().unwrap())
    }

    fn accepted(&self) -> usize {
        self.listener.set_nonblocking(true).unwrap();
        std::iter::from_fn(|| self.listener.accept().ok()).count()
    }
}

/// A refresh to a loopback provider goes straight there: `http_proxy` (or
/// `ALL_PROXY`) would otherwise receive the refresh token and the client
/// secret in clear text.
#[test]
fn a_loopback_refresh_never_goes_through_a_proxy() {
    let p = Oidc::start(&[]);
    let mut entry = login(&p, "jenny", Client::Web);
    entry.expires_at = Some(now() - 10);
    let cache = tempcache();
    Store::open_at(cache.path()).unwrap().save(&entry).unwrap();
    let proxy = Counter::start();
    let out = gauth()
        .env("GAUTH_CACHE", cache.path())
        .env("http_proxy", proxy.url())
        .env("HTTP_PROXY", proxy.url())
        .env("ALL_PROXY", proxy.url())
        .args(["token"])
        .output()
        .unwrap();
    assert_eq!(proxy.accepted(), 0, "the refresh went through the proxy");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_ne!(stdout(&out).trim(), entry.access_token.expose());
}

/// An expired login whose token endpoint is the hostile provider's.
fn hostile_entry(p: &Oidc) -> Entry {
    Entry {
        issuer: p.issuer.clone(),
        token_endpoint: format!("{}/token", p.issuer),
        ..offline_entry("a@example.test", now() - 10, true)
    }
}

/// Run `gauth token` to its end and return (exit code, stderr, peak
/// resident memory in KiB from wait4(2), how long it ran).
// The child is reaped by wait4(2), which std's `wait` cannot replace: it
// alone gives the child's own peak memory.
#[allow(clippy::zombie_processes)]
fn token_with_rusage(cache: &Path) -> (i32, String, i64, Duration) {
    use std::io::Read;
    let started = std::time::Instant::now();
    let mut child = gauth()
        .env("GAUTH_CACHE", cache)
        .arg("token")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, err, usage.ru_maxrss, started.elapsed())
}

/// A token answer of 200 MB is refused at 1 MiB, in bounded memory (the
/// oauth2 crate alone read 300 MB into 622 MB of RSS).
#[test]
fn a_huge_token_answer_is_refused_in_bounded_memory() {
    let p = Oidc::hostile(&["--huge-body", "200"]);
    let cache = tempcache();
    Store::open_at(cache.path())
        .unwrap()
        .save(&hostile_entry(&p))
        .unwrap();
    let (code, err, max_rss_kib, _) = token_with_rusage(cache.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("larger than 1024 KiB"), "{err}");
    assert!(
        max_rss_kib < 64 * 1024,
        "gauth token peaked at {max_rss_kib} KiB"
    );
}

/// A token endpoint that trickles its answer a byte a second (a slow
/// loris) ends at the refresh's deadline, not after minutes.
#[test]
fn a_trickled_token_answer_ends_at_the_deadline() {
    let p = Oidc::hostile(&["--trickle", "token"]);
    let cache = tempcache();
    Store::open_at(cache.path())
        .unwrap()
        .save(&hostile_entry(&p))
        .unwrap();
    let (code, err, _, took) = token_with_rusage(cache.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("timed out"), "{err}");
    assert!(took < Duration::from_secs(30), "gauth token ran {took:?}");
}

/// Two logins whose accounts differ by a zero-width space: the pick-one
/// hint's commands, pasted into a POSIX shell (dash, as R's `system()`
/// uses) or bash exactly as printed, each get their own login's token.
#[test]
fn a_printed_account_with_a_format_character_runs_as_printed() {
    let cache = tempcache();
    let store = Store::open_at(cache.path()).unwrap();
    let plain = offline_entry("a@example.test", now() + 3600, true);
    let mut hidden = offline_entry("a\u{200b}@example.test", now() + 3600, true);
    hidden.access_token = Secret::new("ya29.token-of-the-hidden-one");
    store.save(&plain).unwrap();
    store.save(&hidden).unwrap();
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let picks = err
        .trim_end()
        .split_once("pick one by adding ")
        .unwrap_or_else(|| panic!("{err}"))
        .1;
    let picks: Vec<&str> = picks.split(" | ").collect();
    assert_eq!(picks.len(), 2, "{err}");
    for shell in ["sh", "bash"] {
        let mut tokens: Vec<String> = picks
            .iter()
            .map(|pick| {
                let o = std::process::Command::new(shell)
                    .env_clear()
                    .env("GAUTH_CACHE", cache.path())
                    .args([
                        "-c",
                        &format!("{} token {pick}", env!("CARGO_BIN_EXE_gauth")),
                    ])
                    .output()
                    .unwrap();
                assert_eq!(o.status.code(), Some(0), "{shell}: {pick}: {}", stderr(&o));
                stdout(&o).trim().to_owned()
            })
            .collect();
        tokens.sort();
        assert_eq!(
            tokens,
            [
                "ya29.token-of-a-at-example.test",
                "ya29.token-of-the-hidden-one"
            ],
            "{shell}"
        );
    }
}

/// `gauth token --refresh` renews a token still valid (the API refused it);
/// a revoked login is found at once, and a login with no refresh token says
/// so (issue #13).
#[test]
fn refresh_renews_now_and_finds_a_revoked_login_at_once() {
    let p = Oidc::start(&[]);
    let d = discover(&p);
    let entry = login(&p, "jenny", Client::Native);
    let cache = tempcache();
    Store::open_at(cache.path()).unwrap().save(&entry).unwrap();
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(
        stdout(&out).trim(),
        entry.access_token.expose(),
        "a cache hit"
    );
    let out = token_cmd(cache.path(), &["token", "--refresh", "-v"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let fresh = stdout(&out).trim().to_owned();
    assert_ne!(
        fresh,
        entry.access_token.expose(),
        "renewed though still valid"
    );
    assert!(stderr(&out).contains("refreshed"), "{}", stderr(&out));
    assert_eq!(userinfo(&d.userinfo, &fresh).0, 200);
    // Revoked at the provider: --refresh finds it at once (exit 4).
    let rt = cached(cache.path()).refresh_token.unwrap();
    let res = reqwest::blocking::Client::new()
        .post(&d.revocation)
        .form(&[
            ("token", rt.expose()),
            ("token_type_hint", "refresh_token"),
            ("client_id", "gauth-native"),
        ])
        .send()
        .unwrap();
    assert!(res.status().is_success());
    let out = token_cmd(cache.path(), &["token", "--refresh"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("invalid_grant"), "{}", stderr(&out));
    // From then on no `gauth token` hands out the grant's dead access
    // token, and `accounts` does not call the login valid.
    let out = token_cmd(cache.path(), &["token"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("gauth login"), "{}", stderr(&out));
    let out = token_cmd(cache.path(), &["accounts", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["logins"][0]["state"], "expired", "{v}");
    // No refresh token: --refresh cannot renew.
    let plain = tempcache();
    Store::open_at(plain.path())
        .unwrap()
        .save(&offline_entry("a@example.test", now() + 3600, false))
        .unwrap();
    let out = token_cmd(plain.path(), &["token", "--refresh"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("has no refresh token"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
}

/// Google grants `email` as `…/auth/userinfo.email` (and `profile` as
/// `…/auth/userinfo.profile`): a login is found by the name it was asked
/// with (issue #13, found against the fake Google).
#[test]
fn a_google_login_is_found_by_the_short_scope_names() {
    let cache = tempcache();
    let mut e = offline_entry("a@example.test", now() + 3600, true);
    e.scopes = vec![
        "https://www.googleapis.com/auth/userinfo.email".into(),
        "openid".into(),
    ];
    Store::open_at(cache.path()).unwrap().save(&e).unwrap();
    for args in [
        &["token", "--scope", "email"][..],
        &[
            "token",
            "--scope",
            "https://www.googleapis.com/auth/userinfo.email",
        ],
        &["token", "--scope", "email", "--scope", "openid"],
    ] {
        let out = token_cmd(cache.path(), args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
    let out = token_cmd(cache.path(), &["token", "--scope", "profile"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
}

/// Logins that differ only by account, one of them with none: each is
/// named by what picks it (the account-less one by its exact scopes), none
/// is called a copy of another, and no `rm` is printed (third attack pass
/// on #13).
#[test]
fn a_login_with_no_account_is_picked_by_its_scopes_and_never_called_a_copy() {
    let cache = tempcache();
    let store = Store::open_at(cache.path()).unwrap();
    store
        .save(&offline_entry("jenny@example.test", now() + 3600, false))
        .unwrap();
    store
        .save(&offline_entry("bob@example.test", now() + 3600, false))
        .unwrap();
    let mut none = offline_entry("x", now() + 3600, false);
    none.account = None;
    none.scopes = vec!["profile".into()];
    none.access_token = Secret::new("ya29.token-of-no-account");
    store.save(&none).unwrap();
    let out = token_cmd(cache.path(), &["token"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("rm "), "{err}");
    for pick in [
        "--account bob@example.test",
        "--account jenny@example.test",
        "--scope profile",
    ] {
        assert!(err.contains(pick), "{err}");
    }
    let out = token_cmd(cache.path(), &["token", "--scope", "profile"]);
    assert_eq!(
        stdout(&out).trim(),
        "ya29.token-of-no-account",
        "{}",
        stderr(&out)
    );
    let logins = std::fs::read_dir(cache.path().join("tokens"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".json")
        })
        .count();
    assert_eq!(logins, 3);
}
