//! The Unix cache's directories and files, checked before use (see the
//! parent module's doc), and its temporary files: made exclusively, swept.
use super::super::{Area, CacheError};
use super::{io_err, me, quoted};
use crate::text::escape::esc;
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::cell::RefCell;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW);
const READ_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY)
    .union(OFlags::CLOEXEC);

/// What is wrong with a directory of the cache, if anything, and what fixes
/// it. Readable by others (but not writable) is repaired when `repair`,
/// else noted; anything that lets another user put a file there is refused.
pub(super) fn check_dir(
    fd: &OwnedFd,
    path: &Path,
    is_root: bool,
    repair: bool,
    notes: &mut Vec<String>,
) -> Result<(), CacheError> {
    let st = rfs::fstat(fd).map_err(io_err("inspect", path))?;
    let unsafe_ = |why: String, fix: String| CacheError::Unsafe {
        path: path.display().to_string(),
        why,
        fix,
    };
    let me = me();
    let away = format!(
        "move it away and log in again: `mv {} {}`",
        quoted(path),
        quoted(&PathBuf::from(format!("{}.untrusted", path.display())))
    );
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        return Err(unsafe_("not a directory".into(), away));
    }
    if st.st_uid != me {
        let fix = if is_root {
            "set GAUTH_CACHE to a directory of your own".to_owned()
        } else if st.st_uid == 0 {
            // Made by a root gauth (sudo with HOME kept): root could write
            // anywhere anyway, so what it wrote is no less trusted.
            format!(
                "it was made by root (a `sudo gauth …`?): `sudo chown -R {me} {}`",
                quoted(path)
            )
        } else {
            away.clone()
        };
        return Err(unsafe_(
            format!("owned by uid {}, not you (uid {me})", st.st_uid),
            fix,
        ));
    }
    let perm = st.st_mode & 0o7777;
    if perm & 0o022 != 0 {
        return Err(unsafe_(
            format!(
                "other users can write to it (mode {:o}), so nothing in it can be trusted",
                perm & 0o777
            ),
            away,
        ));
    }
    if perm & 0o055 != 0 {
        let shown = esc(&path.display().to_string());
        if repair {
            rfs::fchmod(fd, Mode::from_raw_mode(0o700)).map_err(|e| {
                unsafe_(
                    format!(
                        "other users can read it (mode {:o}) and it cannot be made private ({})",
                        perm & 0o777,
                        std::io::Error::from(e)
                    ),
                    format!("`chmod 700 {}`", quoted(path)),
                )
            })?;
            notes.push(format!(
                "{shown}: other users could read the token cache (mode {:o}); made it 700",
                perm & 0o777
            ));
        } else {
            notes.push(format!(
                "{shown}: other users can read the token cache (mode {:o}); make it private: `chmod 700 {}`",
                perm & 0o777,
                quoted(path)
            ));
        }
    }
    Ok(())
}

/// The cache directory holds gauth's areas and nothing else.
pub(super) fn not_foreign(root_fd: &OwnedFd, root: &Path) -> Result<(), CacheError> {
    let areas = [Area::Tokens, Area::Discovery, Area::Pending].map(Area::dir_name);
    let listing = rfs::Dir::read_from(root_fd).map_err(io_err("list", root))?;
    let mut foreign = Vec::new();
    for item in listing {
        let item = item.map_err(io_err("list", root))?;
        let name = item.file_name().to_string_lossy().into_owned();
        if name != "." && name != ".." && !areas.contains(&name.as_str()) {
            foreign.push(name);
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let shown: Vec<String> = foreign.iter().take(3).map(|n| esc(n)).collect();
    Err(CacheError::Unsafe {
        path: root.display().to_string(),
        why: format!(
            "it holds other files ({}{}), so it is not a directory of gauth's own",
            shown.join(", "),
            if foreign.len() > 3 { ", …" } else { "" }
        ),
        fix: "set GAUTH_CACHE to a directory for gauth alone (by default ~/.cache/gauth)".into(),
    })
}

/// Open the subdirectory `name` of `parent` without following a link, and
/// check it; `create` makes it first. `Ok(None)`: it does not exist.
pub(super) fn open_sub(
    parent: &OwnedFd,
    parent_path: &Path,
    name: &str,
    create: bool,
    notes: &mut Vec<String>,
) -> Result<Option<OwnedFd>, CacheError> {
    let path = parent_path.join(name);
    if create {
        match rfs::mkdirat(parent, name, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(io_err("create", &path)(e)),
        }
    }
    let fd = match rfs::openat(parent, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) if !create => return Ok(None),
        Err(Errno::LOOP | Errno::NOTDIR) => {
            return Err(CacheError::Unsafe {
                path: path.display().to_string(),
                why: "not a directory (a symbolic link or a file)".into(),
                fix: format!(
                    "move it away and log in again: `mv {} {}`",
                    quoted(&path),
                    quoted(&PathBuf::from(format!("{}.untrusted", path.display())))
                ),
            });
        }
        Err(e) => return Err(io_err("open", &path)(e)),
    };
    check_dir(&fd, &path, false, create, notes)?;
    Ok(Some(fd))
}

/// Read `name` in the directory `dir` when it can be trusted (see the
/// module doc). `Ok(None)`: no such file.
pub(super) fn read_checked(
    dir: &OwnedFd,
    path: &Path,
    name: &str,
    cap: u64,
    notes: &RefCell<Vec<String>>,
) -> Result<Option<Vec<u8>>, String> {
    let fd = match rfs::openat(dir, name, READ_FLAGS, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::LOOP) => return Err("a symbolic link, not a file (ignored)".into()),
        Err(e) => {
            return Err(format!(
                "cannot open it ({}; ignored)",
                std::io::Error::from(e)
            ));
        }
    };
    let st = rfs::fstat(&fd)
        .map_err(|e| format!("cannot stat it ({}; ignored)", std::io::Error::from(e)))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err("not a regular file (ignored)".into());
    }
    let me = me();
    if st.st_uid != me {
        return Err(format!(
            "owned by uid {}, not you (uid {me}; ignored)",
            st.st_uid
        ));
    }
    if st.st_nlink > 1 {
        return Err(format!(
            "has {} names (a hard link to another file; ignored, and never changed)",
            st.st_nlink
        ));
    }
    let perm = st.st_mode & 0o777;
    if perm & 0o022 != 0 {
        return Err(format!(
            "other users can write to it (mode {perm:o}; ignored)"
        ));
    }
    if perm & 0o044 != 0 {
        notes.borrow_mut().push(format!(
            "{}: other users can read this file (mode {perm:o}); make it private: `chmod 600 {}`",
            esc(&path.display().to_string()),
            quoted(path)
        ));
    }
    let size = u64::try_from(st.st_size).unwrap_or(u64::MAX);
    if size > cap {
        return Err(format!("{size} bytes, too large (ignored)"));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
    std::fs::File::from(fd)
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it ({e}; ignored)"))?;
    if bytes.len() as u64 > cap {
        return Err("grew too large (ignored)".into());
    }
    Ok(Some(bytes))
}

/// The pid of the gauth that made a temporary file of ours in an area
/// (`.NAME.PID.STAMP.N.tmp`, `.NAME.taken.PID`), if `name` is one.
pub(super) fn temp_owner(name: &str) -> Option<i32> {
    if !name.starts_with('.') {
        return None;
    }
    if let Some((_, pid)) = name.rsplit_once(".taken.") {
        return pid.parse().ok();
    }
    let parts: Vec<&str> = name.strip_suffix(".tmp")?.rsplitn(4, '.').collect();
    match parts.as_slice() {
        [_attempt, _stamp, pid, _name] => pid.parse().ok(),
        _ => None,
    }
}

/// Delete the temporary files in `dir` whose gauth is gone: one killed
/// (Ctrl-C, `timeout`, SIGKILL) while it held a prepared login or a pending
/// login it was taking. A live process with that pid keeps its files.
pub(super) fn sweep(dir: &OwnedFd) {
    let Ok(listing) = rfs::Dir::read_from(dir) else {
        return;
    };
    for item in listing.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        let Some(pid) = temp_owner(&name) else {
            continue;
        };
        let gone = rustix::process::Pid::from_raw(pid)
            .is_none_or(|p| matches!(rustix::process::test_kill_process(p), Err(Errno::SRCH)));
        if gone {
            let _ = rfs::unlinkat(dir, name.as_str(), AtFlags::empty());
        }
    }
}

/// Create a temporary file in `dir` (0600, exclusive, never through a link)
/// for `name`: `(temporary name, file)`.
pub(super) fn temp_in(
    dir: &OwnedFd,
    dir_path: &Path,
    name: &str,
) -> Result<(String, std::fs::File), CacheError> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for attempt in 0u32..100 {
        let tmp = format!(".{name}.{}.{stamp}.{attempt}.tmp", std::process::id());
        match rfs::openat(
            dir,
            tmp.as_str(),
            OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        ) {
            Ok(fd) => {
                // The umask can only take bits away; make sure of 0600.
                rfs::fchmod(&fd, Mode::from_raw_mode(0o600))
                    .map_err(io_err("write", &dir_path.join(&tmp)))?;
                return Ok((tmp, std::fs::File::from(fd)));
            }
            Err(Errno::EXIST) => continue,
            Err(e) => return Err(io_err("write", &dir_path.join(&tmp))(e)),
        }
    }
    Err(CacheError::Io {
        action: "create a temporary file in",
        path: dir_path.display().to_string(),
        source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
    })
}
