//! The hosted environments that announce themselves (IDEs, notebooks, cloud
//! shells): one row each, from the signal to the kind, name and reach.
use super::{Found, Kind, REMOTE_NO, Reach, among_ancestors, ancestor, found, var_evidence};
use crate::system::facts::Facts;

/// An ancestor process that is a sign of the environment.
struct AncestorSign {
    /// By its name and command line.
    is: fn(&str, &str) -> bool,
    /// What the evidence calls it; `None`: by its own name.
    called: Option<&'static str>,
    /// Enough alone; else it only adds evidence to the variables' signal.
    alone: bool,
}

/// One hosted environment: what gives it away, and what it means for a
/// loopback login.
struct Row {
    kind: Kind,
    name: &'static str,
    /// The variables named as evidence (those that are set).
    vars: &'static [&'static str],
    /// The signal in the variables (the exceptions are these functions).
    signal: fn(&Facts) -> bool,
    ancestor: Option<AncestorSign>,
    reach: Reach,
    reach_why: &'static str,
}

const NO_SIGNAL: fn(&Facts) -> bool = |_| false;

fn vscode(f: &Facts) -> bool {
    f.is_set("VSCODE_IPC_HOOK_CLI") || f.var("TERM_PROGRAM") == Some("vscode")
}

/// `RSTUDIO_HTTP_REFERER` naming a server (not this machine): the browser
/// is elsewhere.
fn remote_referer(f: &Facts) -> Option<&str> {
    f.var("RSTUDIO_HTTP_REFERER")
        .filter(|r| !r.is_empty() && !r.contains("localhost") && !r.contains("127.0.0.1"))
}

const RSTUDIO_VARS: &[&str] = &[
    "RSTUDIO",
    "RSTUDIO_PROGRAM_MODE",
    "RS_SERVER_URL",
    "RSTUDIO_HTTP_REFERER",
];

const RSERVER: AncestorSign = AncestorSign {
    is: |n, _| matches!(n, "rserver" | "rworkspaces" | "rserver-launche"),
    called: None,
    alone: true,
};

const JUPYTERHUB_VARS: &[&str] = &[
    "JUPYTERHUB_USER",
    "JUPYTERHUB_API_URL",
    "JUPYTERHUB_SERVICE_PREFIX",
];

/// Most specific first: the first row whose signal is there wins.
const ROWS: &[Row] = &[
    Row {
        kind: Kind::HostedIde,
        name: "GitHub Codespaces",
        vars: &["CODESPACES", "CODESPACE_NAME"],
        signal: |f| f.var("CODESPACES") == Some("true") || f.is_set("CODESPACE_NAME"),
        ancestor: None,
        reach: Reach::Tunnel,
        reach_why: "only through a port forwarded by VS Code desktop; from the web editor a 127.0.0.1 redirect lands on your machine",
    },
    Row {
        kind: Kind::HostedIde,
        name: "Gitpod",
        vars: &["GITPOD_WORKSPACE_ID"],
        signal: |f| f.is_set("GITPOD_WORKSPACE_ID"),
        ancestor: None,
        reach: Reach::No,
        reach_why: REMOTE_NO,
    },
    Row {
        kind: Kind::HostedIde,
        name: "VS Code Dev Container",
        vars: &["REMOTE_CONTAINERS", "REMOTE_CONTAINERS_IPC"],
        signal: |f| f.is_set("REMOTE_CONTAINERS") || f.is_set("REMOTE_CONTAINERS_IPC"),
        ancestor: None,
        reach: Reach::Forwarded,
        reach_why: "VS Code forwards localhost ports from the container to your machine",
    },
    Row {
        kind: Kind::HostedIde,
        name: "VS Code tunnel",
        vars: &["VSCODE_IPC_HOOK_CLI"],
        signal: NO_SIGNAL,
        ancestor: Some(AncestorSign {
            is: |n, c| {
                n == "code-tunnel"
                    || c.contains("code-tunnel")
                    || c.contains("/cli/servers/")
                    || c.contains("code tunnel")
            },
            called: Some("a VS Code tunnel server"),
            alone: true,
        }),
        reach: Reach::No,
        reach_why: "VS Code tunnels do not forward localhost ports on their own",
    },
    Row {
        kind: Kind::HostedIde,
        name: "code-server",
        vars: &["VSCODE_PROXY_URI"],
        signal: NO_SIGNAL,
        ancestor: Some(AncestorSign {
            is: |n, c| {
                n == "code-server"
                    || c.split(|ch: char| ch == '/' || ch.is_whitespace())
                        .any(|w| w == "code-server")
            },
            called: Some("code-server"),
            alone: true,
        }),
        reach: Reach::No,
        reach_why: REMOTE_NO,
    },
    // VS Code's variables say a VS Code terminal; SSH or its server among
    // the ancestors says it is a remote one.
    Row {
        kind: Kind::HostedIde,
        name: "VS Code Remote-SSH",
        vars: &["VSCODE_IPC_HOOK_CLI", "TERM_PROGRAM", "SSH_CONNECTION"],
        signal: |f| {
            vscode(f)
                && (f.is_set("SSH_CONNECTION")
                    || ancestor(f, |_, c| c.contains(".vscode-server")).is_some())
        },
        ancestor: Some(AncestorSign {
            is: |_, c| c.contains(".vscode-server"),
            called: Some("the VS Code server"),
            alone: false,
        }),
        reach: Reach::Forwarded,
        reach_why: "VS Code Remote-SSH forwards localhost ports to your machine",
    },
    // RStudio Server reached through Posit's cloud: named by the referer.
    Row {
        kind: Kind::HostedIde,
        name: "Posit Cloud",
        vars: RSTUDIO_VARS,
        signal: |f| {
            remote_referer(f)
                .is_some_and(|r| r.contains("posit.cloud") || r.contains("rstudio.cloud"))
        },
        ancestor: Some(AncestorSign {
            alone: false,
            ..RSERVER
        }),
        reach: Reach::No,
        reach_why: REMOTE_NO,
    },
    Row {
        kind: Kind::HostedIde,
        name: "RStudio Server / Posit Workbench",
        vars: RSTUDIO_VARS,
        // `RS_SERVER_URL` counts when set at all, even empty.
        signal: |f| {
            f.var("RSTUDIO_PROGRAM_MODE") == Some("server")
                || f.vars.contains_key("RS_SERVER_URL")
                || remote_referer(f).is_some()
        },
        ancestor: Some(RSERVER),
        reach: Reach::No,
        reach_why: REMOTE_NO,
    },
    Row {
        kind: Kind::Notebook,
        name: "JupyterHub",
        vars: JUPYTERHUB_VARS,
        signal: |f| JUPYTERHUB_VARS.iter().any(|v| f.is_set(v)),
        ancestor: Some(AncestorSign {
            is: |n, c| n.starts_with("jupyterhub") || c.contains("jupyterhub-singleuser"),
            called: None,
            alone: true,
        }),
        reach: Reach::No,
        reach_why: REMOTE_NO,
    },
    Row {
        kind: Kind::HostedIde,
        name: "Positron (server)",
        vars: &["POSITRON", "POSITRON_MODE"],
        signal: |f| f.var("POSITRON") == Some("1") && f.var("POSITRON_MODE") == Some("server"),
        ancestor: None,
        reach: Reach::No,
        reach_why: REMOTE_NO,
    },
    Row {
        kind: Kind::Notebook,
        name: "Google Colab",
        vars: &["COLAB_RELEASE_TAG"],
        signal: |f| f.is_set("COLAB_RELEASE_TAG"),
        ancestor: None,
        reach: Reach::No,
        reach_why: REMOTE_NO,
    },
    Row {
        kind: Kind::CloudShell,
        name: "Google Cloud Shell",
        vars: &["CLOUD_SHELL", "DEVSHELL_CLIENT_PORT"],
        signal: |f| f.var("CLOUD_SHELL") == Some("true") || f.is_set("DEVSHELL_CLIENT_PORT"),
        ancestor: None,
        reach: Reach::No,
        reach_why: REMOTE_NO,
    },
    Row {
        kind: Kind::CloudShell,
        name: "Azure Cloud Shell",
        vars: &["ACC_CLOUD", "AZUREPS_HOST_ENVIRONMENT"],
        signal: |f| {
            f.is_set("ACC_CLOUD")
                || f.var("AZUREPS_HOST_ENVIRONMENT")
                    .is_some_and(|v| v.starts_with("cloud-shell"))
        },
        ancestor: None,
        reach: Reach::No,
        reach_why: REMOTE_NO,
    },
    Row {
        kind: Kind::CloudShell,
        name: "AWS CloudShell",
        vars: &["AWS_EXECUTION_ENV"],
        signal: |f| f.var("AWS_EXECUTION_ENV") == Some("CloudShell"),
        ancestor: None,
        reach: Reach::No,
        reach_why: REMOTE_NO,
    },
];

/// The first hosted environment whose signal is there, with the variables
/// and the ancestor that gave it away as evidence.
pub(super) fn hosted(f: &Facts) -> Option<Found> {
    ROWS.iter().find_map(|row| {
        let a = row
            .ancestor
            .as_ref()
            .and_then(|x| ancestor(f, x.is).map(|a| (a, x)));
        if !(row.signal)(f) && !a.is_some_and(|(_, x)| x.alone) {
            return None;
        }
        let mut evidence = var_evidence(f, row.vars);
        if let Some((a, x)) = a {
            evidence.push(among_ancestors(x.called.unwrap_or(&a.name), a));
        }
        Some(found(
            row.kind,
            row.name,
            evidence,
            row.reach,
            row.reach_why,
        ))
    })
}
