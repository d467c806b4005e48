//! Whether a process holding the port looks expendable, with the reasons a
//! person needs to agree or disagree. Pure: tested on hand-made processes.
use super::ProcessInfo;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// A leftover auth listener of yours: killed after confirmation.
    Expendable,
    /// Killed only with `--force`.
    NotExpendable,
    /// Never killed: PID 1, gauth, its ancestors, another user's process
    /// without privilege.
    Protected,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub class: Class,
    /// One line: "looks expendable: …" or "not expendable: …".
    pub summary: String,
    /// Every fact that went into it.
    pub reasons: Vec<String>,
}

/// What the verdict needs to know about the caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub uid: u32,
    pub privileged: bool,
    /// gauth's pid first, then its ancestors.
    pub self_and_ancestors: Vec<i32>,
    pub port: u16,
}

impl Caller {
    /// The caller as this process sees itself.
    pub fn current(proc_root: &std::path::Path, port: u16) -> Caller {
        Caller {
            uid: super::current_uid(),
            privileged: super::privileged(proc_root),
            self_and_ancestors: super::self_and_ancestors(proc_root),
            port,
        }
    }
}

/// Marks on a command line of an OAuth or throw-away HTTP listener.
const CMDLINE_TRACES: &[&str] = &[
    "httpuv",
    "startServer",
    "http.server",
    "SimpleHTTPServer",
    "oauth",
    "gargle",
    "httr",
    "InstalledAppFlow",
    "run_local_server",
    "google_auth",
];

fn helper_kind(p: &ProcessInfo) -> Option<&'static str> {
    let exe_file = p
        .exe
        .as_deref()
        .map(|e| e.rsplit('/').next().unwrap_or(e))
        .unwrap_or("");
    if super::looks_like_r(&p.name, p.exe.as_deref()) {
        Some("R")
    } else if p.name.starts_with("python") || exe_file.starts_with("python") {
        Some("Python")
    } else {
        None
    }
}

fn traces(p: &ProcessInfo) -> Vec<String> {
    let mut t = p.loaded.clone();
    let cmd = p.cmdline.join(" ");
    let lower = cmd.to_lowercase();
    for mark in CMDLINE_TRACES {
        if lower.contains(&mark.to_lowercase()) && !t.iter().any(|x| x.eq_ignore_ascii_case(mark)) {
            t.push((*mark).to_owned());
        }
    }
    t
}

pub fn judge(p: &ProcessInfo, caller: &Caller) -> Verdict {
    let mut reasons = Vec::new();
    let user = p
        .user
        .clone()
        .or_else(|| p.uid.map(|u| format!("uid {u}")))
        .unwrap_or_else(|| "an unknown user".into());
    let mine = p.uid == Some(caller.uid);
    let protected = |summary: String, mut reasons: Vec<String>| {
        reasons.insert(0, summary.clone());
        Verdict {
            class: Class::Protected,
            summary: format!("not expendable: {summary}"),
            reasons,
        }
    };

    if p.pid == 1 {
        return protected(
            "it is PID 1, the init process; killing it stops the whole system or container".into(),
            reasons,
        );
    }
    if caller.self_and_ancestors.first() == Some(&p.pid) {
        return protected("it is gauth itself".into(), reasons);
    }
    if caller.self_and_ancestors.contains(&p.pid) {
        return protected(
            "it is gauth's own ancestor; killing it would end this session".to_owned(),
            reasons,
        );
    }
    if !mine && !caller.privileged {
        return protected(
            format!(
                "another user's process ({user}); run `sudo gauth free-port {}` if it must go",
                caller.port
            ),
            reasons,
        );
    }

    if mine {
        reasons.push("owned by you".into());
    } else {
        reasons.push(format!("owned by {user}, not by you"));
    }
    if p.parent_gone {
        reasons.push(format!("orphaned: its parent is gone (now pid {})", p.ppid));
    } else if let Some(parent) = &p.parent_name {
        reasons.push(format!(
            "its parent ({parent}, pid {}) is still running",
            p.ppid
        ));
    }
    let kind = helper_kind(p);
    let traces = traces(p);
    if !traces.is_empty() {
        reasons.push(format!(
            "signs of an auth/HTTP listener: {}",
            traces.join(", ")
        ));
    }
    if let Some(unit) = &p.service {
        reasons.push(format!("runs as the system service {unit}"));
    }

    let not = |summary: String, reasons: Vec<String>| Verdict {
        class: Class::NotExpendable,
        summary: format!("not expendable: {summary}"),
        reasons,
    };
    if !mine {
        return not(format!("another user's process ({user})"), reasons);
    }
    if let Some(unit) = &p.service {
        return not(format!("a system service ({unit})"), reasons);
    }
    if let (Some(tty), false) = (&p.tty, p.parent_gone) {
        reasons.push(format!(
            "attached to the terminal {tty}: someone may be using it"
        ));
    }
    match kind {
        // Killing a live rsession ends the user's RStudio session and its
        // workspace; RStudio can restart R without that loss.
        Some(_) if p.name == "rsession" && !p.parent_gone => not(
            "an RStudio R session still attached to RStudio; restart R there (Session > Restart R) instead".into(),
            reasons,
        ),
        // A live interactive session is somebody's work, not a leftover.
        Some(kind) if !p.parent_gone && p.tty.is_some() => not(
            format!(
                "an interactive {kind} session on {}; quit or restart it there instead",
                p.tty.as_deref().unwrap_or("a terminal")
            ),
            reasons,
        ),
        Some(kind) if !traces.is_empty() || p.parent_gone => {
            let what = if traces.is_empty() {
                format!("a leftover {kind} process")
            } else {
                // The most telling trace (a loaded library beats a word on
                // the command line); the reasons list them all.
                format!("a leftover {kind} auth listener ({})", traces[0])
            };
            let orphan = if p.parent_gone { ", orphaned" } else { "" };
            Verdict {
                class: Class::Expendable,
                summary: format!("looks expendable: {what} owned by you{orphan}"),
                reasons,
            }
        }
        Some(kind) => not(
            format!(
                "a {kind} process with no sign of an auth listener, still attached to its parent"
            ),
            reasons,
        ),
        None => not(
            format!("{} is not a known auth helper (R, Python)", p.name),
            reasons,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc_(name: &str, uid: u32) -> ProcessInfo {
        ProcessInfo {
            pid: 500,
            name: name.into(),
            exe: None,
            cmdline: vec![],
            uid: Some(uid),
            user: Some(if uid == 0 { "root" } else { "jenny" }.into()),
            state: "S".into(),
            ppid: 1,
            parent_name: Some("init".into()),
            parent_gone: true,
            tty: None,
            start_ticks: 1,
            started_at: None,
            age_seconds: None,
            service: None,
            loaded: vec![],
        }
    }

    fn caller(privileged: bool) -> Caller {
        Caller {
            uid: 1000,
            privileged,
            self_and_ancestors: vec![900, 800, 1],
            port: 1410,
        }
    }

    #[test]
    fn orphaned_r_with_httpuv_is_expendable() {
        let mut p = proc_("R", 1000);
        p.loaded = vec!["httpuv".into()];
        let v = judge(&p, &caller(false));
        assert_eq!(v.class, Class::Expendable);
        assert_eq!(
            v.summary,
            "looks expendable: a leftover R auth listener (httpuv) owned by you, orphaned"
        );
    }

    #[test]
    fn protected_cases() {
        let c = caller(true);
        let mut p = proc_("process_api", 0);
        p.pid = 1;
        assert_eq!(judge(&p, &c).class, Class::Protected);
        let mut me = proc_("gauth", 1000);
        me.pid = 900;
        assert_eq!(judge(&me, &c).summary, "not expendable: it is gauth itself");
        let mut shell = proc_("bash", 1000);
        shell.pid = 800;
        assert!(judge(&shell, &c).summary.contains("gauth's own ancestor"));
        let other = proc_("R", 0);
        let v = judge(&other, &caller(false));
        assert_eq!(v.class, Class::Protected);
        assert!(
            v.summary.contains("sudo gauth free-port 1410"),
            "{}",
            v.summary
        );
    }

    #[test]
    fn live_sessions_are_not_leftovers() {
        let c = caller(false);
        let mut r = proc_("R", 1000);
        r.loaded = vec!["httpuv".into()];
        r.parent_gone = false;
        r.parent_name = Some("bash".into());
        r.tty = Some("pts/3".into());
        let v = judge(&r, &c);
        assert_eq!(v.class, Class::NotExpendable);
        assert_eq!(
            v.summary,
            "not expendable: an interactive R session on pts/3; quit or restart it there instead"
        );
        // The same R, orphaned (its terminal is gone): a leftover.
        r.parent_gone = true;
        assert_eq!(judge(&r, &c).class, Class::Expendable);
        let mut rs = proc_("rsession", 1000);
        rs.loaded = vec!["httpuv".into()];
        rs.parent_gone = false;
        rs.parent_name = Some("rserver".into());
        assert!(judge(&rs, &c).summary.contains("restart R there"));
        // Non-interactive, parent alive, auth trace: a leftover helper.
        let mut bg = proc_("Rscript", 1000);
        bg.cmdline = vec![
            "Rscript".into(),
            "-e".into(),
            "httpuv::startServer()".into(),
        ];
        bg.parent_gone = false;
        bg.parent_name = Some("make".into());
        assert_eq!(judge(&bg, &c).class, Class::Expendable);
    }

    #[test]
    fn tty_numbers() {
        assert_eq!(crate::process::tty_name(0), None);
        assert_eq!(crate::process::tty_name(34819).as_deref(), Some("pts/3")); // 136:3
        assert_eq!(crate::process::tty_name(1026).as_deref(), Some("tty2")); // 4:2
        assert_eq!(
            crate::process::tty_name((136 << 8) | (1 << 20) | 5).as_deref(),
            Some("pts/261")
        );
    }

    #[test]
    fn not_expendable_cases() {
        let mut other = proc_("R", 0);
        other.loaded = vec!["httpuv".into()];
        assert_eq!(
            judge(&other, &caller(true)).summary,
            "not expendable: another user's process (root)"
        );
        let mut svc = proc_("nginx", 1000);
        svc.service = Some("nginx.service".into());
        assert_eq!(
            judge(&svc, &caller(false)).summary,
            "not expendable: a system service (nginx.service)"
        );
        let node = proc_("node", 1000);
        assert_eq!(judge(&node, &caller(false)).class, Class::NotExpendable);
        let mut py = proc_("python3", 1000);
        py.parent_gone = false;
        py.parent_name = Some("bash".into());
        assert_eq!(judge(&py, &caller(false)).class, Class::NotExpendable);
        py.cmdline = vec![
            "python3".into(),
            "-m".into(),
            "http.server".into(),
            "1410".into(),
        ];
        let v = judge(&py, &caller(false));
        assert_eq!(v.class, Class::Expendable);
        assert!(
            v.reasons.iter().any(|r| r.contains("still running")),
            "{:?}",
            v.reasons
        );
    }
}
