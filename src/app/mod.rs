//! The top floor: parse the command line, resolve the settings, run the
//! operation, decide the exit code, then render. Nothing imports `app`.
use crate::cli::{Cli, Command};
use crate::error::{Error, Exit};
use crate::render::printer::{Printer, Verbosity};
use crate::text::escape::esc;
use crate::{cli, render, system};
use clap::{CommandFactory, FromArgMatches};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

mod commands;
pub mod settings;
pub mod terminal;

/// Parse `args`, run the command, print, and return the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>, env: system::env::Env) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    // Help and usage errors are printed by clap before `--color` is parsed:
    // tell it the colour choice up front.
    let color = clap_color(&args, &env);
    let cmd = Cli::command().color(color);
    let cli = match cmd
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e, &args, color),
    };
    match run(&cli, &env) {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("gauth: error: {}", esc(&e.to_string()));
            if let Error::Runtime(e) = &e {
                for cause in e.chain().skip(1) {
                    eprintln!("  caused by: {}", esc(&cause.to_string()));
                }
            }
            e.exit().into()
        }
    }
}

/// What clap stopped on: help and version are printed as clap renders
/// them, and exit 1 when they could not be written (a full disk, a closed
/// device; a closed pipe is not an error, as for every command). A usage
/// error quotes the arguments, which may hold anything (an escape sequence
/// that retitles the terminal): it is rendered without clap's styles, so
/// that every control character in it is the user's, then escaped.
fn clap_exit(e: &clap::Error, args: &[OsString], color: clap::ColorChoice) -> ExitCode {
    use clap::error::ErrorKind;
    use std::io::Write;
    let code = ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // The help, now with its examples and exit statuses (left out of
        // the command every run parses with: see `cli::command`).
        let full = (e.kind() != ErrorKind::DisplayVersion)
            .then(|| {
                cli::command()
                    .color(color)
                    .try_get_matches_from(args)
                    .err()
                    .filter(|f| f.kind() == e.kind())
            })
            .flatten();
        let e = full.as_ref().unwrap_or(e);
        return match e.print().and_then(|()| std::io::stdout().flush()) {
            Err(w) if w.kind() != std::io::ErrorKind::BrokenPipe => {
                let what = if e.kind() == ErrorKind::DisplayVersion {
                    "the version"
                } else {
                    "the help"
                };
                eprintln!("gauth: error: cannot write {what}: {w}");
                Exit::Failure.into()
            }
            _ => code,
        };
    }
    let plain = Cli::command()
        .styles(clap::builder::Styles::plain())
        .color(clap::ColorChoice::Never)
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m))
        .err()
        .map_or_else(|| e.render().to_string(), |p| p.render().ansi().to_string());
    let paint = render::Paint::new(match color {
        clap::ColorChoice::Always => true,
        clap::ColorChoice::Never => false,
        clap::ColorChoice::Auto => std::io::stderr().is_terminal(),
    });
    let mut out = String::with_capacity(plain.len());
    for line in plain.lines() {
        let line = esc(line);
        let line = if let Some(rest) = line.strip_prefix("error:") {
            format!("{}{rest}", paint.bad("error:"))
        } else if let Some(rest) = line.strip_prefix("Usage:") {
            format!("{}{rest}", paint.bold("Usage:"))
        } else {
            line
        };
        out.push_str(&line);
        out.push('\n');
    }
    let _ = std::io::stderr().write_all(out.as_bytes());
    code
}

/// `--color WHEN` as given (the last one wins, as clap does), then the
/// environment ([`settings::color`]): clap prints help and usage errors
/// before it has parsed `--color`, so the arguments are scanned for it.
fn clap_color(args: &[OsString], env: &system::env::Env) -> clap::ColorChoice {
    let mut given = None;
    let mut iter = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        let value = match arg.strip_prefix("--color") {
            Some("") => iter.next().map(|v| v.into_owned()),
            Some(v) => v.strip_prefix('=').map(str::to_owned),
            None => continue,
        };
        given = value.or(given);
    }
    let given = match given.as_deref() {
        Some("never") => cli::ColorChoice::Never,
        Some("always") => cli::ColorChoice::Always,
        _ => cli::ColorChoice::Auto,
    };
    match settings::color(given, env) {
        cli::ColorChoice::Never => clap::ColorChoice::Never,
        cli::ColorChoice::Always => clap::ColorChoice::Always,
        cli::ColorChoice::Auto => clap::ColorChoice::Auto,
    }
}

/// Run the command: compute its report, decide the exit code from it, then
/// print. A closed stdout stops the printing, never changes the exit code.
pub fn run(cli: &Cli, env: &system::env::Env) -> Result<Exit, Error> {
    let g = &cli.global;
    let paint = render::Paint::new(settings::use_color(
        g.color,
        g.json,
        env,
        std::io::stdout().is_terminal(),
    ));
    let verbosity = if g.quiet {
        Verbosity::Quiet
    } else if g.verbose > 0 {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let printer = Printer::new(g.json, verbosity, paint);
    match &cli.command {
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut cli::command(), "gauth", &mut buf);
            printer.data(&String::from_utf8_lossy(&buf))?;
            Ok(Exit::Success)
        }
        Command::Doctor(args) => commands::doctor(args, env, &printer),
        Command::Login(args) => commands::login(args, env, &printer),
        Command::Token(args) => commands::token(args, env, &printer),
        Command::Accounts => commands::accounts(env, &printer),
        Command::Logout(args) => commands::logout(args, env, &printer),
        Command::FreePort(args) => commands::free_port(args, env, &printer),
    }
}
