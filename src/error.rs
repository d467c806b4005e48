//! Errors and exit codes: every command reports failure through `Error`, and
//! this is the one place that maps outcomes to the documented exit codes.
use std::process::ExitCode;

/// The documented exit codes, the same for every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Success,
    /// 1: runtime error (an I/O error, an unreadable kernel interface, …).
    Failure,
    /// 2: usage error (bad arguments).
    Usage,
    /// 3: the command worked, but an action is still needed (for free-port:
    /// holders remain).
    ActionNeeded,
    /// 4: a login is required (no cached login, revoked, expired without a
    /// refresh token, or no flow can run here without a person).
    LoginRequired,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::ActionNeeded => 3,
            Exit::LoginRequired => 4,
        }
    }
}

/// One exit code with what it means, in general and for each command: the
/// single source for `--help`, the man pages and the README's table.
pub struct ExitDoc {
    pub exit: Exit,
    pub meaning: &'static str,
    /// (command, what the code means there).
    pub per_command: &'static [(&'static str, &'static str)],
}

pub const EXIT_CODES: &[ExitDoc] = &[
    ExitDoc {
        exit: Exit::Success,
        meaning: "success",
        per_command: &[
            (
                "doctor",
                "a loopback login works here as things are; with --recommend: a flow was printed",
            ),
            (
                "free-port",
                "the port is free (or only TIME_WAIT connections remain, which listeners that set SO_REUSEADDR bind through)",
            ),
            (
                "login",
                "logged in; the tokens are cached (with --no-wait: the login was started and its URL printed)",
            ),
            ("token", "a valid access token was printed"),
            (
                "logout",
                "the logins were deleted here (whether the provider revoked them is in the output)",
            ),
        ],
    },
    ExitDoc {
        exit: Exit::Failure,
        meaning: "runtime error",
        per_command: &[
            (
                "",
                "a kernel interface or file could not be read, output could not be written, a signal could not be sent for an unexpected reason",
            ),
            (
                "login",
                "the login failed: refused by the provider, timed out, nothing valid pasted, the provider unreachable",
            ),
            (
                "token",
                "a refresh failed for a reason a new login would not fix (the token endpoint unreachable, invalid_client, a cache that cannot be written)",
            ),
        ],
    },
    ExitDoc {
        exit: Exit::Usage,
        meaning: "usage error (bad arguments)",
        per_command: &[
            (
                "",
                "for example a port that is not a number from 1 to 65535, or an --endpoint that is not a URL",
            ),
            (
                "login",
                "no client, a malformed client JSON, an http issuer, a scope with spaces, a bad --port or --timeout, a device flow Google refuses for these scopes; --finish: an answer that is not one, or no login waiting for it (never started, expired, already finished)",
            ),
            (
                "token",
                "several cached logins match (the message names the flags that pick one)",
            ),
            (
                "logout",
                "several cached logins match, or none matches the flags given",
            ),
        ],
    },
    ExitDoc {
        exit: Exit::ActionNeeded,
        meaning: "action still needed",
        per_command: &[
            (
                "doctor",
                "a loopback login needs an action or a fallback flow (the verdict says which)",
            ),
            (
                "free-port",
                "the port is not free: holders remain (dry run, refused, declined, no terminal to ask on, an owner you cannot see, a holder that came back) or TIME_WAIT blocks binding",
            ),
            (
                "login",
                "the loopback flow was asked for (--flow loopback, GAUTH_FLOW, the config file) and its port is taken, with no other port the browser would reach; the message names the holder and what to do",
            ),
        ],
    },
    ExitDoc {
        exit: Exit::LoginRequired,
        meaning: "login required",
        per_command: &[
            (
                "login",
                "no flow can run here without a person (nothing that can take a paste, no device flow that fits); or gauth cannot read the paste here, so it started the login and names the `gauth login --finish` to run",
            ),
            (
                "token",
                "no valid token can be had without a login (none cached, revoked, expired without a refresh token, or with --refresh no refresh token); the message names the gauth login to run",
            ),
        ],
    },
];

/// The exit codes as plain text for `--help`: the bare table for `gauth
/// --help`, with what each code means for one command in its own help.
pub fn exit_status_help(command: Option<&str>) -> String {
    let mut out = String::from("Exit status:");
    for doc in EXIT_CODES {
        out.push_str(&format!("\n  {}  {}", doc.exit.code(), doc.meaning));
        let Some(command) = command else { continue };
        for (c, text) in doc.per_command {
            if c.is_empty() || *c == command {
                for line in wrap(text, 68) {
                    out.push_str(&format!("\n       {line}"));
                }
            }
        }
    }
    out
}

/// Greedy word wrap for help text (clap wraps only what it generates).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().map_or(0, |l| l.chars().count());
        if last > 0 && last + 1 + word.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(line) = lines.last_mut() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// The README's exit-status table (checked by a test, like the man pages).
pub fn exit_status_markdown() -> String {
    let mut out = String::from("| code | meaning |\n|---|---|\n");
    for doc in EXIT_CODES {
        let notes: Vec<String> = doc
            .per_command
            .iter()
            .map(|(c, text)| {
                if c.is_empty() {
                    (*text).to_owned()
                } else {
                    format!("{c}: {text}")
                }
            })
            .collect();
        out.push_str(&format!(
            "| {} | {} — {} |\n",
            doc.exit.code(),
            doc.meaning,
            notes.join("; ")
        ));
    }
    out
}

/// What a command's report means for its exit code: with [`Error::exit`],
/// the one place outcomes become the codes of [`EXIT_CODES`]. A report
/// whose command worked but left an action to take (exit 3) says so.
pub trait Outcome {
    /// The command worked, but an action is still needed (exit 3).
    fn action_needed(&self) -> bool {
        false
    }

    fn exit(&self) -> Exit {
        if self.action_needed() {
            Exit::ActionNeeded
        } else {
            Exit::Success
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// A failure a command cannot recover from.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The invocation makes no sense in this context (exit 2).
    #[error("{0}")]
    Usage(String),
    /// No valid token without a login (exit 4); says what to run.
    #[error("{0}")]
    LoginRequired(String),
    /// It cannot go on until someone acts (exit 3): says what to do.
    #[error("{0}")]
    ActionNeeded(String),
    /// Anything else (exit 1), with its chain of causes.
    #[error(transparent)]
    Runtime(#[from] anyhow::Error),
}

impl Error {
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::LoginRequired(_) => Exit::LoginRequired,
            Error::ActionNeeded(_) => Exit::ActionNeeded,
            Error::Runtime(_) => Exit::Failure,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Runtime(err.into())
    }
}
