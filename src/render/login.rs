//! What `gauth login` shows a person: decisions, the URL, the device code
//! and a spinner on stderr; the result on stdout.
use super::Paint;
use super::printer::Printer;
use crate::auth::browser::Opened;
use crate::auth::oauth::DeviceStart;
use crate::ops::login::{Report, Ui};
use crate::system::config::Flow;
use crate::text::escape::esc;
use std::fmt::Write;
use std::io::IsTerminal;
use std::time::Duration;

/// The result, for stdout.
pub fn render(r: &Report, paint: Paint) -> String {
    let who = r.account.as_deref().map_or_else(
        || "logged in".to_owned(),
        |a| format!("logged in as {}", esc(a)),
    );
    let mut out = format!(
        "{} {who} at {} ({} flow)\n",
        paint.mark_ok(),
        esc(&r.issuer),
        r.flow.as_str()
    );
    let _ = writeln!(out, "  scopes: {}", esc(&r.scopes.join(" ")));
    if !r.refresh_token {
        let _ = writeln!(
            out,
            "  {} no refresh token: `gauth token` works until the access token expires",
            paint.mark_warn()
        );
    }
    let _ = writeln!(
        out,
        "  {}",
        paint.dim("`gauth token` prints the access token")
    );
    out
}

pub struct TerminalLoginUi<'a> {
    printer: &'a Printer,
    stdin_tty: bool,
    spinner: bool,
    frame: usize,
    env: &'a crate::system::env::Env,
}

impl<'a> TerminalLoginUi<'a> {
    pub fn new(printer: &'a Printer, stdin_tty: bool, env: &'a crate::system::env::Env) -> Self {
        TerminalLoginUi {
            printer,
            stdin_tty,
            // A dumb terminal cannot redraw a line: no spinner there.
            spinner: std::io::stderr().is_terminal() && env.var("TERM") != Some("dumb"),
            frame: 0,
            env,
        }
    }

    /// Clear the spinner line, if one was drawn.
    pub fn finish(&mut self) {
        if self.frame > 0 && self.spinner {
            self.printer.diag("\r\x1b[2K");
            self.frame = 0;
        }
    }
}

/// The spinner line is cleared whatever ends the login, so an error never
/// lands glued to it.
impl Drop for TerminalLoginUi<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Ui for TerminalLoginUi<'_> {
    fn note(&mut self, line: &str) {
        self.finish();
        if !self.printer.quiet() {
            self.printer.diag(&format!("gauth: {}\n", esc(line)));
        }
    }

    fn show_url(&mut self, url: &str, opened: &Opened, flow: Flow) {
        let url = esc(url);
        let text = match (flow, opened) {
            (Flow::Paste, _) => format!(
                "\nOpen this URL in a browser, on any machine:\n\n    {url}\n\n\
                 After you allow access, the browser shows an error page (or a code).\n\
                 Paste its whole address (or the code) here and press Enter:\n"
            ),
            (_, Opened::Yes(how)) => format!(
                "\nOpened the login page in your browser ({}).\n\
                 If it did not open, or opened on another machine, open:\n\n    {url}\n\n\
                 Waiting for the browser to come back. If it cannot reach this machine,\n\
                 paste the address it ends on (or the code) here and press Enter.\n",
                esc(how)
            ),
            (_, Opened::No(why)) => format!(
                "\nNo browser was opened ({}). Open this URL in a browser:\n\n    {url}\n\n\
                 Waiting for the browser to come back. If it cannot reach this machine,\n\
                 paste the address it ends on (or the code) here and press Enter.\n",
                esc(why)
            ),
        };
        self.printer.diag(&text);
    }

    fn device(&mut self, start: &DeviceStart) {
        let mut text = format!(
            "\nTo sign in, open {} on any device and enter the code\n\n    {}\n",
            esc(&start.verification_uri),
            self.printer.paint.bold(&esc(&start.user_code))
        );
        if let Some(c) = &start.verification_uri_complete {
            let _ = write!(text, "\n(or open {} directly)\n", esc(c));
        }
        self.printer.diag(&text);
    }

    fn tick(&mut self, left: Duration) {
        if !self.spinner || self.printer.quiet() {
            return;
        }
        const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
        let s = left.as_secs();
        // Short enough for any terminal: a line that wraps cannot be
        // redrawn in place and would push the code off the screen.
        self.printer.diag(&format!(
            "\r\x1b[2K{} waiting, {}:{:02} left",
            FRAMES[self.frame % FRAMES.len()],
            s / 60,
            s % 60
        ));
        self.frame += 1;
    }

    fn free_port(&mut self, port: u16) -> bool {
        if !self.stdin_tty {
            return false;
        }
        let proc_root = &self.env.proc_root;
        let caller = crate::decide::verdict::Caller::current(proc_root, port);
        let opts = crate::ops::free_port::Options {
            port,
            dry_run: false,
            yes: false,
            force: false,
            signal: (crate::cli::Signal::Term.number(), "SIGTERM"),
            timeout: Duration::from_secs(3),
            interactive: true,
        };
        let mut ui = StderrFreePortUi {
            printer: self.printer,
        };
        self.note(&format!("port {port} is taken: looking at who holds it"));
        match crate::ops::free_port::run(
            proc_root,
            &opts,
            &caller,
            crate::system::now_unix(),
            &mut ui,
        ) {
            Ok(report) => {
                self.printer.diag(&crate::render::free_port::render_result(
                    &report,
                    self.printer.paint,
                ));
                report.free
            }
            Err(e) => {
                self.note(&format!("cannot free port {port}: {e}"));
                false
            }
        }
    }
}

/// free-port's questions inside a login: everything on stderr (stdout is
/// the login's result).
struct StderrFreePortUi<'a> {
    printer: &'a Printer,
}

impl crate::ops::free_port::Ui for StderrFreePortUi<'_> {
    fn found(&mut self, state: &crate::ops::inspect::PortState) {
        self.printer.diag(&super::free_port::render_state(
            state,
            self.printer.paint,
            self.printer.verbose(),
        ));
    }

    fn confirm(&mut self, holders: &[&crate::ops::inspect::Holder]) -> bool {
        super::free_port::ask(self.printer, &super::free_port::confirm_question(holders))
    }

    fn waiting(
        &mut self,
        holders: &[&crate::ops::inspect::Holder],
        signal: &str,
        timeout: Duration,
    ) {
        if self.printer.human() && !self.printer.quiet() {
            self.printer
                .diag(&super::free_port::waiting_line(holders, signal, timeout));
        }
    }
}
