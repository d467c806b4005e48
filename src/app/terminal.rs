//! The one place gauth talks with a person while a command runs: questions
//! on stderr answered on stdin, progress lines and the device flow's
//! spinner. The words come from `render`; this module only writes and reads.
use crate::auth::browser::Opened;
use crate::auth::device::DeviceStart;
use crate::ops::inspect::{Holder, PortState};
use crate::render::printer::Printer;
use crate::system::config::Flow;
use crate::text::escape::esc;
use std::io::{BufRead, IsTerminal};
use std::time::Duration;

/// Ask `question` on stderr and read the answer from stdin: only "y" or
/// "yes" (any case) is yes; end of input is no.
pub fn ask(printer: &Printer, question: &str) -> bool {
    printer.diag(question);
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(0) | Err(_) => {
            printer.diag("\n");
            false
        }
        Ok(_) => matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
    }
}

/// A terminal session for one command: free-port's questions, the login's
/// notes, URL, device code and spinner.
pub struct Terminal<'a> {
    printer: &'a Printer,
    /// `gauth free-port` shows the holders it found on stdout (they are its
    /// output); inside a login they go to stderr (stdout is the login's).
    found_on_stdout: bool,
    spinner: bool,
    /// gauth's input is a terminal: a paste can be typed while a login waits.
    stdin_tty: bool,
    frame: usize,
    /// A write error other than a closed pipe, reported after the command.
    pub error: Option<std::io::Error>,
}

impl<'a> Terminal<'a> {
    /// For `gauth free-port`.
    pub fn free_port(printer: &'a Printer) -> Self {
        Terminal {
            printer,
            found_on_stdout: true,
            spinner: false,
            stdin_tty: false,
            frame: 0,
            error: None,
        }
    }

    /// For `gauth login`: a spinner only on a terminal that can redraw a
    /// line (not `TERM=dumb`).
    pub fn login(printer: &'a Printer, term: Option<&str>, stdin_tty: bool) -> Self {
        Terminal {
            printer,
            found_on_stdout: false,
            spinner: std::io::stderr().is_terminal() && term != Some("dumb"),
            stdin_tty,
            frame: 0,
            error: None,
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
impl Drop for Terminal<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl crate::ops::free_port::Ui for Terminal<'_> {
    fn found(&mut self, state: &PortState) {
        if !self.printer.human() || self.printer.quiet() {
            return;
        }
        let text = crate::render::free_port::render_state(
            state,
            self.printer.paint,
            self.printer.verbose(),
        );
        if self.found_on_stdout {
            if let Err(e) = self.printer.data(&text) {
                self.error.get_or_insert(e);
            }
        } else {
            self.printer.diag(&text);
        }
    }

    fn confirm(&mut self, holders: &[&Holder]) -> bool {
        self.finish();
        ask(
            self.printer,
            &crate::render::free_port::confirm_question(holders),
        )
    }

    fn waiting(&mut self, holders: &[&Holder], signal: &str, timeout: Duration) {
        if self.printer.human() && !self.printer.quiet() {
            self.printer.diag(&crate::render::free_port::waiting_line(
                holders, signal, timeout,
            ));
        }
    }
}

impl crate::ops::login::Ui for Terminal<'_> {
    fn note(&mut self, line: &str) {
        self.finish();
        if !self.printer.quiet() {
            self.printer.diag(&format!("gauth: {}\n", esc(line)));
        }
    }

    fn show_url(&mut self, url: &str, opened: &Opened, flow: Flow) {
        self.printer.diag(&crate::render::login::url_text(
            url,
            opened,
            flow,
            self.stdin_tty,
        ));
    }

    fn device(&mut self, start: &DeviceStart) {
        self.printer.diag(&crate::render::login::device_text(
            start,
            self.printer.paint,
        ));
    }

    fn tick(&mut self, left: Duration) {
        if !self.spinner || self.printer.quiet() {
            return;
        }
        self.printer
            .diag(&crate::render::login::spinner_frame(self.frame, left));
        self.frame += 1;
    }

    fn started(&mut self, started: &crate::ops::login::pending::Started) {
        self.finish();
        self.printer
            .diag(&crate::render::login::started_text(started, false));
    }

    fn freed(&mut self, report: &crate::ops::free_port::Report) {
        self.printer.diag(&crate::render::free_port::render_result(
            report,
            self.printer.paint,
        ));
    }
}
