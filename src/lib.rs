//! gauth: make browser-based OAuth login work wherever a terminal runs.
//!
//! The library holds everything; `src/main.rs` only maps `main_with` to the
//! process exit code. Flow: parse → context → dispatch → render → exit code.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
pub mod cli;
pub mod commands;
pub mod config;
pub mod env;
pub mod error;
pub mod man;
pub mod online;
pub mod output;
pub mod port;
pub mod process;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
use error::{Error, Exit};
use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

/// Parse `args`, run the command, print, and return the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>, env: env::Env) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match run(&cli, &env) {
        Ok(exit) => exit.into(),
        Err(Error::Runtime(e)) if is_broken_pipe(&e) => Exit::Success.into(),
        Err(e) => {
            eprintln!("gauth: error: {}", output::escape::esc(&e.to_string()));
            if let Error::Runtime(e) = &e {
                for cause in e.chain().skip(1) {
                    eprintln!("  caused by: {}", output::escape::esc(&cause.to_string()));
                }
            }
            e.exit().into()
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Write to stdout, turning a closed pipe into a quiet success upstream.
fn out(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub fn run(cli: &Cli, env: &env::Env) -> Result<Exit, Error> {
    let g = &cli.global;
    let paint = output::Paint::new(output::use_color(
        g.color,
        g.json,
        env,
        std::io::stdout().is_terminal(),
    ));
    match &cli.command {
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "gauth", &mut buf);
            out(&String::from_utf8_lossy(&buf))?;
            Ok(Exit::Success)
        }
        Command::Doctor(args) => {
            let facts = env::facts::Facts::gather(env, std::io::stdin().is_terminal());
            // Its own walk, not the detection's: it must know when the
            // chain could not be followed to its end.
            let caller =
                process::verdict::Caller::current(&env.proc_root, args.port.unwrap_or(1410));
            let online = args.online.then(|| {
                if args.endpoint.is_empty() {
                    commands::doctor::DEFAULT_ENDPOINTS
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect()
                } else {
                    args.endpoint.clone()
                }
            });
            let opts = commands::doctor::Options {
                port: args.port,
                online,
            };
            let report = commands::doctor::run(env, &facts, &opts, &caller, now_unix())
                .map_err(|e| Error::Runtime(e.context("doctor could not finish")))?;
            if args.recommend {
                out(&format!("{}\n", report.recommendation.flow.as_str()))?;
            } else if g.json {
                out(&output::to_json(&report))?;
            } else if g.quiet {
                out(&output::doctor::render_verdict(&report, paint))?;
            } else {
                out(&output::doctor::render(&report, paint, g.verbose > 0))?;
            }
            Ok(if report.loopback_ready {
                Exit::Success
            } else {
                Exit::ActionNeeded
            })
        }
        Command::FreePort(args) => {
            let proc_root = &env.proc_root;
            let caller = process::verdict::Caller::current(proc_root, args.port);
            let opts = commands::free_port::Options {
                port: args.port,
                dry_run: args.dry_run,
                yes: args.yes,
                force: args.force,
                signal: (args.signal.number(), args.signal.name()),
                timeout: args.timeout,
                interactive: std::io::stdin().is_terminal(),
            };
            let mut ui = TerminalUi {
                paint,
                json: g.json,
                quiet: g.quiet,
                verbose: g.verbose > 0,
                error: None,
            };
            let report = commands::free_port::run(proc_root, &opts, &caller, now_unix(), &mut ui)
                .map_err(|e| {
                Error::Runtime(e.context(format!("cannot inspect port {}", args.port)))
            })?;
            if let Some(e) = ui.error {
                return Err(e);
            }
            if g.json {
                out(&output::to_json(&report))?;
            } else if g.quiet {
                out(&format!("{}\n", output::escape::esc(&report.summary)))?;
            } else {
                out(&output::free_port::render_result(&report, paint))?;
            }
            Ok(if report.free {
                Exit::Success
            } else {
                Exit::ActionNeeded
            })
        }
    }
}

/// Prints the holders before questions; asks on stderr, reads stdin.
struct TerminalUi {
    paint: output::Paint,
    json: bool,
    quiet: bool,
    verbose: bool,
    error: Option<Error>,
}

impl commands::free_port::Ui for TerminalUi {
    fn found(&mut self, state: &port::state::PortState) {
        if self.json || self.quiet {
            return;
        }
        let text = output::free_port::render_state(state, self.paint, self.verbose);
        if let Err(e) = out(&text) {
            self.error.get_or_insert(e);
        }
    }

    fn confirm(&mut self, holder: &port::state::Holder) -> bool {
        let p = &holder.process;
        eprint!(
            "\nKill {} (pid {})? [y/N] ",
            output::escape::esc(&p.name),
            p.pid
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        match std::io::stdin().lock().read_line(&mut answer) {
            Ok(0) | Err(_) => {
                eprintln!();
                false
            }
            Ok(_) => matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
        }
    }
}
