//! The three flows as `gauth login` runs them — loopback, paste, device —
//! and what each does when the situation differs from the decision (a taken
//! port, a provider without a device endpoint).
use super::{Plan, Settings, Ui};
use crate::auth::browser::{self, Opened};
use crate::auth::callback::Expect;
use crate::auth::device;
use crate::auth::http::Http;
use crate::auth::loopback::{self, Event, Listener, WaitError};
use crate::auth::oauth::{self, Authorization, ClientCreds, Tokens};
use crate::auth::paste::spawn_paste_reader;
use crate::auth::secret::Secret;
use crate::decide::flow::{Found, Situation, Step, Stop, decide};
use crate::decide::session::{self, Session};
use crate::error::Error;
use crate::system::config::{Flow, Forced};
use crate::system::env::Env;
use crate::text::escape::esc;
use std::io::BufRead;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// A stop the decision said, as the error of its exit code.
fn stopped(kind: Stop, message: String) -> Error {
    match kind {
        Stop::ActionNeeded => Error::ActionNeeded(message),
        Stop::LoginRequired => Error::LoginRequired(message),
    }
}

/// `--timeout`'s default (kept in step with the CLI's): a hint repeats a
/// timeout only when another was given.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

pub(super) struct Run<'a> {
    pub(super) env: &'a Env,
    pub(super) plan: &'a Plan,
    pub(super) session: &'a Session,
    pub(super) opts: &'a Settings,
    /// Where a pasted answer can be typed (`None`: nowhere).
    pub(super) paste: Option<crate::decide::flow::Paste>,
    /// What forced the flow (`--flow loopback`, `GAUTH_FLOW=loopback`, the
    /// config file), when something did.
    pub(super) forced: Option<Forced>,
    pub(super) deadline: Instant,
    pub(super) http: Http,
}

pub(super) type Note<'n> = dyn FnMut(&mut dyn Ui, String) + 'n;

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
        // Off a terminal nobody can paste into gauth (`--oob`): the way to
        // paste is the two-step login.
        let paste = if self.opts.stdin_tty {
            self.again(Some("--oob"))
        } else {
            self.again(Some("--no-wait"))
                .map(|c| format!("{c}` then `{}", crate::decide::flow::FINISH))
        };
        let hint = match (flow, self.again(None), paste) {
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
        use crate::text::shell::quote as shell_quote;
        let o = self.opts;
        if o.client_secret {
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
        // The browser's wait is no lifetime for a login someone finishes by
        // hand: a --no-wait login waits the default.
        if o.timeout != DEFAULT_TIMEOUT && flow != Some("--no-wait") {
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
        // `--no-wait` opens no browser anyway (and takes no --no-browser).
        if o.no_browser && flow != Some("--no-wait") {
            cmd.push_str(" --no-browser");
        }
        Some(cmd)
    }

    /// The situation the login decided on, as it is now: for the one
    /// decision to say what comes next about what the login found.
    fn situation(&self, flow: Flow, port: u16) -> Situation<'_> {
        Situation {
            session: self.session,
            forced: self.forced.as_ref().filter(|f| f.flow == flow),
            paste: self.paste.clone(),
            listener_works: true,
            port,
            port_free: false,
            port_actions: Vec::new(),
            port_holder: None,
            google: self.plan.provider.is_google(),
            device_refuses: super::device_refuses(&self.plan.provider, &self.plan.scopes),
            login: crate::decide::flow::LoginBase::configured(),
        }
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
            only: Vec::new(),
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
    pub(super) fn loopback(
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
                let held = crate::ops::inspect::held(self.env, port);
                let oob = self.again(Some("--oob"));
                let device_login = self.again(Some("--flow device"));
                let mut can_free = self.opts.stdin_tty && held.expendable;
                loop {
                    // What the login found goes back to the one decision.
                    let found = Found::PortTaken {
                        port,
                        by: &held.by,
                        can_free,
                        any_port: self.plan.client.any_port(),
                        device: self.plan.provider.device_authorization_endpoint.is_some(),
                        oob: oob.as_deref(),
                        device_login: device_login.as_deref(),
                    };
                    let next = decide(&self.situation(Flow::Loopback, port), Some(&found));
                    if let Some((kind, message)) = next.stop {
                        return Err(stopped(kind, message));
                    }
                    match (next.flow, next.step) {
                        (Flow::Loopback, Some(Step::FreePort)) => {
                            if self.free_port(ui, port) {
                                break bind(port).map_err(|e| {
                                    Error::Runtime(anyhow::anyhow!(
                                        "port {port} is still taken: {e}"
                                    ))
                                })?;
                            }
                            can_free = false;
                        }
                        (Flow::Loopback, _) => {
                            let l = bind(0).map_err(|e| Error::Runtime(e.into()))?;
                            note(
                                ui,
                                format!(
                                    "{}: using port {} instead (your browser reaches this machine directly, and the client allows any loopback port)",
                                    next.reasons.join("; "),
                                    l.port
                                ),
                            );
                            break l;
                        }
                        (Flow::Paste, _) => {
                            note(ui, next.reasons.join("; "));
                            return Ok((Flow::Paste, self.paste(ui, input)?));
                        }
                        (Flow::Device, _) => {
                            note(ui, next.reasons.join("; "));
                            return self.device(ui, note, input);
                        }
                    }
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
    pub(super) fn paste(
        &mut self,
        ui: &mut dyn Ui,
        input: Box<dyn BufRead + Send>,
    ) -> Result<Tokens, Error> {
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
    pub(super) fn device(
        &mut self,
        ui: &mut dyn Ui,
        note: &mut Note<'_>,
        input: Box<dyn BufRead + Send>,
    ) -> Result<(Flow, Tokens), Error> {
        let p = &self.plan.provider;
        if p.device_authorization_endpoint.is_none() {
            let oob = self.again(Some("--oob"));
            let found = Found::NoDevice {
                issuer: &p.issuer,
                oob: oob.as_deref(),
            };
            let next = decide(&self.situation(Flow::Device, 0), Some(&found));
            if let Some((kind, message)) = next.stop {
                return Err(stopped(kind, message));
            }
            note(ui, next.reasons.join("; "));
            return Ok((Flow::Paste, self.paste(ui, input)?));
        }
        // Google's device flow refuses most scopes: said before any request.
        let refused = super::device_refuses(p, &self.plan.scopes);
        if !refused.is_empty() {
            return Err(Error::Usage(format!(
                "Google's device flow refuses {}: it takes only openid, email, profile, drive.file, drive.appdata and YouTube's scopes; use the loopback or paste flow instead (`gauth login --oob`, or `gauth login --no-wait` then `gauth login --finish …`)",
                refused
                    .iter()
                    .map(|s| esc(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let start = device::device_start(
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
        let tokens = device::device_poll(
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
