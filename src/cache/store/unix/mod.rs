//! The cache on Unix: the `Store` (open, list, read, write, remove) and the
//! prepared login file; directory and file checks are in `dirs`, locks in `lock`.
//!
//! Nothing is read before the whole path to it is
//! checked: the cache directory, then each subdirectory (`tokens/`,
//! `discovery/`), must be a real directory owned by the caller that no one
//! else can write to, opened relative to its parent's descriptor without
//! following a link; a file is read only when it is a regular file of the
//! caller's, with one name (a hard link to another file is never read nor
//! changed), no one else can write to it, and it fits the cap.
//!
//! A directory others could write to is refused with the command that
//! fixes it, never repaired and then trusted: what is inside may have been
//! planted. Commands that only read (`token` on a cache hit, `accounts`)
//! change nothing on disk; they say what they would fix.
use super::super::Entry;
use super::{
    Area, CacheError, Listing, MAX_FILE_BYTES, Problem, RESERVE_BYTES, Stored, is_entry_name,
    lock_name, parse,
};
use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};
use rustix::io::Errno;
use std::cell::RefCell;
use std::io::{Seek, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

mod dirs;
mod lock;

use dirs::{check_dir, not_foreign, open_sub, read_checked, sweep, temp_in};
pub use lock::Lock;

#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    tokens_path: PathBuf,
    /// `None`: the cache exists but has no `tokens/` yet (opened to read).
    tokens: Option<OwnedFd>,
    /// `discovery/`, checked as `tokens/` is; `None` when it does not exist.
    discovery: Option<OwnedFd>,
    /// `pending/`, likewise.
    pending: Option<OwnedFd>,
    /// What was repaired, or would need fixing, for the command to say on
    /// stderr (one line each).
    notes: RefCell<Vec<String>>,
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(Errno) -> CacheError + 'a {
    move |e| CacheError::Io {
        action,
        path: path.display().to_string(),
        source: e.into(),
    }
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn me() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// `'path'` as a POSIX shell reads it back, for the fixes gauth prints.
fn quoted(path: &Path) -> String {
    crate::text::shell::quote(&path.display().to_string())
}

/// A login file made ready before the tokens exist: a temporary file in
/// `tokens/` with room set aside. Made before anyone consents (a login)
/// and before a refresh token is spent, so that a cache that cannot be
/// written fails first and no grant is thrown away. Removed when dropped
/// unless committed.
#[derive(Debug)]
pub struct Prepared<'s> {
    store: &'s Store,
    tmp: String,
    file: Option<std::fs::File>,
}

impl Drop for Prepared<'_> {
    fn drop(&mut self) {
        if self.file.take().is_some()
            && let Some(tokens) = &self.store.tokens
        {
            let _ = rfs::unlinkat(tokens, self.tmp.as_str(), AtFlags::empty());
        }
    }
}

impl Prepared<'_> {
    /// Write `entry` into the prepared file and rename it over the login's
    /// file (under its lock), then sync the directory.
    pub fn commit(mut self, lock: &Lock, entry: &Entry) -> Result<Stored, CacheError> {
        let store = self.store;
        let path = store.path_of(&lock.name);
        let tmp_path = store.path_of(&self.tmp);
        let tokens = store.tokens()?;
        let mut json = serde_json::to_vec_pretty(entry).map_err(|e| CacheError::Io {
            action: "encode",
            path: path.display().to_string(),
            source: e.into(),
        })?;
        json.push(b'\n');
        let Some(mut file) = self.file.take() else {
            return Err(CacheError::Io {
                action: "write",
                path: tmp_path.display().to_string(),
                source: std::io::Error::other("already used"),
            });
        };
        let written = (|| {
            file.rewind()?;
            file.write_all(&json)?;
            file.set_len(json.len() as u64)?;
            file.sync_all()?;
            drop(file);
            rfs::renameat(tokens, self.tmp.as_str(), tokens, lock.name.as_str())?;
            Ok::<_, std::io::Error>(())
        })();
        if let Err(source) = written {
            let _ = rfs::unlinkat(tokens, self.tmp.as_str(), AtFlags::empty());
            return Err(CacheError::Io {
                action: "write",
                path: tmp_path.display().to_string(),
                source,
            });
        }
        rfs::fsync(tokens).map_err(io_err("sync", &store.tokens_path))?;
        Ok(Stored {
            name: lock.name.clone(),
            path,
            entry: entry.clone(),
        })
    }
}

impl Store {
    /// Open the cache the environment names to write to it (`gauth
    /// login`), making it and its parents (0700, as the XDG spec says)
    /// where they do not exist.
    pub fn open(env: &crate::system::env::Env) -> Result<Store, CacheError> {
        Store::open_at(&super::cache_dir(env).ok_or(CacheError::NoDir)?)
    }

    /// [`Store::open`] at `root`.
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
        Store::opened(root, true)?.ok_or(CacheError::NoDir)
    }

    /// Open the cache the environment names to read it: `Ok(None)` when
    /// there is none yet. Nothing is made or changed.
    pub fn existing(env: &crate::system::env::Env) -> Result<Option<Store>, CacheError> {
        Store::existing_at(&super::cache_dir(env).ok_or(CacheError::NoDir)?)
    }

    /// [`Store::existing`] at `root`.
    pub fn existing_at(root: &Path) -> Result<Option<Store>, CacheError> {
        Store::opened(root, false)
    }

    fn opened(root: &Path, create: bool) -> Result<Option<Store>, CacheError> {
        let mut notes = Vec::new();
        // The path to the cache is the user's (GAUTH_CACHE, ~/.cache may be
        // links they made); from the cache directory down, nothing is
        // followed.
        let root_fd = match rfs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT) if !create => return Ok(None),
            Err(e) => return Err(io_err("open the cache directory", root)(e)),
        };
        // Before anything is checked, let alone repaired: a directory that
        // holds more than gauth's own areas is not a cache (GAUTH_CACHE=/ or
        // $HOME by mistake) and is never chmod'ed nor filled.
        not_foreign(&root_fd, root)?;
        check_dir(&root_fd, root, true, create, &mut notes)?;
        let tokens = open_sub(&root_fd, root, Area::Tokens.dir_name(), create, &mut notes)?;
        let discovery = open_sub(
            &root_fd,
            root,
            Area::Discovery.dir_name(),
            create,
            &mut notes,
        )?;
        let pending = open_sub(&root_fd, root, Area::Pending.dir_name(), create, &mut notes)?;
        Ok(Some(Store {
            root: root.to_owned(),
            tokens_path: root.join(Area::Tokens.dir_name()),
            tokens,
            discovery,
            pending,
            notes: RefCell::new(notes),
        }))
    }

    fn tokens(&self) -> Result<&OwnedFd, CacheError> {
        self.tokens.as_ref().ok_or_else(|| CacheError::Io {
            action: "open",
            path: self.tokens_path.display().to_string(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
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

    /// What was repaired, or should be fixed, since the last call (one
    /// line each, escaped).
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }

    /// Every login, sorted by issuer, client and account; unreadable files
    /// are skipped and listed as problems.
    pub fn list(&self) -> Result<Listing, CacheError> {
        let Some(tokens) = &self.tokens else {
            return Ok(Listing::default());
        };
        let dir = rfs::Dir::read_from(tokens).map_err(io_err("list", &self.tokens_path))?;
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
    /// Only a trusted file (see the module doc) is read, and what it says
    /// is checked ([`parse`]); anything else is a [`Problem`].
    pub fn read(&self, name: &str) -> Result<Option<Entry>, Problem> {
        let path = self.path_of(name);
        let problem = |what: String| Problem {
            path: path.display().to_string(),
            what,
        };
        let Some(tokens) = &self.tokens else {
            return Ok(None);
        };
        match read_checked(tokens, &path, name, MAX_FILE_BYTES, &self.notes).map_err(problem)? {
            None => Ok(None),
            Some(bytes) => parse(&bytes).map(Some).map_err(problem),
        }
    }

    fn area(&self, area: Area) -> Option<&OwnedFd> {
        match area {
            Area::Tokens => self.tokens.as_ref(),
            Area::Discovery => self.discovery.as_ref(),
            Area::Pending => self.pending.as_ref(),
        }
    }

    /// Note a line for the command to say on stderr (a cache file that was
    /// not used, …).
    pub fn note(&self, line: String) {
        self.notes.borrow_mut().push(line);
    }

    /// A file of another area (`discovery/`), checked as a login file is:
    /// `Ok(None)` when the area or the file does not exist.
    pub fn read_file(&self, area: Area, name: &str, cap: u64) -> Result<Option<Vec<u8>>, Problem> {
        let path = self.root.join(area.dir_name()).join(name);
        let Some(dir) = self.area(area) else {
            return Ok(None);
        };
        read_checked(dir, &path, name, cap, &self.notes).map_err(|what| Problem {
            path: path.display().to_string(),
            what,
        })
    }

    /// Write a file of another area atomically (0600, temporary file,
    /// rename over the name, never through it).
    pub fn write_file(&self, area: Area, name: &str, bytes: &[u8]) -> Result<(), CacheError> {
        let dir_path = self.root.join(area.dir_name());
        let Some(dir) = self.area(area) else {
            return Err(CacheError::Io {
                action: "open",
                path: dir_path.display().to_string(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        };
        sweep(dir);
        let (tmp, mut file) = temp_in(dir, &dir_path, name)?;
        let written = (|| {
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            rfs::renameat(dir, tmp.as_str(), dir, name)?;
            rfs::fsync(dir)?;
            Ok::<_, std::io::Error>(())
        })();
        written.map_err(|source| {
            let _ = rfs::unlinkat(dir, tmp.as_str(), AtFlags::empty());
            CacheError::Io {
                action: "write",
                path: dir_path.join(name).display().to_string(),
                source,
            }
        })
    }

    /// The names of the files in an area (not the temporary ones).
    pub fn list_files(&self, area: Area) -> Result<Vec<String>, CacheError> {
        let dir_path = self.root.join(area.dir_name());
        let Some(dir) = self.area(area) else {
            return Ok(Vec::new());
        };
        let listing = rfs::Dir::read_from(dir).map_err(io_err("list", &dir_path))?;
        let mut names = Vec::new();
        for item in listing {
            let item = item.map_err(io_err("list", &dir_path))?;
            if let Ok(name) = item.file_name().to_str()
                && is_entry_name(name)
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Take a file out of an area and read it, so that no other gauth can
    /// take it too (a pending login is used once): it is renamed to a
    /// name of this process's, read (checked as every cache file is), and
    /// deleted. `Ok(None)`: no such file (never there, or already taken).
    pub fn take_file(&self, area: Area, name: &str, cap: u64) -> Result<Option<Vec<u8>>, Problem> {
        let dir_path = self.root.join(area.dir_name());
        let problem = |what: String| Problem {
            path: dir_path.join(name).display().to_string(),
            what,
        };
        let Some(dir) = self.area(area) else {
            return Ok(None);
        };
        let taken = format!(".{name}.taken.{}", std::process::id());
        match rfs::renameat(dir, name, dir, taken.as_str()) {
            Ok(()) => {}
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => {
                return Err(problem(format!(
                    "cannot take it ({})",
                    std::io::Error::from(e)
                )));
            }
        }
        let read = read_checked(dir, &dir_path.join(&taken), &taken, cap, &self.notes);
        let _ = rfs::unlinkat(dir, taken.as_str(), AtFlags::empty());
        let _ = rfs::fsync(dir);
        read.map_err(problem)
    }

    /// Delete a file of an area (its name, never what it points to).
    pub fn remove_file(&self, area: Area, name: &str) -> Result<(), CacheError> {
        let dir_path = self.root.join(area.dir_name());
        let Some(dir) = self.area(area) else {
            return Ok(());
        };
        match rfs::unlinkat(dir, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io_err("delete", &dir_path.join(name))(e)),
        }
    }

    /// Make a login file ready to be written (see [`Prepared`]).
    pub fn prepare(&self) -> Result<Prepared<'_>, CacheError> {
        let tokens = self.tokens()?;
        sweep(tokens);
        let (tmp, mut file) = temp_in(tokens, &self.tokens_path, "login")?;
        let reserved = (|| {
            // Blocks written and synced now are there when the tokens come
            // (a copy-on-write file system may still need more; none is
            // assumed here).
            file.write_all(&[0u8; RESERVE_BYTES])?;
            file.sync_data()
        })();
        if let Err(source) = reserved {
            let _ = rfs::unlinkat(tokens, tmp.as_str(), AtFlags::empty());
            return Err(CacheError::Io {
                action: "write to",
                path: self.tokens_path.display().to_string(),
                source,
            });
        }
        Ok(Prepared {
            store: self,
            tmp,
            file: Some(file),
        })
    }

    /// [`Store::remove`] with the lock already held (a logout that read the
    /// login again under it).
    pub fn remove_locked(&self, lock: Lock) -> Result<(), CacheError> {
        let tokens = self.tokens()?;
        let name = lock.name.clone();
        match rfs::unlinkat(tokens, name.as_str(), AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => return Err(io_err("delete", &self.path_of(&name))(e)),
        }
        let _ = rfs::unlinkat(tokens, lock_name(&name).as_str(), AtFlags::empty());
        drop(lock);
        rfs::fsync(tokens).map_err(io_err("sync", &self.tokens_path))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::dirs::temp_owner;
    use super::*;
    use crate::auth::secret::Secret;
    use crate::cache::Failure;
    use crate::cache::Query;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Instant;

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

    fn chmod(p: &Path, m: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn save_list_find_remove() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        let store = Store::open_at(&root).unwrap();
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("tokens")), 0o700);
        assert_eq!(mode(&root.join("discovery")), 0o700);
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
        let left: Vec<String> = names(&root.join("tokens"))
            .into_iter()
            .filter(|n| !n.ends_with(".lock"))
            .collect();
        assert_eq!(left.len(), 1, "no temporary files left: {left:?}");
    }

    #[test]
    fn a_prepared_file_is_removed_unless_committed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        let store = Store::open_at(&root).unwrap();
        let p = store.prepare().unwrap();
        assert_eq!(names(&root.join("tokens")).len(), 1);
        drop(p);
        assert!(names(&root.join("tokens")).is_empty());
        let p = store.prepare().unwrap();
        let e = entry("a@x");
        let lock = store.lock(&e.file_name(), Instant::now()).unwrap();
        p.commit(&lock, &e).unwrap();
        drop(lock);
        assert_eq!(store.list().unwrap().entries.len(), 1);
        let left = names(&root.join("tokens"));
        assert!(left.iter().all(|n| !n.ends_with(".tmp")), "{left:?}");
    }

    #[test]
    fn readable_dirs_are_closed_by_a_writer_and_only_said_by_a_reader() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        std::fs::create_dir_all(root.join("tokens")).unwrap();
        chmod(&root, 0o755);
        chmod(&root.join("tokens"), 0o750);
        let store = Store::existing_at(&root).unwrap().unwrap();
        assert_eq!((mode(&root), mode(&root.join("tokens"))), (0o755, 0o750));
        let notes = store.take_notes();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[1].contains("mode 750") && notes[1].contains("`chmod 700 "));
        assert!(!root.join("discovery").exists(), "a reader makes nothing");
        let store = Store::open_at(&root).unwrap();
        assert_eq!((mode(&root), mode(&root.join("tokens"))), (0o700, 0o700));
        let notes = store.take_notes();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[1].contains("mode 750") && notes[1].contains("made it 700"));
    }

    /// Issue #11 item 1: a directory others could write to may hold
    /// anything; it is refused with the command that fixes it, never
    /// repaired and then trusted.
    #[test]
    fn dirs_others_can_write_to_are_refused_not_repaired() {
        for (dir, perm) in [("", 0o777), ("tokens", 0o770), ("discovery", 0o703)] {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path().join("c");
            Store::open_at(&root).unwrap();
            let d = root.join(dir);
            chmod(&d, perm);
            for err in [
                Store::open_at(&root).unwrap_err(),
                Store::existing_at(&root).unwrap_err(),
            ] {
                let msg = err.to_string();
                assert!(matches!(err, CacheError::Unsafe { .. }), "{msg}");
                assert!(msg.contains("other users can write to it"), "{msg}");
                assert!(msg.contains("`mv "), "{msg}");
                assert!(!msg.contains('\n'));
            }
            assert_eq!(mode(&d), perm, "{dir}: not repaired");
        }
    }

    #[test]
    fn symlinked_areas_are_refused() {
        for area in ["tokens", "discovery"] {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path().join("c");
            let evil = tmp.path().join("evil");
            std::fs::create_dir_all(&root).unwrap();
            std::fs::create_dir_all(&evil).unwrap();
            chmod(&root, 0o700);
            chmod(&evil, 0o700);
            std::os::unix::fs::symlink(&evil, root.join(area)).unwrap();
            let err = Store::open_at(&root).unwrap_err();
            assert!(matches!(err, CacheError::Unsafe { .. }), "{err}");
            let err = Store::existing_at(&root).unwrap_err();
            assert!(err.to_string().contains("symbolic link"), "{err}");
        }
    }

    #[test]
    fn hostile_files_are_problems_and_nothing_is_changed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        let store = Store::open_at(&root).unwrap();
        let t = root.join("tokens");
        std::fs::write(t.join("a.json"), b"{\"issuer\": ").unwrap();
        std::fs::write(t.join("b.json"), vec![b' '; (MAX_FILE_BYTES + 1) as usize]).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", t.join("c.json")).unwrap();
        crate::system::fsutil::make_fifo(&t.join("d.json"));
        std::fs::write(t.join("e.json"), b"{\"secret\": \"ya29.leak\"}").unwrap();
        std::fs::write(t.join(".x.json.1.tmp"), b"garbage").unwrap();
        // A hard link to a file elsewhere (as root: /etc/shadow).
        let outside = tmp.path().join("outside");
        std::fs::write(&outside, serde_json::to_vec(&entry("z@x")).unwrap()).unwrap();
        chmod(&outside, 0o644);
        std::fs::hard_link(&outside, t.join("f.json")).unwrap();
        let writable = t.join("g.json");
        std::fs::write(&writable, serde_json::to_vec(&entry("g@x")).unwrap()).unwrap();
        chmod(&writable, 0o666);
        let mut bad = entry("h@x");
        bad.access_token = Secret::new("ya29.\u{1b}]0;PWNED\u{7}");
        std::fs::write(t.join("h.json"), serde_json::to_vec(&bad).unwrap()).unwrap();
        let mut bad = entry("i@x");
        bad.token_endpoint = "http://evil.example/token".into();
        std::fs::write(t.join("i.json"), serde_json::to_vec(&bad).unwrap()).unwrap();
        let listing = store.list().unwrap();
        assert!(listing.entries.is_empty(), "{:?}", listing.entries);
        let lines: Vec<String> = listing.problems.iter().map(Problem::line).collect();
        assert_eq!(lines.len(), 9, "{lines:?}");
        for (line, want) in lines.iter().zip([
            "cut short",
            "too large",
            "symbolic link",
            "not a regular file",
            "not a gauth login",
            "hard link",
            "other users can write to it",
            "not a bearer token",
            "plain http",
        ]) {
            assert!(line.contains(want), "{want}: {line}");
        }
        assert!(
            lines
                .iter()
                .all(|l| !l.contains("ya29") && !l.contains("PWNED") && !l.contains('\n'))
        );
        assert_eq!(mode(&outside), 0o644, "a hard-linked file is never changed");
        assert_eq!(mode(&writable), 0o666);
        assert_eq!(listing.problem_names.len(), 9);
    }

    #[test]
    fn a_readable_file_is_used_and_said_but_not_changed() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open_at(&tmp.path().join("c")).unwrap();
        let saved = store.save(&entry("a@x")).unwrap();
        assert!(store.take_notes().is_empty());
        chmod(&saved.path, 0o644);
        assert_eq!(store.list().unwrap().entries.len(), 1);
        assert_eq!(mode(&saved.path), 0o644);
        let notes = store.take_notes();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("`chmod 600 "), "{notes:?}");
    }

    #[test]
    fn the_lock_says_why_the_last_refresh_failed_and_leaves_no_file_for_a_removed_login() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        let store = Store::open_at(&root).unwrap();
        let e = entry("a@x");
        let saved = store.save(&e).unwrap();
        let lock = store.lock(&saved.name, Instant::now()).unwrap();
        assert!(!lock.waited);
        assert_eq!(store.last_failure(&lock), None);
        let f = Failure {
            at: 5,
            cause: "timed out".into(),
            login_required: false,
        };
        store.record_failure(&lock, Some(&f));
        drop(lock);
        let lock = store.lock(&saved.name, Instant::now()).unwrap();
        assert_eq!(store.last_failure(&lock), Some(f));
        // The login is gone (a logout raced): the lock file goes too.
        std::fs::remove_file(&saved.path).unwrap();
        store.drop_lock(lock);
        assert!(names(&root.join("tokens")).is_empty());
    }

    #[test]
    fn temporary_files_of_a_gauth_that_is_gone_are_swept() {
        assert_eq!(temp_owner(".login.123.456.0.tmp"), Some(123));
        assert_eq!(temp_owner(".abc.json.77.456.2.tmp"), Some(77));
        assert_eq!(temp_owner(".p.json.taken.9"), Some(9));
        assert_eq!(temp_owner("x.json"), None);
        assert_eq!(temp_owner(".x.tmp"), None);
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("c");
        let store = Store::open_at(&root).unwrap();
        let t = root.join("tokens");
        // A pid that cannot be alive (beyond pid_max), and ours.
        std::fs::write(t.join(".login.2147483647.1.0.tmp"), b"").unwrap();
        std::fs::write(
            t.join(format!(".login.{}.1.0.tmp", std::process::id())),
            b"",
        )
        .unwrap();
        let p = store.prepare().unwrap();
        let left = names(&t);
        assert!(!left.iter().any(|n| n.contains("2147483647")), "{left:?}");
        assert_eq!(left.len(), 2, "ours and the prepared one: {left:?}");
        drop(p);
    }

    #[test]
    fn a_file_can_be_taken_once() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open_at(&tmp.path().join("c")).unwrap();
        assert_eq!(mode(&tmp.path().join("c/pending")), 0o700);
        store.write_file(Area::Pending, "p.json", b"{}").unwrap();
        assert_eq!(store.list_files(Area::Pending).unwrap(), ["p.json"]);
        assert_eq!(
            store.take_file(Area::Pending, "p.json", 10).unwrap(),
            Some(b"{}".to_vec())
        );
        assert_eq!(store.take_file(Area::Pending, "p.json", 10).unwrap(), None);
        assert!(names(&tmp.path().join("c/pending")).is_empty());
        // A planted link is taken away, never read through.
        std::os::unix::fs::symlink("/etc/passwd", tmp.path().join("c/pending/l.json")).unwrap();
        assert!(store.take_file(Area::Pending, "l.json", 1 << 20).is_err());
        assert!(names(&tmp.path().join("c/pending")).is_empty());
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
