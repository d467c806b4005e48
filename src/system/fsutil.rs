//! Files gauth reads and writes for itself. Reads: regular files only, with
//! a size cap, never blocking — a FIFO or a symlink to `/dev/zero` is named,
//! not read. Writes: private (0600 in 0700) and atomic (temp file, fsync,
//! rename, fsync the directory). Every file gauth reads for a decision
//! (config, `.Rprofile`, client JSON, cache) goes through here.
#[cfg(unix)]
use rustix::fs::{FileType, Mode, OFlags};
use std::io::{Read, Write};
use std::path::Path;

/// Enough for any configuration or profile a person writes.
pub const CAP: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no such file")]
    NotFound,
    #[error("not a regular file (a {0})")]
    NotRegular(&'static str),
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    /// Someone other than the caller (or root) could have written it: what
    /// it says is not trusted. The text says why and what fixes it.
    #[error("{0}")]
    Untrusted(String),
    #[error("{0}")]
    Io(std::io::Error),
}

#[cfg(unix)]
fn kind(t: FileType) -> &'static str {
    match t {
        FileType::RegularFile => "regular file",
        FileType::Directory => "directory",
        FileType::Symlink => "symbolic link",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        _ => "special file",
    }
}

/// Read `path` if it is a regular file of at most `cap` bytes. The open
/// never blocks (`O_NONBLOCK`: a FIFO without a writer), and the type is
/// checked on the opened descriptor, so a swap after a check cannot fool it.
#[cfg(unix)]
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
    .map_err(|e| match e {
        rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR => ReadError::NotFound,
        e => ReadError::Io(e.into()),
    })?;
    let st = rustix::fs::fstat(&fd).map_err(|e| ReadError::Io(e.into()))?;
    let t = FileType::from_raw_mode(st.st_mode);
    if t != FileType::RegularFile {
        return Err(ReadError::NotRegular(kind(t)));
    }
    if u64::try_from(st.st_size).unwrap_or(u64::MAX) > cap {
        return Err(ReadError::TooLarge(cap));
    }
    // procfs files say size 0: the cap is enforced on what is read, too.
    let mut out = Vec::new();
    std::fs::File::from(fd)
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(ReadError::Io)?;
    if out.len() as u64 > cap {
        return Err(ReadError::TooLarge(cap));
    }
    Ok(out)
}

/// [`read_regular`], for a file whose content decides where secrets go (the
/// config file, a client JSON): only when no one but the caller (or root)
/// could have written it — the file owned by one of them and not writable
/// by group or others, and its directory likewise (or sticky, as `/tmp`,
/// where no one can replace another's file). Links are followed: a
/// dotfiles manager links config files, and the target is what is checked.
#[cfg(unix)]
pub fn read_trusted(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    use std::os::unix::fs::MetadataExt;
    let bytes = read_regular(path, cap)?;
    let me = rustix::process::geteuid().as_raw();
    let quoted = |p: &Path| crate::text::shell::quote(&p.display().to_string());
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    let mode = meta.mode() & 0o7777;
    if meta.uid() != me && meta.uid() != 0 {
        return Err(ReadError::Untrusted(format!(
            "owned by uid {}, not you (uid {me}): another user may have put it there; remove it (`rm {}`) if you did not",
            meta.uid(),
            quoted(path)
        )));
    }
    if mode & 0o022 != 0 {
        return Err(ReadError::Untrusted(format!(
            "other users can write to it (mode {:o}), so what it says is not trusted; `chmod go-w {}`",
            mode & 0o777,
            quoted(path)
        )));
    }
    let real = std::fs::canonicalize(path).map_err(ReadError::Io)?;
    if let Some(dir) = real.parent() {
        let d = std::fs::metadata(dir).map_err(ReadError::Io)?;
        let dmode = d.mode() & 0o7777;
        let sticky = dmode & 0o1000 != 0;
        if d.uid() != me && d.uid() != 0 {
            return Err(ReadError::Untrusted(format!(
                "its directory {} is owned by uid {}, not you (uid {me}), who could replace the file",
                crate::text::escape::esc(&dir.display().to_string()),
                d.uid()
            )));
        }
        if dmode & 0o022 != 0 && !sticky {
            return Err(ReadError::Untrusted(format!(
                "other users can write to its directory (mode {:o}) and replace the file, so what it says is not trusted; `chmod go-w {}`",
                dmode & 0o777,
                quoted(dir)
            )));
        }
    }
    Ok(bytes)
}

/// Windows: the per-user profile is private; [`read_regular`].
#[cfg(windows)]
pub fn read_trusted(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    read_regular(path, cap)
}

/// Read `path` if it is a regular file of at most `cap` bytes (Windows: the
/// type is checked on the opened handle; there are no FIFOs in its file
/// systems).
#[cfg(windows)]
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e),
    })?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::NotRegular("directory"));
    }
    if !meta.is_file() {
        return Err(ReadError::NotRegular("special file"));
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge(cap));
    }
    let mut out = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut out)
        .map_err(ReadError::Io)?;
    if out.len() as u64 > cap {
        return Err(ReadError::TooLarge(cap));
    }
    Ok(out)
}

/// Create `dir` (and its parents) with mode 0700 where it does not exist.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Write `bytes` to `path` atomically with mode 0600: a temp file in the same
/// directory, fsync, rename over `path`, fsync the directory. A reader sees
/// the old content or the new, never half of either.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no parent directory"))?;
    create_private_dir(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// A FIFO at `p` for the tests (mkfifo(3): rustix has no `mkfifoat` on
/// macOS).
#[cfg(all(test, unix))]
pub(crate) fn make_fifo(p: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"flow = \"paste\"\n\xe9").unwrap();
        assert_eq!(read_regular(&p, CAP).unwrap(), b"flow = \"paste\"\n\xe9");
        assert!(matches!(
            read_regular(&d.path().join("missing"), CAP),
            Err(ReadError::NotFound)
        ));
    }

    #[test]
    fn a_fifo_is_refused_at_once() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("fifo");
        make_fifo(&p);
        // Without O_NONBLOCK this open would hang the test forever.
        let r = read_regular(&p, CAP);
        assert!(matches!(r, Err(ReadError::NotRegular("FIFO"))), "{r:?}");
    }

    #[test]
    fn a_symlink_to_dev_zero_is_refused_and_a_big_file_is_capped() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
        let r = read_regular(&p, CAP);
        assert!(
            matches!(r, Err(ReadError::NotRegular("character device"))),
            "{r:?}"
        );
        let big = d.path().join("big");
        std::fs::write(&big, vec![b'#'; 100]).unwrap();
        assert!(matches!(
            read_regular(&big, 99),
            Err(ReadError::TooLarge(99))
        ));
        assert!(read_regular(&big, 100).is_ok());
        assert!(matches!(
            read_regular(d.path(), CAP),
            Err(ReadError::NotRegular("directory"))
        ));
    }

    #[test]
    fn private_atomic_writes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        let f = sub.join("f.json");
        write_private(&f, b"one").unwrap();
        write_private(&f, b"two").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"two");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&f), 0o600);
        assert_eq!(mode(&sub), 0o700);
        let left: Vec<_> = std::fs::read_dir(&sub).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp file left behind");
    }
}
