//! `gauth doctor`: can a browser-based OAuth login work here, what exactly
//! blocks it, and which flow to use instead. Computes a report; never prints.
use crate::config::{self, Config, Flow};
use crate::env::Env;
use crate::env::detect::{self, Kind, Lands, Reach, Session};
use crate::env::facts::Facts;
use crate::port::bind::{self, BindCheck, BindResult};
use crate::port::selftest::{self, ProbeResult, SelfTest};
use crate::port::state::{Holder, PortState};
use crate::process::verdict::{Caller, Class};
use serde::Serialize;
use std::net::IpAddr;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Session,
    Browser,
    Port,
    Listener,
    Config,
    Online,
}

impl Area {
    pub fn title(self) -> &'static str {
        match self {
            Area::Session => "Session",
            Area::Browser => "Browser",
            Area::Port => "Port",
            Area::Listener => "Listener",
            Area::Config => "Configuration",
            Area::Online => "Provider",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// Works, with a caveat, or needs a fallback.
    Warn,
    /// Blocks a loopback login.
    Fail,
    /// A fact worth knowing.
    Info,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub area: Area,
    pub id: &'static str,
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<String>,
    /// One fix, ready to run or to do.
    pub fix: Option<String>,
}

fn check(area: Area, id: &'static str, status: Status, summary: impl Into<String>) -> Check {
    Check {
        area,
        id,
        status,
        summary: summary.into(),
        evidence: Vec::new(),
        fix: None,
    }
}

impl Check {
    fn evidence(mut self, e: impl IntoIterator<Item = String>) -> Self {
        self.evidence.extend(e);
        self
    }
    fn fix(mut self, f: impl Into<String>) -> Self {
        self.fix = Some(f.into());
        self
    }
}

#[derive(Debug, Clone, Serialize)]
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

/// R's httr listener settings, as the environment sets them.
#[derive(Debug, Clone, Serialize)]
pub struct Httr {
    /// HTTR_LOCALHOST: where R's listener binds (default 127.0.0.1).
    pub listen_host: String,
    /// HTTR_PORT: where R's listener binds (default 1410).
    pub listen_port: String,
    /// HTTR_SERVER: the redirect host the browser is sent to (default localhost).
    pub redirect_host: String,
    /// HTTR_SERVER_PORT: the redirect port (default HTTR_PORT).
    pub redirect_port: String,
    pub overridden: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Online {
    pub url: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub port: u16,
    /// `--port`, `HTTR_PORT` or `default`.
    pub port_source: String,
    /// Can a loopback login work here as things are?
    pub loopback_ready: bool,
    pub session: Session,
    pub port_state: PortState,
    pub bind: Vec<BindCheck>,
    pub listener: SelfTest,
    pub config: Config,
    pub httr: Httr,
    pub online: Option<Vec<Online>>,
    pub checks: Vec<Check>,
    pub recommendation: Recommendation,
}

pub struct Options {
    pub port: Option<u16>,
    pub online: Option<Vec<String>>,
}

/// Google's endpoints, checked by `--online` unless `--endpoint` is given.
pub const DEFAULT_ENDPOINTS: &[&str] = &[
    "https://accounts.google.com/.well-known/openid-configuration",
    "https://oauth2.googleapis.com/token",
];

pub fn run(
    env: &Env,
    facts: &Facts,
    opts: &Options,
    caller: &Caller,
    now_unix: u64,
) -> anyhow::Result<Report> {
    let (port, port_source) = match (
        opts.port,
        env.var("HTTR_PORT")
            .and_then(|p| crate::cli::parse_port(p).ok()),
    ) {
        (Some(p), _) => (p, "--port"),
        (None, Some(p)) => (p, "HTTR_PORT"),
        (None, None) => (1410, "default"),
    };
    let caller = Caller {
        port,
        ..caller.clone()
    };
    let inputs = Inputs {
        port,
        port_source,
        session: detect::detect(facts),
        port_state: crate::port::state::inspect(&env.proc_root, port, &caller, now_unix)?,
        bind: bind::check_loopback(port),
        listener: selftest::run(port),
        config: config::load(env),
        httr: httr(env),
        rprofile: rprofile_oob(env),
        online: opts
            .online
            .as_ref()
            .map(|urls| crate::online::check_all(urls)),
        stdin_tty: facts.stdin_tty,
    };
    Ok(assemble(inputs))
}

/// Everything doctor looked at; `assemble` turns it into checks and a
/// recommendation without touching the system (snapshot tests build these).
pub struct Inputs {
    pub port: u16,
    pub port_source: &'static str,
    pub session: Session,
    pub port_state: PortState,
    pub bind: Vec<BindCheck>,
    pub listener: SelfTest,
    pub config: Config,
    pub httr: Httr,
    /// `.Rprofile` lines that switch R to out-of-band auth.
    pub rprofile: Vec<String>,
    pub online: Option<Vec<Online>>,
    pub stdin_tty: bool,
}

pub fn assemble(i: Inputs) -> Report {
    let mut checks = Vec::new();
    session_checks(&i.session, &mut checks);
    port_checks(&i.port_state, &i.bind, &mut checks);
    listener_checks(&i.listener, &i.httr, &mut checks);
    config_checks(&i.config, &i.httr, &i.rprofile, &mut checks);
    if let Some(results) = &i.online {
        for r in results {
            let c = if r.ok {
                check(
                    Area::Online,
                    "endpoint",
                    Status::Ok,
                    format!("{} answers", r.url),
                )
                .evidence([r.detail.clone()])
            } else {
                check(Area::Online, "endpoint", Status::Fail, format!("{} does not answer: {}", r.url, r.detail))
                    .fix("check the network, proxy (HTTPS_PROXY) and DNS; offline, no login flow can reach the provider")
            };
            checks.push(c);
        }
    }
    let port_free = i.port_state.listeners.is_empty() && !i.bind.iter().any(BindCheck::blocks);
    let recommendation = recommend(
        &i.session,
        &i.config,
        i.stdin_tty,
        &i.listener,
        &i.port_state,
        port_free,
        i.port,
    );
    let blocking = checks.iter().any(|c| c.status == Status::Fail);
    let loopback_ready = recommendation.flow == Flow::Loopback && port_free && !blocking;
    Report {
        schema_version: SCHEMA_VERSION,
        port: i.port,
        port_source: i.port_source.to_owned(),
        loopback_ready,
        session: i.session,
        port_state: i.port_state,
        bind: i.bind,
        listener: i.listener,
        config: i.config,
        httr: i.httr,
        online: i.online,
        checks,
        recommendation,
    }
}

fn session_checks(s: &Session, checks: &mut Vec<Check>) {
    let status = match s.reach {
        Reach::Yes | Reach::Forwarded => Status::Ok,
        Reach::Tunnel | Reach::No => Status::Warn,
    };
    let remote = matches!(
        s.kind,
        Kind::Ssh | Kind::HostedIde | Kind::Notebook | Kind::CloudShell
    );
    let what = if remote && s.reach != Reach::Forwarded {
        format!("{} (remote session)", s.name)
    } else {
        s.name.clone()
    };
    checks.push(check(Area::Session, "kind", Status::Info, what).evidence(s.evidence.clone()));
    if let Some(c) = &s.container
        && s.kind != Kind::Container
    {
        checks.push(check(
            Area::Session,
            "container",
            Status::Info,
            format!("inside a container ({c})"),
        ));
    }
    let reach = match s.reach {
        Reach::Yes => "your browser can reach a listener on this machine's loopback".to_owned(),
        Reach::Forwarded => {
            "your browser reaches this machine's loopback through a forwarded port".to_owned()
        }
        Reach::Tunnel => {
            "your browser reaches this machine's loopback only through a tunnel".to_owned()
        }
        Reach::No => "your browser cannot reach a listener on this machine's loopback".to_owned(),
    };
    checks.push(check(
        Area::Session,
        "reach",
        status,
        format!("{reach}: {}", s.reach_why),
    ));
    let b = &s.browser;
    let (status, summary) = match (&b.opener, b.lands) {
        (Some(o), Lands::Here) => (Status::Ok, format!("a browser opens here with {o}")),
        (Some(o), Lands::Client) => (
            Status::Ok,
            format!("a browser opens on your own machine through {o}"),
        ),
        (Some(o), Lands::WindowsHost) => (
            Status::Ok,
            format!("a browser opens on the Windows host with {o}"),
        ),
        _ => (
            Status::Warn,
            "no browser can be opened from here: the login URL must be opened by hand".to_owned(),
        ),
    };
    checks.push(check(Area::Browser, "opener", status, summary).evidence(b.evidence.clone()));
}

fn holder_name(h: &Holder) -> String {
    format!("{} (pid {})", h.process.name, h.process.pid)
}

fn port_checks(state: &PortState, bind: &[BindCheck], checks: &mut Vec<Check>) {
    let p = state.port;
    if let Some((summary, fix)) = state.invisible_problem() {
        let mut c = check(Area::Port, "held", Status::Fail, summary);
        c.fix = Some(fix.unwrap_or_else(|| {
            "use another port, or stop the program that owns the socket".into()
        }));
        checks.push(c);
    }
    for h in &state.holders {
        let mut c = check(
            Area::Port,
            "held",
            Status::Fail,
            format!(
                "port {p} is held by {} {}: {}",
                holder_name(h),
                if h.listening_on.is_empty() {
                    h.holds()
                } else {
                    format!("on {}", h.listening_on.join(", "))
                },
                h.verdict.summary
            ),
        )
        .evidence(h.verdict.reasons.clone())
        .evidence([format!("command: {}", h.process.command_line())]);
        c = match h.verdict.class {
            Class::Expendable => c.fix(format!("gauth free-port {p}")),
            Class::NotExpendable => c.fix(format!(
                "gauth free-port --force {p} (only if you are sure), or use another port"
            )),
            Class::Protected => c.fix("use another port: the holder cannot be killed safely"),
        };
        checks.push(c);
    }
    if state.is_held() {
        return;
    }
    let blocked: Vec<String> = bind
        .iter()
        .filter(|b| b.blocks())
        .filter_map(selftest::bind_problem)
        .collect();
    if let Some(tw) = &state.time_wait {
        let what = format!(
            "{} connection(s) in TIME_WAIT, gone within {} s",
            tw.count, tw.expires_in_seconds
        );
        if blocked.is_empty() {
            checks.push(check(Area::Port, "free", Status::Ok, format!(
                "port {p} is free ({what}; listeners that set SO_REUSEADDR, like httpuv and gauth, bind now)"
            )));
        } else {
            checks.push(
                check(
                    Area::Port,
                    "time_wait",
                    Status::Fail,
                    format!("port {p} cannot be bound until {what}; nothing to kill"),
                )
                .evidence(blocked.clone())
                .fix(format!("wait {} s", tw.expires_in_seconds)),
            );
        }
        return;
    }
    if blocked.is_empty() {
        let v6 = bind
            .iter()
            .any(|b| b.address.starts_with('[') && b.result == BindResult::Ok);
        let on = if v6 { "127.0.0.1 and ::1" } else { "127.0.0.1" };
        checks.push(check(
            Area::Port,
            "free",
            Status::Ok,
            format!("port {p} is free on {on}"),
        ));
    } else {
        checks.push(
            check(
                Area::Port,
                "blocked",
                Status::Fail,
                format!("port {p} cannot be bound: {}", blocked.join("; ")),
            )
            .fix("run gauth where it may open loopback sockets, or use the paste flow"),
        );
    }
}

fn listener_checks(t: &SelfTest, httr: &Httr, checks: &mut Vec<Check>) {
    let p = t.port;
    let on = if t.on_requested_port {
        String::new()
    } else {
        format!(" (tested on free port {p}: the requested one is taken)")
    };
    if let Some(denied) = t.binds.iter().find(|b| {
        matches!(
            b.result,
            BindResult::Denied { .. } | BindResult::Failed { .. }
        )
    }) {
        checks.push(
            check(
                Area::Listener,
                "bind",
                Status::Fail,
                selftest::bind_problem(denied).unwrap_or_default(),
            )
            .fix("loopback login cannot work here; use the paste or device flow"),
        );
    }
    if t.ip_literal_works() {
        checks.push(check(
            Area::Listener,
            "round_trip",
            Status::Ok,
            format!("a listener on 127.0.0.1:{p} answers HTTP{on}"),
        ));
    } else if !t.probes.is_empty() {
        let why: Vec<String> = t
            .probes
            .iter()
            .filter(|p| p.result != ProbeResult::Ok)
            .filter_map(|p| p.detail.clone().map(|d| format!("{}: {d}", p.address)))
            .collect();
        checks.push(
            check(
                Area::Listener,
                "round_trip",
                Status::Fail,
                format!("a listener on 127.0.0.1:{p} does not answer its own HTTP request"),
            )
            .evidence(why)
            .fix("loopback traffic is blocked or the loopback interface is down (a sandbox?): use the paste or device flow"),
        );
    }
    if let Some(e) = &t.resolve_error {
        checks.push(
            check(
                Area::Listener,
                "localhost",
                Status::Warn,
                format!(
                    "localhost does not resolve ({e}): redirects to http://localhost:{p}/ fail"
                ),
            )
            .fix(format!("redirect to http://127.0.0.1:{p}/ (gauth does)")),
        );
        return;
    }
    let order: Vec<String> = t.localhost.iter().map(IpAddr::to_string).collect();
    let ev = vec![format!("localhost resolves to {}", order.join(", "))];
    if let Some(bad) = t.localhost.iter().find(|a| !a.is_loopback()) {
        checks.push(
            check(Area::Listener, "localhost", Status::Fail, format!("localhost resolves to {bad}, which is not loopback: a redirect to localhost leaves this machine"))
                .evidence(ev)
                .fix("fix /etc/hosts (localhost must be 127.0.0.1 and ::1)"),
        );
        return;
    }
    let first_v6 = t.localhost.first().is_some_and(IpAddr::is_ipv6);
    let refused_first = t
        .localhost_first_with_ipv4_only()
        .is_some_and(|p| p.result == ProbeResult::Refused);
    let httr_ipv4 = !httr.listen_host.contains(':');
    if first_v6 && refused_first {
        let mut c = check(
            Area::Listener,
            "localhost",
            Status::Warn,
            "localhost resolves to ::1 first; a listener on 127.0.0.1 only, like httr's, is refused there (browsers that retry 127.0.0.1 get through, other clients fail)",
        )
        .evidence(ev);
        if t.localhost_works_with_both() {
            c.evidence.push(
                "with listeners on both 127.0.0.1 and ::1 every localhost address answers"
                    .to_owned(),
            );
        }
        if httr_ipv4 && httr.redirect_host == "localhost" {
            c = c.fix("for httr: Sys.setenv(HTTR_SERVER = \"127.0.0.1\") so the browser is sent where R listens");
        }
        checks.push(c);
    } else if t
        .localhost_first_with_ipv4_only()
        .is_some_and(|p| p.result == ProbeResult::Ok)
    {
        let both = if t.localhost_works_with_both() {
            "; a listener on 127.0.0.1 and ::1 answers at every address"
        } else {
            ""
        };
        checks.push(
            check(
                Area::Listener,
                "localhost",
                Status::Ok,
                format!("http://localhost:{p}/ reaches a 127.0.0.1 listener{both}"),
            )
            .evidence(ev),
        );
    } else {
        let mut ev = ev;
        ev.extend(
            t.localhost_first_with_ipv4_only()
                .and_then(|p| p.detail.clone()),
        );
        checks.push(
            check(
                Area::Listener,
                "localhost",
                Status::Fail,
                format!("http://localhost:{p}/ does not reach a listener here"),
            )
            .evidence(ev),
        );
    }
}

pub fn httr(env: &Env) -> Httr {
    let get = |k: &str, d: &str| env.var(k).filter(|v| !v.is_empty()).unwrap_or(d).to_owned();
    let listen_port = get("HTTR_PORT", "1410");
    Httr {
        listen_host: get("HTTR_LOCALHOST", "127.0.0.1"),
        redirect_port: get("HTTR_SERVER_PORT", &listen_port),
        listen_port,
        redirect_host: get("HTTR_SERVER", "localhost"),
        overridden: [
            "HTTR_LOCALHOST",
            "HTTR_PORT",
            "HTTR_SERVER",
            "HTTR_SERVER_PORT",
        ]
        .iter()
        .filter_map(|k| {
            env.var(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={v}"))
        })
        .collect(),
    }
}

pub fn rprofile_oob(env: &Env) -> Vec<String> {
    let mut found = Vec::new();
    let mut paths = Vec::new();
    if let Some(p) = env.var("R_PROFILE_USER").filter(|v| !v.is_empty()) {
        paths.push(std::path::PathBuf::from(p));
    }
    if let Some(h) = env.var("HOME").filter(|v| !v.is_empty()) {
        paths.push(std::path::PathBuf::from(h).join(".Rprofile"));
    }
    paths.push(std::path::PathBuf::from(".Rprofile"));
    for p in paths {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        for opt in ["gargle_oob_default", "httr_oob_default"] {
            if text
                .lines()
                .any(|l| !l.trim_start().starts_with('#') && l.contains(opt) && l.contains("TRUE"))
            {
                found.push(format!("{} sets {opt} = TRUE", p.display()));
            }
        }
    }
    found
}

fn config_checks(config: &Config, httr: &Httr, rprofile: &[String], checks: &mut Vec<Check>) {
    for p in &config.problems {
        checks.push(
            check(Area::Config, "invalid", Status::Fail, p.clone()).fix("correct or remove it"),
        );
    }
    match &config.forced {
        Some(f) => checks.push(check(
            Area::Config,
            "forced",
            Status::Info,
            format!("{} forces the {} flow", f.source, f.flow.as_str()),
        )),
        None if config.problems.is_empty() => checks.push(check(
            Area::Config,
            "forced",
            Status::Ok,
            "no GAUTH_FLOW, GAUTH_OOB or config file forces a flow",
        )),
        None => {}
    }
    for r in rprofile {
        checks.push(check(
            Area::Config,
            "rprofile",
            Status::Info,
            format!("R uses out-of-band auth: {r}"),
        ));
    }
    if httr.overridden.is_empty() {
        checks.push(check(
            Area::Config,
            "httr",
            Status::Ok,
            "R's httr uses its defaults (listens on 127.0.0.1:1410, redirects to localhost:1410)",
        ));
        return;
    }
    let ev = httr.overridden.clone();
    let listen_port = crate::cli::parse_port(&httr.listen_port);
    let redirect_port = crate::cli::parse_port(&httr.redirect_port);
    match (&listen_port, &redirect_port) {
        (Err(e), _) => checks.push(check(Area::Config, "httr", Status::Fail, format!("HTTR_PORT={}: {e}", httr.listen_port)).evidence(ev.clone()).fix("unset HTTR_PORT or set it to a port number")),
        (_, Err(e)) => checks.push(check(Area::Config, "httr", Status::Fail, format!("HTTR_SERVER_PORT={}: {e}", httr.redirect_port)).evidence(ev.clone()).fix("unset HTTR_SERVER_PORT")),
        (Ok(l), Ok(r)) if l != r => checks.push(
            check(Area::Config, "httr", Status::Fail, format!("R's listener port ({l}) and the redirect port ({r}) differ: the browser is sent to {r} while R listens on {l}"))
                .evidence(ev.clone())
                .fix(format!("unset HTTR_SERVER_PORT (or set it to {l}), unless a tunnel forwards {r} to {l}")),
        ),
        _ => {}
    }
    let host: Result<IpAddr, _> = httr.listen_host.trim_matches(['[', ']']).parse();
    match host {
        Ok(ip) if ip.is_unspecified() => checks.push(
            check(
                Area::Config,
                "httr_host",
                Status::Warn,
                format!(
                    "HTTR_LOCALHOST={}: R's listener accepts connections from the whole network",
                    httr.listen_host
                ),
            )
            .fix("Sys.setenv(HTTR_LOCALHOST = \"127.0.0.1\") unless a container needs it"),
        ),
        Ok(ip) if !ip.is_loopback() => checks.push(check(
            Area::Config,
            "httr_host",
            Status::Warn,
            format!(
                "HTTR_LOCALHOST={}: R listens on a non-loopback address",
                httr.listen_host
            ),
        )),
        Err(_) if httr.listen_host != "localhost" => checks.push(
            check(
                Area::Config,
                "httr_host",
                Status::Fail,
                format!("HTTR_LOCALHOST={} is not an IP address", httr.listen_host),
            )
            .fix("unset HTTR_LOCALHOST"),
        ),
        _ => {}
    }
    if !checks
        .iter()
        .any(|c| c.area == Area::Config && c.id.starts_with("httr") && c.status != Status::Ok)
    {
        checks.push(check(
            Area::Config,
            "httr",
            Status::Ok,
            format!("R's httr settings are consistent ({})", ev.join(", ")),
        ));
    }
}

/// The flow `gauth login --flow auto` chooses, with its reasons and commands.
pub fn recommend(
    s: &Session,
    config: &Config,
    stdin_tty: bool,
    listener: &SelfTest,
    port_state: &PortState,
    port_free: bool,
    port: u16,
) -> Recommendation {
    let mut reasons = Vec::new();
    // A loopback listener must really answer, not just bind.
    let can_bind = listener.ip_literal_works();
    let flow = if let Some(f) = &config.forced {
        reasons.push(format!("{} asks for it", f.source));
        f.flow
    } else if s.loopback_possible() && can_bind {
        reasons.push(format!("{}: {}", s.name, s.reach_why));
        Flow::Loopback
    } else {
        if s.loopback_possible() {
            reasons.push("no loopback listener answers here".into());
        } else {
            reasons.push(format!("{}: {}", s.name, s.reach_why));
        }
        // An IDE, notebook or cloud shell always has somewhere to paste (R's
        // console, a cell's input), even when gauth's own stdin is not a tty.
        let can_paste =
            stdin_tty || matches!(s.kind, Kind::Notebook | Kind::HostedIde | Kind::CloudShell);
        if can_paste {
            reasons.push("you can paste the code (or the redirected URL) back here".into());
            Flow::Paste
        } else {
            reasons.push(
                "no terminal to paste a code into: enter a short code on any device instead".into(),
            );
            Flow::Device
        }
    };
    let mut commands = Vec::new();
    if flow == Flow::Loopback && !port_free {
        let sudo = if port_state.invisible().next().is_some() && !port_state.sees_all_processes {
            "sudo "
        } else {
            ""
        };
        commands.push(Command {
            what: format!("free port {port} for R's httr/gargle"),
            run: format!("{sudo}gauth free-port {port}"),
        });
        reasons.push(format!(
            "port {port} is taken: free it (or let the login use another port)"
        ));
    }
    if flow == Flow::Paste {
        commands.push(Command {
            what: "R (gargle: googledrive, bigrquery, gmailr, googlesheets4): use out-of-band auth"
                .into(),
            run: "options(gargle_oob_default = TRUE)".into(),
        });
        commands.push(Command {
            what: "R (httr): use out-of-band auth".into(),
            run: "options(httr_oob_default = TRUE)".into(),
        });
    }
    if matches!(s.kind, Kind::Ssh | Kind::SshX11) && !s.loopback_possible() {
        let host = s.ssh.as_ref().map_or_else(
            || "HOST".to_owned(),
            |e| {
                if e.server.contains(':') {
                    format!("[{}]", e.server)
                } else {
                    e.server.clone()
                }
            },
        );
        let user = s
            .ssh
            .as_ref()
            .and_then(|e| e.user.clone())
            .unwrap_or_else(|| "USER".to_owned());
        let port_flag = s
            .ssh
            .as_ref()
            .filter(|e| e.server_port != 22)
            .map_or(String::new(), |e| format!(" -p {}", e.server_port));
        commands.push(Command {
            what: "or keep the loopback flow: on your own machine, open a tunnel first".into(),
            run: format!("ssh -L {port}:127.0.0.1:{port}{port_flag} {user}@{host}"),
        });
    }
    Recommendation {
        flow,
        reasons,
        commands,
    }
}
