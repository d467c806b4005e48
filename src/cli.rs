//! The command-line definition (clap derive). Help text, completions and man
//! pages are all generated from these types, never written twice.
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::time::Duration;

/// Make browser-based OAuth login work wherever a terminal runs.
///
/// gauth diagnoses the three ways a loopback OAuth login breaks (a remote
/// session, an occupied port, a missing listener) and fixes what it can.
#[derive(Debug, Parser)]
#[command(name = "gauth", version, propagate_version = true)]
#[command(after_help = EXIT_STATUS_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print the result as JSON on stdout (a stable, documented schema).
    #[arg(long, global = true)]
    pub json: bool,

    /// When to use colour in human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print less: only the result and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more: how each step was done (never secrets).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose whether a browser-based OAuth login can work here.
    ///
    /// Detects the session (local desktop, SSH, hosted IDE, notebook, cloud
    /// shell, container, WSL, headless), whether a browser can be opened and
    /// reach a listener on this machine's loopback, who holds the port, and
    /// whether a loopback listener really answers through `localhost` and
    /// 127.0.0.1. Recommends one flow: loopback, paste (out-of-band) or
    /// device. No network access unless --online.
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),

    /// Find, explain and safely kill whatever holds a TCP port.
    ///
    /// Lists every process holding a listening socket on PORT (IPv4 and IPv6,
    /// forked children and SO_REUSEPORT siblings included), says why each one
    /// does or does not look expendable, kills the expendable ones after
    /// confirmation (SIGTERM, then SIGKILL after --timeout), and proves the
    /// port is free by binding 127.0.0.1 and ::1.
    #[command(after_help = FREE_PORT_EXAMPLES)]
    FreePort(FreePortArgs),

    /// Print a shell completion script to stdout.
    Completions {
        /// The shell to generate completions for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The port a loopback login would use [default: HTTR_PORT, else 1410].
    #[arg(long, value_parser = parse_port, allow_hyphen_values = true)]
    pub port: Option<u16>,

    /// Print only the recommended flow: loopback, paste or device.
    #[arg(long, conflicts_with = "json")]
    pub recommend: bool,

    /// Also check that the provider's endpoints answer (DNS, TLS, HTTP).
    #[arg(long)]
    pub online: bool,

    /// An endpoint for --online to check instead of Google's (repeatable;
    /// https, or http on a loopback address).
    #[arg(long, value_name = "URL", requires = "online", value_parser = crate::online::parse_endpoint)]
    pub endpoint: Vec<String>,
}

#[derive(Debug, Args)]
pub struct FreePortArgs {
    /// The TCP port to free (R's httr and gargle use 1410).
    #[arg(default_value = "1410", value_parser = parse_port, allow_hyphen_values = true)]
    pub port: u16,

    /// Show what would be done; change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,

    /// Kill without asking (still only expendable holders unless --force).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Also kill holders judged not expendable (never PID 1, gauth itself or
    /// its ancestors).
    #[arg(long)]
    pub force: bool,

    /// The first signal to send; SIGKILL follows after --timeout.
    #[arg(long, value_enum, default_value_t = Signal::Term, value_name = "SIGNAL")]
    pub signal: Signal,

    /// How long to wait for a holder to exit before SIGKILL (e.g. 3s, 500ms).
    #[arg(long, default_value = "3s", value_parser = parse_timeout, value_name = "DURATION")]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Signal {
    #[value(name = "TERM", alias = "SIGTERM", alias = "term")]
    Term,
    #[value(name = "INT", alias = "SIGINT", alias = "int")]
    Int,
    #[value(name = "HUP", alias = "SIGHUP", alias = "hup")]
    Hup,
    #[value(name = "KILL", alias = "SIGKILL", alias = "kill")]
    Kill,
}

impl Signal {
    pub fn number(self) -> i32 {
        match self {
            Signal::Term => libc::SIGTERM,
            Signal::Int => libc::SIGINT,
            Signal::Hup => libc::SIGHUP,
            Signal::Kill => libc::SIGKILL,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "SIGTERM",
            Signal::Int => "SIGINT",
            Signal::Hup => "SIGHUP",
            Signal::Kill => "SIGKILL",
        }
    }
}

/// A TCP port: decimal digits only, 1 to 65535. Stricter than `u16::from_str`
/// (which takes `+1410`) so that a typo is never silently read as a port.
pub fn parse_port(s: &str) -> Result<u16, String> {
    if s.is_empty() {
        return Err("a port is a number from 1 to 65535, not an empty string".into());
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{s}' is not a port: a port is a number from 1 to 65535"
        ));
    }
    match s.parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(n as u16),
        _ => Err(format!(
            "{s} is out of range: a port is a number from 1 to 65535"
        )),
    }
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration ({e}); try 3s or 500ms"))?;
    if d > Duration::from_secs(600) {
        return Err(format!("{s} is too long: at most 10m"));
    }
    Ok(d)
}

pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success
  1  runtime error
  2  usage error (bad arguments)
  3  action still needed (doctor: a loopback login needs an action or a
     fallback; free-port: holders remain)";

const DOCTOR_EXAMPLES: &str = "\
Examples:
  gauth doctor                 what blocks a browser login here, and what to run instead
  gauth doctor --json          every check with its evidence, as JSON
  gauth doctor --recommend     one word for scripts: loopback, paste or device
  gauth doctor --online        also check that Google's endpoints answer";

const FREE_PORT_EXAMPLES: &str = "\
Examples:
  gauth free-port --dry-run          show who holds 1410 and whether it looks expendable
  gauth free-port 8085               ask before killing each expendable holder of 8085
  gauth free-port --yes --json 1410  kill without asking; print the result as JSON
  sudo gauth free-port 1410          when another user's process holds the port";

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn ports_are_strict() {
        assert_eq!(parse_port("1410"), Ok(1410));
        assert_eq!(parse_port("65535"), Ok(65535));
        assert_eq!(parse_port("1"), Ok(1));
        for bad in [
            "",
            "abc",
            "0",
            "-1",
            "65536",
            "1410x",
            "+1410",
            " 1410",
            "70000",
            "99999999999",
        ] {
            assert!(parse_port(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_port_never_panics_and_round_trips(s in "\\PC*") {
            if let Ok(p) = parse_port(&s) {
                let shown = p.to_string();
                proptest::prop_assert_eq!(shown.as_str(), s.trim_start_matches('0'));
            }
        }

        #[test]
        fn every_valid_port_parses(p in 1u16..) {
            proptest::prop_assert_eq!(parse_port(&p.to_string()), Ok(p));
        }
    }
}
