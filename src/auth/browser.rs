//! Opening the login URL in a browser: the program `BROWSER` names (the
//! first entry that runs), else the desktop opener the doctor's detection
//! found. Written here rather than through the `webbrowser` crate because
//! that crate reads the environment itself (gauth's decisions must follow
//! the injected `Env`, the same one the doctor judged) and calls a browser
//! "opened" as soon as a process started. The URL is always one argv
//! element: never through a shell.
use crate::decide::session::Session;
use crate::system::env::Env;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What happened when gauth tried to open the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A browser (or opener) accepted the URL: `how` names it.
    Yes(String),
    /// Nothing could be tried or everything failed: why.
    No(String),
}

/// How long an opener may take to say it failed (a browser that keeps
/// running counts as opened).
const SETTLE: Duration = Duration::from_secs(1);

pub fn open(url: &str, env: &Env, session: &Session) -> Opened {
    let mut failures = Vec::new();
    if let Some(list) = env.var("BROWSER").filter(|v| !v.trim().is_empty()) {
        for entry in list.split(':').filter(|e| !e.trim().is_empty()) {
            let words: Vec<&str> = entry.split_whitespace().collect();
            let Some((prog, rest)) = words.split_first() else {
                continue;
            };
            let mut args: Vec<String> = rest.iter().map(|w| w.replace("%s", url)).collect();
            if !entry.contains("%s") {
                args.push(url.to_owned());
            }
            match run(prog, &args) {
                Ok(()) => return Opened::Yes(format!("BROWSER ({prog})")),
                Err(e) => failures.push(format!("{prog}: {e}")),
            }
        }
    } else if let Some(opener) = &session.browser.opener {
        let (prog, args): (&str, Vec<String>) = match opener.as_str() {
            "kfmclient" => ("kfmclient", vec!["exec".into(), url.into()]),
            o if o.starts_with("powershell.exe") => (
                "powershell.exe",
                vec![
                    "-NoProfile".into(),
                    "-Command".into(),
                    "Start-Process".into(),
                    url.into(),
                ],
            ),
            o => (o, vec![url.into()]),
        };
        #[cfg(windows)]
        if prog == "ShellExecute" {
            return match shell_execute(url) {
                Ok(()) => Opened::Yes(prog.to_owned()),
                Err(e) => Opened::No(format!("{prog}: {e}")),
            };
        }
        match run(prog, &args) {
            Ok(()) => return Opened::Yes(prog.to_owned()),
            Err(e) => failures.push(format!("{prog}: {e}")),
        }
    } else {
        let why = session
            .browser
            .evidence
            .last()
            .cloned()
            .unwrap_or_else(|| "no browser opener here".into());
        return Opened::No(why);
    }
    Opened::No(failures.join("; "))
}

/// Open `url` with the user's default browser, as `start` does, without a
/// shell (cmd would parse the URL's `&`).
#[cfg(windows)]
fn shell_execute(url: &str) -> Result<(), String> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::UI::Shell::ShellExecuteW;
    use windows_sys::Win32::UI::WindowsAndMessaging::SW_SHOWNORMAL;
    let wide = |s: &str| {
        std::ffi::OsStr::new(s)
            .encode_wide()
            .chain(std::iter::once(0))
            .collect::<Vec<u16>>()
    };
    let (verb, file) = (wide("open"), wide(url));
    // SAFETY: both strings are NUL-terminated UTF-16 that outlive the call;
    // the other pointers may be null.
    let rc = unsafe {
        ShellExecuteW(
            std::ptr::null_mut(),
            verb.as_ptr(),
            file.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            SW_SHOWNORMAL,
        )
    };
    // Greater than 32 is success (the documented HINSTANCE convention).
    if rc as usize > 32 {
        Ok(())
    } else {
        Err(format!("failed (code {})", rc as usize))
    }
}

/// Start `prog args` detached from gauth's terminal; fine when it is still
/// running after `SETTLE` or exited 0 before.
fn run(prog: &str, args: &[String]) -> Result<(), String> {
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let end = Instant::now() + SETTLE;
    while Instant::now() < end {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("exited with {status}")),
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
    // Still running: a browser that stays open. Reap it in the background
    // so it never lingers as a zombie of gauth's.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::decide::session::{Browser, Kind, Lands, Reach};

    fn session(opener: Option<&str>) -> Session {
        Session {
            kind: Kind::LocalDesktop,
            name: "local desktop".into(),
            evidence: vec![],
            browser: Browser {
                opener: opener.map(str::to_owned),
                lands: Lands::Here,
                evidence: vec!["no DISPLAY".into()],
            },
            reach: Reach::Yes,
            reach_why: String::new(),
            ssh: None,
            container: None,
        }
    }

    #[test]
    fn browser_entries_are_tried_in_order_and_get_the_url_as_one_argument() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got");
        let script = dir.path().join("b.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s|' \"$@\" > {}\n", out.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let list = format!("/nonexistent/browser:false:{} --new %s", script.display());
        let env = Env::from_pairs([("BROWSER", list.as_str())]);
        let url = "http://127.0.0.1:1/?a=1&b=$(touch /tmp/x) ;x";
        assert!(matches!(open(url, &env, &session(None)), Opened::Yes(_)));
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            format!("--new|{url}|")
        );
        let env = Env::from_pairs([("BROWSER", "false")]);
        assert!(matches!(open(url, &env, &session(None)), Opened::No(_)));
        let env = Env::from_pairs([]);
        assert_eq!(
            open(url, &env, &session(None)),
            Opened::No("no DISPLAY".into())
        );
    }
}
