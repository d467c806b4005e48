//! `gauth login`: pick the flow that works here (the doctor's decision),
//! run it with its fallbacks, and cache the tokens. Every automatic
//! decision is reported through `Ui::note` with its reason; the report is
//! what the printer renders at the end.
use crate::auth::browser::Opened;
use crate::auth::client::ClientConfig;
use crate::auth::device::DeviceStart;
use crate::auth::http::Http;
use crate::auth::oauth;
use crate::auth::provider::Provider;
use crate::cache::{Entry, Store};
use crate::decide::session::{self, Session};
use crate::error::Error;
use crate::system::config::{Flow, Forced};
use crate::system::env::Env;
use crate::system::facts::Facts;
use crate::text::escape::esc;
use serde::Serialize;
use std::io::BufRead;
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod flows;
pub mod pending;

/// What `gauth login` does, as the settings resolved it (the flags, then
/// the environment, then the config file: `app::settings::login`).
pub struct Settings {
    /// The provider, client and scopes to log in with.
    pub wanted: Wanted,
    /// Where the issuer came from when no flag named it (the config file's
    /// path): said, so that a user who meant Google sees it is not.
    pub issuer_from: Option<String>,
    /// A flow forced by `GAUTH_FLOW`, `GAUTH_OOB` or the config file.
    pub forced: Option<Forced>,
    /// The flags as given, for the hints that repeat the login.
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// A `--client-secret` was given (never repeated in a hint).
    pub client_secret: bool,
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
    /// The port an SSH tunnel carries (`HTTR_PORT`, else 1410); `Err`:
    /// `HTTR_PORT` is not a port.
    pub tunnel_port: Result<u16, String>,
}

/// What the flags, the environment and the config file say to log in with,
/// before the provider is discovered (which needs the cache).
pub struct Wanted {
    /// `None`: Google.
    pub issuer: Option<String>,
    pub client: ClientConfig,
    pub scopes: Vec<String>,
    /// The client JSON the client came from (absolute), kept with the
    /// login so that a re-login hint can name it (its secret stays there).
    pub credentials: Option<String>,
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
    /// A login started to be finished by `gauth login --finish` (gauth
    /// cannot read the paste here): the URL and how to finish.
    fn started(&mut self, started: &pending::Started);
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

/// The login as resolved, the provider discovered.
pub(super) struct Plan {
    pub(super) provider: Provider,
    pub(super) client: ClientConfig,
    pub(super) scopes: Vec<String>,
    pub(super) credentials: Option<String>,
}

/// Run the login. `input` is where pasted answers come from (stdin): read on
/// its own thread while a loopback login waits; its end never ends the wait.
pub fn run(
    env: &Env,
    opts: &Settings,
    input: Box<dyn BufRead + Send>,
    ui: &mut dyn Ui,
    now_unix: u64,
) -> Result<Report, Error> {
    // One deadline for the whole login, discovery included.
    let deadline = crate::auth::http::deadline_in(opts.timeout);
    let wanted = &opts.wanted;
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
    let plan = Plan {
        provider: provider(wanted, &store, now_unix, opts.timeout)?,
        client: wanted.client.clone(),
        scopes: wanted.scopes.clone(),
        credentials: wanted.credentials.clone(),
    };
    let mut decisions = Vec::new();
    let mut note = |ui: &mut dyn Ui, line: String| {
        ui.note(&line);
        decisions.push(line);
    };
    // A provider the command line did not name is said, with where it
    // came from: a user who meant Google sees that it is not.
    if let (Some(issuer), Some(from)) = (&wanted.issuer, &opts.issuer_from) {
        note(
            ui,
            format!("provider: {} (issuer in {})", esc(issuer), esc(from)),
        );
    }

    let facts = Facts::gather(env, opts.stdin_tty);
    let session = session::detect(&facts);
    let paste_place = crate::decide::flow::paste_place(&session, opts.stdin_tty, &facts.ancestors);
    let fixed_port = plan.client.fixed_redirect().map(|(_, p)| p);
    let refuses = device_refuses(&plan.provider, &plan.scopes);
    // A forced device flow Google refuses is set aside, as doctor does: the
    // login then goes on as if nothing had been asked for.
    let forced_setting = opts
        .forced
        .as_ref()
        .filter(|f| !crate::decide::flow::sets_aside(f, &refuses));
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
                opts.forced.as_ref(),
                paste_place.clone(),
                listener.ip_literal_works(),
                port,
                plan.provider.is_google(),
                refuses,
            );
            note(
                ui,
                format!("flow: {} ({})", rec.flow.as_str(), rec.reasons.join("; ")),
            );
            rec.flow
        }
    };

    // A paste gauth cannot read itself (a console's, not its own input):
    // the login is kept for `gauth login --finish`, and this command stops
    // here saying so, rather than wait for input that cannot come. A paste
    // flow the user asked for (--oob, GAUTH_FLOW, the config file) reads
    // stdin whatever it is (a pipe is a fine way to hand it the answer).
    if opts.flow.is_none()
        && forced_setting.is_none()
        && flow == Flow::Paste
        && !paste_place.as_ref().is_some_and(|p| p.gauth_reads)
    {
        let started = pending::keep(
            &store,
            plan.provider.clone(),
            wanted,
            opts.port,
            opts.timeout,
            now_unix,
        )?;
        if let Some(d) = &started.dropped {
            ui.note(&format!("warning: {d}"));
        }
        ui.started(&started);
        return Err(Error::LoginRequired(format!(
            "gauth cannot read a paste here, so it started the login: open the URL above, then, before {}, run `{}` and paste the address your browser lands on (in R, gauth::login() does both steps at R's prompt)",
            crate::text::human::clock(started.expires_at),
            crate::decide::flow::FINISH
        )));
    }

    // The user's own choice of flow (a flag, GAUTH_FLOW, the config file):
    // kept, never swapped for another behind their back.
    let forced = match opts.flow {
        Some(_) => Some(opts.flow_source.clone()),
        None => forced_setting.map(|f| f.source.clone()),
    };
    let mut run = flows::Run {
        env,
        plan: &plan,
        session: &session,
        opts,
        paste: paste_place.clone(),
        forced: forced.map(|source| Forced { flow, source }),
        deadline,
        http: Http::new(),
    };
    let (flow, tokens) = match flow {
        Flow::Loopback => run.loopback(ui, &mut note, input)?,
        Flow::Paste => (Flow::Paste, run.paste(ui, input)?),
        Flow::Device => run.device(ui, &mut note, input)?,
    };
    let account = oauth::account(&run.http, &plan.provider, &tokens, run.deadline);
    save(
        &store,
        prepared,
        &plan,
        Got {
            flow,
            tokens,
            account,
        },
        now_unix,
        decisions,
        ui,
    )
}

/// What a flow brought back.
pub(super) struct Got {
    pub(super) flow: Flow,
    pub(super) tokens: oauth::Tokens,
    pub(super) account: Option<String>,
}

/// Check what the provider handed out, cache it in the prepared file, and
/// report. Shared by every flow and by `--finish`.
#[allow(clippy::too_many_arguments)]
pub(super) fn save(
    store: &Store,
    prepared: crate::cache::Prepared<'_>,
    plan: &Plan,
    got: Got,
    now_unix: u64,
    decisions: Vec<String>,
    ui: &mut dyn Ui,
) -> Result<Report, Error> {
    let Got {
        flow,
        tokens,
        account,
    } = got;
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
    forced: Option<&Forced>,
    paste_place: Option<crate::decide::flow::Paste>,
    listener_works: bool,
    port: u16,
    google: bool,
    device_refuses: Vec<String>,
) -> crate::decide::flow::Recommendation {
    crate::decide::flow::recommend(&crate::decide::flow::Situation {
        session,
        forced,
        paste: paste_place,
        listener_works,
        port,
        port_free: true,
        port_actions: Vec::new(),
        port_holder: None,
        google,
        device_refuses,
        login: crate::decide::flow::LoginBase::configured(),
    })
}

/// The scopes of a login the device flow refuses: Google's short list; no
/// other provider's rules are known (its device endpoint says).
pub fn device_refuses(provider: &Provider, scopes: &[String]) -> Vec<String> {
    if provider.is_google() {
        crate::decide::google::device_refuses(scopes)
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else {
        Vec::new()
    }
}

fn normalize(mut scopes: Vec<String>) -> Vec<String> {
    scopes.sort();
    scopes.dedup();
    scopes
}

/// The provider: Google's preset, or discovered (through the checked
/// cache; a fetch is cached for a day).
pub(super) fn provider(
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
