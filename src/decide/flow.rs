//! Which login flow fits here — loopback, paste or device — with the reasons
//! and the commands that act on it. `doctor` and `login --flow auto` both
//! call [`recommend`]: one decision, not two.
use crate::decide::session::{Kind, Lands, Session};
use crate::system::config::{Flow, Forced};
use crate::system::facts::Ancestor;
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

/// `doctor --recommend` is a query: it answered, so it exits 0 (R's
/// `system2(stdout = TRUE)` warns on any other status).
impl crate::error::Outcome for Recommendation {}

/// The `gauth login` the printed commands start with: what runs as printed
/// where gauth finds its OAuth client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginBase {
    /// `gauth login`, plus `--credentials client.json` when no client is
    /// configured and the reason says how to make that file.
    pub command: String,
    /// What to do before it runs: get a client (no client configured).
    pub first: Option<String>,
}

impl LoginBase {
    /// A client is configured (the environment or the config file): `gauth
    /// login` as it is.
    pub fn configured() -> LoginBase {
        LoginBase {
            command: "gauth login".into(),
            first: None,
        }
    }

    /// Where `gauth login` would find its client: `GAUTH_CLIENT_ID`, the
    /// config file's `client_id` or `credentials`. Without one it fails
    /// ("no OAuth client"): say how to get one — for Google a Desktop-app
    /// client's JSON, passed with `--credentials`.
    pub fn from_config(config: &crate::system::config::Config) -> LoginBase {
        LoginBase::at(config, None)
    }

    /// [`LoginBase::from_config`] for a login at `issuer` (`None`: the
    /// config file's, else Google).
    pub fn at(config: &crate::system::config::Config, issuer: Option<&str>) -> LoginBase {
        // `gauth login` stops at any problem of its configuration (it may
        // be the very client or flow meant): that, not a missing client, is
        // what to fix first, even when the file that failed names a client.
        if let Some(p) = config.problems.first() {
            let more = match config.problems.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            return LoginBase {
                command: "gauth login".into(),
                first: Some(format!(
                    "gauth login refuses to run until its configuration is fixed: {p}{more}"
                )),
            };
        }
        if config.client_source.is_some() {
            return LoginBase::configured();
        }
        let where_config = config
            .path
            .as_deref()
            .unwrap_or("~/.config/gauth/config.toml");
        let issuer = issuer.or(config.defaults.issuer.as_deref());
        match issuer.filter(|i| !is_google(Some(i))) {
            None => LoginBase {
                command: "gauth login --credentials client.json".into(),
                first: Some(
                    "gauth login needs an OAuth client and none is configured: for Google, create one of type Desktop app (Google Cloud console > APIs & Services > Credentials > Create credentials > OAuth client ID), download its JSON and save it here as client.json"
                        .into(),
                ),
            },
            Some(issuer) => LoginBase {
                command: "gauth login".into(),
                first: Some(format!(
                    "gauth login needs an OAuth client and none is configured: register one for a native app (loopback redirect) at {issuer} and put client_id = \"…\" in {where_config}"
                )),
            },
        }
    }

    fn with(&self, flags: &str) -> String {
        if flags.is_empty() {
            self.command.clone()
        } else {
            format!("{} {flags}", self.command)
        }
    }
}

/// Is this issuer (`None`: gauth login's default) Google?
pub fn is_google(issuer: Option<&str>) -> bool {
    issuer.is_none_or(|i| i.trim_end_matches('/') == crate::decide::google::ISSUER)
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
    /// Who holds the port, when a live process does ("R (pid 12)",
    /// "another gauth login (pid 40)"): a tunnel to it would deliver the
    /// browser there, not to the login.
    pub port_holder: Option<String>,
    /// The login would be at Google (whose device flow allows only a few
    /// scopes).
    pub google: bool,
    /// The `gauth login` the commands start with.
    pub login: LoginBase,
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
            crate::decide::session::Reach::Yes | crate::decide::session::Reach::Forwarded
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
    if let Some(first) = &x.login.first {
        reasons.push(first.clone());
    }
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
                run: x.login.with("--oob"),
            });
            commands.push(Command {
                what: "R (gargle: googledrive, bigrquery, gmailr, googlesheets4): use out-of-band auth"
                    .into(),
                run: GARGLE_OOB.into(),
            });
        }
        Flow::Device => {
            reasons.push(if x.google {
                "the device flow needs an OAuth client with a device endpoint, and Google's allows only a few scopes (not BigQuery, not full Drive)"
                    .into()
            } else {
                "the device flow needs a provider with a device authorization endpoint".into()
            });
            commands.push(Command {
                what: "log in by entering a short code on any device".into(),
                run: x.login.with("--flow device"),
            });
        }
        Flow::Loopback => commands.push(Command {
            what: "log in through the browser".into(),
            run: x.login.with(""),
        }),
    }
    let ssh = matches!(s.kind, Kind::Ssh | Kind::SshX11) && !s.loopback_possible();
    if let (true, Some(_), Some(holder)) = (ssh, &s.ssh, &x.port_holder) {
        reasons.push(format!(
            "no tunnel to port {} offered: {holder} holds it here, and a tunnel would take your browser there, not to gauth",
            x.port
        ));
    } else if ssh && let Some(e) = &s.ssh {
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
        // The port the tunnel carries, named: another one would not be
        // reached.
        commands.push(Command {
            what: "then, here, log in through it".into(),
            run: x.login.with(&format!("--flow loopback --port {p}")),
        });
    }
    Recommendation {
        flow,
        reasons,
        commands,
    }
}
