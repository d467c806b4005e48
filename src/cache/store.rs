//! The cache on disk: a private directory (0700, yours, repaired when others
//! can get in), atomic 0600 files, careful reads, and the per-login lock.
//!
//! Everything inside `tokens/` is reached relative to one open directory
//! descriptor, so a directory swapped for a symlink midway is not followed.
//! On Windows (`store/windows.rs`) the cache lives in the per-user, private
//! `%LOCALAPPDATA%`, has no modes to repair, and locks with `LockFileEx`.
use super::Entry;
use super::Query;
use crate::env::Env;
use crate::output::escape::esc;
#[cfg(unix)]
use rustix::fs::{self as rfs, AtFlags, FileType, FlockOperation, Mode, OFlags};
#[cfg(unix)]
use rustix::io::Errno;
use serde::Serialize;
#[cfg(unix)]
use std::cell::RefCell;
#[cfg(unix)]
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;
#[cfg(unix)]
use std::time::Instant;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{Lock, Store};

/// A cache file larger than this is not read (a login is about 2 KiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// How long to wait for another gauth that holds a login's lock (it is
/// refreshing: at most a request's timeouts) before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(90);
const LOCK_POLL: Duration = Duration::from_millis(5);

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
    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("refusing the token cache at {path}: {why}")]
    Unsafe { path: String, why: String },
    #[error("another gauth has held the lock on {path} for {}s; is it stopped?", LOCK_WAIT.as_secs())]
    LockTimeout { path: String },
}

#[cfg(unix)]
fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(Errno) -> CacheError + 'a {
    move |e| CacheError::Io {
        action,
        path: path.display().to_string(),
        source: e.into(),
    }
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
}

/// What both platforms' stores share: reading the listed files, and finding.
impl Store {
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
                Err(p) => listing.problems.push(p),
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

/// The exclusive lock on one login (an `flock` on `<hash>.lock`), released
/// when dropped. Writing a login requires holding its lock.
#[cfg(unix)]
#[derive(Debug)]
pub struct Lock {
    name: String,
    _fd: OwnedFd,
}

#[cfg(unix)]
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    tokens_path: PathBuf,
    tokens: OwnedFd,
    /// What was repaired on the way (a directory or file others could
    /// read), for the command to say on stderr.
    notes: RefCell<Vec<String>>,
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

#[cfg(unix)]
impl Store {
    /// Open (and create) the cache the environment names.
    pub fn open(env: &Env) -> Result<Store, CacheError> {
        Store::open_at(&cache_dir(env).ok_or(CacheError::NoDir)?)
    }

    /// Open (and create) the cache at `root`: both `root` and `root/tokens`
    /// must be directories you own; group or world access is taken away
    /// (and said, see [`Store::take_notes`]).
    pub fn open_at(root: &Path) -> Result<Store, CacheError> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .map_err(|source| CacheError::Io {
                action: "create the cache directory",
                path: root.display().to_string(),
                source,
            })?;
        let mut notes = Vec::new();
        let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let root_fd = rfs::open(root, dir_flags, Mode::empty())
            .map_err(io_err("open the cache directory", root))?;
        private(&root_fd, root, 0o700, &mut notes)?;
        let tokens_path = root.join("tokens");
        match rfs::mkdirat(&root_fd, "tokens", Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(io_err("create", &tokens_path)(e)),
        }
        let tokens = match rfs::openat(
            &root_fd,
            "tokens",
            dir_flags | OFlags::NOFOLLOW,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::LOOP | Errno::NOTDIR) => {
                return Err(CacheError::Unsafe {
                    path: tokens_path.display().to_string(),
                    why: "not a directory (a symbolic link or a file)".into(),
                });
            }
            Err(e) => return Err(io_err("open", &tokens_path)(e)),
        };
        private(&tokens, &tokens_path, 0o700, &mut notes)?;
        Ok(Store {
            root: root.to_owned(),
            tokens_path,
            tokens,
            notes: RefCell::new(notes),
        })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// Where a login with this file name lives.
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.tokens_path.join(name)
    }

    /// What was repaired since the last call (one line each, escaped).
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }

    /// Every login, sorted by issuer, client and account; unreadable files
    /// are skipped and listed as problems.
    pub fn list(&self) -> Result<Listing, CacheError> {
        let read_err = io_err("list", &self.tokens_path);
        let dir = rfs::Dir::read_from(&self.tokens).map_err(read_err)?;
        let mut names = Vec::new();
        for item in dir {
            let item = item.map_err(io_err("list", &self.tokens_path))?;
            if let Ok(name) = item.file_name().to_str()
                && is_entry_name(name)
            {
                names.push(name.to_owned());
            }
        }
        Ok(self.listing(names))
    }

    /// Read one login by file name: `Ok(None)` when there is no such file.
    /// Only a regular file you own, at most [`MAX_FILE_BYTES`], is read;
    /// anything else is a [`Problem`], never a panic.
    pub fn read(&self, name: &str) -> Result<Option<Entry>, Problem> {
        let problem = |what: String| Problem {
            path: self.path_of(name).display().to_string(),
            what,
        };
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = match rfs::openat(&self.tokens, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => {
                return Err(problem("a symbolic link, not a file (ignored)".into()));
            }
            Err(e) => {
                return Err(problem(format!(
                    "cannot open it ({}; ignored)",
                    std::io::Error::from(e)
                )));
            }
        };
        let st = rfs::fstat(&fd).map_err(|e| {
            problem(format!(
                "cannot stat it ({}; ignored)",
                std::io::Error::from(e)
            ))
        })?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(problem("not a regular file (ignored)".into()));
        }
        let me = crate::process::current_uid();
        if st.st_uid != me {
            return Err(problem(format!(
                "owned by uid {}, not you (uid {me}; ignored)",
                st.st_uid
            )));
        }
        let size = u64::try_from(st.st_size).unwrap_or(0);
        if size > MAX_FILE_BYTES {
            return Err(problem(format!(
                "{size} bytes, too large for a login (ignored)"
            )));
        }
        let perm = st.st_mode & 0o777;
        if perm & 0o077 != 0 {
            match rfs::fchmod(&fd, Mode::from_raw_mode(0o600)) {
                Ok(()) => self.notes.borrow_mut().push(format!(
                    "{}: other users could read this login (mode {perm:o}); made it 600",
                    esc(&self.path_of(name).display().to_string())
                )),
                Err(e) => {
                    return Err(problem(format!(
                        "readable by other users (mode {perm:o}) and cannot be made private ({}; ignored)",
                        std::io::Error::from(e)
                    )));
                }
            }
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
        std::fs::File::from(fd)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| problem(format!("cannot read it ({e}; ignored)")))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(problem("grew too large for a login (ignored)".into()));
        }
        parse(&bytes).map(Some).map_err(problem)
    }

    /// Take the exclusive lock on a login (blocking up to a limit). The lock
    /// file stays; `remove` deletes it, so after waiting the lock is
    /// checked to still be the file at that name, or taken again.
    pub fn lock(&self, name: &str) -> Result<Lock, CacheError> {
        let lock_name = lock_name(name);
        let path = self.path_of(&lock_name);
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            let fd = rfs::openat(
                &self.tokens,
                lock_name.as_str(),
                OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )
            .map_err(io_err("open the lock", &path))?;
            loop {
                match rfs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                    Ok(()) => break,
                    Err(Errno::WOULDBLOCK | Errno::INTR) if Instant::now() < deadline => {
                        std::thread::sleep(LOCK_POLL);
                    }
                    Err(Errno::WOULDBLOCK) => {
                        return Err(CacheError::LockTimeout {
                            path: path.display().to_string(),
                        });
                    }
                    Err(e) => return Err(io_err("lock", &path)(e)),
                }
            }
            let held = rfs::fstat(&fd).map_err(io_err("lock", &path))?;
            match rfs::statat(&self.tokens, lock_name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(now) if now.st_ino == held.st_ino && now.st_dev == held.st_dev => {
                    return Ok(Lock {
                        name: name.to_owned(),
                        _fd: fd,
                    });
                }
                // Removed (a logout) or replaced while we waited: again.
                Ok(_) | Err(Errno::NOENT) => continue,
                Err(e) => return Err(io_err("lock", &path)(e)),
            }
        }
    }

    /// Write a login under its lock: a temporary file in the same directory
    /// (0600, exclusive create), fsync, rename over the old one, fsync the
    /// directory. A reader sees the old file or the new one, never a part.
    pub fn write(&self, lock: &Lock, entry: &Entry) -> Result<Stored, CacheError> {
        let path = self.path_of(&lock.name);
        let mut json = serde_json::to_vec_pretty(entry).map_err(|e| CacheError::Io {
            action: "encode",
            path: path.display().to_string(),
            source: e.into(),
        })?;
        json.push(b'\n');
        let (tmp, fd) = self.temp_file(&lock.name)?;
        let tmp_path = self.path_of(&tmp);
        let written = (|| {
            let mut file = std::fs::File::from(fd);
            file.write_all(&json)?;
            file.sync_all()?;
            drop(file);
            rfs::renameat(&self.tokens, tmp.as_str(), &self.tokens, lock.name.as_str())?;
            Ok::<_, std::io::Error>(())
        })();
        if let Err(source) = written {
            let _ = rfs::unlinkat(&self.tokens, tmp.as_str(), AtFlags::empty());
            return Err(CacheError::Io {
                action: "write",
                path: tmp_path.display().to_string(),
                source,
            });
        }
        rfs::fsync(&self.tokens).map_err(io_err("sync", &self.tokens_path))?;
        Ok(Stored {
            name: lock.name.clone(),
            path,
            entry: entry.clone(),
        })
    }

    fn temp_file(&self, name: &str) -> Result<(String, OwnedFd), CacheError> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for attempt in 0u32.. {
            let tmp = format!(".{name}.{}.{stamp}.{attempt}.tmp", std::process::id());
            match rfs::openat(
                &self.tokens,
                tmp.as_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            ) {
                Ok(fd) => {
                    // The umask can only take bits away; make sure of 0600.
                    rfs::fchmod(&fd, Mode::from_raw_mode(0o600))
                        .map_err(io_err("write", &self.path_of(&tmp)))?;
                    return Ok((tmp, fd));
                }
                Err(Errno::EXIST) if attempt < 100 => continue,
                Err(e) => return Err(io_err("write", &self.path_of(&tmp))(e)),
            }
        }
        Err(CacheError::Unsafe {
            path: self.tokens_path.display().to_string(),
            why: "cannot create a temporary file".into(),
        })
    }

    /// Save a login (what `gauth login` calls): under its lock, replacing
    /// the file of the same issuer, client, account and scopes.
    pub fn save(&self, entry: &Entry) -> Result<Stored, CacheError> {
        let lock = self.lock(&entry.file_name())?;
        self.write(&lock, entry)
    }

    /// Delete a login and its lock file (under the lock).
    pub fn remove(&self, name: &str) -> Result<(), CacheError> {
        let _lock = self.lock(name)?;
        match rfs::unlinkat(&self.tokens, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => return Err(io_err("delete", &self.path_of(name))(e)),
        }
        let _ = rfs::unlinkat(&self.tokens, lock_name(name).as_str(), AtFlags::empty());
        rfs::fsync(&self.tokens).map_err(io_err("sync", &self.tokens_path))?;
        Ok(())
    }
}

/// `<hash>.json`; temporary files start with a dot.
fn is_entry_name(name: &str) -> bool {
    name.ends_with(".json") && !name.starts_with('.') && !name.contains('/')
}

fn lock_name(name: &str) -> String {
    format!("{}.lock", name.strip_suffix(".json").unwrap_or(name))
}

/// Make a directory private: yours, and no access for group or others.
#[cfg(unix)]
fn private(
    fd: &OwnedFd,
    path: &Path,
    mode: rfs::RawMode,
    notes: &mut Vec<String>,
) -> Result<(), CacheError> {
    let st = rfs::fstat(fd).map_err(io_err("inspect", path))?;
    let me = crate::process::current_uid();
    if st.st_uid != me {
        return Err(CacheError::Unsafe {
            path: path.display().to_string(),
            why: format!("owned by uid {}, not you (uid {me})", st.st_uid),
        });
    }
    let perm = st.st_mode & 0o777;
    if perm & 0o077 != 0 {
        rfs::fchmod(fd, Mode::from_raw_mode(mode)).map_err(|e| CacheError::Unsafe {
            path: path.display().to_string(),
            why: format!(
                "other users can get in (mode {perm:o}) and it cannot be made private ({})",
                std::io::Error::from(e)
            ),
        })?;
        notes.push(format!(
            "{}: other users could get into the token cache (mode {perm:o}); made it {mode:o}",
            esc(&path.display().to_string())
        ));
    }
    Ok(())
}

/// A cache file's bytes as a login. The message never quotes the file
/// (it holds secrets): only what is wrong and where.
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
    Ok(entry)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::auth::secret::Secret;
    use std::os::unix::fs::PermissionsExt;

    fn entry(account: &str) -> Entry {
        Entry {
            issuer: "https://id.example.test".into(),
            client_id: "cli".into(),
            client_secret: None,
            token_endpoint: "https://id.example.test/token".into(),
            revocation_endpoint: None,
            account: Some(account.into()),
            scopes: vec!["email".into(), "openid".into()],
            access_token: Secret::new("at-1"),
            refresh_token: Some(Secret::new("rt-1")),
            expires_at: Some(2_000_000_000),
            created_at: 1_700_000_000,
            credentials: None,
        }
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn save_list_find_remove() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        let store = Store::open_at(&root).unwrap();
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("tokens")), 0o700);
        let a = store.save(&entry("a@x")).unwrap();
        store.save(&entry("b@x")).unwrap();
        assert_eq!(mode(&a.path), 0o600);
        // The same login again replaces the file.
        let mut again = entry("a@x");
        again.access_token = Secret::new("at-2");
        assert_eq!(store.save(&again).unwrap().name, a.name);
        let all = store.list().unwrap();
        assert_eq!(all.entries.len(), 2);
        assert!(all.problems.is_empty());
        let q = Query {
            account: Some("A@X".into()),
            ..Query::default()
        };
        let found = store.find(&q).unwrap();
        assert_eq!(found.entries.len(), 1);
        assert_eq!(found.entries[0].entry.access_token.expose(), "at-2");
        store.remove(&a.name).unwrap();
        assert_eq!(store.list().unwrap().entries.len(), 1);
        let left: Vec<String> = std::fs::read_dir(root.join("tokens"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".lock"))
            .collect();
        assert_eq!(left.len(), 1, "no temporary files left: {left:?}");
    }

    #[test]
    fn open_dirs_are_repaired_and_said() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        std::fs::create_dir_all(root.join("tokens")).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(root.join("tokens"), std::fs::Permissions::from_mode(0o777))
            .unwrap();
        let store = Store::open_at(&root).unwrap();
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("tokens")), 0o700);
        let notes = store.take_notes();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[1].contains("mode 777") && notes[1].contains("made it 700"));
    }

    #[test]
    fn tokens_symlink_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        std::fs::create_dir_all(&root).unwrap();
        std::os::unix::fs::symlink(tmp.path(), root.join("tokens")).unwrap();
        let err = Store::open_at(&root).unwrap_err();
        assert!(matches!(err, CacheError::Unsafe { .. }), "{err}");
    }

    #[test]
    fn hostile_files_are_problems() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        let store = Store::open_at(&root).unwrap();
        let t = root.join("tokens");
        std::fs::write(t.join("a.json"), b"{\"issuer\": ").unwrap();
        std::fs::write(t.join("b.json"), vec![b' '; (MAX_FILE_BYTES + 1) as usize]).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", t.join("c.json")).unwrap();
        let fifo = std::ffi::CString::new(t.join("d.json").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        std::fs::write(t.join("e.json"), b"{\"secret\": \"ya29.leak\"}").unwrap();
        std::fs::write(t.join(".x.json.1.tmp"), b"garbage").unwrap();
        let listing = store.list().unwrap();
        assert!(listing.entries.is_empty());
        let lines: Vec<String> = listing.problems.iter().map(Problem::line).collect();
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert!(lines[0].contains("cut short"), "{lines:?}");
        assert!(lines[1].contains("too large"), "{lines:?}");
        assert!(lines[2].contains("symbolic link"), "{lines:?}");
        assert!(lines[3].contains("not a regular file"), "{lines:?}");
        assert!(lines[4].contains("not a gauth login"), "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| !l.contains("ya29") && !l.contains('\n'))
        );
    }

    #[test]
    fn group_readable_file_is_made_private() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open_at(&tmp.path().join("c")).unwrap();
        let saved = store.save(&entry("a@x")).unwrap();
        assert!(store.take_notes().is_empty());
        std::fs::set_permissions(&saved.path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(store.list().unwrap().entries.len(), 1);
        assert_eq!(mode(&saved.path), 0o600);
        assert_eq!(store.take_notes().len(), 1);
    }

    #[test]
    fn file_names_ignore_scope_order() {
        let a = entry("a@x");
        let mut b = entry("a@x");
        b.scopes.reverse();
        assert_eq!(a.file_name(), b.file_name());
        assert_ne!(a.file_name(), entry("b@x").file_name());
    }

    #[test]
    fn cache_dir_precedence() {
        let e = |p: &[(&'static str, &'static str)]| Env::from_pairs(p.iter().copied());
        assert_eq!(cache_dir(&e(&[])), None);
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

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            if let Err(e) = parse(&bytes) {
                proptest::prop_assert!(!e.contains('\n'));
            }
        }

        #[test]
        fn any_json_like_text_parses_without_panic(s in "\\{(\"[a-z_]{1,15}\": ?(\"[ -~]{0,8}\"|[0-9]{1,20}|null|\\[\\]|-1), ?){0,12}\\}") {
            let _ = parse(s.as_bytes());
        }
    }
}
