//! Reading files a user (or another user) controls: regular files only, with
//! a size cap, never blocking — a FIFO or a symlink to `/dev/zero` is named.
//! Every file gauth reads for a decision (config, `.Rprofile`, …) goes here.
use rustix::fs::{FileType, Mode, OFlags};
use std::io::Read;
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
    #[error("{0}")]
    Io(std::io::Error),
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

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
        rustix::fs::mkfifoat(rustix::fs::CWD, &p, Mode::from_raw_mode(0o600)).unwrap();
        let t = Instant::now();
        let r = read_regular(&p, CAP);
        assert!(matches!(r, Err(ReadError::NotRegular("FIFO"))), "{r:?}");
        assert!(t.elapsed() < Duration::from_secs(1));
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
}
