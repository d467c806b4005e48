//! The top floor: parse the command line, resolve the settings, run the
//! operation, decide the exit code, then render. Nothing imports `app`.
use crate::cli::{Cli, Command};
use crate::error::{Error, Exit};
use crate::render::printer::{Printer, Verbosity};
use crate::system::net::number::Port;
use crate::text::escape::esc;
use crate::{auth, cache, cli, decide, ops, render, system};
use clap::{CommandFactory, FromArgMatches};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

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

/// `--color WHEN` as given (the last one wins, as clap does), then
/// `NO_COLOR`, then `CLICOLOR_FORCE`; otherwise clap decides by the terminal.
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
    match given.as_deref() {
        Some("never") => clap::ColorChoice::Never,
        Some("always") => clap::ColorChoice::Always,
        _ if env.is_set("NO_COLOR") => clap::ColorChoice::Never,
        _ if env
            .var("CLICOLOR_FORCE")
            .is_some_and(|v| !v.is_empty() && v != "0") =>
        {
            clap::ColorChoice::Always
        }
        _ if env.var("TERM") == Some("dumb") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// Run the command: compute its report, decide the exit code from it, then
/// print. A closed stdout stops the printing, never changes the exit code.
pub fn run(cli: &Cli, env: &system::env::Env) -> Result<Exit, Error> {
    let g = &cli.global;
    let paint = render::Paint::new(render::use_color(
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
            clap_complete::generate(*shell, &mut Cli::command(), "gauth", &mut buf);
            printer.data(&String::from_utf8_lossy(&buf))?;
            Ok(Exit::Success)
        }
        Command::Doctor(args) => {
            let facts = system::facts::Facts::gather(env, std::io::stdin().is_terminal());
            // Its own walk, not the detection's: it must know when the
            // chain could not be followed to its end.
            let caller =
                decide::verdict::Caller::current(&env.proc_root, args.port.map_or(1410, Port::get));
            let online = args.online.then(|| {
                if args.endpoint.is_empty() {
                    auth::online::DEFAULT_ENDPOINTS
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect()
                } else {
                    args.endpoint.clone()
                }
            });
            let opts = ops::doctor::Options {
                port: args.port,
                online,
            };
            let report = ops::doctor::run(env, &facts, &opts, &caller, system::now_unix())
                .map_err(|e| Error::Runtime(e.context("doctor could not finish")))?;
            // `--recommend` is a query: it answered, so it exits 0 (R's
            // system2(stdout = TRUE) warns on any other status).
            let exit = if args.recommend || report.loopback_ready {
                Exit::Success
            } else {
                Exit::ActionNeeded
            };
            if args.recommend {
                printer.data(&format!("{}\n", report.recommendation.flow.as_str()))?;
            } else if printer.json {
                printer.json(&report)?;
            } else if printer.quiet() {
                printer.data(&render::doctor::render_verdict(&report, paint))?;
            } else {
                printer.data(&render::doctor::render(&report, paint, printer.verbose()))?;
            }
            Ok(exit)
        }
        Command::Login(args) => run_login(args, env, &printer),
        Command::Token(args) => run_token(args, env, &printer),
        Command::Accounts => run_accounts(env, &printer),
        Command::Logout(args) => run_logout(args, env, &printer),
        Command::FreePort(args) => {
            let proc_root = &env.proc_root;
            let (port, _) =
                Port::resolve(args.port, env).map_err(|e| Error::Usage(e.to_string()))?;
            if cfg!(windows) && args.signal.is_some() {
                return Err(Error::Usage(
                    "--signal is Unix-only: on Windows gauth ends a holder with TerminateProcess"
                        .into(),
                ));
            }
            let signal = args.signal.unwrap_or(cli::Signal::Term);
            let caller = decide::verdict::Caller::current(proc_root, port.get());
            let opts = ops::free_port::Options {
                port: port.get(),
                dry_run: args.dry_run,
                yes: args.yes,
                force: args.force,
                signal: (signal.number(), signal.name()),
                timeout: args.timeout,
                interactive: std::io::stdin().is_terminal(),
            };
            let mut ui = TerminalUi {
                printer: &printer,
                error: None,
            };
            let report =
                ops::free_port::run(proc_root, &opts, &caller, system::now_unix(), &mut ui)
                    .map_err(|e| {
                        Error::Runtime(e.context(format!("cannot inspect port {port}")))
                    })?;
            let exit = if report.free {
                Exit::Success
            } else {
                Exit::ActionNeeded
            };
            if let Some(e) = ui.error {
                return Err(e.into());
            }
            if printer.json {
                printer.json(&report)?;
            } else if printer.quiet() {
                printer.data(&render::free_port::render_quiet(&report))?;
            } else {
                printer.data(&render::free_port::render_result(&report, paint))?;
            }
            Ok(exit)
        }
    }
}

/// `gauth login`: decisions, URLs and prompts on stderr; the result on
/// stdout.
fn run_login(
    args: &cli::LoginArgs,
    env: &system::env::Env,
    printer: &Printer,
) -> Result<Exit, Error> {
    let stdin_tty = std::io::stdin().is_terminal();
    let (flow, flow_source) = match (args.oob, args.flow) {
        (true, _) => (Some(system::config::Flow::Paste), "--oob"),
        (_, cli::FlowChoice::Auto) => (None, "auto"),
        (_, cli::FlowChoice::Loopback) => (Some(system::config::Flow::Loopback), "--flow loopback"),
        (_, cli::FlowChoice::Paste) => (Some(system::config::Flow::Paste), "--flow paste"),
        (_, cli::FlowChoice::Device) => (Some(system::config::Flow::Device), "--flow device"),
    };
    let opts = ops::login::Options {
        issuer: args.client.issuer.clone(),
        client_id: args.client.client_id.clone(),
        client_secret: args.client_secret.clone(),
        credentials: args.credentials.clone(),
        scopes: args.client.scopes.clone(),
        flow,
        flow_source: flow_source.into(),
        port: args.port.map(Port::get),
        timeout: args.timeout,
        no_browser: args.no_browser,
        stdin_tty,
    };
    let mut ui = render::login::TerminalLoginUi::new(printer, stdin_tty, env);
    let input = Box::new(std::io::BufReader::new(std::io::stdin()));
    let report = ops::login::run(env, &opts, input, &mut ui, system::now_unix())?;
    ui.finish();
    if printer.json {
        printer.json(&report)?;
    } else {
        printer.data(&render::login::render(&report, printer.paint))?;
    }
    Ok(Exit::Success)
}

/// The cache as it is, to read: `None` when there is none yet (nothing is
/// made for a command that only reads).
fn existing_store(
    env: &system::env::Env,
    printer: &Printer,
) -> Result<Option<cache::Store>, Error> {
    let store = cache::Store::existing(env).map_err(|e| Error::Runtime(e.into()))?;
    if let Some(s) = &store {
        warn(printer, &s.take_notes());
    }
    Ok(store)
}

/// Warnings on stderr (repairs, unreadable cache files), one line each;
/// `-q` keeps them back.
fn warn(printer: &Printer, lines: &[String]) {
    if printer.quiet() {
        return;
    }
    for line in lines {
        printer.diag(&format!("gauth: warning: {line}\n"));
    }
}

/// `gauth token`: the token alone on stdout (or the JSON); nothing else
/// ever shows it. The cache-hit path makes no request and builds no HTTP
/// client.
fn run_token(
    args: &cli::TokenArgs,
    env: &system::env::Env,
    printer: &Printer,
) -> Result<Exit, Error> {
    let store = existing_store(env, printer)?;
    let q = ops::token::query(&args.client, args.account.as_deref(), env);
    let mut warnings = Vec::new();
    let result = ops::token::run(
        store.as_ref(),
        &q,
        env,
        &system::now_unix,
        &auth::http::client,
        &mut warnings,
    );
    if let Some(s) = &store {
        warnings.extend(s.take_notes());
    }
    warn(printer, &warnings);
    let report = result?;
    printer.verbose_diag(&render::tokens::render_token_verbose(&report));
    if printer.json {
        printer.json(&report)?;
    } else {
        printer.data(&format!("{}\n", report.access_token.expose()))?;
    }
    Ok(Exit::Success)
}

fn run_accounts(env: &system::env::Env, printer: &Printer) -> Result<Exit, Error> {
    let store = existing_store(env, printer)?;
    let dir = cache::store::cache_dir(env).unwrap_or_default();
    let report = ops::accounts::run(store.as_ref(), &dir, system::now_unix())?;
    let mut warnings: Vec<String> = report.problems.iter().map(|p| p.line()).collect();
    if let Some(s) = &store {
        warnings.extend(s.take_notes());
    }
    warn(printer, &warnings);
    if printer.json {
        printer.json(&report)?;
    } else {
        printer.data(&render::tokens::render_accounts(&report, printer.paint))?;
    }
    Ok(Exit::Success)
}

fn run_logout(
    args: &cli::LogoutArgs,
    env: &system::env::Env,
    printer: &Printer,
) -> Result<Exit, Error> {
    let store = existing_store(env, printer)?;
    let q = ops::token::query(&args.client, args.account.as_deref(), env);
    let report = ops::logout::run(store.as_ref(), &q, args.all, env, &auth::http::client)?;
    let mut warnings: Vec<String> = report.problems.iter().map(|p| p.line()).collect();
    if let Some(s) = &store {
        warnings.extend(s.take_notes());
    }
    warn(printer, &warnings);
    if printer.json {
        printer.json(&report)?;
    } else {
        printer.data(&render::tokens::render_logout(&report, printer.paint))?;
    }
    Ok(Exit::Success)
}

/// Prints the holders before questions; asks on stderr, reads stdin.
struct TerminalUi<'a> {
    printer: &'a Printer,
    /// A write error other than a closed pipe, reported after the command.
    error: Option<std::io::Error>,
}

impl ops::free_port::Ui for TerminalUi<'_> {
    fn found(&mut self, state: &ops::inspect::PortState) {
        if !self.printer.human() || self.printer.quiet() {
            return;
        }
        let text =
            render::free_port::render_state(state, self.printer.paint, self.printer.verbose());
        if let Err(e) = self.printer.data(&text) {
            self.error.get_or_insert(e);
        }
    }

    fn confirm(&mut self, holders: &[&ops::inspect::Holder]) -> bool {
        render::free_port::ask(self.printer, &render::free_port::confirm_question(holders))
    }

    fn waiting(
        &mut self,
        holders: &[&ops::inspect::Holder],
        signal: &str,
        timeout: std::time::Duration,
    ) {
        if self.printer.human() && !self.printer.quiet() {
            self.printer
                .diag(&render::free_port::waiting_line(holders, signal, timeout));
        }
    }
}
