//! A snapshot of the process environment taken once at start-up. This is the
//! only module allowed to read environment variables (see `clippy.toml`), so
//! every decision that depends on them can be tested with an injected map.
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Env {
    vars: BTreeMap<String, String>,
    /// Where procfs is mounted; tests point this at a fake tree.
    pub proc_root: PathBuf,
    /// The filesystem root for marker files (`/.dockerenv`, …).
    pub fs_root: PathBuf,
}

impl Env {
    /// Snapshot the real environment.
    #[allow(clippy::disallowed_methods)]
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Env {
            vars,
            proc_root: PathBuf::from("/proc"),
            fs_root: PathBuf::from("/"),
        }
    }

    /// An environment built from explicit pairs (tests, embedding).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            proc_root: PathBuf::from("/proc"),
            fs_root: PathBuf::from("/"),
        }
    }

    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Set and not empty: the convention of `NO_COLOR`, `CLICOLOR_FORCE`, …
    pub fn is_set(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| !v.is_empty())
    }
}
