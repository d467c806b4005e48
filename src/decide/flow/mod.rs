//! Which login flow fits here — loopback, paste or device — with the reasons
//! and the commands that act on it. `doctor` and `login --flow auto` both
//! call [`recommend`]: one decision, not two.
use crate::decide::session::{Kind, Lands, Session};
use crate::system::config::{Flow, Forced};
use crate::system::facts::Ancestor;
use serde::Serialize;

mod login_base;
pub use login_base::LoginBase;

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
    /// For a running login: what to do about a taken port before it
    /// listens (`None`: listen on the port as decided).
    #[serde(skip)]
    pub step: Option<Step>,
    /// For a running login: nothing can continue without a person; the
    /// kind of stop and the one line that says what to do.
    #[serde(skip)]
    pub stop: Option<(Stop, String)>,
}

/// What a running login does about its taken port, to keep the loopback
/// flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Ask to free it (free-port's own question and kill), then listen.
    FreePort,
    /// Listen on another port.
    OtherPort,
}

/// Why a running login stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The flow the user asked for cannot run as things are (exit 3).
    ActionNeeded,
    /// Nothing can run here without a person (exit 4).
    LoginRequired,
}

/// What a running login found that the decision before it could not know:
/// handed back to the same decision ([`decide`]), which says what comes
/// next. The commands are the login to run again, as the login would
/// repeat itself (`None`: it cannot, e.g. it was given a secret).
pub enum Found<'a> {
    PortTaken {
        port: u16,
        /// ` by R (pid 12): …`, or nothing when it cannot be told.
        by: &'a str,
        /// Someone can be asked, and every holder looks expendable.
        can_free: bool,
        /// The client allows any loopback port (a native client).
        any_port: bool,
        /// The provider has a device authorization endpoint.
        device: bool,
        oob: Option<&'a str>,
        device_login: Option<&'a str>,
    },
    /// The provider has no device authorization endpoint.
    NoDevice {
        issuer: &'a str,
        oob: Option<&'a str>,
    },
}

/// `doctor --recommend` is a query: it answered, so it exits 0 (R's
/// `system2(stdout = TRUE)` warns on any other status).
impl crate::error::Outcome for Recommendation {}

/// Is this issuer (`None`: gauth login's default) Google?
pub fn is_google(issuer: Option<&str>) -> bool {
    issuer.is_none_or(|i| i.trim_end_matches('/') == crate::decide::google::ISSUER)
}

/// What the decision looks at.
pub struct Situation<'a> {
    pub session: &'a Session,
    pub forced: Option<&'a Forced>,
    /// Where a pasted code can be typed when the login runs (`paste_place`).
    pub paste: Option<Paste>,
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
    /// The scopes the login asks for that the device flow refuses (Google's
    /// short list, `decide::google`); empty: the device flow does not
    /// object to them.
    pub device_refuses: Vec<String>,
    /// The `gauth login` the commands start with.
    pub login: LoginBase,
}

/// Where someone can paste a code back, and whether gauth itself reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paste {
    /// Where, in a person's words.
    pub place: String,
    /// gauth's own input is that terminal: it reads the paste itself (one
    /// command). Otherwise only the program at that console reads it (R's
    /// `readline()`, a notebook's cell): the login takes two commands,
    /// `gauth login --no-wait`, then `gauth login --finish`.
    pub gauth_reads: bool,
}

/// Where someone can paste a code back: gauth's own terminal, an IDE,
/// notebook or cloud shell console, RStudio's R console, or a terminal one of
/// gauth's ancestors runs on (R that ran `system("gauth …")` from a
/// terminal). `None`: nowhere (cron, CI, a service). Only the first is
/// gauth's own input: a console is read by the program that runs there.
pub fn paste_place(s: &Session, stdin_tty: bool, ancestors: &[Ancestor]) -> Option<Paste> {
    let elsewhere = |place: String| {
        Some(Paste {
            place,
            gauth_reads: false,
        })
    };
    if stdin_tty {
        return Some(Paste {
            place: "gauth's input is a terminal".into(),
            gauth_reads: true,
        });
    }
    if matches!(s.kind, Kind::Notebook | Kind::HostedIde | Kind::CloudShell) {
        return elsewhere(format!(
            "in {}'s console (gauth cannot read it: its input is not that console)",
            s.name
        ));
    }
    if let Some(a) = ancestors.iter().find(|a| a.name == "rsession") {
        return elsewhere(format!(
            "at RStudio's R console (rsession, pid {}; gauth cannot read it: only R's readline() can)",
            a.pid
        ));
    }
    ancestors.iter().find_map(|a| {
        a.tty.as_ref().and_then(|t| {
            elsewhere(format!(
                "on the terminal {t} that {} (pid {}) runs on (gauth cannot read it: its input is not that terminal)",
                a.name, a.pid
            ))
        })
    })
}

/// The two commands of a login whose paste gauth cannot read itself.
/// The second of the two commands: it reads the pasted address on its
/// input (so it runs as printed, and the code stays off the process list).
pub const FINISH: &str = "gauth login --finish -";

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

/// The decision on what can be known before a login runs: `doctor`, and
/// `login --flow auto` before it starts.
pub fn recommend(x: &Situation) -> Recommendation {
    decide(x, None)
}

/// The one decision: which flow, why, and the commands that act on it; with
/// `found`, what a running login does next about what it found (the same
/// situation, one fact more), never a second set of rules in the login.
pub fn decide(x: &Situation, found: Option<&Found>) -> Recommendation {
    match found {
        None => decide_before(x),
        Some(f) => decide_after(x, f),
    }
}

/// The next step of a login that found its port taken, or its provider
/// without a device endpoint.
fn decide_after(x: &Situation, found: &Found) -> Recommendation {
    let s = x.session;
    let r = |flow: Flow, reason: String, step: Option<Step>| Recommendation {
        flow,
        reasons: vec![reason],
        commands: Vec::new(),
        step,
        stop: None,
    };
    let stop = |kind: Stop, message: String| Recommendation {
        flow: Flow::Loopback,
        reasons: Vec::new(),
        commands: Vec::new(),
        step: None,
        stop: Some((kind, message)),
    };
    match *found {
        Found::PortTaken {
            port,
            by,
            can_free,
            any_port,
            device,
            oob,
            device_login,
        } => {
            // Another port only where the browser comes straight to this
            // machine: a tunnel or a forwarded port carries the one port it
            // was set up for.
            let direct = s.reach == crate::decide::session::Reach::Yes;
            let why_not = if !any_port {
                "the client allows only that port"
            } else if !direct && s.ssh.is_some() {
                "over SSH your browser reaches this machine only through a tunnel to that port, so another port would not be reached"
            } else {
                "your browser does not reach this machine directly, so another port would not be reached"
            };
            if can_free {
                r(
                    Flow::Loopback,
                    format!("port {port} is taken{by}"),
                    Some(Step::FreePort),
                )
            } else if any_port && direct {
                r(
                    Flow::Loopback,
                    format!("port {port} is taken{by}"),
                    Some(Step::OtherPort),
                )
            } else if let Some(f) = x.forced.filter(|f| f.flow == Flow::Loopback) {
                // Another flow would not be the one asked for.
                let other = match (oob, device_login) {
                    (Some(oob), Some(device)) => format!("`{oob}` or `{device}`"),
                    _ => "--oob or --flow device instead of the loopback flow".to_owned(),
                };
                stop(
                    Stop::ActionNeeded,
                    format!(
                        "port {port} is taken{by}, and {why_not}; {} asks for the loopback flow, so gauth does not switch to another: free the port (`gauth doctor --port {port}` says how) and run the login again, or use another flow: {other}",
                        crate::text::escape::esc(&f.source)
                    ),
                )
            } else if x.paste.is_some() {
                r(
                    Flow::Paste,
                    format!("port {port} is taken{by}, and {why_not}: falling back to paste"),
                    None,
                )
            } else if device && x.device_refuses.is_empty() {
                r(
                    Flow::Device,
                    format!(
                        "port {port} is taken{by}, {why_not}, and nobody can paste here: using the device flow"
                    ),
                    None,
                )
            } else {
                stop(
                    Stop::LoginRequired,
                    format!(
                        "port {port} is taken{by}, {why_not}, there is no terminal to paste into and no device flow; `gauth doctor --port {port}` says what would free it"
                    ),
                )
            }
        }
        Found::NoDevice { issuer, oob } => {
            let why = format!(
                "{} has no device authorization endpoint",
                crate::text::escape::esc(issuer)
            );
            if x.paste.is_some() {
                return r(Flow::Paste, format!("{why}: using the paste flow"), None);
            }
            let run = match oob {
                Some(cmd) => format!("run `{cmd}` in a terminal"),
                None => "run your gauth login with --oob in a terminal".to_owned(),
            };
            stop(
                Stop::LoginRequired,
                format!(
                    "{why}, and there is no terminal to paste a code into: {run}, or use a client and provider with the device flow"
                ),
            )
        }
    }
}

/// A device flow asked for by the environment or the config file, for
/// scopes Google's device flow refuses (`device_refuses`), cannot run: doctor
/// and login set it aside and decide as if nothing were asked for. (Asked
/// for on the command line, `--flow device` stops before any request.)
pub fn sets_aside(forced: &Forced, device_refuses: &[String]) -> bool {
    forced.flow == Flow::Device && !device_refuses.is_empty()
}

fn decide_before(x: &Situation) -> Recommendation {
    let s = x.session;
    let mut reasons = Vec::new();
    let blocker = loopback_blocker(s, x.listener_works);
    // A device flow asked for with scopes Google's refuses cannot run at all
    // (`gauth login` stops before any request): it is set aside, and every
    // command printed names its flow, so that it runs as printed whatever
    // the environment or the config file asks for.
    let set_aside = x.forced.filter(|f| sets_aside(f, &x.device_refuses));
    let forced = x.forced.filter(|_| set_aside.is_none());
    if let Some(f) = set_aside {
        reasons.push(format!(
            "{} asks for the device flow, which Google refuses for {}: set aside",
            f.source,
            x.device_refuses.join(", ")
        ));
    }
    let flow = if let Some(f) = forced {
        reasons.push(format!("{} asks for it", f.source));
        if let (Flow::Loopback, Some(b)) = (f.flow, &blocker) {
            reasons.push(format!("but a loopback login will not complete: {b}"));
        }
        f.flow
    } else if let Some(b) = &blocker {
        reasons.push(b.clone());
        match &x.paste {
            Some(p) if p.gauth_reads => {
                reasons.push(format!(
                    "you can paste the code (or the redirected URL) back: {}",
                    p.place
                ));
                Flow::Paste
            }
            Some(p) => {
                reasons.push(format!(
                    "you can paste the redirected URL back {}, so the login takes two commands: `gauth login --no-wait`, then `{FINISH}` with the address pasted on its input",
                    p.place
                ));
                Flow::Paste
            }
            None if !x.device_refuses.is_empty() => {
                reasons.push(format!(
                    "no terminal or console to paste a code into here, and Google's device flow refuses {}: start the login here with `gauth login --no-wait` and finish it with `{FINISH}` from any terminal of yours on this machine, pasting the address your browser lands on",
                    x.device_refuses.join(", ")
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
    let first = match &x.login.first_device {
        Some(device) if flow == Flow::Device => Some(device),
        _ => x.login.first.as_ref(),
    };
    if let Some(first) = first {
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
        Flow::Paste if x.paste.as_ref().is_none_or(|p| !p.gauth_reads) && forced.is_none() => {
            commands.push(Command {
                what: "start the login: it prints the URL to open, on any machine".into(),
                run: x.login.with("--no-wait"),
            });
            commands.push(Command {
                what: "then finish it: paste the address the browser lands on (or the code) when it asks"
                    .into(),
                run: FINISH.into(),
            });
            commands.push(Command {
                what: "R (the gauth package): both steps at R's own prompt".into(),
                run: x.login.r_login(),
            });
            commands.push(Command {
                what: "R (gargle: googledrive, bigrquery, gmailr, googlesheets4): use out-of-band auth"
                    .into(),
                run: GARGLE_OOB.into(),
            });
        }
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
                "Google's device flow needs an OAuth client of type TVs and Limited Input devices and takes only a few scopes (openid, email, profile, drive.file, drive.appdata, YouTube's; not full Drive, Gmail, BigQuery or cloud-platform: `gauth doctor --scope …` checks yours)"
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
            run: x.login.with(if set_aside.is_some() {
                "--flow loopback"
            } else {
                ""
            }),
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
        step: None,
        stop: None,
    }
}
