//! Session detection: a pure function of `Facts`. What kind of session this
//! is, whether a browser can be opened here and how, and whether the user's
//! browser can reach a loopback listener here — each with its evidence.
use crate::system::facts::Facts;
use serde::Serialize;

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

/// Where a browser opened from here shows up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lands {
    /// On this machine (its display, or X11-forwarded from it).
    Here,
    /// On the user's own machine, through an IDE helper.
    Client,
    /// On the Windows host (WSL).
    WindowsHost,
    /// Nowhere: no opener; gauth prints the URL.
    Nowhere,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Browser {
    /// The command that would open a URL, if any.
    pub opener: Option<String>,
    pub lands: Lands,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SshEndpoint {
    /// The login name here (USER or LOGNAME), for the tunnel command.
    pub user: Option<String>,
    pub client: String,
    pub server: String,
    pub server_port: u16,
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

fn container(f: &Facts) -> Option<(String, Vec<String>)> {
    let mut ev = Vec::new();
    let mut name = None;
    if f.files.contains("/.dockerenv") {
        ev.push("/.dockerenv exists".to_owned());
        name = Some("Docker container");
    }
    if f.files.contains("/run/.containerenv") {
        ev.push("/run/.containerenv exists".to_owned());
        name = name.or(Some("Podman container"));
    }
    if let Some(v) = f.var("container").filter(|v| !v.is_empty()) {
        ev.push(format!("container={v}"));
        name = name.or(Some(match v {
            "podman" => "Podman container",
            "docker" => "Docker container",
            "lxc" => "LXC container",
            _ => "container",
        }));
    }
    if f.is_set("KUBERNETES_SERVICE_HOST") {
        ev.push("KUBERNETES_SERVICE_HOST is set".to_owned());
        name = Some("Kubernetes pod");
    }
    for (needle, n) in [
        ("kubepods", "Kubernetes pod"),
        ("docker", "Docker container"),
        ("containerd", "container"),
        ("libpod", "Podman container"),
        ("lxc", "LXC container"),
    ] {
        if f.pid1_cgroup.lines().any(|l| l.contains(needle)) {
            ev.push(format!("/proc/1/cgroup mentions {needle}"));
            name = name.or(Some(n));
            break;
        }
    }
    if let Some(a) = ancestor(f, |n, _| {
        matches!(
            n,
            "docker-init" | "tini" | "dumb-init" | "catatonit" | "conmon"
        )
    }) {
        ev.push(format!(
            "a container init among gauth's ancestors ({}, pid {})",
            a.name, a.pid
        ));
        name = name.or(Some("container"));
    }
    name.map(|n| (n.to_owned(), ev))
}

fn ssh(f: &Facts) -> (Vec<String>, Option<SshEndpoint>) {
    // sshd never sets these empty: an empty one (`SSH_CONNECTION=`, an
    // unset done badly) is no evidence of SSH.
    let mut ev: Vec<String> = var_evidence(f, &["SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"])
        .into_iter()
        .filter(|e| !e.ends_with('='))
        .collect();
    if let Some(a) = ancestor(f, |n, _| matches!(n, "sshd" | "sshd-session")) {
        ev.push(among_ancestors("an sshd", a));
    }
    let endpoint = f.var("SSH_CONNECTION").and_then(parse_ssh_connection).map(
        |(client, server, server_port)| SshEndpoint {
            user: f
                .var("USER")
                .or(f.var("LOGNAME"))
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
            client,
            server,
            server_port,
        },
    );
    (ev, endpoint)
}

/// `SSH_CONNECTION` is "client_ip client_port server_ip server_port"; any
/// other shape gives nothing (no tunnel command built on a garbage host).
pub fn parse_ssh_connection(v: &str) -> Option<(String, String, u16)> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    let [client, client_port, server, server_port] = parts[..] else {
        return None;
    };
    let ip = |s: &str| s.parse::<std::net::IpAddr>().ok();
    let port = |s: &str| s.parse::<u16>().ok().filter(|p| *p != 0);
    port(client_port)?;
    Some((
        ip(client)?.to_string(),
        ip(server)?.to_string(),
        port(server_port)?,
    ))
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

/// The BROWSER variable: a colon-separated list; `true`/`false`/empty mean
/// "print the URL only". The first command whose program exists here wins.
fn browser_var(f: &Facts) -> Option<Result<String, String>> {
    let v = f.var("BROWSER")?;
    if v.is_empty() || v == "true" || v == "false" || v == "none" {
        return Some(Err(format!(
            "BROWSER={v} asks for the URL to be printed only"
        )));
    }
    let programs: Vec<&str> = crate::system::facts::browser_programs(v).collect();
    programs.first()?;
    Some(
        programs
            .iter()
            .find(|p| f.on_path.contains(**p))
            .map(|p| (*p).to_owned())
            .ok_or_else(|| {
                format!(
                    "BROWSER={v}, but {} is not an executable program here",
                    programs.join(" or ")
                )
            }),
    )
}

/// Browsers and openers that need a graphical display to show anything.
const GRAPHICAL: &[&str] = &[
    "xdg-open",
    "gnome-open",
    "kfmclient",
    "x-www-browser",
    "firefox",
    "firefox-esr",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "microsoft-edge",
    "brave-browser",
    "epiphany",
    "konqueror",
    "opera",
    "vivaldi",
];

fn graphical(program: &str) -> bool {
    GRAPHICAL.contains(&program.rsplit('/').next().unwrap_or(program))
}

/// VS Code's remote server (and the editors built on it) points BROWSER at
/// `<server>/bin/helpers/browser.sh` (`browser.cmd` on Windows), which
/// opens the URL on the client. Recognised by that shape inside such a
/// server's install, never by the file name alone: `~/bin/browser.sh` is
/// a user's own program, and it runs here.
pub fn vscode_browser_helper(program: &str) -> bool {
    let parts: Vec<&str> = program.split(['/', '\\']).collect();
    let [install @ .., bin, helpers, file] = &parts[..] else {
        return false;
    };
    if *bin != "bin" || *helpers != "helpers" || !matches!(*file, "browser.sh" | "browser.cmd") {
        return false;
    }
    // Gitpod installs its VS Code server at /ide.
    if install == ["", "ide"] {
        return true;
    }
    install.iter().any(|dir| {
        let dir = dir.to_ascii_lowercase();
        // .vscode-server(-insiders), .vscode (tunnels), /vscode
        // (Codespaces, Dev Containers), .vscodium-server, openvscode-server,
        // code-server, and the forks' servers.
        dir.contains("vscode")
            || dir.contains("vscodium")
            || dir.contains("code-server")
            || [
                ".cursor-server",
                ".windsurf-server",
                ".positron-server",
                ".trae-server",
                ".kiro-server",
            ]
            .contains(&dir.as_str())
    })
}

fn browser(f: &Facts, kind: Kind, has_display: bool) -> Browser {
    let mut evidence = Vec::new();
    match browser_var(f) {
        Some(Err(why)) => {
            return Browser {
                opener: None,
                lands: Lands::Nowhere,
                evidence: vec![why],
            };
        }
        Some(Ok(cmd)) => {
            let vscode_helper = vscode_browser_helper(&cmd);
            evidence.push(format!("BROWSER={}", f.var("BROWSER").unwrap_or_default()));
            let lands = if vscode_helper {
                Lands::Client
            } else if kind == Kind::Wsl {
                Lands::WindowsHost
            } else if graphical(&cmd) && !has_display {
                evidence.push(format!(
                    "{cmd} needs a graphical display, and none answers here"
                ));
                return Browser {
                    opener: None,
                    lands: Lands::Nowhere,
                    evidence,
                };
            } else {
                Lands::Here
            };
            return Browser {
                opener: Some(cmd),
                lands,
                evidence,
            };
        }
        None => {}
    }
    if f.os == "macos" {
        return Browser {
            opener: Some("open".into()),
            lands: Lands::Here,
            evidence: vec!["macOS".into()],
        };
    }
    if f.os == "windows" {
        // ShellExecute, as `start` does, without a shell that would parse
        // the URL's `&`.
        return Browser {
            opener: Some("ShellExecute".into()),
            lands: Lands::Here,
            evidence: vec!["Windows: the default browser through ShellExecute".into()],
        };
    }
    if kind == Kind::Wsl {
        for prog in ["wslview", "powershell.exe", "cmd.exe"] {
            if f.on_path.contains(prog) {
                let opener = if prog == "wslview" {
                    "wslview".to_owned()
                } else {
                    format!("{prog} (Start-Process)")
                };
                return Browser {
                    opener: Some(opener),
                    lands: Lands::WindowsHost,
                    evidence: vec![format!("{prog} is on PATH")],
                };
            }
        }
        evidence.push("WSL without wslview or powershell.exe on PATH".into());
        return Browser {
            opener: None,
            lands: Lands::Nowhere,
            evidence,
        };
    }
    if !has_display {
        evidence.push(
            "no DISPLAY or WAYLAND_DISPLAY that answers: no graphical browser can start here"
                .into(),
        );
        return Browser {
            opener: None,
            lands: Lands::Nowhere,
            evidence,
        };
    }
    for prog in [
        "xdg-open",
        "gnome-open",
        "kfmclient",
        "x-www-browser",
        "sensible-browser",
    ] {
        if f.on_path.contains(prog) {
            evidence.push(format!("{prog} is on PATH"));
            return Browser {
                opener: Some(prog.into()),
                lands: Lands::Here,
                evidence,
            };
        }
    }
    evidence.push("a display, but no xdg-open or other opener on PATH".into());
    Browser {
        opener: None,
        lands: Lands::Nowhere,
        evidence,
    }
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

/// Remote environments recognised by their variables alone; none of them
/// can reach this machine's loopback.
struct Announced {
    kind: Kind,
    name: &'static str,
    /// The variables named as evidence.
    vars: &'static [&'static str],
    test: fn(&Facts) -> bool,
}

const ANNOUNCED: &[Announced] = &[
    Announced {
        kind: Kind::HostedIde,
        name: "Positron (server)",
        vars: &["POSITRON", "POSITRON_MODE"],
        test: |f| f.var("POSITRON") == Some("1") && f.var("POSITRON_MODE") == Some("server"),
    },
    Announced {
        kind: Kind::Notebook,
        name: "Google Colab",
        vars: &["COLAB_RELEASE_TAG"],
        test: |f| f.is_set("COLAB_RELEASE_TAG"),
    },
    Announced {
        kind: Kind::CloudShell,
        name: "Google Cloud Shell",
        vars: &["CLOUD_SHELL", "DEVSHELL_CLIENT_PORT"],
        test: |f| f.var("CLOUD_SHELL") == Some("true") || f.is_set("DEVSHELL_CLIENT_PORT"),
    },
    Announced {
        kind: Kind::CloudShell,
        name: "Azure Cloud Shell",
        vars: &["ACC_CLOUD", "AZUREPS_HOST_ENVIRONMENT"],
        test: |f| {
            f.is_set("ACC_CLOUD")
                || f.var("AZUREPS_HOST_ENVIRONMENT")
                    .is_some_and(|v| v.starts_with("cloud-shell"))
        },
    },
    Announced {
        kind: Kind::CloudShell,
        name: "AWS CloudShell",
        vars: &["AWS_EXECUTION_ENV"],
        test: |f| f.var("AWS_EXECUTION_ENV") == Some("CloudShell"),
    },
];

/// The hosted environments that announce themselves (IDEs, notebooks, cloud
/// shells), most specific first.
fn hosted(f: &Facts) -> Option<Found> {
    let vscode = f.is_set("VSCODE_IPC_HOOK_CLI") || f.var("TERM_PROGRAM") == Some("vscode");
    if f.var("CODESPACES") == Some("true") || f.is_set("CODESPACE_NAME") {
        return Some(found(
            Kind::HostedIde,
            "GitHub Codespaces",
            var_evidence(f, &["CODESPACES", "CODESPACE_NAME"]),
            Reach::Tunnel,
            "only through a port forwarded by VS Code desktop; from the web editor a 127.0.0.1 redirect lands on your machine",
        ));
    }
    if f.is_set("GITPOD_WORKSPACE_ID") {
        return Some(found(
            Kind::HostedIde,
            "Gitpod",
            var_evidence(f, &["GITPOD_WORKSPACE_ID"]),
            Reach::No,
            REMOTE_NO,
        ));
    }
    if f.is_set("REMOTE_CONTAINERS") || f.is_set("REMOTE_CONTAINERS_IPC") {
        return Some(found(
            Kind::HostedIde,
            "VS Code Dev Container",
            var_evidence(f, &["REMOTE_CONTAINERS", "REMOTE_CONTAINERS_IPC"]),
            Reach::Forwarded,
            "VS Code forwards localhost ports from the container to your machine",
        ));
    }
    let tunnel = ancestor(f, |n, c| {
        n == "code-tunnel"
            || c.contains("code-tunnel")
            || c.contains("/cli/servers/")
            || c.contains("code tunnel")
    });
    if let Some(a) = tunnel {
        let mut ev = var_evidence(f, &["VSCODE_IPC_HOOK_CLI"]);
        ev.push(among_ancestors("a VS Code tunnel server", a));
        return Some(found(
            Kind::HostedIde,
            "VS Code tunnel",
            ev,
            Reach::No,
            "VS Code tunnels do not forward localhost ports on their own",
        ));
    }
    let code_server = |n: &str, c: &str| {
        n == "code-server"
            || c.split(|ch: char| ch == '/' || ch.is_whitespace())
                .any(|w| w == "code-server")
    };
    if let Some(a) = ancestor(f, code_server) {
        let mut ev = var_evidence(f, &["VSCODE_PROXY_URI"]);
        ev.push(among_ancestors("code-server", a));
        return Some(found(
            Kind::HostedIde,
            "code-server",
            ev,
            Reach::No,
            REMOTE_NO,
        ));
    }
    if vscode
        && (f.is_set("SSH_CONNECTION")
            || ancestor(f, |_, c| c.contains(".vscode-server")).is_some())
    {
        let mut ev = var_evidence(
            f,
            &["VSCODE_IPC_HOOK_CLI", "TERM_PROGRAM", "SSH_CONNECTION"],
        );
        if let Some(a) = ancestor(f, |_, c| c.contains(".vscode-server")) {
            ev.push(among_ancestors("the VS Code server", a));
        }
        return Some(found(
            Kind::HostedIde,
            "VS Code Remote-SSH",
            ev,
            Reach::Forwarded,
            "VS Code Remote-SSH forwards localhost ports to your machine",
        ));
    }
    let rstudio_server =
        f.var("RSTUDIO_PROGRAM_MODE") == Some("server") || f.vars.contains_key("RS_SERVER_URL");
    let referer = f
        .var("RSTUDIO_HTTP_REFERER")
        .filter(|r| !r.is_empty() && !r.contains("localhost") && !r.contains("127.0.0.1"));
    let rserver = ancestor(f, |n, _| {
        matches!(n, "rserver" | "rworkspaces" | "rserver-launche")
    });
    if rstudio_server || referer.is_some() || rserver.is_some() {
        let mut ev = var_evidence(
            f,
            &[
                "RSTUDIO",
                "RSTUDIO_PROGRAM_MODE",
                "RS_SERVER_URL",
                "RSTUDIO_HTTP_REFERER",
            ],
        );
        if let Some(a) = rserver {
            ev.push(among_ancestors(&a.name, a));
        }
        let cloud =
            referer.is_some_and(|r| r.contains("posit.cloud") || r.contains("rstudio.cloud"));
        let name = if cloud {
            "Posit Cloud"
        } else {
            "RStudio Server / Posit Workbench"
        };
        return Some(found(Kind::HostedIde, name, ev, Reach::No, REMOTE_NO));
    }
    let hub = ancestor(f, |n, c| {
        n.starts_with("jupyterhub") || c.contains("jupyterhub-singleuser")
    });
    if f.is_set("JUPYTERHUB_USER")
        || f.is_set("JUPYTERHUB_API_URL")
        || f.is_set("JUPYTERHUB_SERVICE_PREFIX")
        || hub.is_some()
    {
        let mut ev = var_evidence(
            f,
            &[
                "JUPYTERHUB_USER",
                "JUPYTERHUB_API_URL",
                "JUPYTERHUB_SERVICE_PREFIX",
            ],
        );
        if let Some(a) = hub {
            ev.push(among_ancestors(&a.name, a));
        }
        return Some(found(
            Kind::Notebook,
            "JupyterHub",
            ev,
            Reach::No,
            REMOTE_NO,
        ));
    }
    ANNOUNCED.iter().find(|e| (e.test)(f)).map(|e| {
        found(
            e.kind,
            e.name,
            var_evidence(f, e.vars),
            Reach::No,
            REMOTE_NO,
        )
    })
}

pub fn detect(f: &Facts) -> Session {
    let container = container(f);
    let (ssh_ev, ssh_endpoint) = ssh(f);
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

    let mut found = if let Some(h) = hosted(f) {
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
    let mut browser = browser(f, found.kind, has_display);
    if found.kind != Kind::Headless {
        browser.evidence.extend(dead_disp);
    }
    // A program BROWSER names that exists here runs here: it reaches this
    // loopback whatever the session (w3m over SSH, a browser in a container).
    if browser.lands == Lands::Here
        && matches!(browser_var(f), Some(Ok(_)))
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
