//! The R package in r/ (an R package named gauth) end to end: real R with
//! Debian's httr, gargle and googledrive, the real gauth binary, and node's
//! oidc-provider on loopback (tests/oidc/server.mjs, which knows Google's
//! scope names as plain scopes) named by gauth's config file. The package is
//! installed into a library under the target directory (`R CMD INSTALL -l`).
//! These need R and those packages, so they are ignored by a plain `cargo
//! test`; `.ci/run` installs them and runs
//! `cargo test --test r_package -- --include-ignored --test-threads=1`.
// R, the provider and terminals through Unix APIs: Unix only.
#![cfg(unix)]
mod common;
use common::oidc::Oidc;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

const DRIVE: &str = "https://www.googleapis.com/auth/drive";

/// The package, installed once per run into a library of its own.
fn r_lib() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let lib = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("r-lib");
        let _ = std::fs::remove_dir_all(&lib);
        std::fs::create_dir_all(&lib).unwrap();
        let out = Command::new("R")
            .args(["CMD", "INSTALL", "--no-multiarch", "-l"])
            .arg(&lib)
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/r"))
            .output()
            .expect("R (r-base-core) is needed for the R package tests");
        assert!(
            out.status.success(),
            "R CMD INSTALL r failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        lib
    })
}

#[allow(clippy::disallowed_methods)]
fn path_env() -> String {
    std::env::var("PATH").unwrap_or_default()
}

/// One test's world: a home, a private cache, gauth's config naming the
/// provider and its public native client, and gauth first on PATH.
struct World {
    dir: tempfile::TempDir,
    provider: Oidc,
}

impl World {
    fn new(provider_args: &[&str]) -> World {
        use std::os::unix::fs::PermissionsExt;
        let provider = Oidc::start(provider_args);
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        for d in ["home", "cache", "config/gauth", "bin"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::set_permissions(
            dir.path().join("cache"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("config/gauth/config.toml"),
            format!(
                "issuer = \"{}\"\nclient_id = \"gauth-native\"\n",
                provider.issuer
            ),
        )
        .unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_gauth"), dir.path().join("bin/gauth"))
            .unwrap();
        World { dir, provider }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// The environment R runs with (nothing of the developer's leaks in).
    fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "PATH".into(),
                format!("{}:{}", self.path("bin").display(), path_env()),
            ),
            ("HOME".into(), self.path("home").display().to_string()),
            ("R_LIBS".into(), r_lib().display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                self.path("config").display().to_string(),
            ),
            (
                "GAUTH_CACHE".into(),
                self.path("cache").display().to_string(),
            ),
            ("LANG".into(), "C.UTF-8".into()),
            // gargle's own GCE probe stays on loopback (a closed port).
            ("GCE_METADATA_URL".into(), "127.0.0.1:9".into()),
        ]
    }

    /// `Rscript` on `code` (with `@ISSUER@` replaced), detached from any
    /// terminal, with `extra` variables on top.
    fn rscript(&self, code: &str, extra: &[(&str, &str)]) -> Output {
        let file = self.path("script.R");
        std::fs::write(&file, code.replace("@ISSUER@", &self.provider.issuer)).unwrap();
        let mut cmd = Command::new("setsid");
        cmd.arg("Rscript")
            .arg(&file)
            .env_clear()
            .envs(self.env())
            .envs(extra.iter().copied())
            .stdin(Stdio::null());
        cmd.output().expect("Rscript")
    }

    /// A real `gauth login` with the scripted user agent as the browser,
    /// asking for `scopes` at the configured provider.
    fn gauth_login(&self, scopes: &[&str]) {
        let browser = self.provider.browser_script(self.dir.path(), "");
        let mut args = vec!["login".to_owned()];
        for s in scopes {
            args.push("--scope".into());
            args.push((*s).into());
        }
        let out = Command::new("setsid")
            .arg(env!("CARGO_BIN_EXE_gauth"))
            .args(&args)
            .env_clear()
            .envs(self.env())
            .env("BROWSER", &browser)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gauth login: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The refresh token the cache holds now (there is one login).
    fn refresh_token(&self) -> String {
        let tokens = self.path("cache/tokens");
        let file = std::fs::read_dir(&tokens)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "json"))
            .expect("a cached login");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        v["refresh_token"]
            .as_str()
            .expect("the login has a refresh token")
            .to_owned()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// httr sends gauth::token()'s token; once the provider no longer takes it
/// (expired), httr gets a 401, calls refresh(), which asks gauth, and the
/// retry succeeds with a new token. The refresh token never enters R.
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn r_token_keeps_working_past_expiry_through_httrs_refresh() {
    let w = World::new(&["--access-ttl", "2"]);
    w.gauth_login(&["openid", "email", "offline_access"]);
    let before = w.refresh_token();
    let code = r#"
options(warn = 2)
tok <- gauth::token()
stopifnot(inherits(tok, "Token2.0"), tok$can_refresh())
url <- "@ISSUER@/me"
r <- httr::GET(url, httr::config(token = tok))
cat("FIRST=", httr::status_code(r), "\n", sep = "")
old <- tok$credentials$access_token
# Wait until the provider refuses the old token (oidc-provider allows some
# clock skew past the 2 s lifetime), asking without the token object so that
# nothing refreshes it.
deadline <- Sys.time() + 40
while (httr::status_code(httr::GET(url, httr::add_headers(Authorization = paste("Bearer", old)))) == 200L) {
  if (Sys.time() > deadline) stop("the provider never expired the token")
  Sys.sleep(0.5)
}
cat("OLD-REFUSED\n")
r <- httr::GET(url, httr::config(token = tok))
cat("AFTER=", httr::status_code(r), "\n", sep = "")
cat("SUB=", httr::content(r)$sub, "\n", sep = "")
cat("CHANGED=", !identical(old, tok$credentials$access_token), "\n", sep = "")
cat("FIELDS=", paste(sort(names(tok$credentials)), collapse = ","), "\n", sep = "")
print(tok)
writeBin(serialize(tok, NULL), "@DUMP@")
"#
    .replace("@DUMP@", w.path("tok.rds").to_str().unwrap());
    let out = w.rscript(&code, &[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("FIRST=200"), "{all}");
    assert!(all.contains("OLD-REFUSED"), "{all}");
    assert!(
        all.contains("Auto-refreshing stale OAuth token."),
        "httr saw the 401 and refreshed: {all}"
    );
    assert!(all.contains("AFTER=200"), "{all}");
    assert!(all.contains("SUB=jenny"), "{all}");
    assert!(all.contains("CHANGED=TRUE"), "{all}");
    assert!(all.contains("FIELDS=access_token,token_type"), "{all}");
    let after = w.refresh_token();
    assert_ne!(before, after, "gauth refreshed (the provider rotates)");
    let dump = std::fs::read(w.path("tok.rds")).unwrap();
    for rt in [&before, &after] {
        assert!(!all.contains(rt.as_str()), "a refresh token in R's output");
        assert!(
            !dump.windows(rt.len()).any(|win| win == rt.as_bytes()),
            "a refresh token inside the R token object"
        );
    }
}

/// refresh() forces a refresh (`gauth token --refresh`): an access token the
/// provider no longer honours (the test provider forgets it; the grant and
/// the refresh token stay) while gauth's cache still thinks it valid is
/// replaced after httr's 401, and the retry succeeds.
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn r_token_refresh_replaces_a_revoked_access_token_through_gauth_token_refresh() {
    let w = World::new(&[]);
    w.gauth_login(&["openid", "email", "offline_access"]);
    let before = w.refresh_token();
    let code = r#"
options(warn = 2)
tok <- gauth::token()
url <- "@ISSUER@/me"
stopifnot(httr::status_code(httr::GET(url, httr::config(token = tok))) == 200L)
old <- tok$credentials$access_token
rv <- httr::POST("@ISSUER@/test/forget-access-token", encode = "form", body = list(token = old))
stopifnot(httr::status_code(rv) == 204L)
r0 <- httr::GET(url, httr::add_headers(Authorization = paste("Bearer", old)))
cat("REVOKED=", httr::status_code(r0), "\n", sep = "")
r <- httr::GET(url, httr::config(token = tok))
cat("AFTER=", httr::status_code(r), "\n", sep = "")
cat("CHANGED=", !identical(old, tok$credentials$access_token), "\n", sep = "")
# One object per login and scopes asked for, handed out again with the
# cache's current token; other scopes, another object.
again <- gauth::token()
cat("SAME=", identical(again, tok), "\n", sep = "")
cat("FRESH=", identical(again$credentials$access_token, tok$credentials$access_token) &&
    !identical(again$credentials$access_token, old), "\n", sep = "")
cat("OTHER=", !identical(gauth::token(scopes = "openid"), tok), "\n", sep = "")
"#;
    let out = w.rscript(code, &[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("REVOKED=401"), "{all}");
    assert!(all.contains("Auto-refreshing stale OAuth token."), "{all}");
    assert!(all.contains("CHANGED=TRUE"), "{all}");
    assert!(all.contains("AFTER=200"), "{all}");
    assert!(all.contains("SAME=TRUE"), "{all}");
    assert!(all.contains("FRESH=TRUE"), "{all}");
    assert!(all.contains("OTHER=TRUE"), "{all}");
    assert_ne!(
        before,
        w.refresh_token(),
        "gauth refreshed (the provider rotates)"
    );
}

/// `gauth::use_gauth()`, then googledrive's own drive_auth() in a
/// non-interactive R gets the login a real `gauth login` cached, and
/// gargle's request_make() through googledrive's token reaches the
/// provider's userinfo.
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn use_gauth_then_drive_auth_and_request_make_reach_the_provider() {
    let w = World::new(&[]);
    w.gauth_login(&["openid", "email", "offline_access", DRIVE]);
    let code = r#"
options(warn = 2)
gauth::use_gauth()
gauth::use_gauth()
googledrive::drive_auth()
fns <- names(gargle::cred_funs_list())
cat("REGISTRY=", paste(fns, collapse = ","), "\n", sep = "")
tok <- googledrive::drive_token()$auth_token
cat("CLASS=", class(tok)[1], "\n", sep = "")
req <- gargle::request_build(method = "GET", path = "me", base_url = "@ISSUER@",
                             token = googledrive::drive_token())
r <- gargle::request_make(req)
cat("STATUS=", httr::status_code(r), "\n", sep = "")
cat("SUB=", httr::content(r)$sub, "\n", sep = "")
"#;
    let out = w.rscript(code, &[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("REGISTRY=gauth,credentials_byo_oauth2,"),
        "registered once, first: {all}"
    );
    assert!(all.contains("CLASS=GauthToken"), "{all}");
    assert!(all.contains("STATUS=200"), "{all}");
    assert!(all.contains("SUB=jenny"), "{all}");
}

/// Non-interactive with no login: drive_auth()'s credential function says
/// (in one message) which `gauth login` to run once, with googledrive's
/// scope, returns NULL, and no request carries an empty (or any) bearer
/// token: every request R makes is recorded through httr's callback.
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn without_a_login_drive_auth_names_the_login_to_run_and_sends_no_empty_token() {
    let w = World::new(&[]);
    let code = r#"
seen <- list()
httr::set_callback("request", function(req) {
  h <- req$headers
  seen[[length(seen) + 1L]] <<- list(url = req$url,
    auth = if ("Authorization" %in% names(h)) h[["Authorization"]] else NA_character_,
    token = !is.null(req$auth_token))
  NULL
})
gauth::use_gauth()
msgs <- character()
err <- withCallingHandlers(
  tryCatch({ googledrive::drive_auth(); "NO-ERROR" }, error = function(e) conditionMessage(e)),
  message = function(m) { msgs <<- c(msgs, conditionMessage(m)); invokeRestart("muffleMessage") })
cat("ERROR=", gsub("\n", " ", err), "\n", sep = "")
g <- grep("^gauth: ", msgs, value = TRUE)
cat("GAUTH-MESSAGES=", length(g), "\n", sep = "")
cat("MESSAGE=", g, "\n", sep = "")
direct <- gauth::credentials_gauth(scopes = "https://www.googleapis.com/auth/drive")
cat("DIRECT-NULL=", is.null(direct), "\n", sep = "")
cat("REQUESTS=", length(seen), "\n", sep = "")
for (s in seen) cat("REQUEST ", s$url, " auth=", s$auth, " token=", s$token, "\n", sep = "")
"#;
    let out = w.rscript(code, &[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("ERROR=Can't get Google credentials"), "{all}");
    assert!(all.contains("GAUTH-MESSAGES=1"), "one message: {all}");
    let msg = all
        .lines()
        .find(|l| l.starts_with("MESSAGE="))
        .unwrap()
        .to_owned();
    assert!(
        msg.contains(&format!(
            "run once, in a terminal: gauth login --scope openid --scope email --scope offline_access --scope {DRIVE}"
        )),
        "{msg}"
    );
    assert!(all.contains("DIRECT-NULL=TRUE"), "{all}");
    for line in all.lines().filter(|l| l.starts_with("REQUEST ")) {
        assert!(
            line.starts_with("REQUEST http://127.0.0.1:"),
            "only loopback: {line}"
        );
        assert!(
            line.contains(" auth=NA token=FALSE"),
            "no request with a token: {line}"
        );
    }
    // The printed command runs as printed and then the same R code gets a
    // token.
    let cmd: Vec<&str> = msg
        .split("run once, in a terminal: gauth login ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    let scopes: Vec<&str> = cmd.iter().copied().filter(|a| *a != "--scope").collect();
    w.gauth_login(&scopes);
    let again = w.rscript(
        "gauth::use_gauth(); googledrive::drive_auth(); cat('AUTHED=', class(googledrive::drive_token()$auth_token)[1], '\\n', sep = '')",
        &[],
    );
    assert!(
        text(&again).contains("AUTHED=GauthToken"),
        "{}",
        text(&again)
    );
}

/// gauth missing: one message saying how to install it (and the option that
/// points R at it), and gargle goes on.
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn without_gauth_the_credential_function_says_how_to_install_it() {
    let w = World::new(&[]);
    let code = r#"
gauth::use_gauth()
msgs <- character()
withCallingHandlers(try(googledrive::drive_auth(), silent = TRUE),
  message = function(m) { msgs <<- c(msgs, conditionMessage(m)); invokeRestart("muffleMessage") })
g <- grep("^gauth: ", msgs, value = TRUE)
cat("N=", length(g), "\n", sep = "")
cat("MESSAGE=", g, "\n", sep = "")
e <- tryCatch(gauth::token(), error = function(e) e)
cat("CLASS=", paste(class(e), collapse = ","), "\n", sep = "")
"#;
    // PATH without gauth (R and the shell only).
    let out = w.rscript(code, &[("PATH", "/usr/bin:/bin")]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("N=1"), "{all}");
    assert!(
        all.contains("the gauth program is not on PATH: install it with `cargo install --path .`")
            && all.contains("options(gauth.path = "),
        "{all}"
    );
    assert!(
        all.contains("CLASS=gauth_missing,gauth_condition,error,condition"),
        "{all}"
    );
}

/// login(), doctor() and free_port() turn gauth's exit codes into classed R
/// conditions carrying gauth's one-line message, and never leak system2's
/// warning about a non-zero status (warnings are errors here).
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn the_wrappers_turn_exit_codes_into_classed_conditions() {
    let w = World::new(&["--no-device"]);
    let holder = common::listen(&[]);
    let code = r#"
options(warn = 2)
classify <- function(expr) tryCatch({ force(expr); "ok" },
  gauth_condition = function(e) paste0(class(e)[1], " status=", e$status, " msg=", conditionMessage(e)))
# 4: headless, no terminal, no device endpoint: nobody can finish a login.
cat("LOGIN4=", classify(gauth::login()), "\n", sep = "")
# 2: a usage error.
cat("LOGIN2=", classify(gauth::login(timeout = "soon")), "\n", sep = "")
# 1: the provider cannot be reached.
cat("LOGIN1=", classify(gauth::login(issuer = "http://127.0.0.1:9")), "\n", sep = "")
# 3: a port held by a process that is not an auth leftover.
cat("FREE3=", classify(gauth::free_port(@PORT@)), "\n", sep = "")
cat("DRY=", gauth::free_port(@PORT@, dry_run = TRUE)$status, "\n", sep = "")
d <- gauth::doctor()
cat("DOCTOR=", class(d), " ", d$recommendation$flow, "\n", sep = "")
cat("RECOMMEND=", gauth::doctor(recommend = TRUE), "\n", sep = "")
# 4 from token: nothing cached.
cat("TOKEN4=", classify(gauth::token()), "\n", sep = "")
"#
    .replace("@PORT@", &holder.port.to_string());
    let out = w.rscript(&code, &[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let line = |k: &str| {
        all.lines()
            .find(|l| l.starts_with(k))
            .unwrap_or_else(|| panic!("no {k} in {all}"))
            .to_owned()
    };
    assert!(
        line("LOGIN4=").starts_with("LOGIN4=gauth_login_required status=4 msg=")
            && line("LOGIN4=").contains("gauth login"),
        "{all}"
    );
    assert!(
        line("LOGIN2=").starts_with("LOGIN2=gauth_usage status=2 msg=")
            && line("LOGIN2=").contains("soon"),
        "{all}"
    );
    assert!(
        line("LOGIN1=").starts_with("LOGIN1=gauth_error status=1 msg="),
        "{all}"
    );
    assert!(
        line("FREE3=").starts_with("FREE3=gauth_action_needed status=3 msg=")
            && line("FREE3=").contains(&holder.port.to_string()),
        "{all}"
    );
    assert!(common::alive(holder.pid), "nothing killed without --force");
    assert_eq!(line("DRY="), "DRY=held");
    assert_eq!(line("DOCTOR="), "DOCTOR=gauth_doctor device");
    assert_eq!(line("RECOMMEND="), "RECOMMEND=device");
    assert!(
        line("TOKEN4=").starts_with("TOKEN4=gauth_login_required status=4 msg=no cached login"),
        "{all}"
    );
}

/// An interactive R on a terminal (R's console, as in RStudio: the login
/// cannot read it, only R's readline() can).
struct RConsole {
    child: std::process::Child,
    out: Arc<Mutex<String>>,
}

impl Drop for RConsole {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RConsole {
    fn start(w: &World, extra: &[(&str, &str)]) -> RConsole {
        let mut env: Vec<(String, String)> = w.env();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        env.push(("TERM".into(), "dumb".into()));
        let vars: Vec<String> = env
            .iter()
            .map(|(k, v)| format!("{k}='{}'", v.replace('\'', r"'\''")))
            .collect();
        let cmd = format!(
            "env -i {} R --no-save --no-restore --quiet --no-readline",
            vars.join(" ")
        );
        let mut child = Command::new("script")
            .args(["-qfec", &cmd, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("util-linux script");
        let out = Arc::new(Mutex::new(String::new()));
        let sink = out.clone();
        let mut pipe = child.stdout.take().unwrap();
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
        RConsole { child, out }
    }

    fn text(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// Type one line (the terminal echoes it).
    fn type_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Wait until the output holds `what` (printed, not only echoed: the
    /// markers are built by R from pieces).
    fn wait_for(&self, what: &str, limit: Duration) {
        let end = Instant::now() + limit;
        while !self.text().contains(what) {
            assert!(Instant::now() < end, "no {what:?} from R:\n{}", self.text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn quit(mut self) -> String {
        self.type_line("q('no')");
        let end = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < end, "R did not quit:\n{}", self.text());
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(100));
        self.text()
    }
}

/// The console path: an interactive R on a terminal calls drive_auth(); with
/// no login cached, gauth recommends paste here (no browser), R shows the
/// URL from `gauth login --no-wait`, the scripted user agent consents, the
/// address it lands on is typed at R's readline() prompt, `gauth login
/// --finish -` completes the login, and the token works.
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn an_interactive_r_logs_in_by_pasting_the_landed_url_at_its_prompt() {
    let w = World::new(&[]);
    let mut r = RConsole::start(&w, &[]);
    r.type_line("gauth::use_gauth()");
    r.type_line("googledrive::drive_auth(); cat('AUTH', 'DONE\\n', sep = '-')");
    r.wait_for("Address (or code): ", Duration::from_secs(30));
    let text = r.text();
    let url = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&format!("{}/auth?", w.provider.issuer)))
        .unwrap_or_else(|| panic!("no login URL shown by R:\n{text}"))
        .to_owned();
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let landed = w.provider.agent(&url, &["--print-redirect"]);
    assert!(landed.starts_with("http://127.0.0.1:"), "{landed}");
    // First the address cut short before its state (a wrapped line): R
    // says why and asks again; the login still waits for the whole one.
    let cut = landed[..landed.find("state=").unwrap()].trim_end_matches(['&', '?']);
    r.type_line(cut);
    r.wait_for("paste the whole address again", Duration::from_secs(30));
    r.type_line(&landed);
    r.wait_for("AUTH-DONE", Duration::from_secs(30));
    r.type_line(&format!(
        "r <- gargle::request_make(gargle::request_build(method = 'GET', path = 'me', base_url = '{}', token = googledrive::drive_token())); cat('STATUS', httr::status_code(r), '\\n', sep = '=')",
        w.provider.issuer
    ));
    r.wait_for("STATUS=200", Duration::from_secs(20));
    let all = r.quit();
    assert!(!all.contains("Error"), "{all}");
    // The login is gauth's, with googledrive's scope and gauth's defaults.
    let accounts = Command::new(env!("CARGO_BIN_EXE_gauth"))
        .args(["accounts", "--json"])
        .env_clear()
        .env("GAUTH_CACHE", w.path("cache"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&accounts.stdout).unwrap();
    let scopes = v["logins"][0]["scopes"].to_string();
    assert!(
        scopes.contains(DRIVE) && scopes.contains("offline_access"),
        "{scopes}"
    );
}

/// Where doctor says loopback (a browser here), the login R starts opens it
/// and waits for the redirect; R's console is not needed.
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn an_interactive_r_logs_in_through_the_browser_when_doctor_says_loopback() {
    let w = World::new(&[]);
    let browser = w.provider.browser_script(w.dir.path(), "");
    let mut r = RConsole::start(&w, &[("BROWSER", browser.to_str().unwrap())]);
    r.type_line("gauth::use_gauth()");
    r.type_line("googledrive::drive_auth(); cat('AUTH', 'DONE\\n', sep = '-')");
    r.wait_for("AUTH-DONE", Duration::from_secs(60));
    r.type_line(&format!(
        "r <- gargle::request_make(gargle::request_build(method = 'GET', path = 'me', base_url = '{}', token = googledrive::drive_token())); cat('STATUS', httr::status_code(r), '\\n', sep = '=')",
        w.provider.issuer
    ));
    r.wait_for("STATUS=200", Duration::from_secs(20));
    let all = r.quit();
    assert!(all.contains("flow: loopback"), "{all}");
}

/// free_port() in an interactive R asks in R (the console may not be
/// gauth's terminal), names the holder, and after "y" gauth kills it and the
/// port is free.
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn free_port_in_an_interactive_r_asks_then_frees_the_port() {
    let w = World::new(&[]);
    let holder = common::listen(&["run_local_server"]);
    let mut r = RConsole::start(&w, &[]);
    r.type_line(&format!(
        "x <- gauth::free_port({}); cat('FREE', x$free, '\\n', sep = '=')",
        holder.port
    ));
    r.wait_for("[y/N] ", Duration::from_secs(30));
    assert!(
        r.text().contains(&format!("python3 (pid {})", holder.pid)),
        "{}",
        r.text()
    );
    r.type_line("y");
    r.wait_for("FREE=TRUE", Duration::from_secs(30));
    r.quit();
    assert!(common::wait_dead(holder.pid, Duration::from_secs(2)));
    assert!(common::bind_ok(holder.port));
}

/// An interactive R whose console gauth cannot read (RStudio, Jupyter:
/// here no terminal at all, over SSH) pastes at R's prompt where gauth alone
/// would fall back to the device flow; the device flow only when asked for.
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn an_interactive_r_without_a_terminal_pastes_rather_than_the_device_flow() {
    let w = World::new(&[]);
    let code = r#"
options(rlang_interactive = TRUE)
r <- tryCatch(gauth::login(timeout = "4s"), error = function(e) conditionMessage(e))
cat("RESULT=", r, "\n", sep = "")
"#;
    let ssh = ("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.3 22");
    let out = w.rscript(code, &[ssh]);
    let all = text(&out);
    assert!(all.contains("To log in, open this address"), "{all}");
    // Rscript's readline() reads nothing: the paste ends the login.
    assert!(all.contains("RESULT=nothing was pasted"), "{all}");
    assert!(!all.contains("enter the code"), "{all}");
    let out = w.rscript(code, &[ssh, ("GAUTH_FLOW", "device")]);
    let all = text(&out);
    assert!(all.contains("enter the code"), "{all}");
}

/// What the person agreed to is what is killed: a holder that took the
/// port while R's question waited (never shown, never approved) is left
/// alone, and R says the port is still held (free-port --only).
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn free_port_in_r_never_kills_a_holder_nobody_approved() {
    let w = World::new(&[]);
    let a = common::listen(&["run_local_server"]);
    let mut r = RConsole::start(&w, &[]);
    r.type_line(&format!(
        "x <- tryCatch(gauth::free_port({}), gauth_action_needed = function(e) 'STILL-HELD'); print(x)",
        a.port
    ));
    r.wait_for("[y/N] ", Duration::from_secs(30));
    let port = a.port.to_string();
    drop(a);
    let b = common::listen(&["run_local_server", "--port", &port]);
    r.type_line("y");
    r.wait_for("STILL-HELD", Duration::from_secs(30));
    r.quit();
    assert!(common::alive(b.pid), "the unapproved holder lives");
}

/// With no client in gauth's config, googledrive's own client would be used
/// (with Google); non-interactive with no login, the one message says to
/// log in from an interactive R or to name a client in gauth's config, with
/// Google's scopes (no offline_access), and gargle goes on.
#[test]
#[ignore = "needs R with gargle, googledrive, httr and R6; run by .ci/run"]
fn without_a_client_of_gauths_own_the_message_names_the_config_file_and_the_login() {
    let w = World::new(&[]);
    std::fs::remove_file(w.path("config/gauth/config.toml")).unwrap();
    let code = r#"
gauth::use_gauth()
msgs <- character()
withCallingHandlers(try(googledrive::drive_auth(), silent = TRUE),
  message = function(m) { msgs <<- c(msgs, conditionMessage(m)); invokeRestart("muffleMessage") })
g <- grep("^gauth: ", msgs, value = TRUE)
cat("N=", length(g), "\n", sep = "")
cat("MESSAGE=", g, "\n", sep = "")
"#;
    let out = w.rscript(code, &[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("N=1"), "{all}");
    assert!(
        all.contains("log in once from an interactive R session")
            && all.contains(&format!(
                "name an OAuth client in {}",
                w.path("config/gauth/config.toml").display()
            ))
            && all.contains(&format!(
                "gauth login --scope openid --scope email --scope {DRIVE}\n"
            )),
        "{all}"
    );
}
