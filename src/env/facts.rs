//! Gathering the facts session detection needs: environment variables, gauth's
//! process ancestry, marker files, programs on PATH. Everything impure about
//! detection lives here; `detect` is a pure function of `Facts`.
use super::Env;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One of gauth's ancestors, nearest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ancestor {
    pub pid: i32,
    pub name: String,
    pub cmdline: String,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub vars: BTreeMap<String, String>,
    pub ancestors: Vec<Ancestor>,
    /// The browser openers (and helpers) found on PATH.
    pub on_path: BTreeSet<String>,
    /// Marker files that exist (absolute paths as named in `MARKERS`).
    pub files: BTreeSet<String>,
    /// `/proc/version` (WSL kernels say "microsoft").
    pub proc_version: String,
    /// `/proc/1/cgroup` (container runtimes leave their names there).
    pub pid1_cgroup: String,
    /// `linux`, `macos`, `windows`, …
    pub os: String,
    /// Can a person answer a prompt on stdin?
    pub stdin_tty: bool,
}

/// Programs whose presence on PATH matters.
pub const PROGRAMS: &[&str] = &[
    "xdg-open",
    "gnome-open",
    "kfmclient",
    "wslview",
    "x-www-browser",
    "sensible-browser",
    "open",
    "powershell.exe",
    "cmd.exe",
];

/// Files whose existence matters.
pub const MARKERS: &[&str] = &[
    "/.dockerenv",
    "/run/.containerenv",
    "/proc/sys/fs/binfmt_misc/WSLInterop",
];

impl Facts {
    pub fn gather(env: &Env, stdin_tty: bool) -> Self {
        let read = |p: std::path::PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        Facts {
            vars: env.vars().clone(),
            ancestors: ancestors(env),
            on_path: on_path(env.var("PATH").unwrap_or("")),
            files: MARKERS
                .iter()
                .filter(|m| env.fs_root.join(m.trim_start_matches('/')).exists())
                .map(|m| (*m).to_owned())
                .collect(),
            proc_version: read(env.proc_root.join("version")),
            pid1_cgroup: read(env.proc_root.join("1/cgroup")),
            os: std::env::consts::OS.to_owned(),
            stdin_tty,
        }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Set and not empty.
    pub fn is_set(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| !v.is_empty())
    }
}

fn on_path(path: &str) -> BTreeSet<String> {
    use std::os::unix::fs::PermissionsExt;
    PROGRAMS
        .iter()
        .filter(|prog| {
            std::env::split_paths(path).any(|dir| {
                std::fs::metadata(dir.join(prog))
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
        })
        .map(|p| (*p).to_owned())
        .collect()
}

fn ancestors(env: &Env) -> Vec<Ancestor> {
    let root = &env.proc_root;
    let mut out = Vec::new();
    // Bytes, not text: a name cut inside a character must not end the walk.
    let mut pid = match std::fs::read(root.join("self/stat"))
        .ok()
        .and_then(|s| crate::process::parse_stat(&s))
    {
        Some(st) => st.ppid,
        None => return out,
    };
    while pid > 0 && out.len() < 64 {
        let dir = root.join(pid.to_string());
        let Some(stat) = std::fs::read(dir.join("stat"))
            .ok()
            .and_then(|s| crate::process::parse_stat(&s))
        else {
            break;
        };
        let cmdline = std::fs::read(dir.join("cmdline"))
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        out.push(Ancestor {
            pid,
            name: stat.comm,
            cmdline,
        });
        if stat.ppid == pid {
            break;
        }
        pid = stat.ppid;
    }
    out
}
