//! `gauth doctor`: can a browser-based OAuth login work here, what exactly
//! blocks it, and which flow to use instead. Computes a report; never prints.
//! One module per group of checks; the flow decision is `crate::decide::flow`.
use crate::decide::session::Session;
use crate::decide::verdict::Caller;
use crate::ops::inspect::PortState;
use crate::system::config::{Config, Flow};
use crate::system::env::Env;
use crate::system::facts::{Ancestor, Facts};
use crate::system::net::bind::{self, BindCheck};
use crate::system::net::selftest::{self, SelfTest};
use serde::Serialize;

mod config_checks;
mod listener;
mod online_checks;
mod port;
mod session;

pub use crate::auth::online::{DEFAULT_ENDPOINTS, Online};
pub use crate::decide::flow::{Command, Recommendation};
pub use crate::system::rprofile::{Httr, Rprofile, httr};

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
    /// The `.Rprofile` R would source, and the out-of-band options it sets.
    pub rprofile: Rprofile,
    pub online: Option<Vec<Online>>,
    pub checks: Vec<Check>,
    pub recommendation: Recommendation,
}

/// Exit 0 only when a loopback login works here as things are.
impl crate::error::Outcome for Report {
    fn action_needed(&self) -> bool {
        !self.loopback_ready
    }
}

/// What `gauth doctor` looks at, as the settings resolved it.
pub struct Settings {
    pub port: crate::system::net::number::Port,
    /// `--port`, `HTTR_PORT` or `default`.
    pub port_source: &'static str,
    /// The endpoints `--online` checks (`None`: no `--online`).
    pub online: Option<Vec<String>>,
    /// The configuration as `gauth login` reads it (`GAUTH_FLOW`,
    /// `GAUTH_OOB`, the config file), with its problems.
    pub config: Config,
    /// `--scope`: the scopes the login will ask for.
    pub scopes: Vec<String>,
}

pub fn run(
    env: &Env,
    facts: &Facts,
    opts: &Settings,
    caller: &Caller,
    now_unix: u64,
) -> Result<Report, crate::error::Error> {
    let (port, port_source) = (opts.port.get(), opts.port_source);
    let caller = Caller {
        port,
        ..caller.clone()
    };
    let inputs = Inputs {
        port,
        port_source,
        session: crate::decide::session::detect(facts),
        port_state: crate::ops::inspect::inspect(&env.proc_root, port, &caller, now_unix)
            .map_err(|e| crate::error::Error::Runtime(e.context("doctor could not finish")))?,
        bind: bind::check_loopback(port),
        listener: selftest::run(port),
        config: opts.config.clone(),
        httr: httr(env),
        rprofile: crate::system::rprofile::rprofile(env),
        online: opts
            .online
            .as_ref()
            .map(|urls| crate::auth::online::check_all(urls)),
        stdin_tty: facts.stdin_tty,
        ancestors: facts.ancestors.clone(),
        uid: caller.uid,
        can_signal_others: caller.can_signal_others,
        scopes: opts.scopes.clone(),
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
    pub rprofile: Rprofile,
    pub online: Option<Vec<Online>>,
    pub stdin_tty: bool,
    /// gauth's ancestors, nearest first (who ran it; where to paste).
    pub ancestors: Vec<Ancestor>,
    /// The caller's uid (whose processes it may stop).
    pub uid: u32,
    /// May the caller signal other users' processes (root, CAP_KILL)?
    pub can_signal_others: bool,
    /// The scopes the login would ask for (`--scope`; empty: the config
    /// file's, else `gauth login`'s default).
    pub scopes: Vec<String>,
}

/// The scopes the login would ask for that Google's device flow refuses:
/// `--scope`, else the config file's, else `gauth login`'s default (which
/// Google's device flow takes).
fn device_refuses(i: &Inputs) -> Vec<String> {
    if !crate::decide::flow::is_google(i.config.defaults.issuer.as_deref()) {
        return Vec::new();
    }
    let scopes = if i.scopes.is_empty() {
        i.config.defaults.scopes.clone().unwrap_or_default()
    } else {
        i.scopes.clone()
    };
    crate::decide::google::device_refuses(&scopes)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

pub fn assemble(i: Inputs) -> Report {
    let mut checks = Vec::new();
    session::checks(&i.session, &mut checks);
    let ancestors: Vec<i32> = i.ancestors.iter().map(|a| a.pid).collect();
    let who = port::Who {
        uid: i.uid,
        can_signal_others: i.can_signal_others,
        ancestors: &ancestors,
    };
    let port_actions = port::checks(&i.port_state, &i.bind, &who, &mut checks);
    listener::checks(&i.listener, &i.httr, &mut checks);
    config_checks::checks(&i.config, &i.httr, &i.rprofile, &mut checks);
    let online_failed = online_checks::checks(i.online.as_deref(), &mut checks);
    let port_free = !i.port_state.is_held() && !i.bind.iter().any(BindCheck::blocks);
    let listener_works = i.listener.ip_literal_works();
    let mut recommendation = crate::decide::flow::recommend(&crate::decide::flow::Situation {
        session: &i.session,
        forced: i.config.forced.as_ref(),
        paste: crate::decide::flow::paste_place(&i.session, i.stdin_tty, &i.ancestors),
        listener_works,
        port: i.port,
        port_free,
        port_actions,
        port_holder: crate::ops::inspect::port_holder(&i.port_state, i.uid),
        google: crate::decide::flow::is_google(i.config.defaults.issuer.as_deref()),
        device_refuses: device_refuses(&i),
        login: crate::decide::flow::LoginBase::from_config(&i.config).for_scopes(&i.scopes),
    });
    if online_failed {
        recommendation.reasons.push(
            "the provider does not answer (--online): no login can finish until it does".into(),
        );
    }
    let blocking = checks.iter().any(|c| c.status == Status::Fail);
    // Ready only when the browser opens, reaches the listener, the listener
    // answers and nothing fails — a forced flow changes none of that.
    let loopback_ready = recommendation.flow == Flow::Loopback
        && crate::decide::flow::loopback_blocker(&i.session, listener_works).is_none()
        && port_free
        && !blocking;
    Report {
        schema_version: crate::ops::SCHEMA_VERSION,
        port: i.port,
        port_source: i.port_source.to_owned(),
        loopback_ready,
        session: i.session,
        port_state: i.port_state,
        bind: i.bind,
        listener: i.listener,
        config: i.config,
        httr: i.httr,
        rprofile: i.rprofile,
        online: i.online,
        checks,
        recommendation,
    }
}
