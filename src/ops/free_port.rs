//! `gauth free-port`: inspect a port, judge each holder, kill the expendable
//! ones on confirmation, and prove the port is free.
use crate::decide::verdict::{Caller, Class};
use crate::ops::inspect::{self, Holder, PortState};
use crate::system::kill::{self, Outcome, Target};
use crate::system::net::bind::{self, BindCheck};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// What was done to one holder.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// `--dry-run`: nothing done.
    None,
    /// Not attempted, and why.
    Refused { reason: String },
    /// The user answered no.
    Declined,
    Signalled {
        #[serde(flatten)]
        outcome: Outcome,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing listens and both loopback binds succeed.
    Free,
    /// No listener, only TIME_WAIT connections: nothing to kill. `free`
    /// says whether a bind works anyway (it does when both the old and the
    /// new socket set SO_REUSEADDR).
    TimeWait,
    /// Listeners, or connections some process holds, remain.
    Held,
    /// Nothing listens that we can see, yet a bind fails.
    Blocked,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub dry_run: bool,
    pub status: Status,
    /// `true` when a login listener can start on the port now.
    pub free: bool,
    pub summary: String,
    #[serde(flatten)]
    pub state: PortState,
    /// One per holder, in the same order.
    pub actions: Vec<Action>,
    /// Endpoints still listening after the actions.
    pub still_listening: Vec<String>,
    /// Processes holding the port after the actions that were not holding
    /// it before: a replacement forked on SIGTERM, or another program that
    /// took the port. Judged, never signalled (nobody confirmed them).
    pub now_held_by: Vec<Holder>,
    pub bind: Vec<BindCheck>,
}

/// Exit 3 while the port is not free (holders remain, or TIME_WAIT blocks
/// binding).
impl crate::error::Outcome for Report {
    fn action_needed(&self) -> bool {
        !self.free
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub port: u16,
    pub dry_run: bool,
    pub yes: bool,
    pub force: bool,
    pub signal: (i32, &'static str),
    pub timeout: Duration,
    /// Whether a person can be asked (stdin is a terminal).
    pub interactive: bool,
    /// `--only`: the holders that may be killed; empty: any.
    pub only: Vec<crate::decide::port::Only>,
}

/// How the command talks to a person while it works.
pub trait Ui {
    /// The holders were found (print them before asking anything).
    fn found(&mut self, state: &PortState);
    /// Ask once before killing all of `holders` (one or more); the answer
    /// holds for every one of them.
    fn confirm(&mut self, holders: &[&Holder]) -> bool;
    /// `signal` was sent and `holders` are still running: they get SIGKILL
    /// unless they exit within `timeout` of it.
    fn waiting(&mut self, holders: &[&Holder], signal: &str, timeout: Duration);
}

pub fn run(
    proc_root: &Path,
    opts: &Options,
    caller: &Caller,
    now_unix: u64,
    ui: &mut dyn Ui,
) -> Result<Report, crate::error::Error> {
    let port = opts.port;
    let inspect = |caller: &Caller| {
        inspect::inspect(proc_root, port, caller, now_unix).map_err(|e| {
            crate::error::Error::Runtime(e.context(format!("cannot inspect port {port}")))
        })
    };
    let state = inspect(caller)?;
    ui.found(&state);

    let mut actions = Vec::with_capacity(state.holders.len());
    let mut ask = Vec::new();
    for (i, h) in state.holders.iter().enumerate() {
        let action = decide(h, opts).unwrap_or_else(|| {
            ask.push(i);
            Action::None
        });
        actions.push(action);
    }
    if !ask.is_empty() {
        let asked: Vec<&Holder> = ask.iter().map(|&i| &state.holders[i]).collect();
        if !ui.confirm(&asked) {
            for &i in &ask {
                actions[i] = Action::Declined;
            }
        }
    }
    let mut targets = Vec::new();
    let mut target_slots = Vec::new();
    for (i, (h, action)) in state.holders.iter().zip(&actions).enumerate() {
        if !opts.dry_run && matches!(action, Action::None) {
            targets.push(target(opts.port, h));
            target_slots.push(i);
        }
    }
    let mut after = None;
    if !targets.is_empty() {
        let mut on_wait = |waiting: &[usize]| {
            let holders: Vec<&Holder> = waiting
                .iter()
                .filter_map(|&t| target_slots.get(t).map(|&slot| &state.holders[slot]))
                .collect();
            ui.waiting(&holders, opts.signal.1, opts.timeout);
        };
        let outcomes =
            kill::terminate_all(proc_root, &targets, opts.signal, opts.timeout, &mut on_wait);
        for (&slot, outcome) in target_slots.iter().zip(outcomes) {
            actions[slot] = Action::Signalled { outcome };
        }
        // Prove the result: who holds the port now (not only which sockets)?
        after = Some(inspect(caller)?);
    }

    let bind = bind::check_loopback(opts.port);
    Ok(Report::new(opts.dry_run, state, after, actions, bind))
}

/// What to do with `h` before anyone is asked: `None` when the answer
/// depends on the question (an expendable holder, or any with `--force`,
/// on a terminal without `--yes`).
pub fn decide(h: &Holder, opts: &Options) -> Option<Action> {
    Some(match h.verdict.class {
        _ if opts.dry_run => Action::None,
        _ if !opts.only.is_empty() && !opts.only.iter().any(|o| o.names(h)) => Action::Refused {
            reason: "not a holder --only names (it holds the port now: look again)".into(),
        },
        Class::Protected => Action::Refused {
            reason: h.verdict.summary.clone(),
        },
        Class::NotExpendable if !opts.force => Action::Refused {
            reason: format!("{}; pass --force to kill it anyway", h.verdict.summary),
        },
        _ if opts.yes => Action::None,
        _ if !opts.interactive => Action::Refused {
            reason: "no terminal to ask on; re-run with --yes to kill without asking".into(),
        },
        _ => return None,
    })
}

impl Report {
    /// The report on the port as found (`state`), the `actions` taken (one
    /// per holder), the port as inspected again after signalling (`after`;
    /// `None` when nothing was signalled) and the final test binds: the
    /// status, what still listens, who took the port meanwhile, and the
    /// one-line summary all follow from these.
    pub fn new(
        dry_run: bool,
        state: PortState,
        after: Option<PortState>,
        actions: Vec<Action>,
        bind: Vec<BindCheck>,
    ) -> Report {
        let final_state = after.as_ref().unwrap_or(&state);
        let still_listening: Vec<String> = final_state
            .listeners
            .iter()
            .map(|l| l.socket.endpoint())
            .collect();
        // A holder that exec'd another program is new too: what runs now
        // was never judged.
        let now_held_by: Vec<Holder> = after
            .as_ref()
            .map(|now| {
                now.holders
                    .iter()
                    .filter(|h| {
                        !state.holders.iter().any(|was| {
                            was.process.pid == h.process.pid
                                && was.process.start_ticks == h.process.start_ticks
                                && was.process.program() == h.process.program()
                        })
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let binds_ok = !bind.iter().any(BindCheck::blocks);
        let held = final_state.is_held();
        let status = if held {
            Status::Held
        } else if final_state.time_wait.is_some() {
            Status::TimeWait
        } else if !binds_ok {
            Status::Blocked
        } else {
            Status::Free
        };
        let summary = summarize(
            dry_run,
            &state,
            final_state.time_wait.as_ref(),
            &actions,
            &now_held_by,
            status,
            &bind,
        );
        Report {
            schema_version: crate::ops::SCHEMA_VERSION,
            dry_run,
            status,
            free: !held && binds_ok,
            summary,
            state,
            actions,
            still_listening,
            now_held_by,
            bind,
        }
    }
}

fn target(port: u16, h: &Holder) -> Target {
    Target {
        pid: h.process.pid,
        port,
        start_ticks: h.process.start_ticks,
        program: h.process.program(),
        inodes: h.inodes.clone(),
    }
}

fn summarize(
    dry_run: bool,
    state: &PortState,
    time_wait: Option<&inspect::TimeWait>,
    actions: &[Action],
    now_held_by: &[Holder],
    status: Status,
    bind: &[BindCheck],
) -> String {
    let p = state.port;
    match status {
        Status::Free if !state.is_held() => format!("port {p} is free"),
        Status::Free => format!("port {p} is free now"),
        Status::TimeWait => {
            let (n, secs) = time_wait.map_or((0, 60), |t| (t.count, t.expires_in_seconds));
            let conns = if n == 1 {
                "1 connection".to_owned()
            } else {
                format!("{n} connections")
            };
            if bind.iter().any(BindCheck::blocks) {
                format!(
                    "port {p} has no listener, only {conns} in TIME_WAIT: nothing to kill; \
                     binding fails until they expire (within {secs} s)"
                )
            } else {
                format!(
                    "port {p} has no listener, only {conns} in TIME_WAIT (gone within {secs} s): nothing to kill; \
                     the test bind with SO_REUSEADDR (as httpuv and gauth bind) works now"
                )
            }
        }
        Status::Blocked => {
            let why: Vec<String> = bind
                .iter()
                .filter(|b| b.blocks())
                .map(|b| {
                    format!(
                        "{}: {}",
                        b.address,
                        serde_json::to_value(&b.result)
                            .ok()
                            .and_then(|v| v
                                .get("error")
                                .and_then(|e| e.as_str().map(str::to_owned)))
                            .unwrap_or_else(|| "in use".into())
                    )
                })
                .collect();
            format!(
                "port {p} has no listener gauth can see, yet binding fails ({})",
                why.join("; ")
            )
        }
        Status::Held => {
            if let Some((summary, fix)) = state.invisible_problem() {
                return match fix {
                    Some(fix) => format!("{summary}; run `{fix}`"),
                    None => summary,
                };
            }
            if dry_run {
                let names: Vec<String> = state
                    .holders
                    .iter()
                    .map(|h| format!("{} (pid {})", h.process.name, h.process.pid))
                    .collect();
                return format!(
                    "port {p} is held by {} (dry run: nothing was killed)",
                    names.join(", ")
                );
            }
            let mut why = Vec::new();
            for (h, a) in state.holders.iter().zip(actions) {
                let name = format!("{} (pid {})", h.process.name, h.process.pid);
                match a {
                    Action::Refused { reason } => why.push(format!("{name}: {reason}")),
                    Action::Declined => why.push(format!("{name}: you chose not to kill it")),
                    Action::Signalled {
                        outcome: Outcome::Survived { .. },
                    } => why.push(format!("{name}: survived SIGKILL")),
                    Action::Signalled {
                        outcome: Outcome::Failed { error },
                    } => why.push(format!("{name}: {error}")),
                    _ => {}
                }
            }
            let now: Vec<String> = now_held_by
                .iter()
                .map(|h| {
                    format!(
                        "{} (pid {}): {}",
                        h.process.name, h.process.pid, h.verdict.summary
                    )
                })
                .collect();
            match (why.is_empty(), now.is_empty()) {
                (true, true) => format!("port {p} is still held"),
                (false, true) => format!("port {p} is still held by {}", why.join("; ")),
                (true, false) => format!("port {p} is now held by {}", now.join("; ")),
                (false, false) => format!(
                    "port {p} is still held by {}, and now held by {}",
                    why.join("; "),
                    now.join("; ")
                ),
            }
        }
    }
}
