//! A login's lock on Unix (an `flock` on `<hash>.lock` in `tokens/`) and
//! its note: who refreshes since when, or how the last refresh failed.
use super::super::{CacheError, Failure, LOCK_POLL, lock_name};
use super::{Store, io_err, me, now_unix, quoted};
use crate::text::escape::esc;
use rustix::fs::{self as rfs, AtFlags, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;
use std::os::fd::OwnedFd;
use std::time::Instant;

/// The exclusive lock on one login (an `flock` on `<hash>.lock`), released
/// when dropped. Writing a login requires holding its lock.
#[derive(Debug)]
pub struct Lock {
    pub(super) name: String,
    pub(super) fd: OwnedFd,
    /// The caller had to wait for another gauth to release it.
    pub waited: bool,
}

/// What a lock file says: who holds it and since when (while refreshing),
/// or how the last refresh failed.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct LockNote {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<Failure>,
}

fn read_note(fd: &OwnedFd) -> LockNote {
    let mut buf = vec![0u8; 8192];
    let n = rustix::io::pread(fd, &mut buf, 0).unwrap_or(0);
    serde_json::from_slice(&buf[..n]).unwrap_or_default()
}

fn write_note(fd: &OwnedFd, note: &LockNote) {
    // Best effort: the note only speeds up the gauths queued behind.
    let bytes = serde_json::to_vec(note).unwrap_or_default();
    if rfs::ftruncate(fd, 0).is_ok() {
        let _ = rustix::io::pwrite(fd, &bytes, 0);
    }
}

impl Store {
    /// Take the exclusive lock on a login, waiting for another gauth that
    /// holds it until `deadline`. The lock file stays; `remove` deletes it,
    /// so after waiting the lock is checked to still be the file at that
    /// name, or taken again.
    pub fn lock(&self, name: &str, deadline: Instant) -> Result<Lock, CacheError> {
        let tokens = self.tokens()?;
        let lock_name = lock_name(name);
        let path = self.path_of(&lock_name);
        let started = Instant::now();
        let mut waited = false;
        loop {
            let fd = rfs::openat(
                tokens,
                lock_name.as_str(),
                OFlags::RDWR
                    | OFlags::CREATE
                    | OFlags::NOFOLLOW
                    | OFlags::NONBLOCK
                    | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )
            .map_err(io_err("open the lock", &path))?;
            // The lock file is written to (a note for the waiters): only a
            // regular file of ours with one name.
            let st = rfs::fstat(&fd).map_err(io_err("lock", &path))?;
            if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile
                || st.st_uid != me()
                || st.st_nlink > 1
            {
                return Err(CacheError::Unsafe {
                    path: path.display().to_string(),
                    why: "the lock is not a regular file of yours with one name".into(),
                    fix: format!("remove it: `rm {}`", quoted(&path)),
                });
            }
            loop {
                match rfs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                    Ok(()) => break,
                    Err(Errno::WOULDBLOCK | Errno::INTR) if Instant::now() < deadline => {
                        waited = true;
                        std::thread::sleep(LOCK_POLL);
                    }
                    Err(Errno::WOULDBLOCK) => {
                        let note = read_note(&fd);
                        let waited_s = started.elapsed().as_secs();
                        let failed = note.failure.filter(|f| f.at + 5 >= now_unix());
                        let what = match (failed, note.pid, note.since) {
                            (Some(f), _, _) => format!(
                                "another gauth refreshing this login just failed: {}",
                                esc(&f.cause)
                            ),
                            (None, Some(pid), Some(since)) => format!(
                                "another gauth (pid {pid}) has been refreshing this login for {} s and has not finished; gave up waiting after {waited_s} s",
                                now_unix().saturating_sub(since)
                            ),
                            _ => format!(
                                "another gauth holds the lock on {} and did not release it; gave up waiting after {waited_s} s",
                                esc(&path.display().to_string())
                            ),
                        };
                        return Err(CacheError::LockTimeout {
                            path: path.display().to_string(),
                            what,
                        });
                    }
                    Err(e) => return Err(io_err("lock", &path)(e)),
                }
            }
            let held = rfs::fstat(&fd).map_err(io_err("lock", &path))?;
            match rfs::statat(tokens, lock_name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(now) if now.st_ino == held.st_ino && now.st_dev == held.st_dev => {
                    return Ok(Lock {
                        name: name.to_owned(),
                        fd,
                        waited,
                    });
                }
                // Removed (a logout) or replaced while we waited: again.
                Ok(_) | Err(Errno::NOENT) => continue,
                Err(e) => return Err(io_err("lock", &path)(e)),
            }
        }
    }

    /// Say in the lock file that this gauth is refreshing (for the waiters'
    /// message if it hangs).
    pub fn mark_refreshing(&self, lock: &Lock, now: u64) {
        write_note(
            &lock.fd,
            &LockNote {
                pid: Some(std::process::id()),
                since: Some(now),
                failure: None,
            },
        );
    }

    /// Leave how the refresh ended in the lock file: a failure for the
    /// waiters to fail with at once, or nothing.
    pub fn record_failure(&self, lock: &Lock, failure: Option<&Failure>) {
        write_note(
            &lock.fd,
            &LockNote {
                failure: failure.cloned(),
                ..LockNote::default()
            },
        );
    }

    /// The failure the last holder of this lock recorded, if any.
    pub fn last_failure(&self, lock: &Lock) -> Option<Failure> {
        read_note(&lock.fd).failure
    }

    /// Give the lock back and delete its file, when the login it guards is
    /// gone (a logout raced this command): no lock file is left behind.
    pub fn drop_lock(&self, lock: Lock) {
        if let Some(tokens) = &self.tokens
            && let (Ok(held), Ok(now)) = (
                rfs::fstat(&lock.fd),
                rfs::statat(
                    tokens,
                    lock_name(&lock.name).as_str(),
                    AtFlags::SYMLINK_NOFOLLOW,
                ),
            )
            && held.st_ino == now.st_ino
            && held.st_dev == now.st_dev
        {
            let _ = rfs::unlinkat(tokens, lock_name(&lock.name).as_str(), AtFlags::empty());
        }
    }
}
