//! Port checks: who holds the port (with the command that frees it, the same
//! one the verdict prints), TIME_WAIT, and binds refused by a sandbox.
use super::{Area, Check, Status, check};
use crate::decide::flow::Command;
use crate::decide::verdict::Class;
use crate::ops::inspect::{Holder, PortState};
use crate::system::net::bind::{BindCheck, BindResult};
use crate::system::net::selftest;

/// Who runs doctor: whose processes it may stop, and which it must not.
pub struct Who<'a> {
    pub uid: u32,
    /// Root or CAP_KILL: no sudo needed to stop another user's process.
    pub can_signal_others: bool,
    /// gauth's ancestors' pids, nearest first.
    pub ancestors: &'a [i32],
}

fn holder_name(h: &Holder, who: &Who) -> String {
    crate::ops::inspect::holder_label(h, who.uid)
}

/// What frees the port from one holder: the fix for its check and, when
/// something can be run, the verdict's command — one decision for both.
pub fn holder_action(h: &Holder, state: &PortState, who: &Who) -> (String, Option<Command>) {
    let p = state.port;
    let pr = &h.process;
    let name = holder_name(h, who);
    let is_r = crate::system::proc::looks_like_r(&pr.name, pr.exe.as_deref());
    let stop_servers = "httpuv::stopAllServers()";
    let cmd = |what: String, run: &str| Command {
        what,
        run: run.to_owned(),
    };
    // Its pid is another namespace's: no command here may signal it.
    if h.verdict.foreign_proc {
        return (
            "use another port, or run gauth where /proc is mounted for its own PID namespace \
             (unshare --mount-proc)"
                .into(),
            None,
        );
    }
    if who.ancestors.contains(&pr.pid) {
        if is_r {
            let what = format!("the R session that runs gauth ({name}) holds port {p}: in it, run");
            return (
                format!("in the R session that runs gauth ({name}): {stop_servers}"),
                Some(cmd(what, stop_servers)),
            );
        }
        return (
            format!("use another port: the holder is gauth's own ancestor ({name})"),
            None,
        );
    }
    if crate::ops::inspect::is_gauth_login(pr) {
        // It waits for its own browser and gives up at its --timeout: not
        // a leftover to kill, and `gauth login` has no --force to pass.
        // Ctrl-C only where it is the caller's: another user's runs on a
        // terminal the caller has no part in.
        let fix = match crate::ops::inspect::other_owner(pr, who.uid) {
            None => format!(
                "let that login finish, or end it (Ctrl-C where it runs; it gives up by itself at its --timeout), or use another port: {name} waits for its own browser"
            ),
            Some(owner) => format!(
                "use another port, or let that login finish (it gives up by itself at its --timeout): {name} waits for its own browser, and it is {owner}'s to end, not yours"
            ),
        };
        return (fix, None);
    }
    let mine = crate::system::proc::owned_by_caller(pr, who.uid);
    if pr.pid == 1 || h.verdict.class == Class::Protected && mine {
        return (
            "use another port: the holder cannot be killed safely".into(),
            None,
        );
    }
    if !mine {
        let user = pr
            .user
            .clone()
            .or_else(|| pr.uid.map(|u| format!("uid {u}")))
            .unwrap_or_else(|| "another user".into());
        if !who.can_signal_others && who.uid == 0 && cfg!(unix) {
            // Root without CAP_KILL: sudo changes nothing.
            return (
                format!(
                    "use another port: gauth runs as root without CAP_KILL and may not signal {user}'s process"
                ),
                None,
            );
        }
        // Windows has no sudo: the same command, from an elevated prompt.
        let elevate = !who.can_signal_others && cfg!(windows);
        let sudo = if who.can_signal_others || elevate {
            ""
        } else {
            "sudo "
        };
        let run = format!("{sudo}gauth free-port --force {p}");
        let how = if elevate {
            " from an elevated prompt"
        } else {
            ""
        };
        return (
            format!("{run}{how} (it is {user}'s: only if it must go), or use another port"),
            Some(cmd(
                format!("port {p} is held by {user}'s {name}: if it must go{how}"),
                &run,
            )),
        );
    }
    match h.verdict.class {
        Class::Expendable => {
            let run = format!("gauth free-port {p}");
            (
                run.clone(),
                Some(cmd(
                    format!("free port {p} from {name}, which looks expendable"),
                    &run,
                )),
            )
        }
        _ if is_r && pr.name == "rsession" && !pr.parent_gone => (
            format!("in that RStudio session: {stop_servers} (or Session > Restart R)"),
            Some(cmd(
                format!("RStudio's R session ({name}) holds port {p}: in its console, run"),
                stop_servers,
            )),
        ),
        _ if is_r && !pr.parent_gone && pr.tty.is_some() => {
            let tty = pr.tty.as_deref().unwrap_or_default();
            (
                format!("in the R session on {tty} ({name}): {stop_servers}, or quit it there"),
                Some(cmd(
                    format!(
                        "a live R session on {tty} ({name}) holds port {p}: in it, run (or quit it there)"
                    ),
                    stop_servers,
                )),
            )
        }
        _ => {
            let run = format!("gauth free-port --force {p}");
            (
                format!("{run} (only if you are sure), or use another port"),
                Some(cmd(
                    format!(
                        "port {p} is held by {name}, which is not expendable: only if you are sure"
                    ),
                    &run,
                )),
            )
        }
    }
}

/// The port checks; returns the commands that free the port (none: free,
/// or nothing safe to run).
pub fn checks(
    state: &PortState,
    bind: &[BindCheck],
    who: &Who,
    checks: &mut Vec<Check>,
) -> Vec<Command> {
    let p = state.port;
    let mut actions: Vec<Command> = Vec::new();
    if let Some((summary, fix)) = state.invisible_problem() {
        let mut c = check(Area::Port, "held", Status::Fail, summary);
        let invisible = state.invisible().next().map(|l| l.socket.uid);
        if let (Some(run), Some(uid)) = (fix, invisible) {
            // Another user's process: sudo sees it, and it is still not
            // expendable without --force (the fix says both).
            let user = state
                .invisible()
                .next()
                .and_then(|l| l.user.clone())
                .unwrap_or_else(|| {
                    uid.map_or_else(|| "an unknown owner".into(), |u| format!("uid {u}"))
                });
            c = c.fix(format!("{run} (it is {user}'s: only if it must go)"));
            actions.push(Command {
                what: format!(
                    "port {p} is held by a process of {user} that gauth cannot see: if it must go"
                ),
                run,
            });
        } else if state.sees_all_processes {
            c = c.fix("use another port, or stop the program that owns the socket");
        } else {
            c = c.fix("use another port, or run gauth with CAP_SYS_PTRACE to see the owner");
        }
        checks.push(c);
    }
    for h in &state.holders {
        let (fix, action) = holder_action(h, state, who);
        let verdict = if crate::ops::inspect::is_gauth_login(&h.process) {
            "it waits for its own browser"
        } else {
            &h.verdict.summary
        };
        let c = check(
            Area::Port,
            "held",
            Status::Fail,
            format!(
                "port {p} is held by {} {}: {verdict}",
                holder_name(h, who),
                if h.listening_on.is_empty() {
                    h.holds()
                } else {
                    format!("on {}", h.listening_on.join(", "))
                },
            ),
        )
        .evidence(h.verdict.reasons.clone())
        .evidence([format!("command: {}", h.process.command_line())])
        .fix(fix);
        checks.push(c);
        if let Some(a) = action
            && !actions.iter().any(|x| x.run == a.run)
        {
            actions.push(a);
        }
    }
    if state.is_held() {
        return actions;
    }
    let blocked: Vec<String> = bind
        .iter()
        .filter(|b| b.blocks())
        .filter_map(selftest::bind_problem)
        .collect();
    if let Some(tw) = &state.time_wait {
        let what = format!(
            "{} connection(s) in TIME_WAIT, gone within {} s",
            tw.count, tw.expires_in_seconds
        );
        if blocked.is_empty() {
            checks.push(check(Area::Port, "free", Status::Ok, format!(
                "port {p} is free ({what}; listeners that set SO_REUSEADDR, like httpuv and gauth, bind now)"
            )));
        } else {
            checks.push(
                check(
                    Area::Port,
                    "time_wait",
                    Status::Fail,
                    format!("port {p} cannot be bound until {what}; nothing to kill"),
                )
                .evidence(blocked.clone())
                .fix(format!("wait {} s", tw.expires_in_seconds)),
            );
        }
        return actions;
    }
    if blocked.is_empty() {
        let v6 = bind
            .iter()
            .any(|b| b.address.starts_with('[') && b.result == BindResult::Ok);
        let on = if v6 { "127.0.0.1 and ::1" } else { "127.0.0.1" };
        checks.push(check(
            Area::Port,
            "free",
            Status::Ok,
            format!("port {p} is free on {on}"),
        ));
    } else {
        checks.push(
            check(
                Area::Port,
                "blocked",
                Status::Fail,
                format!("port {p} cannot be bound: {}", blocked.join("; ")),
            )
            .fix("run gauth where it may open loopback sockets, or use the paste flow"),
        );
    }
    actions
}
