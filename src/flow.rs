//! Which login flow fits here — loopback, paste or device — with the reasons
//! and the commands that act on it. `doctor` and `login --flow auto` both
//! call [`recommend`]: one decision, not two.
use crate::config::{Flow, Forced};
use crate::env::detect::{Kind, Lands, Session};
use crate::env::facts::Ancestor;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    pub what: String,
    pub run: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub flow: Flow,
    pub reasons: Vec<String>,
    pub commands: Vec<Command>,
}

/// What the decision looks at.
pub struct Situation<'a> {
    pub session: &'a Session,
    pub forced: Option<&'a Forced>,
    /// Where a pasted code can be typed when the login runs (`paste_place`).
    pub paste: Option<String>,
    /// Does a loopback listener here answer its own HTTP request?
    pub listener_works: bool,
    pub port: u16,
    pub port_free: bool,
    /// What frees the port, when it is taken (the port checks' fixes).
    pub port_actions: Vec<Command>,
}

/// Where someone can paste a code back: gauth's own terminal, an IDE,
/// notebook or cloud shell console, RStudio's R console, or a terminal one of
/// gauth's ancestors runs on (R that ran `system("gauth …")` from a
/// terminal). `None`: nowhere (cron, CI, a service).
pub fn paste_place(s: &Session, stdin_tty: bool, ancestors: &[Ancestor]) -> Option<String> {
    if stdin_tty {
        return Some("gauth's input is a terminal".into());
    }
    if matches!(s.kind, Kind::Notebook | Kind::HostedIde | Kind::CloudShell) {
        return Some(format!("{}'s console takes it", s.name));
    }
    if let Some(a) = ancestors.iter().find(|a| a.name == "rsession") {
        return Some(format!(
            "RStudio's R console (rsession, pid {}) takes it",
            a.pid
        ));
    }
    ancestors.iter().find_map(|a| {
        a.tty
            .as_ref()
            .map(|t| format!("{} (pid {}) runs on the terminal {t}", a.name, a.pid))
    })
}

/// Why a loopback login cannot complete, or `None` when it can.
pub fn loopback_blocker(s: &Session, listener_works: bool) -> Option<String> {
    if s.loopback_possible() {
        return (!listener_works).then(|| "no loopback listener answers here".to_owned());
    }
    if s.browser.lands == Lands::Nowhere
        && matches!(
            s.reach,
            crate::env::detect::Reach::Yes | crate::env::detect::Reach::Forwarded
        )
    {
        let why = s.browser.evidence.last().cloned().unwrap_or_default();
        return Some(format!("no browser can be opened from here ({why})"));
    }
    Some(format!("{}: {}", s.name, s.reach_why))
}

const GARGLE_OOB: &str = "options(gargle_oob_default = TRUE)";

pub fn recommend(x: &Situation) -> Recommendation {
    let s = x.session;
    let mut reasons = Vec::new();
    let blocker = loopback_blocker(s, x.listener_works);
    let flow = if let Some(f) = x.forced {
        reasons.push(format!("{} asks for it", f.source));
        if let (Flow::Loopback, Some(b)) = (f.flow, &blocker) {
            reasons.push(format!("but a loopback login will not complete: {b}"));
        }
        f.flow
    } else if let Some(b) = &blocker {
        reasons.push(b.clone());
        match &x.paste {
            Some(place) => {
                reasons.push(format!(
                    "you can paste the code (or the redirected URL) back: {place}"
                ));
                Flow::Paste
            }
            None => {
                reasons.push(
                    "no terminal or console to paste a code into (no tty on gauth or its ancestors)"
                        .into(),
                );
                Flow::Device
            }
        }
    } else {
        reasons.push(format!("{}: {}", s.name, s.reach_why));
        Flow::Loopback
    };
    let mut commands = Vec::new();
    if flow == Flow::Loopback && !x.port_free {
        reasons.push(format!(
            "port {} is taken: free it (or let the login use another port)",
            x.port
        ));
        commands.extend(x.port_actions.iter().cloned());
    }
    match flow {
        Flow::Paste => {
            commands.push(Command {
                what: "log in, pasting the redirected URL (or the code) back".into(),
                run: "gauth login --oob".into(),
            });
            commands.push(Command {
                what: "R (gargle: googledrive, bigrquery, gmailr, googlesheets4): use out-of-band auth"
                    .into(),
                run: GARGLE_OOB.into(),
            });
        }
        Flow::Device => {
            reasons.push(
                "the device flow needs an OAuth client with a device endpoint, and Google's allows only a few scopes (not BigQuery, not full Drive)"
                    .into(),
            );
            commands.push(Command {
                what: "log in by entering a short code on any device".into(),
                run: "gauth login --flow device".into(),
            });
        }
        Flow::Loopback => commands.push(Command {
            what: "log in through the browser".into(),
            run: "gauth login".into(),
        }),
    }
    if matches!(s.kind, Kind::Ssh | Kind::SshX11)
        && !s.loopback_possible()
        && let Some(e) = &s.ssh
    {
        // OpenSSH takes `user@2001:db8::5`; `[…]` would be a literal name.
        // The user name is another program's text in a command to paste into
        // a shell: quoted unless it is plainly a login name.
        let at = e.user.as_ref().map_or(String::new(), |u| {
            if !u.is_empty()
                && u.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
                && !u.starts_with('-')
            {
                format!("{u}@")
            } else {
                format!("'{}'@", u.replace('\'', "'\\''"))
            }
        });
        let port_flag = if e.server_port == 22 {
            String::new()
        } else {
            format!(" -p {}", e.server_port)
        };
        let p = x.port;
        commands.push(Command {
            what: "or keep the loopback flow: on your own machine, open a tunnel first".into(),
            run: format!("ssh -L {p}:127.0.0.1:{p}{port_flag} {at}{}", e.server),
        });
    }
    Recommendation {
        flow,
        reasons,
        commands,
    }
}
