//! The cache on Windows: `%LOCALAPPDATA%\gauth`, inside the per-user profile
//! that only its account (and administrators) can open, so there are no
//! modes to check or repair. A link (symbolic link or junction) where an
//! area or a file should be is refused, as on Unix. Files are written
//! atomically (temporary file, flush, rename over the old one) and each
//! login is written under a `LockFileEx` lock on `<hash>.lock`
//! (`std::fs::File::try_lock`).
use super::super::Entry;
use super::{
    Area, CacheError, Failure, LOCK_POLL, Listing, MAX_FILE_BYTES, Problem, RESERVE_BYTES, Stored,
    is_entry_name, lock_name, parse,
};
use crate::system::env::Env;
use std::cell::RefCell;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The exclusive lock on one login, released when dropped (closing the
/// handle releases a `LockFileEx` lock). Writing a login requires it.
#[derive(Debug)]
pub struct Lock {
    name: String,
    file: RefCell<File>,
    /// The caller had to wait for another gauth to release it.
    pub waited: bool,
}

#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    tokens_path: PathBuf,
    /// `tokens\` exists (a store opened to read may have none yet).
    has_tokens: bool,
    notes: RefCell<Vec<String>>,
}

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> CacheError + 'a {
    move |source| CacheError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// `Ok(false)`: it does not exist. A link or a file is refused.
fn check_area(path: &Path) -> Result<bool, CacheError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Ok(true),
        Ok(_) => Err(CacheError::Unsafe {
            path: path.display().to_string(),
            why: "not a directory (a link or a file)".into(),
            fix: format!(
                "move it away and log in again: `move \"{}\" \"{}.untrusted\"`",
                path.display(),
                path.display()
            ),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err("open", path)(e)),
    }
}

/// A login file made ready before the tokens exist (see the Unix store):
/// a temporary file in `tokens\` with room set aside, removed when dropped
/// unless committed.
#[derive(Debug)]
pub struct Prepared<'s> {
    store: &'s Store,
    tmp: Option<tempfile::NamedTempFile>,
}

impl Prepared<'_> {
    pub fn commit(mut self, lock: &Lock, entry: &Entry) -> Result<Stored, CacheError> {
        let path = self.store.path_of(&lock.name);
        let mut json = serde_json::to_vec_pretty(entry).map_err(|e| CacheError::Io {
            action: "encode",
            path: path.display().to_string(),
            source: e.into(),
        })?;
        json.push(b'\n');
        let Some(mut tmp) = self.tmp.take() else {
            return Err(CacheError::Io {
                action: "write",
                path: path.display().to_string(),
                source: std::io::Error::other("already used"),
            });
        };
        let tmp_path = tmp.path().to_owned();
        (|| {
            tmp.as_file_mut().rewind()?;
            tmp.write_all(&json)?;
            tmp.as_file().set_len(json.len() as u64)?;
            tmp.as_file().sync_all()
        })()
        .map_err(io_err("write", &tmp_path))?;
        tmp.persist(&path).map_err(|e| CacheError::Io {
            action: "write",
            path: path.display().to_string(),
            source: e.error,
        })?;
        Ok(Stored {
            name: lock.name.clone(),
            path,
            entry: entry.clone(),
        })
    }
}

/// What a lock file says after a failed refresh (see the Unix store).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct LockNote {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<Failure>,
}

impl Store {
    /// Open (and create) the cache the environment names, to write to it.
    pub fn open(env: &Env) -> Result<Store, CacheError> {
        Store::open_at(&super::cache_dir(env).ok_or(CacheError::NoDir)?)
    }

    pub fn open_at(root: &Path) -> Result<Store, CacheError> {
        for area in [Area::Tokens, Area::Discovery, Area::Pending] {
            let p = root.join(area.dir_name());
            if !check_area(&p)? {
                std::fs::create_dir_all(&p).map_err(io_err("create the cache directory", &p))?;
            }
            check_area(&p)?;
        }
        Ok(Store {
            root: root.to_owned(),
            tokens_path: root.join(Area::Tokens.dir_name()),
            has_tokens: true,
            notes: RefCell::new(Vec::new()),
        })
    }

    /// Open the cache to read it: `Ok(None)` when there is none; nothing
    /// is made.
    pub fn existing(env: &Env) -> Result<Option<Store>, CacheError> {
        Store::existing_at(&super::cache_dir(env).ok_or(CacheError::NoDir)?)
    }

    pub fn existing_at(root: &Path) -> Result<Option<Store>, CacheError> {
        if !check_area(root)? {
            return Ok(None);
        }
        let has_tokens = check_area(&root.join(Area::Tokens.dir_name()))?;
        check_area(&root.join(Area::Discovery.dir_name()))?;
        check_area(&root.join(Area::Pending.dir_name()))?;
        Ok(Some(Store {
            root: root.to_owned(),
            tokens_path: root.join(Area::Tokens.dir_name()),
            has_tokens,
            notes: RefCell::new(Vec::new()),
        }))
    }

    pub fn dir(&self) -> &Path {
        &self.root
    }

    pub fn path_of(&self, name: &str) -> PathBuf {
        self.tokens_path.join(name)
    }

    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }

    pub fn note(&self, line: String) {
        self.notes.borrow_mut().push(line);
    }

    pub fn list(&self) -> Result<Listing, CacheError> {
        if !self.has_tokens {
            return Ok(Listing::default());
        }
        let mut names = Vec::new();
        let dir =
            std::fs::read_dir(&self.tokens_path).map_err(io_err("list", &self.tokens_path))?;
        for item in dir {
            let item = item.map_err(io_err("list", &self.tokens_path))?;
            if let Ok(name) = item.file_name().into_string()
                && is_entry_name(&name)
            {
                names.push(name);
            }
        }
        Ok(self.listing(names))
    }

    /// Read one login: `Ok(None)` when there is no such file; a link, a
    /// directory or an oversized file is a [`Problem`].
    pub fn read(&self, name: &str) -> Result<Option<Entry>, Problem> {
        let path = self.path_of(name);
        let problem = |what: String| Problem {
            path: path.display().to_string(),
            what,
        };
        match read_file_at(&path, MAX_FILE_BYTES).map_err(problem)? {
            None => Ok(None),
            Some(bytes) => parse(&bytes).map(Some).map_err(problem),
        }
    }

    pub fn read_file(&self, area: Area, name: &str, cap: u64) -> Result<Option<Vec<u8>>, Problem> {
        let path = self.root.join(area.dir_name()).join(name);
        read_file_at(&path, cap).map_err(|what| Problem {
            path: path.display().to_string(),
            what,
        })
    }

    pub fn write_file(&self, area: Area, name: &str, bytes: &[u8]) -> Result<(), CacheError> {
        let dir = self.root.join(area.dir_name());
        if !check_area(&dir)? {
            return Err(io_err("open", &dir)(std::io::ErrorKind::NotFound.into()));
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(io_err("write", &dir))?;
        tmp.write_all(bytes)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(io_err("write", &dir))?;
        tmp.persist(dir.join(name)).map_err(|e| CacheError::Io {
            action: "write",
            path: dir.join(name).display().to_string(),
            source: e.error,
        })?;
        Ok(())
    }

    pub fn list_files(&self, area: Area) -> Result<Vec<String>, CacheError> {
        let dir = self.root.join(area.dir_name());
        if !check_area(&dir)? {
            return Ok(Vec::new());
        }
        let mut names = Vec::new();
        for item in std::fs::read_dir(&dir).map_err(io_err("list", &dir))? {
            let item = item.map_err(io_err("list", &dir))?;
            if let Ok(name) = item.file_name().into_string()
                && is_entry_name(&name)
            {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Take a file out of an area and read it, so that no other gauth can
    /// take it too (renamed to a name of this process's, read, deleted).
    pub fn take_file(&self, area: Area, name: &str, cap: u64) -> Result<Option<Vec<u8>>, Problem> {
        let dir = self.root.join(area.dir_name());
        let taken = dir.join(format!(".{name}.taken.{}", std::process::id()));
        let problem = |what: String| Problem {
            path: dir.join(name).display().to_string(),
            what,
        };
        match std::fs::rename(dir.join(name), &taken) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(problem(format!("cannot take it ({e})"))),
        }
        let read = read_file_at(&taken, cap);
        let _ = std::fs::remove_file(&taken);
        read.map_err(problem)
    }

    pub fn remove_file(&self, area: Area, name: &str) -> Result<(), CacheError> {
        let path = self.root.join(area.dir_name()).join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("delete", &path)(e)),
        }
    }

    /// Take the exclusive lock on a login, waiting until `deadline`.
    pub fn lock(&self, name: &str, deadline: Instant) -> Result<Lock, CacheError> {
        let path = self.path_of(&lock_name(name));
        let started = Instant::now();
        let mut waited = false;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err("open the lock", &path))?;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(Lock {
                        name: name.to_owned(),
                        file: RefCell::new(file),
                        waited,
                    });
                }
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    waited = true;
                    std::thread::sleep(LOCK_POLL);
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(CacheError::LockTimeout {
                        path: path.display().to_string(),
                        what: format!(
                            "another gauth holds the lock on {} and did not release it; gave up waiting after {} s",
                            crate::text::escape::esc(&path.display().to_string()),
                            started.elapsed().as_secs()
                        ),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
            }
        }
    }

    fn write_note(lock: &Lock, note: &LockNote) {
        let bytes = serde_json::to_vec(note).unwrap_or_default();
        let mut f = lock.file.borrow_mut();
        let _ = f
            .set_len(0)
            .and_then(|()| f.rewind())
            .and_then(|()| f.write_all(&bytes));
    }

    /// Windows: a locked file cannot be read by the waiters, so there is
    /// nothing to say while refreshing.
    pub fn mark_refreshing(&self, _lock: &Lock, _now: u64) {}

    pub fn record_failure(&self, lock: &Lock, failure: Option<&Failure>) {
        Store::write_note(
            lock,
            &LockNote {
                failure: failure.cloned(),
            },
        );
    }

    pub fn last_failure(&self, lock: &Lock) -> Option<Failure> {
        let mut f = lock.file.borrow_mut();
        let mut buf = Vec::new();
        f.rewind().ok()?;
        (&mut *f).take(8192).read_to_end(&mut buf).ok()?;
        serde_json::from_slice::<LockNote>(&buf).ok()?.failure
    }

    /// The login is gone: give the lock back. Its file stays (deleting it
    /// while another gauth waits on it would let a third lock a new file
    /// of the same name; the Unix store re-checks the inode instead).
    pub fn drop_lock(&self, lock: Lock) {
        drop(lock);
    }

    /// Make a login file ready to be written (see [`Prepared`]).
    pub fn prepare(&self) -> Result<Prepared<'_>, CacheError> {
        let mut tmp = tempfile::Builder::new()
            .prefix(".login.")
            .suffix(".tmp")
            .tempfile_in(&self.tokens_path)
            .map_err(io_err("write to", &self.tokens_path))?;
        tmp.write_all(&[0u8; RESERVE_BYTES])
            .and_then(|()| tmp.as_file().sync_data())
            .map_err(io_err("write to", &self.tokens_path))?;
        Ok(Prepared {
            store: self,
            tmp: Some(tmp),
        })
    }

    /// [`Store::remove`] with the lock already held (on Windows the lock
    /// file stays: see [`Store::drop_lock`]).
    pub fn remove_locked(&self, lock: Lock) -> Result<(), CacheError> {
        let name = lock.name.clone();
        let _lock = lock;
        match std::fs::remove_file(self.path_of(&name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("delete", &self.path_of(&name))(e)),
        }
    }
}

/// Read a file of the cache when it is a regular file (not a link) of at
/// most `cap` bytes. `Ok(None)`: no such file.
fn read_file_at(path: &Path, cap: u64) -> Result<Option<Vec<u8>>, String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open it ({e}; ignored)")),
    };
    if meta.is_symlink() {
        return Err("a symbolic link, not a file (ignored)".into());
    }
    if !meta.is_file() {
        return Err("not a regular file (ignored)".into());
    }
    if meta.len() > cap {
        return Err(format!("{} bytes, too large (ignored)", meta.len()));
    }
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(cap + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read it ({e}; ignored)"))?;
    if bytes.len() as u64 > cap {
        return Err("grew too large (ignored)".into());
    }
    Ok(Some(bytes))
}
