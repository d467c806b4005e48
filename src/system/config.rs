//! Configuration that changes which login flow gauth chooses: `GAUTH_FLOW`,
//! `GAUTH_OOB`, and the config file `$XDG_CONFIG_HOME/gauth/config.toml`
//! (`~/.config/gauth/config.toml`), e.g. `flow = "paste"` or `oob = true`.
use crate::system::env::Env;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The three ways to complete an OAuth login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// The browser is redirected to a listener on this machine's loopback.
    Loopback,
    /// Out-of-band: paste the code (or the whole redirected URL) back.
    Paste,
    /// Device authorization: enter a short code on any device.
    Device,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Loopback => "loopback",
            Flow::Paste => "paste",
            Flow::Device => "device",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    flow: Option<String>,
    oob: Option<bool>,
    issuer: Option<String>,
    client_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::system::serde_secret::deserialize_opt_string"
    )]
    client_secret: Option<String>,
    credentials: Option<PathBuf>,
    scopes: Option<Vec<String>>,
}

impl std::fmt::Debug for Defaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Defaults")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("credentials", &self.credentials)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Defaults for `gauth login` and `gauth token`, so that `gauth login` alone
/// works: `issuer = "…"`, `client_id = "…"`, `client_secret = "…"`,
/// `credentials = "path/to/client.json"`, `scopes = ["openid", "email"]`.
#[derive(Clone, Default)]
pub struct Defaults {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub credentials: Option<PathBuf>,
    pub scopes: Option<Vec<String>>,
}

/// A setting that forces a flow, with where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Forced {
    pub flow: Flow,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub path: Option<String>,
    pub forced: Option<Forced>,
    /// Login defaults from the file (never serialized: it may hold a secret).
    #[serde(skip)]
    pub defaults: Defaults,
    /// Where `gauth login` finds its OAuth client when no flag names one:
    /// `GAUTH_CLIENT_ID`, or the file's `client_id` or `credentials`.
    pub client_source: Option<String>,
    /// Problems: a malformed file or value (one line each).
    pub problems: Vec<String>,
}

/// `$XDG_CONFIG_HOME/gauth/config.toml`, else `~/.config/gauth/config.toml`;
/// on Windows `%APPDATA%\gauth\config.toml` (the roaming profile: settings
/// follow the user).
pub fn config_path(env: &Env) -> Option<PathBuf> {
    if cfg!(windows) {
        return env
            .var("APPDATA")
            .filter(|v| !v.is_empty())
            .map(|d| PathBuf::from(d).join("gauth").join("config.toml"));
    }
    if let Some(x) = env.var("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("gauth/config.toml"));
    }
    env.var("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".config/gauth/config.toml"))
}

fn parse_flow(v: &str) -> Option<Option<Flow>> {
    match v.to_ascii_lowercase().as_str() {
        "auto" | "" => Some(None),
        "loopback" => Some(Some(Flow::Loopback)),
        "paste" | "oob" => Some(Some(Flow::Paste)),
        "device" => Some(Some(Flow::Device)),
        _ => None,
    }
}

fn truthy(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// Environment first (`GAUTH_FLOW`, then `GAUTH_OOB`), then the file.
pub fn load(env: &Env) -> Config {
    let mut problems = Vec::new();
    let mut forced = None;
    let mut defaults = Defaults::default();
    if let Some(v) = env.var("GAUTH_FLOW") {
        match parse_flow(v) {
            Some(Some(flow)) => {
                forced = Some(Forced {
                    flow,
                    source: format!("GAUTH_FLOW={v}"),
                })
            }
            Some(None) => {}
            None => problems.push(format!(
                "GAUTH_FLOW={v:?} is not one of auto, loopback, paste, device"
            )),
        }
    }
    if forced.is_none()
        && let Some(v) = env.var("GAUTH_OOB")
    {
        match truthy(v) {
            Some(true) => {
                forced = Some(Forced {
                    flow: Flow::Paste,
                    source: format!("GAUTH_OOB={v}"),
                })
            }
            Some(false) => {}
            None => problems.push(format!(
                "GAUTH_OOB={v:?} is not a yes/no value (1, true, 0, false)"
            )),
        }
    }
    let path = config_path(env);
    if let Some(p) = &path {
        // A FIFO or /dev/zero here must not hang or exhaust doctor.
        // It decides where a login's secrets go (its issuer, client and
        // credentials): read only when no one else could have written it.
        let read =
            crate::system::fsutil::read_trusted(p, crate::system::fsutil::CAP).and_then(|b| {
                String::from_utf8(b).map_err(|e| {
                    crate::system::fsutil::ReadError::Io(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
                    ))
                })
            });
        match read {
            Ok(text) => match toml::from_str::<File>(&text) {
                Ok(file) => {
                    let from_file = match (file.flow.as_deref(), file.oob) {
                        (Some(f), _) => {
                            match parse_flow(f) {
                                Some(flow) => flow.map(|flow| {
                                    (flow, format!("flow = \"{f}\" in {}", p.display()))
                                }),
                                None => {
                                    problems.push(format!("{}: flow = {f:?} is not one of auto, loopback, paste, device", p.display()));
                                    None
                                }
                            }
                        }
                        (None, Some(true)) => {
                            Some((Flow::Paste, format!("oob = true in {}", p.display())))
                        }
                        _ => None,
                    };
                    if forced.is_none() {
                        forced = from_file.map(|(flow, source)| Forced { flow, source });
                    }
                    // gauth login refuses these: doctor must not print a
                    // login that would.
                    for s in file.scopes.iter().flatten() {
                        if let Some(why) = crate::text::scope::problem(s) {
                            problems.push(format!(
                                "{}: scopes: '{}' is not a scope: {why}",
                                p.display(),
                                crate::text::escape::esc(s)
                            ));
                        }
                    }
                    defaults = Defaults {
                        issuer: file.issuer,
                        client_id: file.client_id,
                        client_secret: file.client_secret,
                        credentials: file.credentials,
                        scopes: file.scopes,
                    };
                }
                Err(e) => problems.push(format!("{}: {}", p.display(), one_line(&e.to_string()))),
            },
            Err(crate::system::fsutil::ReadError::NotFound) => {}
            Err(e @ crate::system::fsutil::ReadError::Untrusted(_)) => {
                problems.push(format!("refusing {}: {e}", p.display()))
            }
            Err(e) => problems.push(format!("cannot read {}: {e}", p.display())),
        }
    }
    // The order `gauth login` takes them in.
    let shown = path.as_ref().map(|p| p.display().to_string());
    let in_file = |key: &str| format!("{key} in {}", shown.as_deref().unwrap_or("the config file"));
    let client_source = if env.var("GAUTH_CLIENT_ID").is_some_and(|v| !v.is_empty()) {
        Some("GAUTH_CLIENT_ID".to_owned())
    } else if defaults.credentials.is_some() {
        Some(in_file("credentials"))
    } else if defaults.client_id.is_some() {
        Some(in_file("client_id"))
    } else {
        None
    };
    Config {
        path: shown,
        forced,
        defaults,
        client_source,
        problems,
    }
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| {
            // toml's report quotes the line as `1 | flow = 3` and marks it
            // with `|` and `^` lines: keep only the message.
            !l.is_empty()
                && !l.starts_with('|')
                && !l.chars().all(|c| c == '^' || c == ' ')
                && !l.split_once('|').is_some_and(|(n, _)| {
                    !n.trim().is_empty() && n.trim().bytes().all(|b| b.is_ascii_digit())
                })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn env_with(
        pairs: &[(&'static str, &'static str)],
        file: Option<&str>,
    ) -> (Env, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = file {
            std::fs::create_dir_all(dir.path().join("gauth")).unwrap();
            std::fs::write(dir.path().join("gauth/config.toml"), text).unwrap();
        }
        let xdg: &'static str = Box::leak(dir.path().display().to_string().into_boxed_str());
        let mut all = pairs.to_vec();
        all.push(("XDG_CONFIG_HOME", xdg));
        (Env::from_pairs(all), dir)
    }

    /// A scope `gauth login` would refuse is a problem of the file, which
    /// doctor names first (rather than print a login that fails).
    #[test]
    fn a_scope_login_would_refuse_is_a_problem() {
        let (env, _d) = env_with(&[], Some("scopes = [\"openid\", \"-x\", \"a b\"]\n"));
        let c = load(&env);
        assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
        assert!(
            c.problems[0].contains("'-x' is not a scope"),
            "{:?}",
            c.problems
        );
        let (env, _d) = env_with(&[], Some("scopes = [\"openid\"]\n"));
        assert!(load(&env).problems.is_empty());
    }

    #[test]
    fn environment_beats_file() {
        let (env, _d) = env_with(&[("GAUTH_FLOW", "device")], Some("flow = \"paste\"\n"));
        let c = load(&env);
        assert_eq!(c.forced.unwrap().flow, Flow::Device);
        let (env, _d) = env_with(&[("GAUTH_OOB", "1")], None);
        assert_eq!(load(&env).forced.unwrap().source, "GAUTH_OOB=1");
        let (env, _d) = env_with(&[], Some("oob = true\n"));
        assert_eq!(load(&env).forced.unwrap().flow, Flow::Paste);
        let (env, _d) = env_with(&[("GAUTH_OOB", "0")], Some("flow = \"auto\"\n"));
        assert!(load(&env).forced.is_none());
    }

    #[test]
    fn bad_values_are_one_line_problems() {
        let (env, _d) = env_with(
            &[("GAUTH_FLOW", "carrier-pigeon"), ("GAUTH_OOB", "maybe")],
            Some("flow = [1, 2\n"),
        );
        let c = load(&env);
        assert_eq!(c.problems.len(), 3, "{:?}", c.problems);
        assert!(
            c.problems.iter().all(|p| !p.contains('\n')),
            "{:?}",
            c.problems
        );
        let (env, _d) = env_with(&[], Some("colour = \"blue\"\n"));
        assert_eq!(load(&env).problems.len(), 1);
    }

    #[test]
    fn a_fifo_or_dev_zero_as_the_config_file_is_a_problem_not_a_hang() {
        let (env, dir) = env_with(&[], None);
        std::fs::create_dir_all(dir.path().join("gauth")).unwrap();
        let p = dir.path().join("gauth/config.toml");
        crate::system::fsutil::make_fifo(&p);
        let t = std::time::Instant::now();
        let c = load(&env);
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(
            c.problems,
            [format!(
                "cannot read {}: not a regular file (a FIFO)",
                p.display()
            )]
        );
        std::fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
        assert_eq!(
            load(&env).problems,
            [format!(
                "cannot read {}: not a regular file (a character device)",
                p.display()
            )]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn any_file_and_values_give_one_line_problems_never_a_panic(
            text in "\\PC{0,200}",
            flow in "(?s).{0,12}",
            oob in "(?s).{0,6}",
        ) {
            let flow: &'static str = Box::leak(flow.into_boxed_str());
            let oob: &'static str = Box::leak(oob.into_boxed_str());
            let (env, _d) = env_with(&[("GAUTH_FLOW", flow), ("GAUTH_OOB", oob)], Some(&text));
            let c = load(&env);
            proptest::prop_assert!(c.problems.iter().all(|p| !p.contains('\n')), "{:?}", c.problems);
        }
    }
}
