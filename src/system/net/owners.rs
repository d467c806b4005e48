//! Which processes hold given socket inodes: one pass over `/proc/*/fd`.
//!
//! No kernel interface maps a socket inode to its processes, so this walk is
//! the floor of the cost (~40 µs a process, ~3 µs an fd). It is written here
//! rather than taken from netstat2/sysinfo because those readlink every fd of
//! every process for every socket state, panic on an unreadable `/proc`, and
//! miss sockets held only by a non-leader thread (`pthread_exit`).
use super::Holding;
use rustix::fs::{AtFlags, CWD, Dir, Mode, OFlags, openat, readlinkat_raw, statat};
use rustix::io::Errno;
use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Found {
    pub holdings: Vec<Holding>,
    pub unreadable: usize,
}

/// `socket:[12345]` → 12345.
pub fn socket_inode(link: &OsStr) -> Option<u64> {
    let s = link.to_str()?;
    s.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// Find every process holding one of `inodes`, pids in ascending order.
pub fn find(proc_root: &Path, inodes: &[u64]) -> Found {
    let wanted: HashSet<u64> = inodes.iter().copied().collect();
    let Ok(proc_fd) = open_dir(CWD, proc_root) else {
        return Found::default();
    };
    let me = std::process::id().to_string();
    let pids: Vec<(i32, String)> = match std::fs::read_dir(proc_root) {
        Ok(dir) => dir
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                // Our own fds are never the holders we look for.
                (name != me).then_some(())?;
                Some((name.parse().ok()?, name))
            })
            .collect(),
        Err(_) => return Found::default(),
    };
    // The walk is syscall-bound: split it over the cores, but only when
    // there is enough of it to pay for the threads.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    let chunk = pids.len().div_ceil(threads).max(PIDS_PER_THREAD);
    let parts: Vec<Found> = if pids.len() <= chunk {
        vec![scan_pids(proc_fd.as_fd(), &pids, &wanted)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = pids
                .chunks(chunk)
                .map(|pids| s.spawn(|| scan_pids(proc_fd.as_fd(), pids, &wanted)))
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        })
    };
    let mut found = Found::default();
    for part in parts {
        found.unreadable += part.unreadable;
        found.holdings.extend(part.holdings);
    }
    found.holdings.sort_by_key(|h| h.pid);
    found
}

/// Below this many processes a second thread costs more than it saves.
const PIDS_PER_THREAD: usize = 400;

fn open_dir<P: rustix::path::Arg>(at: BorrowedFd<'_>, path: P) -> rustix::io::Result<OwnedFd> {
    openat(
        at,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Since Linux 6.2, stat(2) on `/proc/PID/fd` reports the number of open
/// fds as its size: one cheap call tells an empty fd table (kernel threads,
/// most of an idle machine's processes) without opening and listing it.
/// Older kernels report 0 for every process, so check on ourselves first.
fn fd_count_in_size(proc_fd: BorrowedFd<'_>) -> bool {
    statat(proc_fd, "self/fd", AtFlags::empty()).is_ok_and(|st| st.st_size > 0)
}

fn scan_pids(proc_fd: BorrowedFd<'_>, pids: &[(i32, String)], wanted: &HashSet<u64>) -> Found {
    let mut found = Found::default();
    let sized = fd_count_in_size(proc_fd);
    for (pid, name) in pids {
        let pid = *pid;
        let fd_dir = format!("{name}/fd");
        let scan = if sized
            && statat(proc_fd, fd_dir.as_str(), AtFlags::empty()).is_ok_and(|st| st.st_size == 0)
        {
            FdScan::Entries(0, Vec::new())
        } else {
            scan_fd_dir(proc_fd, &fd_dir, wanted)
        };
        match scan {
            FdScan::Unreadable => found.unreadable += 1,
            FdScan::Gone => {}
            FdScan::Entries(0, _) => {
                // An empty fd table is normal for kernel threads, but it is
                // also what a zombie leader whose other threads still run
                // (pthread_exit) shows: its sockets are under task/*/fd.
                if several_threads(proc_fd, name) && is_zombie(proc_fd, name) {
                    let inodes = scan_tasks(proc_fd, name, wanted);
                    if !inodes.is_empty() {
                        found.holdings.push(Holding {
                            pid,
                            inodes,
                            via_task: true,
                        });
                    }
                }
            }
            FdScan::Entries(_, inodes) => {
                if !inodes.is_empty() {
                    found.holdings.push(Holding {
                        pid,
                        inodes,
                        via_task: false,
                    });
                }
            }
        }
    }
    found
}

enum FdScan {
    Gone,
    Unreadable,
    /// (number of fds, matching inodes)
    Entries(usize, Vec<u64>),
}

/// Read one fd directory with openat/getdents/readlinkat relative to the
/// directory: no path walk through /proc for each of the (many) fds.
fn scan_fd_dir(proc_fd: BorrowedFd<'_>, rel: &str, wanted: &HashSet<u64>) -> FdScan {
    let fd = match open_dir(proc_fd, rel) {
        Ok(fd) => fd,
        Err(e) if e == Errno::ACCESS || e == Errno::PERM => return FdScan::Unreadable,
        // ENOENT: exited meanwhile. Anything else (EINVAL on odd mounts): skip.
        Err(_) => return FdScan::Gone,
    };
    let Ok(mut dir) = Dir::new(fd) else {
        return FdScan::Gone;
    };
    let mut count = 0;
    let mut denied = 0;
    let mut hits = Vec::new();
    let mut link = [0u8; 64];
    while let Some(Ok(entry)) = dir.read() {
        let name = entry.file_name();
        if name.to_bytes().first() == Some(&b'.') {
            continue;
        }
        count += 1;
        let Ok(dirfd) = dir.fd() else { break };
        match readlinkat_raw(dirfd, name, &mut link[..]) {
            Ok(len) => {
                let target = OsStr::from_bytes(&link[..len.min(link.len())]);
                if let Some(inode) = socket_inode(target).filter(|i| wanted.contains(i)) {
                    hits.push(inode);
                }
            }
            Err(e) if e == Errno::ACCESS || e == Errno::PERM => {
                denied += 1;
                // Listing allowed but links refused (PID 1 in some
                // sandboxes): the rest will be refused too.
                break;
            }
            Err(_) => {}
        }
    }
    if denied > 0 && hits.is_empty() {
        return FdScan::Unreadable;
    }
    hits.sort_unstable();
    hits.dedup();
    FdScan::Entries(count, hits)
}

/// `/proc/PID/task` has 2 + threads links: one stat tells a multi-threaded
/// process from the many single-threaded kernel threads.
fn several_threads(proc_fd: BorrowedFd<'_>, pid: &str) -> bool {
    statat(proc_fd, format!("{pid}/task"), AtFlags::empty()).is_ok_and(|st| st.st_nlink > 3)
}

fn is_zombie(proc_fd: BorrowedFd<'_>, pid: &str) -> bool {
    let Ok(fd) = openat(
        proc_fd,
        format!("{pid}/stat"),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return false;
    };
    let mut buf = [0u8; 512];
    let Ok(n) = rustix::io::read(&fd, &mut buf[..]) else {
        return false;
    };
    crate::system::proc::parse_stat(&buf[..n]).is_some_and(|st| st.state == 'Z')
}

fn scan_tasks(proc_fd: BorrowedFd<'_>, pid: &str, wanted: &HashSet<u64>) -> Vec<u64> {
    let mut inodes = Vec::new();
    let Ok(fd) = open_dir(proc_fd, format!("{pid}/task")) else {
        return inodes;
    };
    let Ok(mut tasks) = Dir::new(fd) else {
        return inodes;
    };
    while let Some(Ok(task)) = tasks.read() {
        let Ok(tid) = task.file_name().to_str() else {
            continue;
        };
        if tid.starts_with('.') {
            continue;
        }
        if let FdScan::Entries(_, found) =
            scan_fd_dir(proc_fd, &format!("{pid}/task/{tid}/fd"), wanted)
        {
            inodes.extend(found);
        }
    }
    inodes.sort_unstable();
    inodes.dedup();
    inodes
}

/// Does `pid` (still) hold any of `inodes`? Used right before signalling.
pub fn holds(proc_root: &Path, pid: i32, inodes: &[u64]) -> bool {
    let wanted: HashSet<u64> = inodes.iter().copied().collect();
    let Ok(proc_fd) = open_dir(CWD, proc_root) else {
        return false;
    };
    let pid = pid.to_string();
    if let FdScan::Entries(_, found) = scan_fd_dir(proc_fd.as_fd(), &format!("{pid}/fd"), &wanted)
        && !found.is_empty()
    {
        return true;
    }
    !scan_tasks(proc_fd.as_fd(), &pid, &wanted).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A fake /proc: pid → (state, fds as link targets, per-task fds).
    fn fake_proc(procs: &[(i32, char, &[&str], &[&str])]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        for &(pid, state, fds, task_fds) in procs {
            let dir = root.path().join(pid.to_string());
            std::fs::create_dir_all(dir.join("fd")).unwrap();
            std::fs::write(
                dir.join("stat"),
                format!("{pid} (x) {state} 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0"),
            )
            .unwrap();
            for (i, t) in fds.iter().enumerate() {
                symlink(t, dir.join("fd").join(i.to_string())).unwrap();
            }
            // The leader's task directory and one more thread.
            std::fs::create_dir_all(dir.join("task").join(pid.to_string()).join("fd")).unwrap();
            let tfd = dir.join("task").join((pid + 1).to_string()).join("fd");
            std::fs::create_dir_all(&tfd).unwrap();
            for (i, t) in task_fds.iter().enumerate() {
                symlink(t, tfd.join(i.to_string())).unwrap();
            }
        }
        std::fs::create_dir_all(root.path().join("self")).unwrap();
        root
    }

    #[test]
    fn finds_every_holder_including_pthread_exit_zombies() {
        let root = fake_proc(&[
            (10, 'S', &["/dev/null", "socket:[500]", "socket:[501]"], &[]),
            (11, 'S', &["socket:[500]"], &[]), // forked child sharing the socket
            (12, 'S', &["socket:[999]", "pipe:[500]"], &[]),
            (13, 'Z', &[], &["socket:[502]"]), // leader gone, thread holds it
            (14, 'S', &[], &["socket:[502]"]), // empty fd dir but not a zombie: ignored
        ]);
        let found = find(root.path(), &[500, 501, 502]);
        let got: Vec<_> = found
            .holdings
            .iter()
            .map(|h| (h.pid, h.inodes.clone(), h.via_task))
            .collect();
        assert_eq!(
            got,
            vec![
                (10, vec![500, 501], false),
                (11, vec![500], false),
                (13, vec![502], true)
            ]
        );
        assert!(holds(root.path(), 13, &[502]));
        assert!(!holds(root.path(), 12, &[500]));
    }

    #[test]
    fn missing_proc_is_empty_not_a_panic() {
        let found = find(Path::new("/nonexistent-proc"), &[1]);
        assert!(found.holdings.is_empty());
    }

    #[test]
    fn socket_links() {
        assert_eq!(socket_inode(OsStr::new("socket:[42]")), Some(42));
        for bad in [
            "socket:[]",
            "socket:[x]",
            "pipe:[42]",
            "socket:42",
            "/dev/null",
        ] {
            assert_eq!(socket_inode(OsStr::new(bad)), None);
        }
    }

    proptest::proptest! {
        #[test]
        fn socket_inode_round_trips(n: u64, junk in "\\PC*") {
            let link = format!("socket:[{n}]");
            proptest::prop_assert_eq!(socket_inode(OsStr::new(&link)), Some(n));
            let _ = socket_inode(OsStr::new(&junk));
        }
    }
}
