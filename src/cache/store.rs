//! The cache on disk, shared by both platforms: where it lives, what can go
//! wrong, how a file is read into a login, and the listing.
//!
//! The Unix store (`store/unix/`) checks the whole cache before anything
//! is read from it: the directory and every subdirectory must be the
//! caller's and closed to other users' writes, everything inside is reached
//! relative to an open directory descriptor without following links, and a
//! file is trusted only when it is a regular file of the caller's with one
//! name. On Windows (`store/windows.rs`) the cache lives in the per-user,
//! private `%LOCALAPPDATA%`, has no modes, and locks with `LockFileEx`.
use super::Entry;
use super::Query;
use crate::system::env::Env;
use crate::text::escape::esc;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::{Lock, Prepared, Store};
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{Lock, Prepared, Store};

/// A cache file larger than this is not read (a login is a few KiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Space set aside for a login before anyone consents or a refresh token
/// is spent (a login with the longest tokens gauth accepts is under half
/// of it), so that a full disk fails the preparation, not the save.
pub const RESERVE_BYTES: usize = 64 * 1024;

/// How long a gauth waits for another that holds a login's lock (it is
/// refreshing) when the caller gives no deadline of its own.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);
const LOCK_POLL: Duration = Duration::from_millis(5);

/// The subdirectories of the cache, each checked like the cache itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// One file per login.
    Tokens,
    /// Discovery documents, one per issuer.
    Discovery,
    /// Logins started with `gauth login --no-wait`, waiting for
    /// `--finish`: each holds a PKCE verifier and a state.
    Pending,
}

impl Area {
    pub fn dir_name(self) -> &'static str {
        match self {
            Area::Tokens => "tokens",
            Area::Discovery => "discovery",
            Area::Pending => "pending",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[cfg_attr(
        unix,
        error(
            "no place for the token cache: set GAUTH_CACHE (an absolute path), XDG_CACHE_HOME or HOME"
        )
    )]
    #[cfg_attr(
        not(unix),
        error("no place for the token cache: set GAUTH_CACHE (an absolute path) or LOCALAPPDATA")
    )]
    NoDir,
    #[error("cannot {action} {}: {source}", esc(path))]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The cache (or a part of it) cannot be trusted; `fix` is a command
    /// or step that makes it usable.
    #[error("refusing the token cache at {}: {why}; {fix}", esc(path))]
    Unsafe {
        path: String,
        why: String,
        fix: String,
    },
    /// Another gauth holds the lock (it is refreshing this login) and did
    /// not finish in time.
    #[error("{what}")]
    LockTimeout { path: String, what: String },
}

/// A cache file that could not be used: skipped, and reported in one line.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub path: String,
    pub what: String,
}

impl Problem {
    /// One line for a terminal, the path escaped.
    pub fn line(&self) -> String {
        format!("{}: {}", esc(&self.path), self.what)
    }
}

/// A login as found on disk.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The file name in `tokens/`.
    pub name: String,
    pub path: PathBuf,
    pub entry: Entry,
}

/// Every login in the cache, and the files that could not be read.
#[derive(Debug, Default)]
pub struct Listing {
    pub entries: Vec<Stored>,
    pub problems: Vec<Problem>,
    /// The file names of the problems (what `logout --all` removes).
    pub problem_names: Vec<String>,
}

/// What both platforms' stores share: writing, saving and removing a login
/// under its lock, reading the listed files, and finding.
impl Store {
    /// Write a login under its lock, atomically: a reader sees the old file
    /// or the new one, never a part.
    pub fn write(&self, lock: &Lock, entry: &Entry) -> Result<Stored, CacheError> {
        self.prepare()?.commit(lock, entry)
    }

    /// Save a login (what tests and `gauth login` without a preparation
    /// call): under its lock, replacing the file of the same issuer,
    /// client, account and scopes.
    pub fn save(&self, entry: &Entry) -> Result<Stored, CacheError> {
        let lock = self.lock(&entry.file_name(), std::time::Instant::now() + LOCK_WAIT)?;
        self.write(&lock, entry)
    }

    /// Delete a login (under its lock). The name is removed, never what it
    /// points to: a link, a FIFO or an unreadable file goes as well as a
    /// login.
    pub fn remove(&self, name: &str) -> Result<(), CacheError> {
        let lock = self.lock(name, std::time::Instant::now() + LOCK_WAIT)?;
        self.remove_locked(lock)
    }

    /// Read the login files `names` (from the platform's directory listing),
    /// sorted by issuer, client and account; unreadable ones are problems.
    fn listing(&self, mut names: Vec<String>) -> Listing {
        // In name order, so the problems come out the same every time.
        names.sort();
        let mut listing = Listing::default();
        for name in names {
            match self.read(&name) {
                Ok(Some(entry)) => listing.entries.push(Stored {
                    path: self.path_of(&name),
                    name,
                    entry,
                }),
                Ok(None) => {} // removed meanwhile
                Err(p) => {
                    listing.problems.push(p);
                    listing.problem_names.push(name);
                }
            }
        }
        listing.entries.sort_by(|a, b| {
            (&a.entry.issuer, &a.entry.client_id, &a.entry.account).cmp(&(
                &b.entry.issuer,
                &b.entry.client_id,
                &b.entry.account,
            ))
        });
        listing
    }

    /// The logins `q` matches (all of them for an empty query), and the
    /// files that could not be read.
    pub fn find(&self, q: &Query) -> Result<Listing, CacheError> {
        let mut listing = self.list()?;
        listing.entries.retain(|s| s.entry.matches(q));
        Ok(listing)
    }
}

/// `GAUTH_CACHE`, else `$XDG_CACHE_HOME/gauth`, else `$HOME/.cache/gauth`;
/// absolute paths only (as the XDG spec says): a relative one would move the
/// cache with the current directory. On Windows: `GAUTH_CACHE`, else
/// `%LOCALAPPDATA%\gauth` (per user and per machine: tokens do not roam).
pub fn cache_dir(env: &Env) -> Option<PathBuf> {
    let set = |k: &str| env.var(k).filter(|v| !v.is_empty());
    if let Some(d) = set("GAUTH_CACHE") {
        return Path::new(d).is_absolute().then(|| PathBuf::from(d));
    }
    if cfg!(windows) {
        return set("LOCALAPPDATA").map(|d| PathBuf::from(d).join("gauth"));
    }
    if let Some(x) = set("XDG_CACHE_HOME").filter(|x| Path::new(x).is_absolute()) {
        return Some(PathBuf::from(x).join("gauth"));
    }
    set("HOME").map(|h| PathBuf::from(h).join(".cache/gauth"))
}

/// `<hash>.json`; temporary files start with a dot.
fn is_entry_name(name: &str) -> bool {
    name.ends_with(".json") && !name.starts_with('.') && !name.contains('/')
}

fn lock_name(name: &str) -> String {
    format!("{}.lock", name.strip_suffix(".json").unwrap_or(name))
}

/// What a lock holder leaves in the lock file when its refresh fails, so
/// that the gauths queued behind it fail at once with the same cause
/// instead of each trying (and waiting) again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Failure {
    /// Seconds since the epoch.
    pub at: u64,
    /// The one-line error (no secrets: it is an error message).
    pub cause: String,
    /// The failure asks for a new login (exit 4) rather than being a
    /// runtime error (exit 1).
    pub login_required: bool,
}

/// A cache file's bytes as a login. The message never quotes the file
/// (it holds secrets): only what is wrong and where. Everything is checked
/// before it is trusted: the endpoints a token will be sent to, and the
/// tokens themselves.
pub fn parse(bytes: &[u8]) -> Result<Entry, String> {
    let entry: Entry = serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "JSON, but not a gauth login",
            serde_json::error::Category::Eof => "cut short",
        };
        format!(
            "corrupt login file: {what} at line {}, column {} (ignored: delete it, or log in again)",
            e.line(),
            e.column()
        )
    })?;
    let missing = [
        ("issuer", entry.issuer.is_empty()),
        ("client_id", entry.client_id.is_empty()),
        ("token_endpoint", entry.token_endpoint.is_empty()),
        ("access_token", entry.access_token.is_empty()),
    ];
    if let Some((field, _)) = missing.iter().find(|(_, empty)| *empty) {
        return Err(format!(
            "corrupt login file: `{field}` is empty (ignored: delete it, or log in again)"
        ));
    }
    entry.check().map_err(|why| {
        format!("untrusted login file: {why} (ignored: delete it, or log in again)")
    })?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dir_precedence() {
        let e = |p: &[(&'static str, &'static str)]| Env::from_pairs(p.iter().copied());
        assert_eq!(cache_dir(&e(&[])), None);
        if cfg!(windows) {
            return;
        }
        assert_eq!(
            cache_dir(&e(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.cache/gauth"))
        );
        assert_eq!(
            cache_dir(&e(&[("HOME", "/h"), ("XDG_CACHE_HOME", "rel")])),
            Some(PathBuf::from("/h/.cache/gauth"))
        );
        assert_eq!(
            cache_dir(&e(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x")])),
            Some(PathBuf::from("/x/gauth"))
        );
        assert_eq!(
            cache_dir(&e(&[("XDG_CACHE_HOME", "/x"), ("GAUTH_CACHE", "/g")])),
            Some(PathBuf::from("/g"))
        );
        assert_eq!(
            cache_dir(&e(&[("HOME", "/h"), ("GAUTH_CACHE", "relcache")])),
            None,
            "a relative GAUTH_CACHE is refused, not silently replaced"
        );
    }

    #[test]
    fn file_names_ignore_scope_order() {
        let a = |account: &str, scopes: &[&str]| Entry {
            issuer: "https://id.example.test".into(),
            client_id: "cli".into(),
            client_secret: None,
            token_endpoint: "https://id.example.test/token".into(),
            revocation_endpoint: None,
            account: Some(account.into()),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            access_token: crate::auth::secret::Secret::new("at"),
            refresh_token: None,
            expires_at: None,
            created_at: 0,
            credentials: None,
        };
        assert_eq!(
            a("a@x", &["email", "openid"]).file_name(),
            a("a@x", &["openid", "email"]).file_name()
        );
        assert_ne!(
            a("a@x", &["openid"]).file_name(),
            a("b@x", &["openid"]).file_name()
        );
    }
}
