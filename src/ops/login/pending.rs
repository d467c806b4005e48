//! A login in two commands, for consoles gauth cannot read (RStudio's,
//! Jupyter's, R's `system2()`): `gauth login --no-wait` makes the
//! authorization URL and keeps what finishing it needs (the PKCE verifier,
//! the state, the client, the provider) as a pending login in the cache;
//! `gauth login --finish ANSWER` takes the address the browser landed on
//! (or the code, or gargle's pasted answer) and completes it. The laptop
//! needs only a browser: the verifier never leaves this machine.
use super::{Got, Plan, Report, Settings, Ui, provider, save};
use crate::auth::callback::Expect;
use crate::auth::http::Http;
use crate::auth::oauth::{self, Authorization, ClientCreds};
use crate::auth::paste;
use crate::auth::provider::Provider;
use crate::auth::secret::{Secret, constant_time_eq};
use crate::cache::{Area, Store};
use crate::error::Error;
use crate::system::config::Flow;
use crate::system::env::Env;
use crate::text::escape::esc;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// At most this many logins wait at once; starting another drops the
/// oldest (each lives only for its `--timeout`).
pub const MAX_PENDING: usize = 5;

/// Largest pending-login file read.
const MAX_FILE: u64 = 64 * 1024;

/// `gauth login --no-wait --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Started {
    pub schema_version: u32,
    /// Open it in a browser, on any machine.
    pub url: String,
    /// Seconds since the epoch: `--finish` after it is refused.
    pub expires_at: u64,
    /// Where the browser lands once you agree (nothing need listen there:
    /// its address is what `--finish` takes).
    pub redirect_uri: String,
    /// An older pending login dropped to make room (`None`: none).
    #[serde(skip)]
    pub dropped: Option<String>,
}

impl crate::error::Outcome for Started {}

/// What a pending login keeps: what the code exchange needs. A file of the
/// checked cache (0600 in a 0700 directory), like a login's.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    redirect_uri: String,
    provider: Provider,
    client_id: String,
    client_secret: Option<String>,
    scopes: Vec<String>,
    credentials: Option<String>,
    created_at: u64,
    expires_at: u64,
    /// When it was made, finer than `created_at` (nanoseconds since the
    /// epoch): which of several is the oldest.
    #[serde(default)]
    made_ns: u128,
}

impl Pending {
    /// The `gauth login --no-wait` that starts the same login again: its
    /// provider, client (the client JSON it came from, when it did) and
    /// scopes. `None` when its secret came from elsewhere (a flag, the
    /// environment, the config file): gauth prints no secret.
    fn again(&self) -> Option<String> {
        use crate::text::shell::quote;
        let mut cmd = format!("gauth login --issuer {}", quote(&self.provider.issuer));
        match (&self.credentials, &self.client_secret) {
            (Some(file), _) => cmd.push_str(&format!(" --credentials {}", quote(file))),
            (None, None) => cmd.push_str(&format!(" --client-id {}", quote(&self.client_id))),
            (None, Some(_)) => return None,
        }
        for s in &self.scopes {
            cmd.push_str(&format!(" --scope {}", quote(s)));
        }
        cmd.push_str(" --no-wait");
        Some(cmd)
    }
}

/// The file of the pending login whose state is `state`: a hash of it, so
/// that the answer (which carries the state) finds its login at once.
fn file_name(state: &str) -> String {
    let hash = sha2::Sha256::digest(state.as_bytes());
    let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.json")
}

fn read(bytes: &[u8]) -> Option<Pending> {
    serde_json::from_slice(bytes).ok()
}

/// Start a login and keep it: the URL to open. The cache is checked and
/// found writable first, as for any login: the answer must have somewhere
/// to go.
pub fn start(env: &Env, opts: &Settings, now_unix: u64) -> Result<Started, Error> {
    let store = Store::open(env)
        .map_err(|e| Error::Runtime(anyhow::anyhow!("the token cache cannot be used: {e}")))?;
    drop(store.prepare().map_err(|e| {
        Error::Runtime(anyhow::anyhow!(
            "the token cache cannot be written ({e}); nothing was started"
        ))
    })?);
    let provider = provider(&opts.wanted, &store, now_unix, opts.timeout)?;
    keep(
        &store,
        provider,
        &opts.wanted,
        opts.port,
        opts.timeout,
        now_unix,
    )
}

/// Make the authorization URL for `wanted` at `provider` and keep the
/// pending login in `store`.
pub(super) fn keep(
    store: &Store,
    provider: Provider,
    wanted: &super::Wanted,
    port: Option<u16>,
    timeout: std::time::Duration,
    now_unix: u64,
) -> Result<Started, Error> {
    let redirect = match wanted.client.fixed_redirect() {
        Some((url, _)) => url.to_string(),
        // Nothing listens: the browser shows an error page whose address
        // holds the code. PKCE makes a stray listener there harmless (it
        // has no verifier).
        None => format!("http://127.0.0.1:{}/", port.unwrap_or(1410)),
    };
    let auth = oauth::authorize(&provider, &wanted.client.creds, &redirect, &wanted.scopes)
        .map_err(Error::Runtime)?;
    let expires_at = now_unix.saturating_add(timeout.as_secs());
    // Room is made and the login written under one lock, so that logins
    // started at the same moment keep the cap and each drop is said by the
    // login that made it.
    let lock = store
        .lock(
            "pending",
            std::time::Instant::now() + std::time::Duration::from_secs(10),
        )
        .map_err(|e| Error::Runtime(anyhow::anyhow!("cannot keep the pending login: {e}")))?;
    let dropped = make_room(store, now_unix);
    let pending = Pending {
        state: auth.state.expose().to_owned(),
        verifier: auth.verifier.expose().to_owned(),
        redirect_uri: auth.redirect_uri.clone(),
        provider,
        client_id: wanted.client.creds.id.clone(),
        client_secret: wanted
            .client
            .creds
            .secret
            .as_ref()
            .map(|s| s.expose().to_owned()),
        scopes: wanted.scopes.clone(),
        credentials: wanted.credentials.clone(),
        created_at: now_unix,
        expires_at,
        made_ns: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    };
    let bytes = serde_json::to_vec(&pending)
        .map_err(|e| Error::Runtime(anyhow::anyhow!("cannot keep the pending login: {e}")))?;
    let name = file_name(&pending.state);
    store
        .write_file(Area::Pending, &name, &bytes)
        .map_err(|e| Error::Runtime(anyhow::anyhow!("cannot keep the pending login: {e}")))?;
    drop(lock);
    Ok(Started {
        schema_version: crate::ops::SCHEMA_VERSION,
        url: auth.url,
        expires_at,
        redirect_uri: auth.redirect_uri,
        dropped,
    })
}

/// Drop the pending logins that expired, and the oldest when
/// [`MAX_PENDING`] are waiting; what was dropped for room, said.
fn make_room(store: &Store, now_unix: u64) -> Option<String> {
    let mut live: Vec<(u64, u128, String)> = Vec::new();
    for name in store.list_files(Area::Pending).unwrap_or_default() {
        match store.read_file(Area::Pending, &name, MAX_FILE) {
            Ok(Some(bytes)) => match read(&bytes) {
                Some(p) if p.expires_at > now_unix => live.push((p.created_at, p.made_ns, name)),
                _ => {
                    let _ = store.remove_file(Area::Pending, &name);
                }
            },
            // A file that is not a pending login of ours: gone.
            Err(_) => {
                let _ = store.remove_file(Area::Pending, &name);
            }
            Ok(None) => {}
        }
    }
    live.sort();
    let mut dropped = None;
    while live.len() >= MAX_PENDING {
        let (created, _, name) = live.remove(0);
        let _ = store.remove_file(Area::Pending, &name);
        dropped = Some(format!(
            "{MAX_PENDING} logins were already waiting: the oldest (started {} s before this one) can no longer be finished",
            now_unix.saturating_sub(created)
        ));
    }
    dropped
}

/// The answer `--finish` was given: itself, or one line of stdin for `-`
/// (which keeps a code out of the process list).
pub fn answer(given: &str, stdin: &mut dyn std::io::BufRead) -> Result<String, Error> {
    if given != "-" {
        return Ok(given.to_owned());
    }
    match paste::read_paste_line(stdin) {
        Ok(Some(Ok(line))) => Ok(line),
        Ok(Some(Err(why))) => Err(Error::Usage(format!("--finish -: {why}"))),
        Ok(None) => Err(Error::Usage(
            "--finish -: nothing on stdin (paste the address the browser landed on)".into(),
        )),
        Err(e) => Err(Error::Runtime(anyhow::anyhow!("cannot read stdin: {e}"))),
    }
}

fn no_login_waiting() -> Error {
    Error::Usage(
        "no login is waiting for this answer: it was finished already, it expired, or it was started by another user or on another machine; start one with `gauth login --no-wait`"
            .into(),
    )
}

/// Finish the pending login `answer` belongs to: found by the state the
/// answer carries (a bare code: the only login waiting), taken out of the
/// cache so that it is used once, checked, then the code exchanged.
pub fn finish(
    env: &Env,
    answer: &str,
    timeout: std::time::Duration,
    ui: &mut dyn Ui,
    now_unix: u64,
) -> Result<Report, Error> {
    let pasted = paste::parse(answer).map_err(|e| Error::Usage(format!("--finish: {e}")))?;
    let store = Store::existing(env)
        .map_err(|e| Error::Runtime(anyhow::anyhow!("the token cache cannot be used: {e}")))?
        .ok_or_else(no_login_waiting)?;
    let name = match &pasted.response.state {
        Some(state) => file_name(state),
        None => only_waiting(&store, now_unix)?,
    };
    // Read, not taken: an answer that fails a check needing no provider
    // (no state, no `iss`, cut short) leaves the login waiting for the right
    // one. Only an answer about to be used takes it.
    let bytes = store
        .read_file(Area::Pending, &name, MAX_FILE)
        .map_err(|p| Error::Runtime(anyhow::anyhow!(p.line())))?
        .ok_or_else(no_login_waiting)?;
    let pending = read(&bytes).ok_or_else(no_login_waiting)?;
    if pasted
        .response
        .state
        .as_deref()
        .is_some_and(|s| !constant_time_eq(s, &pending.state))
    {
        return Err(no_login_waiting());
    }
    // Used once: of two `--finish` with this login, one takes the file and
    // goes on; the other finds it gone. Taken as it was read (not a login
    // started again under the same name in between).
    let take = || -> Result<(), Error> {
        let taken = store
            .take_file(Area::Pending, &name, MAX_FILE)
            .map_err(|p| Error::Runtime(anyhow::anyhow!(p.line())))?
            .ok_or_else(no_login_waiting)?;
        if taken == bytes {
            Ok(())
        } else {
            Err(no_login_waiting())
        }
    };
    if pending.expires_at <= now_unix {
        let _ = take();
        let again = pending.again().map_or_else(
            || "the same `gauth login … --no-wait` you ran before".to_owned(),
            |c| format!("`{c}`"),
        );
        return Err(Error::Usage(format!(
            "this login expired {} s ago (it waited --timeout); start a new one with {again}",
            now_unix - pending.expires_at
        )));
    }
    let expect = Expect {
        state: &pending.state,
        issuer: &pending.provider.issuer,
        iss_required: pending.provider.iss_supported,
    };
    let code = match pasted.accept(&expect) {
        Ok(code) => code,
        // The provider's own answer to this login (consent refused): over.
        Err(paste::PasteError::Rejected(crate::auth::callback::Rejected::Provider(p))) => {
            take()?;
            return Err(Error::Runtime(anyhow::anyhow!(
                "the provider refused the login: {}",
                esc(&p.to_string())
            )));
        }
        Err(e) => {
            return Err(Error::Usage(format!(
                "--finish: {e} (the login is still waiting: paste the whole address the browser landed on)"
            )));
        }
    };
    take()?;
    // The answer's tokens need a place, as for any login.
    let store = Store::open(env)
        .map_err(|e| Error::Runtime(anyhow::anyhow!("the token cache cannot be used: {e}")))?;
    let prepared = store.prepare().map_err(|e| {
        Error::Runtime(anyhow::anyhow!(
            "the token cache cannot be written ({e}); the code was not used: fix that and start again"
        ))
    })?;
    let creds = ClientCreds {
        id: pending.client_id.clone(),
        secret: pending.client_secret.clone().map(Secret::new),
    };
    let auth = Authorization {
        url: String::new(),
        state: Secret::new(pending.state.clone()),
        verifier: Secret::new(pending.verifier.clone()),
        redirect_uri: pending.redirect_uri.clone(),
    };
    let http = Http::new();
    let deadline = crate::auth::http::deadline_in(timeout);
    let tokens = oauth::exchange_code(&http, &pending.provider, &creds, &code, &auth, deadline)
        .map_err(Error::Runtime)?;
    let account = oauth::account(&http, &pending.provider, &tokens, deadline);
    let plan = Plan {
        client: crate::auth::client::ClientConfig {
            creds,
            kind: crate::auth::client::Kind::Native,
            redirect_uris: Vec::new(),
            source: "the pending login".into(),
        },
        provider: pending.provider,
        scopes: pending.scopes,
        credentials: pending.credentials,
    };
    save(
        &store,
        prepared,
        &plan,
        Got {
            flow: Flow::Paste,
            tokens,
            account,
        },
        now_unix,
        Vec::new(),
        ui,
    )
}

/// A bare code carries no state: it belongs to the only login waiting.
fn only_waiting(store: &Store, now_unix: u64) -> Result<String, Error> {
    let mut live = Vec::new();
    for name in store.list_files(Area::Pending).unwrap_or_default() {
        if let Ok(Some(bytes)) = store.read_file(Area::Pending, &name, MAX_FILE)
            && read(&bytes).is_some_and(|p| p.expires_at > now_unix)
        {
            live.push(name);
        }
    }
    match live.len() {
        0 => Err(no_login_waiting()),
        1 => Ok(live.remove(0)),
        n => Err(Error::Usage(format!(
            "{n} logins are waiting, and a bare code does not say which it belongs to: paste the whole address the browser landed on"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_names_its_file() {
        assert_eq!(file_name("abc"), file_name("abc"));
        assert_ne!(file_name("abc"), file_name("abd"));
        assert!(file_name("x").ends_with(".json") && file_name("x").len() == 37);
    }
}
