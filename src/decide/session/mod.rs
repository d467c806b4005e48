//! Session detection, a pure function of `Facts`: the `Session` and its
//! kinds, and `detect`, which weighs the signs found by the submodules.
//! What kind of session this is (`hosted`: announced IDEs, notebooks and
//! cloud shells; `remote`: SSH and containers), whether a browser can be
//! opened here and how (`browser`), and whether the user's browser can reach
//! a loopback listener here — each with its evidence.
use crate::system::facts::Facts;
use serde::Serialize;

mod browser;
mod hosted;
mod remote;

pub use browser::{Browser, Lands, vscode_browser_helper};
pub use remote::{SshEndpoint, parse_ssh_connection};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    LocalDesktop,
    /// A Windows Remote Desktop (RDP) session: the browser runs on this
    /// machine and is shown over RDP.
    RemoteDesktop,
    Ssh,
    SshX11,
    HostedIde,
    Notebook,
    CloudShell,
    Container,
    Wsl,
    Headless,
}

/// Can the user's browser reach a listener on this machine's loopback?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// The browser runs here (or its loopback is shared with this one).
    Yes,
    /// Yes, through a port the IDE forwards by itself.
    Forwarded,
    /// Only through a tunnel or forwarded port the user sets up.
    Tunnel,
    No,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub kind: Kind,
    /// "SSH", "RStudio Server / Posit Workbench", "local desktop", …
    pub name: String,
    pub evidence: Vec<String>,
    pub browser: Browser,
    pub reach: Reach,
    pub reach_why: String,
    /// From SSH_CONNECTION, for the tunnel command.
    pub ssh: Option<SshEndpoint>,
    /// Set when a container was detected, whatever the session kind.
    pub container: Option<String>,
}

impl Session {
    /// Can a loopback login complete as things are?
    pub fn loopback_possible(&self) -> bool {
        match self.reach {
            Reach::Yes => self.browser.lands != Lands::Nowhere,
            Reach::Forwarded => true,
            Reach::Tunnel | Reach::No => false,
        }
    }
}

fn ancestor(
    f: &Facts,
    pred: impl Fn(&str, &str) -> bool,
) -> Option<&crate::system::facts::Ancestor> {
    f.ancestors.iter().find(|a| pred(&a.name, &a.cmdline))
}

/// "WHAT among gauth's ancestors (pid N)": the evidence an ancestor gives.
fn among_ancestors(what: &str, a: &crate::system::facts::Ancestor) -> String {
    format!("{what} among gauth's ancestors (pid {})", a.pid)
}

fn var_evidence(f: &Facts, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter_map(|n| f.var(n).map(|v| format!("{n}={v}")))
        .collect()
}

/// `:0`, `:1.0`, `unix/:0` are local displays; `localhost:10.0` (ssh -X) is not.
fn local_display(display: &str) -> bool {
    display.starts_with(':') || display.starts_with("unix")
}

/// The displays that are set and answer (a display whose server does not
/// accept a connection starts no browser), and notes on those that do not.
fn display(f: &Facts) -> (Vec<String>, Vec<String>) {
    let mut live = Vec::new();
    let mut dead = Vec::new();
    for (name, answers) in [
        ("DISPLAY", f.x11_answers),
        ("WAYLAND_DISPLAY", f.wayland_answers),
        ("MIR_SOCKET", None),
    ] {
        let Some(v) = f.var(name).filter(|v| !v.is_empty()) else {
            continue;
        };
        if answers == Some(false) {
            let server = if name == "DISPLAY" { "X" } else { "Wayland" };
            dead.push(format!(
                "{name}={v} is set, but no {server} server answers there"
            ));
        } else {
            live.push(format!("{name}={v}"));
        }
    }
    (live, dead)
}

fn wsl(f: &Facts) -> Vec<String> {
    let mut ev = var_evidence(f, &["WSL_DISTRO_NAME", "WSL_INTEROP"]);
    if f.proc_version.to_lowercase().contains("microsoft") {
        ev.push("/proc/version says Microsoft".to_owned());
    }
    if f.files.contains("/proc/sys/fs/binfmt_misc/WSLInterop") {
        ev.push("WSLInterop is registered".to_owned());
    }
    ev
}

struct Found {
    kind: Kind,
    name: String,
    evidence: Vec<String>,
    reach: Reach,
    reach_why: String,
}

fn found(kind: Kind, name: &str, evidence: Vec<String>, reach: Reach, reach_why: &str) -> Found {
    Found {
        kind,
        name: name.into(),
        evidence,
        reach,
        reach_why: reach_why.into(),
    }
}

const REMOTE_NO: &str =
    "the browser runs on your own machine, and a redirect to 127.0.0.1 lands there, not here";

pub fn detect(f: &Facts) -> Session {
    let container = remote::container(f);
    let (ssh_ev, ssh_endpoint) = remote::ssh(f);
    let (disp, dead_disp) = display(f);
    let has_display = !disp.is_empty();
    let local_disp = disp
        .iter()
        .any(|d| !d.starts_with("DISPLAY=") || f.var("DISPLAY").is_some_and(local_display));
    let sshd_ancestor = ancestor(f, |n, _| matches!(n, "sshd" | "sshd-session")).is_some();
    let wsl_ev = wsl(f);

    let jupyter = ancestor(f, |n, c| {
        n.starts_with("jupyter") || c.contains("jupyter-lab") || c.contains("jupyter-notebook")
    });

    let mut found = if let Some(h) = hosted::hosted(f) {
        h
    } else if !wsl_ev.is_empty() {
        found(
            Kind::Wsl,
            "WSL",
            wsl_ev,
            Reach::Yes,
            "WSL 2 forwards 127.0.0.1 to Windows (not always ::1)",
        )
    } else if !ssh_ev.is_empty() && f.is_set("TMUX") && !sshd_ancestor && local_disp {
        // tmux keeps the SSH variables of the session that started its
        // server; a local display and no sshd ancestor says this pane is not
        // remote.
        let mut ev = disp.clone();
        ev.push(format!("SSH variables present but stale: inside tmux (TMUX is set) with no sshd ancestor and a local display ({})", disp.join(", ")));
        found(
            Kind::LocalDesktop,
            "local desktop",
            ev,
            Reach::Yes,
            "the browser runs on this machine",
        )
    } else if !ssh_ev.is_empty() {
        if f.var("DISPLAY")
            .is_some_and(|d| !d.is_empty() && !local_display(d))
        {
            let mut ev = ssh_ev;
            ev.extend(var_evidence(f, &["DISPLAY"]));
            found(
                Kind::SshX11,
                "SSH with X11 forwarding",
                ev,
                Reach::Yes,
                "a browser started here runs here (shown through X11), so it reaches this loopback",
            )
        } else {
            found(
                Kind::Ssh,
                "SSH",
                ssh_ev,
                Reach::Tunnel,
                "your browser runs on the machine you connect from; a 127.0.0.1 redirect reaches here only through `ssh -L`",
            )
        }
    } else if let Some(a) = jupyter.filter(|_| !has_display) {
        found(
            Kind::Notebook,
            "Jupyter server",
            vec![format!(
                "{} among gauth's ancestors (pid {}) and no display",
                a.name, a.pid
            )],
            Reach::No,
            REMOTE_NO,
        )
    } else if let Some((name, ev)) = container.clone().filter(|_| !has_display) {
        found(
            Kind::Container,
            &name,
            ev,
            Reach::No,
            "a listener inside a container is reachable only through a published port or the host network",
        )
    } else if let Some(rdp) = f
        .var("SESSIONNAME")
        .filter(|s| f.os == "windows" && s.starts_with("RDP-"))
    {
        found(
            Kind::RemoteDesktop,
            "Remote Desktop (RDP)",
            vec![format!("SESSIONNAME={rdp}")],
            Reach::Yes,
            "the browser runs on this Windows machine (shown over RDP), so it reaches this loopback",
        )
    } else if has_display || f.os == "macos" || f.os == "windows" {
        let ev = if disp.is_empty() {
            vec![f.os.clone()]
        } else {
            disp.clone()
        };
        found(
            Kind::LocalDesktop,
            "local desktop",
            ev,
            Reach::Yes,
            "the browser runs on this machine",
        )
    } else {
        let mut ev = vec!["no display, no SSH, no known hosted environment".to_owned()];
        ev.extend(dead_disp.iter().cloned());
        found(
            Kind::Headless,
            "headless",
            ev,
            Reach::No,
            "no browser can run here; one on another machine cannot reach this loopback",
        )
    };
    let mut browser = browser::browser(f, found.kind, has_display);
    if found.kind != Kind::Headless {
        browser.evidence.extend(dead_disp);
    }
    // A program BROWSER names that exists here runs here: it reaches this
    // loopback whatever the session (w3m over SSH, a browser in a container).
    if browser.lands == Lands::Here
        && matches!(browser::browser_var(f), Some(Ok(_)))
        && matches!(
            found.kind,
            Kind::Ssh | Kind::SshX11 | Kind::Container | Kind::Headless
        )
    {
        found.reach = Reach::Yes;
        found.reach_why = format!(
            "BROWSER starts {} here, on this machine, so it reaches this loopback",
            browser.opener.as_deref().unwrap_or("a browser")
        );
    }
    // A browser opened through X11 runs here; without an opener, SSH -X is
    // just SSH.
    if found.kind == Kind::SshX11 && browser.opener.is_none() {
        found.reach = Reach::Tunnel;
        found.reach_why =
            "no browser opener here; your own browser reaches this loopback only through `ssh -L`"
                .into();
    }
    Session {
        kind: found.kind,
        name: found.name,
        evidence: found.evidence,
        browser,
        reach: found.reach,
        reach_why: found.reach_why,
        ssh: ssh_endpoint,
        container: container.map(|(n, _)| n),
    }
}
