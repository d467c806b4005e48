//! Whether a process holding the port looks expendable, with the reasons a
//! person needs to agree or disagree. A function of the process and the
//! [`Caller`] (gathered in `system::proc::caller`, the Windows account SID
//! included), tested on hand-made ones: pure, it reads nothing.
use crate::system::proc::ProcessInfo;
/// Gathered in `system`; re-exported where the verdict's users look for it.
pub use crate::system::proc::caller::Caller;
use serde::Serialize;
use std::net::IpAddr;

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
    /// gauth's `/proc` is another PID namespace's: this pid is not one
    /// gauth may signal, with any privilege or flag, so no command that
    /// signals may be offered for it (the summary says why).
    #[serde(skip)]
    pub foreign_proc: bool,
}

/// What a process holds on the port: an auth helper listens on loopback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnPort {
    /// The addresses it listens on.
    pub listening: Vec<IpAddr>,
    /// How many connections (not listeners) on the port it holds.
    pub connections: usize,
}

/// Words on a command line that name an OAuth listener, by helper kind:
/// R's httpuv (what httr and gargle listen with) and Python's
/// google_auth_oauthlib (`InstalledAppFlow.run_local_server`).
const R_MARKS: &[&str] = &["httpuv", "gargle", "httr"];
const PYTHON_MARKS: &[&str] = &[
    "run_local_server",
    "InstalledAppFlow",
    "google_auth_oauthlib",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    R,
    Python,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::R => "R",
            Kind::Python => "Python",
        }
    }

    fn marks(self) -> &'static [&'static str] {
        match self {
            Kind::R => R_MARKS,
            Kind::Python => PYTHON_MARKS,
        }
    }
}

fn helper_kind(p: &ProcessInfo) -> Option<Kind> {
    let exe_file = p
        .exe
        .as_deref()
        .map(|e| e.rsplit(['/', '\\']).next().unwrap_or(e))
        .unwrap_or("");
    if crate::system::proc::looks_like_r(&p.name, p.exe.as_deref()) {
        Some(Kind::R)
    } else if p.name.starts_with("python") || exe_file.starts_with("python") || p.name == "py.exe" {
        Some(Kind::Python)
    } else {
        None
    }
}

/// `mark` as a whole identifier in `text` (`httr::` yes, `httrack` no).
fn names(text: &str, mark: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(mark).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(ident)
            && !text[i + mark.len()..].chars().next().is_some_and(ident)
    })
}

/// The evidence of an OAuth listener: (short name, reason line). A mapped
/// library first: it cannot be faked by a word in an argument.
fn evidence(p: &ProcessInfo, kind: Kind) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = p
        .loaded
        .iter()
        .map(|lib| {
            (
                lib.clone(),
                format!("{lib} is loaded (mapped into the process)"),
            )
        })
        .collect();
    let cmd = p.cmdline.join(" ");
    for mark in kind.marks() {
        if names(&cmd, mark) && !found.iter().any(|(n, _)| n == mark) {
            found.push(((*mark).to_owned(), format!("its command line names {mark}")));
        }
    }
    found
}

fn endpoints(addrs: &[IpAddr], port: u16) -> String {
    addrs
        .iter()
        .map(|a| std::net::SocketAddr::new(*a, port).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn judge(p: &ProcessInfo, on: &OnPort, caller: &Caller) -> Verdict {
    let mut reasons = Vec::new();
    let user = p
        .user
        .clone()
        .or_else(|| p.uid.map(|u| format!("uid {u}")))
        .unwrap_or_else(|| "an unknown user".into());
    let mine = mine(p, caller);
    let protected = |summary: String, mut reasons: Vec<String>| {
        reasons.insert(0, summary.clone());
        Verdict {
            class: Class::Protected,
            summary: format!("not expendable: {summary}"),
            reasons,
            foreign_proc: false,
        }
    };

    // First: in another namespace's /proc even "PID 1" and "gauth itself"
    // are not what they say here.
    if let Some(why) = &caller.foreign_proc {
        let mut v = protected(
            format!(
                "{why}: its pids are not the ones gauth's signals reach, so gauth signals \
                 nothing; run gauth where /proc is mounted for its own PID namespace \
                 (unshare --mount-proc), or outside that namespace"
            ),
            reasons,
        );
        v.foreign_proc = true;
        return v;
    }
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
    if let Some(why) = &caller.ancestry_unverified {
        return protected(
            format!("gauth could not verify its own ancestry ({why}); it may be gauth's ancestor"),
            reasons,
        );
    }
    if !mine && !caller.can_signal_others {
        // Under sudo it is still another user's process: only --force acts.
        // Root lacking CAP_KILL gains nothing from sudo; Windows elevates.
        let why = if cfg!(windows) {
            format!(
                "another user's process ({user}); run `gauth free-port --force {}` from an elevated prompt if it must go",
                caller.port
            )
        } else if caller.uid == 0 {
            format!(
                "another user's process ({user}), and gauth runs as root without CAP_KILL, \
                 so it may not signal it (run gauth where root has CAP_KILL, e.g. on the host)"
            )
        } else {
            format!(
                "another user's process ({user}); run `sudo gauth free-port --force {}` if it must go",
                caller.port
            )
        };
        return protected(why, reasons);
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
    let evidence = kind.map(|k| evidence(p, k)).unwrap_or_default();
    for (_, why) in &evidence {
        reasons.push(format!("evidence of an OAuth listener: {why}"));
    }
    if let (Some(k), true) = (kind, evidence.is_empty()) {
        reasons.push(format!(
            "no evidence of an OAuth listener: no auth library loaded, and the command line names none of {}",
            k.marks().join(", ")
        ));
    }
    let wide: Vec<IpAddr> = on
        .listening
        .iter()
        .copied()
        .filter(|a| !a.to_canonical().is_loopback())
        .collect();
    if !on.listening.is_empty() {
        if wide.is_empty() {
            reasons.push(format!(
                "listens on loopback only ({})",
                endpoints(&on.listening, caller.port)
            ));
        } else {
            reasons.push(format!(
                "listens on {}, reachable beyond this machine: not a loopback auth helper",
                endpoints(&wide, caller.port)
            ));
        }
    }
    if on.connections > 0 {
        reasons.push(format!(
            "holds {} on port {} (not a listener)",
            if on.connections == 1 {
                "a connection".to_owned()
            } else {
                format!("{} connections", on.connections)
            },
            caller.port
        ));
    }
    if let Some(unit) = &p.service {
        reasons.push(format!("runs as the system service {unit}"));
    }

    let not = |summary: String, reasons: Vec<String>| Verdict {
        class: Class::NotExpendable,
        summary: format!("not expendable: {summary}"),
        reasons,
        foreign_proc: false,
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
    let Some(kind) = kind else {
        return not(
            format!("{} is not a known auth helper (R, Python)", p.name),
            reasons,
        );
    };
    let k = kind.name();
    // Killing a live rsession ends the user's RStudio session and its
    // workspace; RStudio can restart R without that loss.
    if crate::system::proc::program_name(&p.name) == "rsession" && !p.parent_gone {
        return not(
            "an RStudio R session still attached to RStudio; restart R there (Session > Restart R) instead".into(),
            reasons,
        );
    }
    // A live interactive session is somebody's work, not a leftover.
    if let (Some(tty), false) = (&p.tty, p.parent_gone) {
        return not(
            format!("an interactive {k} session on {tty}; quit or restart it there instead"),
            reasons,
        );
    }
    let Some((first, _)) = evidence.first() else {
        // Being orphaned is what any daemon looks like: not evidence.
        let how = if p.parent_gone {
            "orphaned, but that alone is what any daemon looks like"
        } else {
            "still attached to its parent"
        };
        return not(
            format!("a {k} process with no sign of an auth listener, {how}"),
            reasons,
        );
    };
    if on.listening.is_empty() {
        return not(
            format!(
                "a {k} process holding a connection on port {}, not an auth listener",
                caller.port
            ),
            reasons,
        );
    }
    if !wide.is_empty() {
        return not(
            format!(
                "a {k} process listening on {}: an auth helper listens on loopback only",
                endpoints(&wide, caller.port)
            ),
            reasons,
        );
    }
    let orphan = if p.parent_gone { ", orphaned" } else { "" };
    Verdict {
        class: Class::Expendable,
        summary: format!(
            "looks expendable: a leftover {k} auth listener ({first}) owned by you{orphan}"
        ),
        reasons,
        foreign_proc: false,
    }
}

/// Is `p` the caller's own process? By uid; on Windows, which has no uids,
/// by the account's SID (a process described there never has a uid, so only
/// a hand-built one, as in the rendering tests, matches by uid).
pub fn mine(p: &ProcessInfo, caller: &Caller) -> bool {
    p.uid == Some(caller.uid) || p.sid.is_some() && p.sid == caller.sid
}

// Ownership by uid: the Unix rules (Windows compares SIDs).
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::system::proc::ProcessInfo;

    fn proc_(name: &str, uid: u32) -> ProcessInfo {
        ProcessInfo {
            pid: 500,
            name: name.into(),
            exe: None,
            cmdline: vec![],
            uid: Some(uid),
            user: Some(if uid == 0 { "root" } else { "jenny" }.into()),
            sid: None,
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
            can_signal_others: privileged,
            sees_all_processes: privileged,
            self_and_ancestors: vec![900, 800, 1],
            ancestry_unverified: None,
            foreign_proc: None,
            port: 1410,
            sid: None,
        }
    }

    /// Listening on 127.0.0.1 only.
    fn lo() -> OnPort {
        OnPort {
            listening: vec![IpAddr::from([127, 0, 0, 1])],
            connections: 0,
        }
    }

    fn judge_(p: &ProcessInfo, c: &Caller) -> Verdict {
        judge(p, &lo(), c)
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    /// What decides "a leftover auth listener": evidence in the code (a
    /// mapped library) or on the command line of a known helper, and a
    /// listener on loopback only. Being orphaned, a name, or the word
    /// "oauth" are not evidence.
    #[test]
    fn evidence_table() {
        let any4 = IpAddr::from([0, 0, 0, 0]);
        let any6 = IpAddr::from([0u16; 8]);
        let lo6 = IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1u16]);
        let mapped_lo: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        #[allow(clippy::type_complexity)]
        let cases: &[(
            &str,
            &str,
            Option<&str>,
            &[&str],
            &[&str],
            &[IpAddr],
            usize,
            bool,
            Class,
            &str,
        )] = &[
            // (case, name, exe, argv, loaded, listening, connections, orphaned, class, summary contains)
            (
                "R with httpuv mapped, loopback",
                "R",
                None,
                &[],
                &["httpuv"],
                &[IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
                0,
                true,
                Class::Expendable,
                "auth listener (httpuv)",
            ),
            (
                "R with httpuv mapped on 0.0.0.0 (a Shiny app)",
                "R",
                None,
                &[],
                &["httpuv"],
                &[any4],
                0,
                true,
                Class::NotExpendable,
                "listening on 0.0.0.0:1410",
            ),
            (
                "Rscript naming gargle",
                "Rscript",
                None,
                &["Rscript", "-e", "gargle::token_fetch()"],
                &[],
                &[lo6],
                0,
                false,
                Class::Expendable,
                "auth listener (gargle)",
            ),
            (
                "R naming httrack is not httr",
                "R",
                None,
                &["R", "-e", "httrack()"],
                &[],
                &[lo6],
                0,
                true,
                Class::NotExpendable,
                "no sign of an auth listener",
            ),
            (
                "python run_local_server on loopback",
                "python3",
                None,
                &["python3", "-c", "flow.run_local_server(port=1410)"],
                &[],
                &[IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
                0,
                false,
                Class::Expendable,
                "auth listener (run_local_server)",
            ),
            (
                "python InstalledAppFlow on v4-mapped loopback",
                "python3",
                None,
                &["python3", "auth.py", "InstalledAppFlow"],
                &[],
                &[mapped_lo],
                0,
                true,
                Class::Expendable,
                "(InstalledAppFlow)",
            ),
            (
                "python run_local_server on ::",
                "python3",
                None,
                &["python3", "-c", "run_local_server"],
                &[],
                &[any6],
                0,
                true,
                Class::NotExpendable,
                "listening on [::]:1410",
            ),
            (
                "daemonised python web app on 0.0.0.0",
                "python3",
                None,
                &["python3", "-m", "myapp.server"],
                &[],
                &[any4],
                0,
                true,
                Class::NotExpendable,
                "no sign of an auth listener, orphaned",
            ),
            (
                "any argv with oauth",
                "python3",
                None,
                &["python3", "oauth"],
                &[],
                &[IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
                0,
                true,
                Class::NotExpendable,
                "no sign of an auth listener",
            ),
            (
                "oauth inside a word",
                "python3",
                None,
                &["python3", "serve_oauth_proxy.py"],
                &[],
                &[IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
                0,
                true,
                Class::NotExpendable,
                "no sign",
            ),
            (
                "python renamed gunicorn, orphaned",
                "gunicorn",
                Some("/usr/bin/python3.11"),
                &["gunicorn: master [app]"],
                &[],
                &[IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
                0,
                true,
                Class::NotExpendable,
                "Python process with no sign",
            ),
            (
                "http.server is not an OAuth listener",
                "python3",
                None,
                &["python3", "-m", "http.server", "1410"],
                &[],
                &[IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
                0,
                false,
                Class::NotExpendable,
                "still attached to its parent",
            ),
            (
                "Python marks do not count for R",
                "R",
                None,
                &["R", "-e", "run_local_server"],
                &[],
                &[IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
                0,
                true,
                Class::NotExpendable,
                "no sign",
            ),
            (
                "a connection, not a listener",
                "python3",
                None,
                &["python3", "run_local_server"],
                &[],
                &[],
                1,
                true,
                Class::NotExpendable,
                "holding a connection on port 1410",
            ),
            (
                "node is not a known helper",
                "node",
                None,
                &["node", "oauth.js"],
                &[],
                &[IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)],
                0,
                true,
                Class::NotExpendable,
                "not a known auth helper",
            ),
        ];
        for &(case, name, exe, args, loaded, listening, connections, orphaned, class, want) in cases
        {
            let mut p = proc_(name, 1000);
            p.exe = exe.map(str::to_owned);
            p.cmdline = argv(args);
            p.loaded = argv(loaded);
            p.parent_gone = orphaned;
            if !orphaned {
                p.ppid = 77;
                p.parent_name = Some("bash".into());
            }
            let on = OnPort {
                listening: listening.to_vec(),
                connections,
            };
            let v = judge(&p, &on, &caller(false));
            assert_eq!(v.class, class, "{case}: {v:#?}");
            assert!(v.summary.contains(want), "{case}: {}", v.summary);
            // The reasons say what decided it.
            let said_evidence = v
                .reasons
                .iter()
                .any(|r| r.contains("evidence of an OAuth listener"));
            assert!(said_evidence || name == "node", "{case}: {:?}", v.reasons);
        }
    }

    #[test]
    fn unverified_ancestry_protects_every_holder() {
        let mut c = caller(true);
        c.ancestry_unverified = Some("the parent of pid 800 cannot be read".into());
        let mut p = proc_("R", 1000);
        p.loaded = vec!["httpuv".into()];
        let v = judge_(&p, &c);
        assert_eq!(v.class, Class::Protected);
        assert!(
            v.summary.contains("could not verify its own ancestry"),
            "{}",
            v.summary
        );
    }

    #[test]
    fn orphaned_r_with_httpuv_is_expendable() {
        let mut p = proc_("R", 1000);
        p.loaded = vec!["httpuv".into()];
        let v = judge_(&p, &caller(false));
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
        assert_eq!(judge_(&p, &c).class, Class::Protected);
        let mut me = proc_("gauth", 1000);
        me.pid = 900;
        assert_eq!(
            judge_(&me, &c).summary,
            "not expendable: it is gauth itself"
        );
        let mut shell = proc_("bash", 1000);
        shell.pid = 800;
        assert!(judge_(&shell, &c).summary.contains("gauth's own ancestor"));
        let other = proc_("R", 0);
        let v = judge_(&other, &caller(false));
        assert_eq!(v.class, Class::Protected);
        // After sudo it is still another user's process: --force is what acts.
        assert!(
            v.summary
                .contains("run `sudo gauth free-port --force 1410`"),
            "{}",
            v.summary
        );
    }

    /// Another namespace's /proc: every holder is protected, whatever it
    /// is, and the verdict says so.
    #[test]
    fn in_another_namespaces_proc_every_holder_is_protected() {
        let c = Caller {
            foreign_proc: Some("/proc belongs to another PID namespace (…)".into()),
            can_signal_others: true,
            ..caller(true)
        };
        let mut r = proc_("R", 1000);
        r.loaded = vec!["httpuv".into()];
        assert_eq!(judge_(&r, &caller(true)).class, Class::Expendable);
        for p in [
            r.clone(),
            ProcessInfo {
                pid: 1,
                ..r.clone()
            },
            ProcessInfo { pid: 900, ..r },
        ] {
            let v = judge_(&p, &c);
            assert_eq!(v.class, Class::Protected);
            assert!(v.foreign_proc);
            assert!(
                v.summary
                    .starts_with("not expendable: /proc belongs to another PID namespace")
                    && v.summary.contains("gauth signals nothing"),
                "{}",
                v.summary
            );
        }
    }

    /// Root without CAP_KILL: sudo would change nothing, so it is not advised.
    #[test]
    fn root_without_cap_kill_is_not_told_to_use_sudo() {
        let c = Caller {
            uid: 0,
            ..caller(false)
        };
        let v = judge_(&proc_("R", 1000), &c);
        assert_eq!(v.class, Class::Protected);
        assert!(!v.summary.contains("sudo"), "{}", v.summary);
        assert!(v.summary.contains("without CAP_KILL"), "{}", v.summary);
    }

    #[test]
    fn live_sessions_are_not_leftovers() {
        let c = caller(false);
        let mut r = proc_("R", 1000);
        r.loaded = vec!["httpuv".into()];
        r.parent_gone = false;
        r.parent_name = Some("bash".into());
        r.tty = Some("pts/3".into());
        let v = judge_(&r, &c);
        assert_eq!(v.class, Class::NotExpendable);
        assert_eq!(
            v.summary,
            "not expendable: an interactive R session on pts/3; quit or restart it there instead"
        );
        // The same R, orphaned (its terminal is gone): a leftover.
        r.parent_gone = true;
        assert_eq!(judge_(&r, &c).class, Class::Expendable);
        let mut rs = proc_("rsession", 1000);
        rs.loaded = vec!["httpuv".into()];
        rs.parent_gone = false;
        rs.parent_name = Some("rserver".into());
        assert!(judge_(&rs, &c).summary.contains("restart R there"));
        // Non-interactive, parent alive, auth trace: a leftover helper.
        let mut bg = proc_("Rscript", 1000);
        bg.cmdline = vec![
            "Rscript".into(),
            "-e".into(),
            "httpuv::startServer()".into(),
        ];
        bg.parent_gone = false;
        bg.parent_name = Some("make".into());
        assert_eq!(judge_(&bg, &c).class, Class::Expendable);
    }

    #[test]
    fn tty_numbers() {
        assert_eq!(crate::system::proc::tty_name(0), None);
        assert_eq!(
            crate::system::proc::tty_name(34819).as_deref(),
            Some("pts/3")
        ); // 136:3
        assert_eq!(crate::system::proc::tty_name(1026).as_deref(), Some("tty2")); // 4:2
        assert_eq!(
            crate::system::proc::tty_name((136 << 8) | (1 << 20) | 5).as_deref(),
            Some("pts/261")
        );
    }

    #[test]
    fn not_expendable_cases() {
        let mut other = proc_("R", 0);
        other.loaded = vec!["httpuv".into()];
        assert_eq!(
            judge_(&other, &caller(true)).summary,
            "not expendable: another user's process (root)"
        );
        let mut svc = proc_("nginx", 1000);
        svc.service = Some("nginx.service".into());
        assert_eq!(
            judge_(&svc, &caller(false)).summary,
            "not expendable: a system service (nginx.service)"
        );
        let node = proc_("node", 1000);
        assert_eq!(judge_(&node, &caller(false)).class, Class::NotExpendable);
        let mut py = proc_("python3", 1000);
        py.parent_gone = false;
        py.parent_name = Some("bash".into());
        assert_eq!(judge_(&py, &caller(false)).class, Class::NotExpendable);
        py.cmdline = vec![
            "python3".into(),
            "-m".into(),
            "http.server".into(),
            "1410".into(),
        ];
        let v = judge_(&py, &caller(false));
        assert_eq!(
            v.class,
            Class::NotExpendable,
            "a file server, not an OAuth listener"
        );
        assert!(
            v.reasons.iter().any(|r| r.contains("still running")),
            "{:?}",
            v.reasons
        );
    }

    /// A fake /proc with an orphaned R (httpuv loaded) and a system service.
    #[cfg(target_os = "linux")]
    fn fake_proc() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = root.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("uptime", "3690.00 7000.00\n");
        write(
            "1/stat",
            "1 (systemd) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0",
        );
        let hz = crate::system::proc::clock_ticks_per_second();
        write(
            "500/stat",
            &format!(
                "500 (R) S 1 500 500 0 -1 0 0 0 0 0 0 0 0 0 20 0 2 0 {} 0 0",
                3600 * hz
            ),
        );
        write("500/status", "Name:\tR\nUid:\t1000\t1000\t1000\t1000\n");
        write(
            "500/cmdline",
            "/usr/lib/R/bin/exec/R\0--no-echo\0--file=x.R\0",
        );
        write(
            "500/maps",
            "7f-80 r-xp 0 08:01 1 /usr/lib/R/site-library/httpuv/libs/httpuv.so\n",
        );
        write(
            "500/cgroup",
            "0::/user.slice/user-1000.slice/session-3.scope\n",
        );
        write(
            "600/stat",
            "600 (nginx) S 1 600 600 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 50 0 0",
        );
        write("600/status", "Uid:\t1000\t1000\t1000\t1000\n");
        write("600/cgroup", "0::/system.slice/nginx.service\n");
        root
    }

    #[test]
    #[cfg(target_os = "linux")] // a fake /proc tree
    fn describe_and_judge_from_a_fake_proc_tree() {
        use crate::system::proc::{describe, start_ticks};
        let root = fake_proc();
        let r = describe(root.path(), 500, 1_700_000_000 + 3600 + 90).unwrap();
        assert_eq!((r.name.as_str(), r.ppid, r.uid), ("R", 1, Some(1000)));
        assert_eq!(
            r.cmdline,
            vec!["/usr/lib/R/bin/exec/R", "--no-echo", "--file=x.R"]
        );
        assert_eq!(r.parent_name.as_deref(), Some("systemd"));
        assert!(r.parent_gone);
        assert_eq!(r.started_at, Some(1_700_000_000 + 3600));
        assert_eq!(r.age_seconds, Some(90));
        assert_eq!(r.loaded, vec!["httpuv"]);
        assert_eq!(r.exe, None, "unreadable exe link is normal");
        let caller = Caller {
            uid: 1000,
            can_signal_others: false,
            sees_all_processes: false,
            self_and_ancestors: vec![900],
            ancestry_unverified: None,
            foreign_proc: None,
            port: 1410,
            sid: None,
        };
        let lo = OnPort {
            listening: vec![std::net::Ipv4Addr::LOCALHOST.into()],
            connections: 0,
        };
        assert_eq!(judge(&r, &lo, &caller).class, Class::Expendable);
        let svc = describe(root.path(), 600, 1_700_000_000).unwrap();
        assert_eq!(svc.service.as_deref(), Some("nginx.service"));
        assert_eq!(judge(&svc, &lo, &caller).class, Class::NotExpendable);
        assert!(
            describe(root.path(), 700, 0).is_none(),
            "a vanished process is None, not a panic"
        );
        assert_eq!(start_ticks(root.path(), 600), Some(50));
    }
}
