//! One function per command: the settings, the operation, the exit code
//! (decided from the outcome before anything is printed), the rendering.
use super::settings;
use super::terminal::Terminal;
use crate::cli;
use crate::error::{Error, Exit, Outcome};
use crate::render::printer::Printer;
use crate::{auth, cache, decide, ops, render, system};
use std::io::IsTerminal;

/// `gauth doctor`: the report, or with `--recommend` one word (a query
/// that answered exits 0).
pub fn doctor(
    args: &cli::DoctorArgs,
    env: &system::env::Env,
    printer: &Printer,
) -> Result<Exit, Error> {
    let settings = settings::doctor(args, env);
    let facts = system::facts::Facts::gather(env, std::io::stdin().is_terminal());
    // Its own walk, not the detection's: it must know when the chain could
    // not be followed to its end.
    let caller = decide::verdict::Caller::current(&env.proc_root, settings.port.get());
    let report = ops::doctor::run(env, &facts, &settings, &caller, system::now_unix())?;
    let paint = printer.paint;
    if args.recommend {
        let exit = report.recommendation.exit();
        printer.data(&format!("{}\n", report.recommendation.flow.as_str()))?;
        return Ok(exit);
    }
    let exit = report.exit();
    printer.report(&report, || {
        if printer.quiet() {
            render::doctor::render_verdict(&report, paint)
        } else {
            render::doctor::render(&report, paint, printer.verbose())
        }
    })?;
    Ok(exit)
}

/// `gauth free-port`: the holders (shown before any question), the one
/// question, the result.
pub fn free_port(
    args: &cli::FreePortArgs,
    env: &system::env::Env,
    printer: &Printer,
) -> Result<Exit, Error> {
    let opts = settings::free_port(args, env, std::io::stdin().is_terminal())?;
    let caller = decide::verdict::Caller::current(&env.proc_root, opts.port);
    let mut ui = Terminal::free_port(printer);
    let report = ops::free_port::run(&env.proc_root, &opts, &caller, system::now_unix(), &mut ui)?;
    let exit = report.exit();
    if let Some(e) = ui.error.take() {
        return Err(e.into());
    }
    printer.report(&report, || {
        if printer.quiet() {
            render::free_port::render_quiet(&report)
        } else {
            render::free_port::render_result(&report, printer.paint)
        }
    })?;
    Ok(exit)
}

/// `gauth login`: decisions, URLs and prompts on stderr; the result on
/// stdout.
pub fn login(
    args: &cli::LoginArgs,
    env: &system::env::Env,
    printer: &Printer,
) -> Result<Exit, Error> {
    let stdin_tty = std::io::stdin().is_terminal();
    if let Some(given) = &args.finish {
        // Everything but the answer comes from the login it finishes.
        if given == "-" && stdin_tty {
            printer
                .diag("Paste the address your browser landed on (or the code) and press Enter:\n");
        }
        let answer =
            ops::login::pending::answer(given, &mut std::io::BufReader::new(std::io::stdin()))?;
        let mut ui = Terminal::login(printer, env.var("TERM"), stdin_tty);
        let report =
            ops::login::pending::finish(env, &answer, args.timeout, &mut ui, system::now_unix())?;
        let exit = report.exit();
        printer.report(&report, || render::login::render(&report, printer.paint))?;
        return Ok(exit);
    }
    let opts = settings::login(args, env, stdin_tty)?;
    if args.no_wait {
        let started = ops::login::pending::start(env, &opts, system::now_unix())?;
        let exit = started.exit();
        if let Some(d) = &started.dropped {
            warn(printer, std::slice::from_ref(d));
        }
        if printer.json {
            printer.json(&started)?;
        } else {
            if !printer.quiet() {
                printer.diag(&render::login::started_text(&started, true));
            }
            printer.data(&format!("{}\n", started.url))?;
        }
        return Ok(exit);
    }
    let mut ui = Terminal::login(printer, env.var("TERM"), stdin_tty);
    let input = Box::new(std::io::BufReader::new(std::io::stdin()));
    let report = ops::login::run(env, &opts, input, &mut ui, system::now_unix())?;
    ui.finish();
    let exit = report.exit();
    printer.report(&report, || render::login::render(&report, printer.paint))?;
    Ok(exit)
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
pub fn token(
    args: &cli::TokenArgs,
    env: &system::env::Env,
    printer: &Printer,
) -> Result<Exit, Error> {
    let store = existing_store(env, printer)?;
    let q = settings::query(&args.client, args.account.as_deref(), env);
    let mut warnings = Vec::new();
    let result = ops::token::run(
        store.as_ref(),
        &q,
        args.refresh,
        &settings::login_defaults(env),
        &system::now_unix,
        &auth::http::client,
        &mut warnings,
    );
    if let Some(s) = &store {
        warnings.extend(s.take_notes());
    }
    warn(printer, &warnings);
    let report = result?;
    let exit = report.exit();
    printer.verbose_diag(&render::tokens::render_token_verbose(&report));
    printer.report(&report, || format!("{}\n", report.access_token.expose()))?;
    Ok(exit)
}

pub fn accounts(env: &system::env::Env, printer: &Printer) -> Result<Exit, Error> {
    let store = existing_store(env, printer)?;
    let dir = cache::store::cache_dir(env).unwrap_or_default();
    let report = ops::accounts::run(store.as_ref(), &dir, system::now_unix())?;
    let exit = report.exit();
    let mut warnings: Vec<String> = report.problems.iter().map(|p| p.line()).collect();
    if let Some(s) = &store {
        warnings.extend(s.take_notes());
    }
    warn(printer, &warnings);
    printer.report(&report, || {
        render::tokens::render_accounts(&report, printer.paint)
    })?;
    Ok(exit)
}

pub fn logout(
    args: &cli::LogoutArgs,
    env: &system::env::Env,
    printer: &Printer,
) -> Result<Exit, Error> {
    let store = existing_store(env, printer)?;
    let q = settings::query(&args.client, args.account.as_deref(), env);
    let report = ops::logout::run(
        store.as_ref(),
        &q,
        args.all,
        &settings::login_defaults(env),
        &auth::http::client,
    )?;
    let exit = report.exit();
    let mut warnings: Vec<String> = report.problems.iter().map(|p| p.line()).collect();
    if let Some(s) = &store {
        warnings.extend(s.take_notes());
    }
    warn(printer, &warnings);
    printer.report(&report, || {
        render::tokens::render_logout(&report, printer.paint)
    })?;
    Ok(exit)
}
