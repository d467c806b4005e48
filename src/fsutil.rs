//! Files gauth reads and writes for itself: read as regular files only, with
//! a size cap (a FIFO would hang a plain `read`, `/dev/zero` never ends), and
//! written privately and atomically (temp file, fsync, rename, fsync dir).
use std::io::{Read, Write};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open it: {0}")]
    Open(std::io::Error),
    #[error("it is not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("it is larger than {0} bytes")]
    TooLarge(u64),
    #[error("cannot read it: {0}")]
    Read(std::io::Error),
}

impl ReadError {
    pub fn not_found(&self) -> bool {
        matches!(self, ReadError::Open(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Read `path` when it is a regular file of at most `cap` bytes. Opened
/// with `O_NONBLOCK` (a FIFO does not block the open) and checked with
/// `fstat` on the opened descriptor (no race with a swapped path).
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = opts.open(path).map_err(ReadError::Open)?;
    let meta = file.metadata().map_err(ReadError::Open)?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(ReadError::NotRegular(kind_name(&ft)));
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge(cap));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    // A file that grows while being read is still cut at the cap.
    file.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(ReadError::Read)?;
    if buf.len() as u64 > cap {
        return Err(ReadError::TooLarge(cap));
    }
    Ok(buf)
}

fn kind_name(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"hello").unwrap();
        assert_eq!(read_regular(&f, 5).unwrap(), b"hello");
        assert!(matches!(read_regular(&f, 4), Err(ReadError::TooLarge(4))));
        assert!(matches!(
            read_regular(dir.path(), 10),
            Err(ReadError::NotRegular("a directory"))
        ));
        assert!(
            read_regular(&dir.path().join("nope"), 10)
                .unwrap_err()
                .not_found()
        );
        // A FIFO with no writer: a plain open would block forever.
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        assert!(matches!(
            read_regular(&fifo, 10),
            Err(ReadError::NotRegular("a FIFO"))
        ));
        // /dev/zero never ends.
        assert!(matches!(
            read_regular(Path::new("/dev/zero"), 10),
            Err(ReadError::NotRegular("a character device"))
        ));
        let link = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(read_regular(&link, 10).is_err());
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
