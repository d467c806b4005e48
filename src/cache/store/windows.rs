//! The cache on Windows: `%LOCALAPPDATA%\gauth`, inside the per-user profile
//! that only its account (and administrators) can open, so there are no
//! modes to check or repair. Files are written atomically (temporary file,
//! flush, rename over the old one) and each login is written under a
//! `LockFileEx` lock on `<hash>.lock` (`std::fs::File::try_lock`).
use super::super::Entry;
use super::{CacheError, LOCK_POLL, LOCK_WAIT, Listing, MAX_FILE_BYTES, Problem, Stored};
use super::{is_entry_name, lock_name, parse};
use crate::env::Env;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The exclusive lock on one login, released when dropped (closing the
/// handle releases a `LockFileEx` lock). Writing a login requires it.
#[derive(Debug)]
pub struct Lock {
    name: String,
    _file: File,
}

#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    tokens_path: PathBuf,
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

impl Store {
    /// Open (and create) the cache the environment names.
    pub fn open(env: &Env) -> Result<Store, CacheError> {
        Store::open_at(&super::cache_dir(env).ok_or(CacheError::NoDir)?)
    }

    /// Open (and create) the cache at `root`; `root\tokens` must be a
    /// directory, not a link to one elsewhere.
    pub fn open_at(root: &Path) -> Result<Store, CacheError> {
        let tokens_path = root.join("tokens");
        std::fs::create_dir_all(&tokens_path)
            .map_err(io_err("create the cache directory", &tokens_path))?;
        let meta = std::fs::symlink_metadata(&tokens_path).map_err(io_err("open", &tokens_path))?;
        if !meta.is_dir() {
            return Err(CacheError::Unsafe {
                path: tokens_path.display().to_string(),
                why: "not a directory (a symbolic link or a file)".into(),
            });
        }
        Ok(Store {
            root: root.to_owned(),
            tokens_path,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.root
    }

    pub fn path_of(&self, name: &str) -> PathBuf {
        self.tokens_path.join(name)
    }

    /// Nothing is ever repaired on Windows (no modes).
    pub fn take_notes(&self) -> Vec<String> {
        Vec::new()
    }

    pub fn list(&self) -> Result<Listing, CacheError> {
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
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(problem(format!("cannot open it ({e}; ignored)"))),
        };
        if meta.is_symlink() {
            return Err(problem("a symbolic link, not a file (ignored)".into()));
        }
        if !meta.is_file() {
            return Err(problem("not a regular file (ignored)".into()));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(problem(format!(
                "{} bytes, too large for a login (ignored)",
                meta.len()
            )));
        }
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| problem(format!("cannot read it ({e}; ignored)")))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(problem("grew too large for a login (ignored)".into()));
        }
        parse(&bytes).map(Some).map_err(problem)
    }

    /// Take the exclusive lock on a login (blocking up to a limit).
    pub fn lock(&self, name: &str) -> Result<Lock, CacheError> {
        let path = self.path_of(&lock_name(name));
        let deadline = Instant::now() + LOCK_WAIT;
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
                        _file: file,
                    });
                }
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(LOCK_POLL);
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(CacheError::LockTimeout {
                        path: path.display().to_string(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
            }
        }
    }

    /// Write a login under its lock: a temporary file in the same
    /// directory, flushed, then renamed over the old one (`MoveFileEx` with
    /// replace: a reader sees the old file or the new one).
    pub fn write(&self, lock: &Lock, entry: &Entry) -> Result<Stored, CacheError> {
        let path = self.path_of(&lock.name);
        let mut json = serde_json::to_vec_pretty(entry).map_err(|e| CacheError::Io {
            action: "encode",
            path: path.display().to_string(),
            source: e.into(),
        })?;
        json.push(b'\n');
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", lock.name))
            .suffix(".tmp")
            .tempfile_in(&self.tokens_path)
            .map_err(io_err("write", &self.tokens_path))?;
        tmp.write_all(&json)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(io_err("write", tmp.path()))?;
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

    pub fn save(&self, entry: &Entry) -> Result<Stored, CacheError> {
        let lock = self.lock(&entry.file_name())?;
        self.write(&lock, entry)
    }

    /// Delete a login (under its lock). The lock file stays: deleting it
    /// while another gauth waits on it would let a third lock a new file
    /// of the same name (the Unix store re-checks the inode instead).
    pub fn remove(&self, name: &str) -> Result<(), CacheError> {
        let _lock = self.lock(name)?;
        match std::fs::remove_file(self.path_of(name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("delete", &self.path_of(name))(e)),
        }
    }
}
