//! The command-line definition (clap derive). Help text, completions and man
//! pages are all generated from these types, never written twice.
pub mod examples;
pub mod man;

use crate::system::net::number::Port;
use clap::{Args, Parser, Subcommand, ValueEnum};
pub use examples::examples;
use std::time::Duration;

/// Make browser-based OAuth login work wherever a terminal runs.
///
/// gauth diagnoses the three ways a loopback OAuth login breaks (a remote
/// session, an occupied port, a missing listener) and fixes what it can.
#[derive(Debug, Parser)]
#[command(name = "gauth", version, propagate_version = true)]
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
    Doctor(DoctorArgs),

    /// Find, explain and safely kill whatever holds a TCP port.
    ///
    /// Lists every process holding a listening socket on PORT (IPv4 and IPv6,
    /// forked children and SO_REUSEPORT siblings included), says why each one
    /// does or does not look expendable, kills the expendable ones after
    /// confirmation (SIGTERM, then SIGKILL after --timeout), and proves the
    /// port is free by binding 127.0.0.1 and ::1.
    FreePort(FreePortArgs),

    /// Log in: run the OAuth flow that works here and cache the tokens.
    ///
    /// Picks the flow the way `gauth doctor --recommend` does (loopback, paste
    /// or device) and falls back on its own: a taken port is freed (when its
    /// holder looks expendable and you agree) or another port is used; a
    /// browser that cannot be opened gets the URL printed; the redirected
    /// URL or code may be pasted at any time. Tokens go to the cache that
    /// `gauth token` reads.
    Login(LoginArgs),

    /// Print a valid access token for a cached login (refreshed if needed).
    ///
    /// Never interactive: when no valid token can be had (no login, revoked,
    /// expired without a refresh token) it exits 4 and says which `gauth
    /// login` to run. A token still valid is printed without any network
    /// request.
    Token(TokenArgs),

    /// List the cached logins.
    ///
    /// For each: the account, issuer, client, scopes and whether its access
    /// token is valid, renewed on use (expired, with a refresh token) or
    /// needs a new login. Never shows a token; no network.
    Accounts,

    /// Revoke (where the provider supports it) and delete cached logins.
    ///
    /// Revokes the refresh token (else the access token) at the provider's
    /// revocation endpoint, then deletes the login here whatever the
    /// provider answered, and says which happened.
    Logout(LogoutArgs),

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
    #[arg(long, allow_hyphen_values = true)]
    pub port: Option<Port>,

    /// Print only the recommended flow: loopback, paste or device.
    #[arg(long, conflicts_with = "json")]
    pub recommend: bool,

    /// Also check that the provider's endpoints answer (DNS, TLS, HTTP).
    #[arg(long)]
    pub online: bool,

    /// An endpoint for --online to check instead of Google's (repeatable;
    /// https, or http on a loopback address).
    #[arg(long, value_name = "URL", requires = "online", value_parser = crate::auth::online::parse_endpoint)]
    pub endpoint: Vec<String>,

    /// A scope the login will ask for (repeatable): Google's device flow
    /// takes only a few, so it is not recommended for others.
    #[arg(long = "scope", value_name = "SCOPE", value_parser = parse_scope)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Args)]
pub struct FreePortArgs {
    /// The TCP port to free [default: HTTR_PORT, else 1410, the port R's
    /// httr and gargle use].
    #[arg(allow_hyphen_values = true)]
    pub port: Option<Port>,

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

    /// The first signal to send (default TERM); SIGKILL follows after
    /// --timeout. Unix only: on Windows a holder is ended with
    /// TerminateProcess.
    #[arg(long, value_enum, value_name = "SIGNAL")]
    pub signal: Option<Signal>,

    /// How long to wait for a holder to exit before SIGKILL (e.g. 3s, 500ms).
    #[arg(long, default_value = "3s", value_parser = parse_timeout, value_name = "DURATION")]
    pub timeout: Duration,

    /// Kill only this holder (repeatable): a holder's `id` from --dry-run
    /// --json (PID@START@PROGRAM: the same process running the same
    /// program), PID@START, or PID, so that what was approved is what is
    /// killed; any other holder is left alone.
    #[arg(long, value_name = "ID", value_parser = parse_only)]
    pub only: Vec<crate::decide::port::Only>,
}

/// `--only PID[@START[@PROGRAM]]`.
fn parse_only(s: &str) -> Result<crate::decide::port::Only, String> {
    let bad = || {
        format!(
            "'{}' is not a holder's id (PID@START@PROGRAM, as --dry-run --json shows it), PID@START or PID",
            crate::text::escape::esc(s)
        )
    };
    let mut parts = s.splitn(3, '@');
    let pid = match parts.next().map(str::parse::<i32>) {
        Some(Ok(p)) if p > 0 => p,
        _ => return Err(bad()),
    };
    let start = match parts.next() {
        Some(t) => Some(t.parse::<u64>().map_err(|_| bad())?),
        None => None,
    };
    let program = match parts.next() {
        Some(h) if h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(h.to_ascii_lowercase())
        }
        Some(_) => return Err(bad()),
        None => None,
    };
    Ok(crate::decide::port::Only {
        pid,
        start,
        program,
    })
}

/// Which provider and client: shared by login, token and logout.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// The OpenID provider's issuer URL. login: where to log in (https, or
    /// http on a loopback address) [default: the config file's, else
    /// Google]. token, logout: which cached login.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,

    /// The OAuth client id. login: the client to log in as [env:
    /// GAUTH_CLIENT_ID; default: the config file's]. token, logout: which
    /// cached login.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// A scope (repeatable). login: one to ask for [default: the config
    /// file's, else openid email, plus offline_access for a provider other
    /// than Google]. token, logout: one the cached login must have.
    #[arg(long = "scope", value_name = "SCOPE", value_parser = parse_scope)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// The client secret, for clients that have one [env: GAUTH_CLIENT_SECRET].
    #[arg(long, value_name = "SECRET")]
    pub client_secret: Option<String>,

    /// A client JSON file as Google hands it out (key `installed` or `web`).
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<std::path::PathBuf>,

    /// The flow: auto picks one and falls back on its own.
    #[arg(long, value_enum, default_value_t = FlowChoice::Auto)]
    pub flow: FlowChoice,

    /// The paste (out-of-band) flow: the same as --flow paste.
    #[arg(long, conflicts_with = "flow")]
    pub oob: bool,

    /// The loopback port [default: the client's registered redirect port;
    /// over SSH the port `gauth doctor`'s tunnel names (HTTR_PORT, else
    /// 1410); else any free one].
    #[arg(long, allow_hyphen_values = true)]
    pub port: Option<Port>,

    /// How long to wait for the browser or the device (e.g. 5m, 90s).
    #[arg(long, default_value = "5m", value_parser = parse_login_timeout, value_name = "DURATION")]
    pub timeout: Duration,

    /// Do not open a browser; print the URL to open instead.
    #[arg(long)]
    pub no_browser: bool,

    /// Start the login and return at once: print the URL to open (on any
    /// machine), and keep what the login needs until `--finish`, for
    /// --timeout. For consoles gauth cannot read (RStudio, Jupyter, R's
    /// system2()).
    #[arg(long, conflicts_with_all = ["flow", "oob", "finish", "no_browser"])]
    pub no_wait: bool,

    /// Finish a login started with --no-wait: the address the browser
    /// landed on, the code it showed, or `-` to read it from stdin (which
    /// keeps it out of the process list).
    #[arg(long, value_name = "ANSWER", allow_hyphen_values = true,
          conflicts_with_all = ["flow", "oob", "no_browser", "port", "issuer", "client_id", "client_secret", "credentials", "scopes"])]
    pub finish: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FlowChoice {
    /// Whatever works here, with fallbacks.
    Auto,
    /// A listener on this machine's loopback receives the redirect.
    Loopback,
    /// Paste the redirected URL or the code back into the terminal.
    Paste,
    /// Enter a short code on any device (RFC 8628).
    Device,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// The account, when several logins match.
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,

    /// Renew the access token now, even if the cached one is still valid
    /// (a token the API refused; a revoked login is found at once).
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// The account, when several logins match.
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,

    /// Log out of every cached login.
    #[arg(long, conflicts_with_all = ["issuer", "client_id", "scopes", "account"])]
    pub all: bool,
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
    /// The POSIX numbers, the same on Linux and macOS (Windows has no
    /// signals).
    pub fn number(self) -> i32 {
        match self {
            Signal::Term => 15,
            Signal::Int => 2,
            Signal::Hup => 1,
            Signal::Kill => 9,
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

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration ({e}); try 3s or 500ms"))?;
    if d > Duration::from_secs(600) {
        return Err(format!("{s} is too long: at most 10m"));
    }
    Ok(d)
}

/// One OAuth scope (`text::scope`).
fn parse_scope(s: &str) -> Result<String, String> {
    match crate::text::scope::problem(s) {
        None => Ok(s.to_owned()),
        Some(why) => Err(format!("'{}': {why}", crate::text::escape::esc(s))),
    }
}

fn parse_login_timeout(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration ({e}); try 5m or 90s"))?;
    if d < Duration::from_secs(1) || d > Duration::from_secs(3600) {
        return Err(format!("{s}: a login waits from 1s to 1h"));
    }
    Ok(d)
}

/// The text after `--help`: examples, then the exit codes.
/// The whole command line, help text included: for `--help`, man pages and
/// completions. Parsing uses the bare `Cli::command()`: the examples and the
/// exit-status notes (wrapped here, for every subcommand) were a third of the
/// instructions of a cache-hit `gauth token`, which never shows them.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command().after_help(after_help(""));
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, |s| s.after_help(after_help(&name)));
    }
    cmd
}

fn after_help(command: &str) -> String {
    let examples = examples(command);
    let width = examples.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    let mut out = String::from("Examples:");
    for (cmd, what) in examples {
        out.push_str(&format!("\n  {cmd:width$}  {what}"));
    }
    out.push_str("\n\n");
    out.push_str(&crate::error::exit_status_help(
        (!command.is_empty()).then_some(command),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        command().debug_assert();
        Cli::command().debug_assert();
    }
}
