//! The one printer: owns JSON vs human, quiet/verbose and colour, and where
//! text goes (data to stdout, diagnostics to stderr). Modelled on uv's
//! `printer.rs`. A closed stdout stops the printing and nothing else: the
//! exit code is decided from the outcome before anything is printed.
use super::Paint;
use serde::Serialize;
use std::cell::Cell;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: only the result and errors.
    Quiet,
    Normal,
    /// `-v`: how each step was done (never secrets).
    Verbose,
}

#[derive(Debug)]
pub struct Printer {
    pub json: bool,
    pub verbosity: Verbosity,
    pub paint: Paint,
    /// stdout was closed by the reader (`| head`, `| true`): print no more.
    stdout_closed: Cell<bool>,
}

impl Printer {
    pub fn new(json: bool, verbosity: Verbosity, paint: Paint) -> Printer {
        Printer {
            json,
            verbosity,
            paint,
            stdout_closed: Cell::new(false),
        }
    }

    pub fn quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }

    pub fn verbose(&self) -> bool {
        self.verbosity == Verbosity::Verbose
    }

    /// Human text is printed unless `--json` is on.
    pub fn human(&self) -> bool {
        !self.json
    }

    /// Data to stdout. A closed pipe is not an error (it only stops the
    /// printing); any other write error is.
    pub fn data(&self, text: &str) -> std::io::Result<()> {
        if self.stdout_closed.get() {
            return Ok(());
        }
        let mut stdout = std::io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.stdout_closed.set(true);
                Ok(())
            }
            Err(e) => Err(std::io::Error::new(
                e.kind(),
                format!("cannot write the output: {e}"),
            )),
            Ok(()) => Ok(()),
        }
    }

    /// A report as the `--json` document on stdout.
    pub fn json<T: Serialize>(&self, value: &T) -> std::io::Result<()> {
        self.data(&super::to_json(value))
    }

    /// A command's result on stdout: `value` as JSON with `--json`, else
    /// what `human` renders (only then rendered).
    pub fn report<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> std::io::Result<()> {
        if self.json {
            self.json(value)
        } else {
            self.data(&human())
        }
    }

    /// Progress, prompts and warnings to stderr (never data). Failing to
    /// write them changes nothing.
    pub fn diag(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
    }

    /// A diagnostic shown only with `-v`.
    pub fn verbose_diag(&self, text: &str) {
        if self.verbose() {
            self.diag(text);
        }
    }
}
