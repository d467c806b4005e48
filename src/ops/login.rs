//! `gauth login`: pick the flow that works here (the doctor's decision),
//! run it with its fallbacks, and cache the tokens. Every automatic
//! decision is reported through `Ui::note` with its reason; the report is
//! what the printer renders at the end.
use crate::auth::browser::{self, Opened};
use crate::auth::callback::Expect;
use crate::auth::client::{self, ClientConfig};
use crate::auth::http::Http;
use crate::auth::loopback::{self, Event, Listener, WaitError};
use crate::auth::oauth::{self, Authorization, ClientCreds, DeviceStart, Tokens};
use crate::auth::paste;
use crate::auth::provider::Provider;
use crate::auth::secret::Secret;
use crate::cache::{Entry, Store};
use crate::decide::session::{self, Session};
use crate::error::Error;
use crate::system::config::{self, Flow};
use crate::system::env::Env;
use crate::system::facts::Facts;
use crate::text::escape::esc;
use serde::Serialize;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

/// `--timeout`'s default (kept in step with the CLI's): a hint repeats a
/// timeout only when another was given.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// What the user asked for.
pub struct Options {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub credentials: Option<PathBuf>,
    pub scopes: Vec<String>,
    /// `None`: auto.
    pub flow: Option<Flow>,
    /// Where a forced flow came from (`--flow paste`, `--oob`).
    pub flow_source: String,
    pub port: Option<u16>,
    pub timeout: Duration,
    pub no_browser: bool,
    /// gauth's stdin is a terminal (a person can answer a question).
    pub stdin_tty: bool,
    /// The port an SSH tunnel carries (`HTTR_PORT`, else 1410), as the
    /// settings resolved it; `Err`: `HTTR_PORT` is not a port.
    pub tunnel_port: Result<u16, String>,
}

/// How the login talks to a person while it works (stderr). Freeing a taken
/// port is free-port's own operation, asking through the same person.
pub trait Ui: crate::ops::free_port::Ui {
    /// An automatic decision with its reason, or progress.
    fn note(&mut self, line: &str);
    /// The URL to open, and whether gauth opened it.
    fn show_url(&mut self, url: &str, opened: &Opened, flow: Flow);
    /// The device flow's code and where to enter it.
    fn device(&mut self, start: &DeviceStart);
    /// Called while polling the device flow: time left.
    fn tick(&mut self, left: Duration);
    /// What free-port did to a taken port (its result, for stderr).
    fn freed(&mut self, report: &crate::ops::free_port::Report);
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub flow: Flow,
    pub issuer: String,
    pub client_id: String,
    pub account: Option<String>,
    pub scopes: Vec<String>,
    pub expires_at: Option<u64>,
    pub refresh_token: bool,
    pub cache_file: String,
    /// Every automatic decision, with its reason.
    pub decisions: Vec<String>,
}

impl crate::error::Outcome for Report {}

/// The login as resolved from options, environment and config file.
struct Plan {
    provider: Provider,
    client: ClientConfig,
    scopes: Vec<String>,
    /// The client JSON the client came from (absolute), kept with the
    /// login so that a re-login hint can name it (its secret stays there).
    credentials: Option<String>,
}

/// What the options, environment and config file say, before the provider
/// is discovered (which needs the cache).
struct Wanted {
    /// `None`: Google.
    issuer: Option<String>,
    client: ClientConfig,
    scopes: Vec<String>,
    /// The client JSON the client came from (absolute), for re-login hints.
    credentials: Option<String>,
}

/// Run the login. `input` is where pasted answers come from (stdin): read on
/// its own thread while a loopback login waits; its end never ends the wait.
pub fn run(
    env: &Env,
    opts: &Options,
    input: Box<dyn BufRead + Send>,
    ui: &mut dyn Ui,
    now_unix: u64,
) -> Result<Report, Error> {
    // One deadline for the whole login, discovery included.
    let deadline = crate::auth::http::deadline_in(opts.timeout);
    let config = config::load(env);
    // A broken setting must not be silently skipped: it may be the very
    // client or flow the user meant.
    if let Some(p) = config.problems.first() {
        return Err(Error::Usage(format!(
            "{}; fix it, or run `gauth doctor` for every problem",
            esc(p)
        )));
    }
    let wanted = plan(env, opts, &config)?;
    // Before anyone consents: the cache must take the tokens (a grant the
    // user just gave must not be thrown away), so the file they will go
    // to is made now, with room set aside. Discovery is read from the
    // same checked cache.
    let store = Store::open(env)
        .map_err(|e| Error::Runtime(anyhow::anyhow!("the token cache cannot be used: {e}")))?;
    // What opening the cache repaired is said now, whatever comes next.
    for n in store.take_notes() {
        ui.note(&format!("warning: {n}"));
    }
    let prepared = store.prepare().map_err(|e| {
        Error::Runtime(anyhow::anyhow!(
            "the token cache cannot be written ({e}); nothing was asked of anyone"
        ))
    })?;
    let wanted_issuer = wanted.issuer.clone();
    let plan = Plan {
        provider: provider(&wanted, &store, now_unix, opts.timeout)?,
        client: wanted.client,
        scopes: wanted.scopes,
        credentials: wanted.credentials,
    };
    let mut decisions = Vec::new();
    let mut note = |ui: &mut dyn Ui, line: String| {
        ui.note(&line);
        decisions.push(line);
    };
    // A provider the command line did not name is said, with where it
    // came from: a user who meant Google sees that it is not.
    if opts.issuer.is_none()
        && let Some(issuer) = &wanted_issuer
    {
        note(
            ui,
            format!(
                "provider: {} (issuer in {})",
                esc(issuer),
                esc(config.path.as_deref().unwrap_or("the config file"))
            ),
        );
    }

    let facts = Facts::gather(env, opts.stdin_tty);
    let session = session::detect(&facts);
    let paste_place = crate::decide::flow::paste_place(&session, opts.stdin_tty, &facts.ancestors);
    let fixed_port = plan.client.fixed_redirect().map(|(_, p)| p);
    let flow = match opts.flow {
        Some(f) => {
            note(ui, format!("flow: {} ({})", f.as_str(), opts.flow_source));
            f
        }
        None => {
            let port = fixed_port.or(opts.port).unwrap_or(0);
            let listener = crate::system::net::selftest::run(port);
            let rec = auto(
                &session,
                &config,
                paste_place.clone(),
                listener.ip_literal_works(),
                port,
                plan.provider.is_google(),
            );
            note(
                ui,
                format!("flow: {} ({})", rec.flow.as_str(), rec.reasons.join("; ")),
            );
            rec.flow
        }
    };

    // The user's own choice of flow (a flag, GAUTH_FLOW, the config file):
    // kept, never swapped for another behind their back.
    let forced = match opts.flow {
        Some(_) => Some(opts.flow_source.clone()),
        None => config.forced.as_ref().map(|f| f.source.clone()),
    };
    let mut run = Run {
        env,
        plan: &plan,
        session: &session,
        opts,
        can_paste: paste_place.is_some(),
        forced,
        deadline,
        http: Http::new(),
    };
    let (flow, tokens) = match flow {
        Flow::Loopback => run.loopback(ui, &mut note, input)?,
        Flow::Paste => (Flow::Paste, run.paste(ui, input)?),
        Flow::Device => run.device(ui, &mut note, input)?,
    };
    // What came back is checked before it is cached or printed.
    let checked = crate::auth::bearer::check_access_token(tokens.access_token.expose())
        .and_then(|()| match &tokens.refresh_token {
            Some(rt) => crate::auth::bearer::check_refresh_token(rt.expose()),
            None => Ok(()),
        })
        .and_then(|()| crate::auth::bearer::check_lifetime(tokens.expires_in.map(|d| d.as_secs())));
    let lifetime = checked.map_err(|why| {
        Error::Runtime(anyhow::anyhow!(
            "the provider's answer cannot be used: {why}; nothing was cached"
        ))
    })?;
    let scopes = normalize(tokens.scopes.clone().unwrap_or_else(|| plan.scopes.clone()));
    let account = oauth::account(&run.http, &plan.provider, &tokens, run.deadline);
    let entry = Entry {
        issuer: plan.provider.issuer.clone(),
        client_id: plan.client.creds.id.clone(),
        client_secret: plan.client.creds.secret.clone(),
        token_endpoint: plan.provider.token_endpoint.clone(),
        revocation_endpoint: plan.provider.revocation_endpoint.clone(),
        account: account.clone(),
        scopes: scopes.clone(),
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        expires_at: lifetime.map(|s| now_unix.saturating_add(s)),
        created_at: now_unix,
        credentials: plan.credentials.clone(),
    };
    // Everything a later read checks is checked now: a login that would be
    // refused when read back is never reported as working.
    entry.check().map_err(|why| {
        Error::Runtime(anyhow::anyhow!(
            "the provider's answer cannot be used: {why}; nothing was cached"
        ))
    })?;
    // `gauth token` hands out a token only with more than its margin left:
    // one that dies sooner and cannot be renewed could never be handed out.
    if let Some(secs) = lifetime
        && secs <= crate::cache::MARGIN_SECONDS
        && entry.refresh_token.is_none()
    {
        return Err(Error::Runtime(anyhow::anyhow!(
            "the provider's access token lives only {secs} s and comes with no refresh token: `gauth token` keeps a {} s margin, so it could never hand it out; nothing was cached",
            crate::cache::MARGIN_SECONDS
        )));
    }
    let saved = store
        .lock(
            &entry.file_name(),
            Instant::now() + crate::cache::store::LOCK_WAIT,
        )
        .and_then(|lock| prepared.commit(&lock, &entry));
    if let Err(e) = saved {
        return Err(Error::Runtime(anyhow::anyhow!(
            "you logged in, but the tokens could not be saved ({e}): nothing is cached, and this login is lost; run `gauth login` again once the cache can be written"
        )));
    }
    for n in store.take_notes() {
        ui.note(&format!("warning: {n}"));
    }
    Ok(Report {
        schema_version: crate::ops::SCHEMA_VERSION,
        flow,
        issuer: entry.issuer.clone(),
        client_id: entry.client_id.clone(),
        account,
        scopes,
        expires_at: entry.expires_at,
        refresh_token: entry.refresh_token.is_some(),
        cache_file: store.path_of(&entry.file_name()).display().to_string(),
        decisions,
    })
}

/// `--flow auto`: the doctor's decision (`flow::recommend`) on the same
/// facts. A taken port does not change the flow: the login frees it or uses
/// another port.
pub fn auto(
    session: &Session,
    config: &config::Config,
    paste_place: Option<String>,
    listener_works: bool,
    port: u16,
    google: bool,
) -> crate::decide::flow::Recommendation {
    crate::decide::flow::recommend(&crate::decide::flow::Situation {
        session,
        forced: config.forced.as_ref(),
        paste: paste_place,
        listener_works,
        port,
        port_free: true,
        port_actions: Vec::new(),
        port_holder: None,
        google,
        login: crate::decide::flow::LoginBase::configured(),
    })
}

/// Who holds a taken port, for a message, and whether free-port's prompt
/// could free it.
struct Held {
    /// ` by R (pid 12): not expendable: …`, ` by another gauth login (pid
    /// 40), …`, or nothing when it cannot be told.
    by: String,
    /// Every holder looks expendable: worth asking to free it. Otherwise
    /// free-port would only refuse, and its advice (`--force`) is for
    /// `gauth free-port`, not for this login.
    expendable: bool,
}

fn held(env: &Env, port: u16) -> Held {
    use crate::decide::verdict::Class;
    let caller = crate::decide::verdict::Caller::current(&env.proc_root, port);
    let Ok(state) =
        crate::ops::inspect::inspect(&env.proc_root, port, &caller, crate::system::now_unix())
    else {
        // free-port's own run says what it cannot see.
        return Held {
            by: String::new(),
            expendable: true,
        };
    };
    let by = match state.holders.first() {
        Some(h) if crate::decide::flow::is_gauth_login(&h.process) => {
            let label = esc(&crate::decide::flow::holder_label(h, caller.uid));
            match crate::decide::flow::other_owner(&h.process, caller.uid) {
                None => format!(
                    " by {label}, which waits for its own browser (it ends by itself at its --timeout; Ctrl-C where it runs ends it now)"
                ),
                // Not the caller's terminal, not the caller's to end.
                Some(owner) => format!(
                    " by {label}, which waits for its own browser (it ends by itself at its --timeout; it is {}'s to end, not yours)",
                    esc(&owner)
                ),
            }
        }
        Some(h) => format!(
            " by {} (pid {}): {}",
            esc(&h.process.name),
            h.process.pid,
            esc(&h.verdict.summary)
        ),
        None => crate::decide::flow::port_holder(&state, caller.uid)
            .map(|w| format!(" by {}", esc(&w)))
            .unwrap_or_default(),
    };
    Held {
        by,
        expendable: !state.holders.is_empty()
            && state.invisible().next().is_none()
            && state
                .holders
                .iter()
                .all(|h| h.verdict.class == Class::Expendable),
    }
}

fn normalize(mut scopes: Vec<String>) -> Vec<String> {
    scopes.sort();
    scopes.dedup();
    scopes
}

/// Provider, client and scopes from the options, the environment
/// (`GAUTH_CLIENT_ID`, `GAUTH_CLIENT_SECRET`) and the config file, in that
/// order. A missing or broken client is a usage error saying where to put one.
fn plan(env: &Env, opts: &Options, config: &config::Config) -> Result<Wanted, Error> {
    let d = &config.defaults;
    let where_config = config
        .path
        .as_deref()
        .unwrap_or("~/.config/gauth/config.toml");
    let mut credentials = None;
    let client = if let Some(path) = opts.credentials.as_ref().or(
        // The file's credentials count only when nothing closer names a client.
        if opts.client_id.is_none() && env.var("GAUTH_CLIENT_ID").is_none() {
            d.credentials.as_ref()
        } else {
            None
        },
    ) {
        // The file's `credentials` is relative to the config file, and `~/`
        // is the home directory; a flag's path is the shell's business.
        let from_file = opts.credentials.is_none();
        let path = &if from_file {
            let p = path.to_string_lossy();
            if let (Some(rest), Some(home)) = (p.strip_prefix("~/"), env.var("HOME")) {
                std::path::Path::new(home).join(rest)
            } else if path.is_relative() {
                std::path::Path::new(where_config)
                    .parent()
                    .map_or_else(|| path.clone(), |d| d.join(path))
            } else {
                path.clone()
            }
        } else {
            path.clone()
        };
        let shown = esc(&path.display().to_string());
        let bytes = crate::system::fsutil::read_trusted(path, crate::system::fsutil::CAP)
            .map_err(|e| Error::Usage(format!("cannot read the client file {shown}: {e}")))?;
        credentials = std::path::absolute(path)
            .ok()
            .and_then(|p| p.to_str().map(str::to_owned));
        client::from_google_json(&bytes, &shown).map_err(Error::Usage)?
    } else {
        let (id, source) = if let Some(id) = &opts.client_id {
            (id.clone(), "--client-id")
        } else if let Some(id) = env.var("GAUTH_CLIENT_ID").filter(|v| !v.is_empty()) {
            (id.to_owned(), "GAUTH_CLIENT_ID")
        } else if let Some(id) = &d.client_id {
            (id.clone(), "the config file")
        } else {
            return Err(Error::Usage(format!(
                "no OAuth client: pass --client-id ID or --credentials client.json, set GAUTH_CLIENT_ID, or put client_id = \"…\" in {}",
                esc(where_config)
            )));
        };
        if id.trim().is_empty() || id.chars().any(char::is_control) {
            return Err(Error::Usage(format!(
                "the client id from {source} is empty or has control characters"
            )));
        }
        // A secret belongs to its own client: `--client-secret` to whichever
        // client is named, GAUTH_CLIENT_SECRET only to GAUTH_CLIENT_ID, the
        // file's only to the file's client at the file's issuer. Never one
        // client's secret sent for another, or to another provider.
        let same_issuer = opts.issuer.is_none()
            || opts.issuer.as_deref().map(|i| i.trim_end_matches('/'))
                == d.issuer.as_deref().map(|i| i.trim_end_matches('/'));
        let secret = opts
            .client_secret
            .clone()
            .or_else(|| {
                (source == "GAUTH_CLIENT_ID")
                    .then(|| env.var("GAUTH_CLIENT_SECRET").filter(|v| !v.is_empty()))
                    .flatten()
                    .map(str::to_owned)
            })
            .or_else(|| {
                (source == "the config file" && same_issuer)
                    .then(|| d.client_secret.clone())
                    .flatten()
            })
            .map(Secret::new);
        ClientConfig {
            creds: ClientCreds { id, secret },
            kind: client::Kind::Native,
            redirect_uris: Vec::new(),
            source: source.to_owned(),
        }
    };
    let issuer = opts
        .issuer
        .as_ref()
        .or(d.issuer.as_ref())
        .filter(|i| i.trim_end_matches('/') != crate::auth::provider::GOOGLE_ISSUER)
        .cloned();
    if let Some(i) = &issuer {
        crate::auth::discovery::check_issuer(i).map_err(Error::Usage)?;
    }
    let scopes = if !opts.scopes.is_empty() {
        opts.scopes.clone()
    } else if let Some(s) = &d.scopes {
        s.clone()
    } else if issuer.is_none() {
        vec!["openid".into(), "email".into()]
    } else {
        // Without offline_access an OpenID provider gives no refresh token,
        // and `gauth token` could not renew the login.
        vec!["openid".into(), "email".into(), "offline_access".into()]
    };
    // Each scope once, in the order given.
    let mut seen = std::collections::BTreeSet::new();
    let scopes: Vec<String> = scopes
        .into_iter()
        .filter(|s| seen.insert(s.clone()))
        .collect();
    if scopes.is_empty() {
        return Err(Error::Usage(format!(
            "no scope to ask for (`scopes = []` in {}): list at least one, e.g. scopes = [\"openid\", \"email\"]",
            esc(where_config)
        )));
    }
    if let Some(bad) = scopes
        .iter()
        .find(|s| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(Error::Usage(format!(
            "'{}' is not a scope (one scope per --scope, no spaces)",
            esc(bad)
        )));
    }
    Ok(Wanted {
        issuer,
        client,
        scopes,
        credentials,
    })
}

/// The provider: Google's preset, or discovered (through the checked
/// cache; a fetch is cached for a day).
fn provider(
    wanted: &Wanted,
    store: &Store,
    now_unix: u64,
    limit: Duration,
) -> Result<Provider, Error> {
    let Some(issuer) = &wanted.issuer else {
        return Ok(Provider::google());
    };
    let name = crate::auth::discovery::cache_name(issuer);
    let area = crate::cache::Area::Discovery;
    crate::auth::discovery::discover(
        issuer,
        &|| match store.read_file(area, &name, crate::auth::discovery::MAX_DOCUMENT) {
            Ok(found) => found,
            Err(p) => {
                store.note(format!("{} (fetched again)", p.line()));
                None
            }
        },
        &|bytes| {
            // A cache that cannot be written costs a fetch next time.
            let _ = store.write_file(area, &name, bytes);
        },
        now_unix,
        limit,
    )
    .map_err(|e| Error::Runtime(e.context("cannot discover the provider")))
}

struct Run<'a> {
    env: &'a Env,
    plan: &'a Plan,
    session: &'a Session,
    opts: &'a Options,
    can_paste: bool,
    /// What forced the flow (`--flow loopback`, `GAUTH_FLOW=loopback`, the
    /// config file), when something did.
    forced: Option<String>,
    deadline: Instant,
    http: Http,
}

type Note<'n> = dyn FnMut(&mut dyn Ui, String) + 'n;

impl Run<'_> {
    fn expect<'e>(&'e self, auth: &'e Authorization) -> Expect<'e> {
        Expect {
            state: auth.state.expose(),
            issuer: &self.plan.provider.issuer,
            iss_required: self.plan.provider.iss_supported,
        }
    }

    fn creds(&self) -> &ClientCreds {
        &self.plan.client.creds
    }

    /// The wait ran out. The hint repeats the login that was run, with
    /// the flags it needs (its client, issuer, scopes, port); after a
    /// loopback wait it offers the paste flow, after a paste it does not.
    fn timed_out(&self, flow: Flow) -> Error {
        let within = humantime::format_duration(self.opts.timeout);
        let hint = match (flow, self.again(None), self.again(Some("--oob"))) {
            (Flow::Paste, Some(again), _) => format!(
                "nothing valid was pasted within {within}; run `{again}` again, and paste the whole address the browser ends on (or the code)"
            ),
            (Flow::Paste, None, _) => format!(
                "nothing valid was pasted within {within}; run your gauth login again (gauth does not repeat its --client-secret), and paste the whole address the browser ends on (or the code)"
            ),
            (_, Some(again), Some(oob)) => format!(
                "no answer within {within}; run `{again}` again, or `{oob}` to paste the redirected URL instead"
            ),
            _ => format!(
                "no answer within {within}; run your gauth login again (gauth does not repeat its --client-secret), with --oob instead of any --flow to paste the redirected URL instead"
            ),
        };
        Error::Runtime(anyhow::anyhow!(hint))
    }

    /// The `gauth login` that was run, as flags (the issuer, client, client
    /// JSON, scopes, port, timeout and browser choice given), with `flow`
    /// as its flow flag (`None`: the one given). `None` when it was given a
    /// `--client-secret`, which gauth never prints, or a path it cannot
    /// print as it is.
    fn again(&self, flow: Option<&str>) -> Option<String> {
        use crate::ops::token::shell_quote;
        let o = self.opts;
        if o.client_secret.is_some() {
            return None;
        }
        let mut cmd = String::from("gauth login");
        let mut flag = |name: &str, value: &str| {
            cmd.push_str(&format!(" {name} {}", shell_quote(value)));
        };
        if let Some(i) = &o.issuer {
            flag("--issuer", i);
        }
        if let Some(c) = &o.client_id {
            flag("--client-id", c);
        }
        if let Some(f) = &o.credentials {
            flag("--credentials", f.to_str()?);
        }
        for scope in &o.scopes {
            flag("--scope", scope);
        }
        if let Some(p) = o.port {
            flag("--port", &p.to_string());
        }
        if o.timeout != DEFAULT_TIMEOUT {
            flag(
                "--timeout",
                &humantime::format_duration(o.timeout).to_string(),
            );
        }
        let given = o
            .flow_source
            .starts_with("--")
            .then_some(o.flow_source.as_str());
        if let Some(f) = flow.or(given) {
            cmd.push(' ');
            cmd.push_str(f);
        }
        if o.no_browser {
            cmd.push_str(" --no-browser");
        }
        Some(cmd)
    }

    /// Free a taken port with free-port's own operation: its question to
    /// the person, its checks before each signal, SIGTERM, then SIGKILL
    /// after 3 s. Whether the port is free afterwards.
    fn free_port(&self, ui: &mut dyn Ui, port: u16) -> bool {
        let proc_root = &self.env.proc_root;
        let caller = crate::decide::verdict::Caller::current(proc_root, port);
        let opts = crate::ops::free_port::Options {
            port,
            dry_run: false,
            yes: false,
            force: false,
            signal: (crate::system::kill::SIGTERM, "SIGTERM"),
            timeout: Duration::from_secs(3),
            interactive: true,
        };
        ui.note(&format!("port {port} is taken: looking at who holds it"));
        match crate::ops::free_port::run(proc_root, &opts, &caller, crate::system::now_unix(), ui) {
            Ok(report) => {
                ui.freed(&report);
                report.free
            }
            Err(e) => {
                ui.note(&format!("cannot free port {port}: {e}"));
                false
            }
        }
    }

    /// Over SSH without X11 the browser runs on the user's own machine and
    /// reaches this loopback only through `ssh -L P:127.0.0.1:P`: the port
    /// the tunnel `gauth doctor` offers (`HTTR_PORT`, else 1410), not any
    /// free one.
    fn tunnel_port(&self) -> Result<Option<u16>, Error> {
        if !matches!(
            self.session.kind,
            session::Kind::Ssh | session::Kind::SshX11
        ) || self.session.reach != session::Reach::Tunnel
        {
            return Ok(None);
        }
        self.opts
            .tunnel_port
            .clone()
            .map(Some)
            .map_err(Error::Usage)
    }

    /// RFC 8252 loopback: a listener on the client's port, `--port` or any
    /// free one; a taken port is freed (when its holder looks expendable and
    /// a person agrees) or replaced, else the login falls back to paste.
    fn loopback(
        &mut self,
        ui: &mut dyn Ui,
        note: &mut Note<'_>,
        input: Box<dyn BufRead + Send>,
    ) -> Result<(Flow, Tokens), Error> {
        let fixed = self.plan.client.fixed_redirect();
        let tunnel = match (&fixed, self.opts.port) {
            (None, None) => self.tunnel_port()?,
            _ => None,
        };
        let (port, path, localhost) = match &fixed {
            Some((url, port)) => (
                *port,
                url.path().to_owned(),
                url.host_str() == Some("localhost"),
            ),
            None => (
                self.opts.port.or(tunnel).unwrap_or(0),
                "/".to_owned(),
                false,
            ),
        };
        if let Some(p) = tunnel {
            note(
                ui,
                format!(
                    "port {p}: over SSH your browser reaches this machine only through a tunnel to a fixed port (the one `gauth doctor` names: ssh -L {p}:127.0.0.1:{p} …)"
                ),
            );
        }
        let bind = |port: u16| {
            Listener::bind(&loopback::Bind {
                port,
                path: &path,
                localhost,
            })
        };
        let listener = match bind(port) {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                let held = held(self.env, port);
                let by = &held.by;
                // Another port only where the browser comes straight to this
                // machine: a tunnel or a forwarded port carries the one
                // port it was set up for.
                let direct = self.session.reach == session::Reach::Yes;
                let why_not = if !self.plan.client.any_port() {
                    "the client allows only that port"
                } else if !direct && self.session.ssh.is_some() {
                    "over SSH your browser reaches this machine only through a tunnel to that port, so another port would not be reached"
                } else {
                    "your browser does not reach this machine directly, so another port would not be reached"
                };
                let freed = self.opts.stdin_tty && held.expendable && self.free_port(ui, port);
                if freed {
                    bind(port).map_err(|e| {
                        Error::Runtime(anyhow::anyhow!("port {port} is still taken: {e}"))
                    })?
                } else if self.plan.client.any_port() && direct {
                    let l = bind(0).map_err(|e| Error::Runtime(e.into()))?;
                    note(
                        ui,
                        format!(
                            "port {port} is taken{by}: using port {} instead (your browser reaches this machine directly, and the client allows any loopback port)",
                            l.port
                        ),
                    );
                    l
                } else if let Some(source) = &self.forced {
                    // Another flow would not be the one asked for.
                    let other = match (self.again(Some("--oob")), self.again(Some("--flow device")))
                    {
                        (Some(oob), Some(device)) => format!("`{oob}` or `{device}`"),
                        _ => "--oob or --flow device instead of the loopback flow".to_owned(),
                    };
                    return Err(Error::ActionNeeded(format!(
                        "port {port} is taken{by}, and {why_not}; {} asks for the loopback flow, so gauth does not switch to another: free the port (`gauth doctor --port {port}` says how) and run the login again, or use another flow: {other}",
                        esc(source)
                    )));
                } else if self.can_paste {
                    note(
                        ui,
                        format!("port {port} is taken{by}, and {why_not}: falling back to paste"),
                    );
                    return Ok((Flow::Paste, self.paste(ui, input)?));
                } else if self.plan.provider.device_authorization_endpoint.is_some() {
                    note(
                        ui,
                        format!(
                            "port {port} is taken{by}, {why_not}, and nobody can paste here: using the device flow"
                        ),
                    );
                    return self.device(ui, note, input);
                } else {
                    return Err(Error::LoginRequired(format!(
                        "port {port} is taken{by}, {why_not}, there is no terminal to paste into and no device flow; `gauth doctor --port {port}` says what would free it"
                    )));
                }
            }
            Err(e) => {
                return Err(Error::Runtime(anyhow::anyhow!(
                    "cannot listen on loopback port {port}: {e}"
                )));
            }
        };
        let auth = oauth::authorize(
            &self.plan.provider,
            self.creds(),
            &listener.redirect_uri,
            &self.plan.scopes,
        )
        .map_err(Error::Runtime)?;
        let opened = if self.opts.no_browser {
            Opened::No("--no-browser".into())
        } else {
            browser::open(&auth.url, self.env, self.session)
        };
        ui.show_url(&auth.url, &opened, Flow::Loopback);
        // A pasted answer is taken too: the user whose browser could not
        // reach this listener can paste what it was sent to.
        let (tx, rx) = channel();
        spawn_paste_reader(input, tx.clone(), &self.expect(&auth));
        let mut rejected = |why: &str| ui.note(why);
        let code = match listener.wait(&self.expect(&auth), self.deadline, (tx, rx), &mut rejected)
        {
            Ok(code) => code,
            Err(WaitError::TimedOut) => return Err(self.timed_out(Flow::Loopback)),
            Err(WaitError::Provider(e)) => {
                return Err(Error::Runtime(anyhow::anyhow!(
                    "the provider refused the login: {}",
                    esc(&e)
                )));
            }
            Err(WaitError::Io(e)) => return Err(Error::Runtime(e.into())),
        };
        let tokens = oauth::exchange_code(
            &self.http,
            &self.plan.provider,
            self.creds(),
            &code,
            &auth,
            self.deadline,
        )
        .map_err(Error::Runtime)?;
        Ok((Flow::Loopback, tokens))
    }

    /// Out-of-band: print the URL, read the redirected URL (or the code)
    /// back.
    fn paste(&mut self, ui: &mut dyn Ui, input: Box<dyn BufRead + Send>) -> Result<Tokens, Error> {
        let redirect = match self.plan.client.fixed_redirect() {
            Some((url, _)) => url.to_string(),
            // Nothing listens: the browser shows an error page whose
            // address holds the code. PKCE makes a stray listener there
            // harmless (it has no verifier).
            None => format!("http://127.0.0.1:{}/", self.opts.port.unwrap_or(1410)),
        };
        let auth = oauth::authorize(
            &self.plan.provider,
            self.creds(),
            &redirect,
            &self.plan.scopes,
        )
        .map_err(Error::Runtime)?;
        ui.show_url(&auth.url, &Opened::No("paste flow".into()), Flow::Paste);
        let (tx, rx) = channel();
        spawn_paste_reader(input, tx, &self.expect(&auth));
        let code = wait_for_paste(&rx, self.deadline, ui).map_err(|e| match e {
            PasteEnd::TimedOut => self.timed_out(Flow::Paste),
            PasteEnd::Closed => Error::Runtime(anyhow::anyhow!(
                "the input ended before a valid code or redirected URL was pasted"
            )),
            PasteEnd::Refused(e) => Error::Runtime(anyhow::anyhow!(
                "the provider refused the login: {}",
                esc(&e)
            )),
        })?;
        oauth::exchange_code(
            &self.http,
            &self.plan.provider,
            self.creds(),
            &code,
            &auth,
            self.deadline,
        )
        .map_err(Error::Runtime)
    }

    /// RFC 8628 device flow, or paste when the provider has no device
    /// endpoint and someone can paste; else exit 4 at once.
    fn device(
        &mut self,
        ui: &mut dyn Ui,
        note: &mut Note<'_>,
        input: Box<dyn BufRead + Send>,
    ) -> Result<(Flow, Tokens), Error> {
        let p = &self.plan.provider;
        if p.device_authorization_endpoint.is_none() {
            let why = format!("{} has no device authorization endpoint", esc(&p.issuer));
            if self.can_paste {
                note(ui, format!("{why}: using the paste flow"));
                return Ok((Flow::Paste, self.paste(ui, input)?));
            }
            let run = match self.again(Some("--oob")) {
                Some(cmd) => format!("run `{cmd}` in a terminal"),
                None => "run your gauth login with --oob in a terminal".to_owned(),
            };
            return Err(Error::LoginRequired(format!(
                "{why}, and there is no terminal to paste a code into: {run}, or use a client and provider with the device flow"
            )));
        }
        let start = oauth::device_start(
            &self.http,
            p,
            self.creds(),
            &self.plan.scopes,
            self.deadline,
        )
        .map_err(Error::Runtime)?;
        ui.device(&start);
        // Every duration here comes from the provider: saturated, and never
        // past the login's own deadline.
        let end = start.end(self.deadline);
        let sleep = |d: Duration| {
            let until = crate::auth::http::deadline_in(d).min(end);
            while Instant::now() < until {
                ui.tick(end.saturating_duration_since(Instant::now()));
                std::thread::sleep(
                    until
                        .saturating_duration_since(Instant::now())
                        .min(Duration::from_millis(100)),
                );
            }
        };
        let tokens = oauth::device_poll(
            &self.http,
            p,
            self.creds(),
            &start,
            self.deadline,
            self.opts.timeout,
            sleep,
        )
        .map_err(Error::Runtime)?;
        Ok((Flow::Device, tokens))
    }
}

/// Read lines from `input` on a thread; each is parsed and checked as a
/// pasted answer. Its end (EOF, a closed stdin) only ends the thread.
fn spawn_paste_reader(input: Box<dyn BufRead + Send>, tx: Sender<Event>, expect: &Expect<'_>) {
    let state = expect.state.to_owned();
    let issuer = expect.issuer.to_owned();
    let iss_required = expect.iss_required;
    std::thread::spawn(move || {
        let expect = Expect {
            state: &state,
            issuer: &issuer,
            iss_required,
        };
        let mut input = input;
        loop {
            let line = match read_paste_line(&mut input) {
                Ok(Some(Ok(line))) if line.trim().is_empty() => continue,
                Ok(Some(Ok(line))) => line,
                Ok(Some(Err(why))) => {
                    let msg =
                        format!("not accepted: {why}; paste the whole redirected URL or the code");
                    if tx.send(Event::Rejected(msg)).is_err() {
                        break;
                    }
                    continue;
                }
                // The end of the input (or an unreadable stdin) only ends
                // this reader; a loopback wait goes on.
                Ok(None) | Err(_) => break,
            };
            let ev = match paste::parse(&line).and_then(|p| p.accept(&expect)) {
                Ok(code) => Event::Code(code),
                Err(paste::PasteError::Rejected(crate::auth::callback::Rejected::Provider(e))) => {
                    Event::Failed(e.to_string())
                }
                Err(e) => Event::Rejected(format!(
                    "not accepted: {e}; paste the whole redirected URL or the code"
                )),
            };
            let done = matches!(ev, Event::Code(_) | Event::Failed(_));
            if tx.send(ev).is_err() || done {
                break;
            }
        }
    });
}

/// Longest line taken as a paste (a redirected URL with a long code is
/// under 4 KiB); the rest of a longer line is skipped, not read as another.
const MAX_PASTE_LINE: usize = 16 * 1024;

/// One line of input as bytes: `None` at the end, `Some(Err(why))` for a
/// line that is too long or not UTF-8 (refused as a whole, the reading goes
/// on), else the line.
fn read_paste_line(input: &mut dyn BufRead) -> std::io::Result<Option<Result<String, String>>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            if line.is_empty() && !too_long {
                return Ok(None);
            }
            break;
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let n = chunk.len();
        if !too_long {
            line.extend_from_slice(chunk);
            if line.len() > MAX_PASTE_LINE {
                too_long = true;
                line.clear();
            }
        }
        input.consume(n);
        if done {
            break;
        }
    }
    if too_long {
        return Ok(Some(Err(format!(
            "that line is longer than {MAX_PASTE_LINE} bytes, too long to be a code or a redirected URL"
        ))));
    }
    Ok(Some(
        String::from_utf8(line).map_err(|_| "that line is not UTF-8 text".to_owned()),
    ))
}

enum PasteEnd {
    TimedOut,
    Closed,
    Refused(String),
}

fn wait_for_paste(
    rx: &Receiver<Event>,
    deadline: Instant,
    ui: &mut dyn Ui,
) -> Result<Secret, PasteEnd> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Event::Code(c)) => return Ok(c),
            Ok(Event::Failed(e)) => return Err(PasteEnd::Refused(e)),
            Ok(Event::Rejected(why)) => ui.note(&why),
            Err(RecvTimeoutError::Timeout) => return Err(PasteEnd::TimedOut),
            Err(RecvTimeoutError::Disconnected) => return Err(PasteEnd::Closed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(client_id: Option<&str>, issuer: Option<&str>) -> Options {
        Options {
            issuer: issuer.map(str::to_owned),
            client_id: client_id.map(str::to_owned),
            client_secret: None,
            credentials: None,
            scopes: vec![],
            flow: None,
            flow_source: "auto".into(),
            port: None,
            timeout: Duration::from_secs(60),
            no_browser: true,
            stdin_tty: false,
            tunnel_port: Ok(1410),
        }
    }

    /// A secret goes only with its own client and provider.
    #[test]
    fn a_secret_is_never_sent_for_another_client() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("gauth")).unwrap();
        std::fs::write(
            dir.path().join("gauth/config.toml"),
            "client_id = \"file-client\"\nclient_secret = \"file-secret\"\n",
        )
        .unwrap();
        let xdg = dir.path().to_str().unwrap();
        let secret_for = |pairs: &[(&str, &str)], o: Options| {
            let mut all = pairs.to_vec();
            // The config file's place: XDG on Unix, %APPDATA% on Windows.
            all.push(("XDG_CONFIG_HOME", xdg));
            all.push(("APPDATA", xdg));
            let env = Env::from_pairs(all);
            let config = config::load(&env);
            let p = plan(&env, &o, &config).unwrap();
            (
                p.client.creds.id,
                p.client.creds.secret.map(|s| s.expose().to_owned()),
            )
        };
        assert_eq!(
            secret_for(&[], opts(None, None)),
            ("file-client".into(), Some("file-secret".into()))
        );
        assert_eq!(
            secret_for(&[], opts(Some("other"), None)),
            ("other".into(), None)
        );
        assert_eq!(
            secret_for(
                &[("GAUTH_CLIENT_SECRET", "env-secret")],
                opts(Some("other"), None)
            ),
            ("other".into(), None)
        );
        assert_eq!(
            secret_for(
                &[
                    ("GAUTH_CLIENT_ID", "env-client"),
                    ("GAUTH_CLIENT_SECRET", "env-secret")
                ],
                opts(None, None)
            ),
            ("env-client".into(), Some("env-secret".into()))
        );
        // The file's client at another provider: not the file's secret.
        let o = opts(None, Some("https://accounts.google.com/"));
        assert_eq!(secret_for(&[], o).1, None);
    }

    #[test]
    fn pasted_lines_that_are_too_long_or_not_utf8_are_refused_whole() {
        let mut input: Vec<u8> = Vec::new();
        input.extend_from_slice(b"bad \xff line\n");
        input.extend(std::iter::repeat_n(b'a', MAX_PASTE_LINE + 500));
        input.extend_from_slice(b"\n\nhttp://127.0.0.1:1/?code=c&state=s\nlast-without-newline");
        let mut r = std::io::BufReader::with_capacity(64, &input[..]);
        let mut got = Vec::new();
        while let Some(line) = read_paste_line(&mut r).unwrap() {
            got.push(line);
        }
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(got[0], Err("that line is not UTF-8 text".into()));
        assert!(got[1].as_ref().unwrap_err().contains("longer than"));
        assert_eq!(got[2], Ok("\n".into()));
        assert_eq!(got[3], Ok("http://127.0.0.1:1/?code=c&state=s\n".into()));
        assert_eq!(got[4], Ok("last-without-newline".into()));
    }
}
