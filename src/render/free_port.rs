//! Human rendering of `gauth free-port` (JSON is the report serialized).
use super::{Paint, ago};
use crate::decide::verdict::Class;
use crate::ops::free_port::{Action, Report, Status};
use crate::ops::inspect::{Holder, PortState};
use crate::system::kill::Outcome;
use crate::system::net::bind::BindResult;
use crate::text::escape::{MAX_COMMAND_LINE, esc, esc_capped};
use std::fmt::Write;
use std::time::Duration;

/// "R (pid 16664, user jenny, started 3 days ago, parent gone)".
pub fn holder_title(h: &Holder, paint: Paint) -> String {
    let p = &h.process;
    let mut facts = vec![format!("pid {}", p.pid)];
    if let Some(user) = p.user.clone().or_else(|| p.uid.map(|u| format!("uid {u}"))) {
        facts.push(format!("user {}", esc(&user)));
    }
    if let (Some(tty), false) = (&p.tty, p.parent_gone) {
        facts.push(format!("on {tty}"));
    }
    if let Some(age) = p.age_seconds {
        facts.push(format!("started {}", ago(age)));
    }
    if p.parent_gone {
        facts.push("parent gone".into());
    }
    if p.state == "Z" {
        facts.push("zombie leader, a thread holds the socket".into());
    }
    format!("{} ({})", paint.bold(&esc(&p.name)), facts.join(", "))
}

/// The one question before killing `holders`: "Kill R (pid 1)? [y/N] ",
/// or "Kill these 2 processes (R pid 1, python3 pid 2)? [y/N] ".
pub fn confirm_question(holders: &[&Holder]) -> String {
    match holders {
        [h] => format!(
            "\nKill {} (pid {})? [y/N] ",
            esc(&h.process.name),
            h.process.pid
        ),
        _ => {
            let names: Vec<String> = holders
                .iter()
                .map(|h| format!("{} pid {}", esc(&h.process.name), h.process.pid))
                .collect();
            format!(
                "\nKill these {} processes ({})? [y/N] ",
                holders.len(),
                names.join(", ")
            )
        }
    }
}

/// "SIGTERM sent; waiting up to 3.0 s for R (pid 123) to exit before
/// SIGKILL…", for stderr while holders linger after the first signal.
pub fn waiting_line(holders: &[&Holder], signal: &str, timeout: Duration) -> String {
    let names: Vec<String> = holders
        .iter()
        .map(|h| format!("{} (pid {})", esc(&h.process.name), h.process.pid))
        .collect();
    format!(
        "{signal} sent; waiting up to {:.1} s for {} to exit before SIGKILL…\n",
        timeout.as_secs_f64(),
        names.join(", ")
    )
}

/// One holder: who, what it holds, its command line, the verdict.
fn render_holder(out: &mut String, h: &Holder, paint: Paint, verbose: bool) {
    let _ = writeln!(out, "\n{} {}", holder_title(h, paint), esc(&h.holds()));
    let _ = writeln!(
        out,
        "    {}",
        paint.dim(&esc_capped(&h.process.command_line(), MAX_COMMAND_LINE))
    );
    let mark = match h.verdict.class {
        Class::Expendable => paint.mark_ok(),
        Class::NotExpendable => paint.mark_warn(),
        Class::Protected => paint.mark_bad(),
    };
    let _ = writeln!(out, "    {mark} {}", esc(&h.verdict.summary));
    if verbose {
        for r in &h.verdict.reasons {
            let _ = writeln!(out, "      - {}", esc(r));
        }
        if let Some(exe) = &h.process.exe {
            let _ = writeln!(out, "      - executable: {}", esc(exe));
        }
    }
}

/// The section printed before any question: who holds the port.
pub fn render_state(state: &PortState, paint: Paint, verbose: bool) -> String {
    let mut out = String::new();
    let port = state.port;
    if !state.is_held() {
        return out;
    }
    let procs = match state.holders.len() {
        0 => "no process you can see".to_owned(),
        1 => "1 process".to_owned(),
        n => format!("{n} processes"),
    };
    let sockets = state.listeners.len();
    if sockets > 0 {
        let _ = writeln!(
            out,
            "Port {port}: {sockets} listening socket{}, {procs}",
            if sockets == 1 { "" } else { "s" }
        );
    } else {
        let conns = state.connections.len();
        let _ = writeln!(
            out,
            "Port {port}: no listener, but {conns} connection{} on it, {procs}",
            if conns == 1 { "" } else { "s" }
        );
    }
    for h in &state.holders {
        render_holder(&mut out, h, paint, verbose);
    }
    for l in state.invisible() {
        let who = l
            .user
            .clone()
            .or_else(|| l.socket.uid.map(|u| format!("uid {u}")))
            .unwrap_or_else(|| "an unknown owner".into());
        let why = if state.sees_all_processes {
            "no visible process has it open"
        } else {
            "its process is invisible to you"
        };
        let what = if l.socket.remote.is_some() {
            "a connection"
        } else {
            "a listener"
        };
        let _ = writeln!(
            out,
            "\n{} {what} on {} belongs to {}; {why}",
            paint.mark_bad(),
            l.socket.describe(),
            esc(&who)
        );
    }
    if let (true, Some(note)) = (verbose, &state.source_note) {
        let _ = writeln!(out, "\n  (sockets read from /proc/net/tcp: {})", esc(note));
    }
    if state.unreadable_processes > 0 && state.invisible().next().is_some() {
        let _ = writeln!(
            out,
            "  ({} processes could not be inspected without {})",
            state.unreadable_processes,
            if state.caller_is_root {
                "CAP_SYS_PTRACE"
            } else {
                "privilege"
            }
        );
    }
    out
}

/// What was done to one holder, as one line (`None`: nothing was done).
fn action_line(h: &Holder, a: &Action, paint: Paint) -> Option<String> {
    let name = format!("{} (pid {})", esc(&h.process.name), h.process.pid);
    let Action::Signalled { outcome } = a else {
        return None;
    };
    Some(match outcome {
        // Windows: there is no signal to send first, only TerminateProcess.
        Outcome::Exited {
            signal: "TerminateProcess",
            waited_ms,
            ..
        } => format!(
            "{} {name} terminated ({})",
            paint.mark_ok(),
            secs(*waited_ms)
        ),
        Outcome::Exited {
            signal,
            escalated: false,
            waited_ms,
            ..
        } => {
            format!(
                "{} {name} exited after {signal} ({})",
                paint.mark_ok(),
                secs(*waited_ms)
            )
        }
        Outcome::Exited {
            rebound: true,
            waited_ms,
            ..
        } => format!(
            "{} {name} let go of the port after the first signal, took it again, and was killed with SIGKILL ({})",
            paint.mark_ok(),
            secs(*waited_ms)
        ),
        Outcome::Exited {
            released: true,
            waited_ms,
            ..
        } => format!(
            "{} {name} let go of the port after the first signal but kept running, and was killed with SIGKILL ({})",
            paint.mark_ok(),
            secs(*waited_ms)
        ),
        Outcome::Exited { waited_ms, .. } => format!(
            "{} {name} ignored the first signal and was killed with SIGKILL ({})",
            paint.mark_ok(),
            secs(*waited_ms)
        ),
        Outcome::AlreadyGone => format!(
            "{} {name} had already let go of the port; nothing sent",
            paint.mark_ok()
        ),
        Outcome::IdentityChanged => {
            format!(
                "{} pid {} is now another process; nothing sent",
                paint.mark_warn(),
                h.process.pid
            )
        }
        Outcome::ProgramChanged { sent, exe, cmdline } => {
            let now = crate::system::proc::Program {
                exe: exe.clone(),
                cmdline: cmdline.clone(),
            }
            .command_line();
            let now = esc_capped(&now, MAX_COMMAND_LINE);
            match sent {
                None => format!(
                    "{} {name} now runs another program ({now}); nothing sent",
                    paint.mark_warn()
                ),
                Some(signal) => format!(
                    "{} {name} ran another program after {signal} ({now}); no SIGKILL sent",
                    paint.mark_warn()
                ),
            }
        }
        Outcome::Survived { waited_ms } => {
            format!(
                "{} {name} is still alive after SIGKILL ({})",
                paint.mark_bad(),
                secs(*waited_ms)
            )
        }
        Outcome::Failed { error } => {
            format!(
                "{} could not signal {name}: {}",
                paint.mark_bad(),
                esc(error)
            )
        }
    })
}

/// `-q`: what was killed (one line each), then the summary.
pub fn render_quiet(report: &Report) -> String {
    let plain = Paint { color: false };
    let mut out = String::new();
    for (h, a) in report.state.holders.iter().zip(&report.actions) {
        if let Some(line) = action_line(h, a, plain) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out, "{}", esc(&report.summary));
    out
}

/// The section printed after acting: what happened, and whether it is free.
pub fn render_result(report: &Report, paint: Paint) -> String {
    let mut out = String::new();
    let mut any_action = false;
    for (h, a) in report.state.holders.iter().zip(&report.actions) {
        let Some(line) = action_line(h, a, paint) else {
            continue;
        };
        if !any_action {
            out.push('\n');
            any_action = true;
        }
        let _ = writeln!(out, "{line}");
    }
    if !report.now_held_by.is_empty() {
        let _ = writeln!(out, "\nThe port was taken again:");
        for h in &report.now_held_by {
            render_holder(&mut out, h, paint, false);
        }
    }
    if report.state.is_held() || any_action {
        out.push('\n');
    }
    let mark = match report.status {
        Status::Free => paint.mark_ok(),
        Status::TimeWait if report.free => paint.mark_warn(),
        Status::TimeWait => paint.mark_bad(),
        Status::Held | Status::Blocked => paint.mark_bad(),
    };
    let _ = writeln!(out, "{mark} {}", esc(&report.summary));
    if report.free {
        let bound: Vec<&str> = report
            .bind
            .iter()
            .filter(|b| b.result == BindResult::Ok)
            .map(|b| b.address.as_str())
            .collect();
        if !bound.is_empty() {
            let _ = writeln!(
                out,
                "  {}",
                paint.dim(&format!("test bind succeeded on {}", bound.join(" and ")))
            );
        }
    }
    out
}

fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}
