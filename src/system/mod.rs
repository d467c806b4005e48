//! The machine as it is: the environment snapshot, facts gathered from it,
//! `/proc`, sockets and their owners, terminating processes, files gauth
//! reads and writes, the config file and `.Rprofile`. I/O lives here;
//! deciding what it means does not.
pub mod config;
pub mod env;
pub mod facts;
pub mod fsutil;
pub mod kill;
pub mod net;
pub mod proc;
pub mod rprofile;
pub mod serde_secret;

/// Seconds since the epoch: the one clock, read by `app` and handed down.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
