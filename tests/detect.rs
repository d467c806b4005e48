//! Table-driven session detection: every signal of ANCHORS §2 and the hard
//! combinations, on hand-built facts (the same `detect` runs for real in
//! `gauth doctor`).
mod common;
use common::fixtures;
use gauth::decide::session::{Kind, Lands, Reach, detect};
use gauth::system::facts::Facts;

struct Case {
    name: &'static str,
    vars: &'static [(&'static str, &'static str)],
    ancestors: &'static [(&'static str, &'static str)],
    path: &'static [&'static str],
    files: &'static [&'static str],
    proc_version: &'static str,
    cgroup: &'static str,
    os: &'static str,
    /// Whether the X server / Wayland socket answers (None: not checked).
    x11: Option<bool>,
    wayland: Option<bool>,
    kind: Kind,
    session: &'static str,
    reach: Reach,
    lands: Lands,
}

const BASE: Case = Case {
    name: "",
    vars: &[],
    ancestors: &[("bash", "-bash")],
    path: &[],
    files: &[],
    proc_version: "Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org)",
    cgroup: "0::/user.slice/user-1000.slice/session-2.scope\n",
    os: "linux",
    x11: None,
    wayland: None,
    kind: Kind::Headless,
    session: "headless",
    reach: Reach::No,
    lands: Lands::Nowhere,
};

const SSH: &[(&str, &str)] = &[
    ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
    ("SSH_CLIENT", "10.1.2.3 50000 22"),
    ("SSH_TTY", "/dev/pts/0"),
];
const SSHD: &[(&str, &str)] = &[
    ("bash", "-bash"),
    ("sshd", "sshd: jenny@pts/0"),
    ("sshd", "/usr/sbin/sshd -D"),
    ("systemd", "/sbin/init"),
];
const XDG: &[&str] = &["xdg-open"];

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "bare console",
            ..BASE
        },
        Case {
            name: "X11 desktop",
            vars: &[("DISPLAY", ":0")],
            path: XDG,
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "Wayland desktop",
            vars: &[("WAYLAND_DISPLAY", "wayland-0")],
            path: XDG,
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "Mir desktop",
            vars: &[("MIR_SOCKET", "/run/mir")],
            path: &["sensible-browser"],
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "desktop without an opener",
            vars: &[("DISPLAY", ":1")],
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Nowhere,
            ..BASE
        },
        Case {
            name: "desktop, BROWSER=firefox",
            vars: &[("DISPLAY", ":0"), ("BROWSER", "firefox:chromium")],
            path: &["firefox"],
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "desktop, BROWSER=false",
            vars: &[("DISPLAY", ":0"), ("BROWSER", "false")],
            path: XDG,
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Nowhere,
            ..BASE
        },
        Case {
            name: "desktop, BROWSER=true",
            vars: &[("DISPLAY", ":0"), ("BROWSER", "true")],
            path: XDG,
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Nowhere,
            ..BASE
        },
        Case {
            name: "macOS",
            os: "macos",
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "Windows console",
            os: "windows",
            vars: &[("SESSIONNAME", "Console")],
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "Windows Remote Desktop",
            os: "windows",
            vars: &[("SESSIONNAME", "RDP-Tcp#3")],
            kind: Kind::RemoteDesktop,
            session: "Remote Desktop (RDP)",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "OpenSSH for Windows",
            os: "windows",
            vars: &[
                ("SSH_CONNECTION", "192.0.2.7 50000 192.0.2.1 22"),
                ("SESSIONNAME", "Console"),
            ],
            ancestors: &[("sshd", "sshd: jenny"), ("powershell", "powershell")],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Tunnel,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "SSH (variables)",
            vars: SSH,
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "SSH_CLIENT only",
            vars: &[("SSH_CLIENT", "10.1.2.3 50000 22")],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "SSH_TTY only",
            vars: &[("SSH_TTY", "/dev/pts/3")],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "SSH under sudo -i (no variables, sshd ancestor)",
            ancestors: &[
                ("bash", "-bash"),
                ("sudo", "sudo -i"),
                ("bash", "-bash"),
                ("sshd", "sshd: jenny@pts/0"),
                ("sshd", "/usr/sbin/sshd -D"),
            ],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "SSH under env -i (OpenSSH 9.8 sshd-session)",
            ancestors: &[
                ("bash", "bash"),
                ("env", "env -i bash"),
                ("sshd-session", "sshd-session: jenny@pts/1"),
            ],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "ssh -X with xdg-open",
            vars: &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                ("DISPLAY", "localhost:10.0"),
            ],
            path: XDG,
            ancestors: SSHD,
            kind: Kind::SshX11,
            session: "SSH with X11 forwarding",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "ssh -X without an opener",
            vars: &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                ("DISPLAY", "localhost:10.0"),
            ],
            ancestors: SSHD,
            kind: Kind::SshX11,
            session: "SSH with X11 forwarding",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "desktop with SSH variables left over in tmux",
            vars: &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                ("TMUX", "/tmp/tmux-1000/default,1234,0"),
                ("DISPLAY", ":0"),
            ],
            ancestors: &[
                ("bash", "-bash"),
                ("tmux: server", "tmux"),
                ("systemd", "/lib/systemd/systemd --user"),
            ],
            path: XDG,
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "tmux over a real SSH session (no display)",
            vars: &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                ("TMUX", "/tmp/tmux-1000/default,1234,0"),
            ],
            ancestors: &[("bash", "-bash"), ("tmux: server", "tmux")],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "VS Code Remote-SSH",
            vars: &[
                ("VSCODE_IPC_HOOK_CLI", "/run/user/1000/vscode-ipc-1.sock"),
                ("TERM_PROGRAM", "vscode"),
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                (
                    "BROWSER",
                    "/home/j/.vscode-server/bin/abc/bin/helpers/browser.sh",
                ),
            ],
            ancestors: &[
                ("bash", "bash"),
                (
                    "node",
                    "/home/j/.vscode-server/bin/abc/node /home/j/.vscode-server/bin/abc/out/server-main.js",
                ),
            ],
            path: &["/home/j/.vscode-server/bin/abc/bin/helpers/browser.sh"],
            kind: Kind::HostedIde,
            session: "VS Code Remote-SSH",
            reach: Reach::Forwarded,
            lands: Lands::Client,
            ..BASE
        },
        Case {
            name: "VS Code Remote-SSH, no SSH variables (server ancestry)",
            vars: &[("TERM_PROGRAM", "vscode")],
            ancestors: &[
                ("bash", "bash"),
                ("node", "/home/j/.vscode-server/bin/abc/node server-main.js"),
            ],
            kind: Kind::HostedIde,
            session: "VS Code Remote-SSH",
            reach: Reach::Forwarded,
            ..BASE
        },
        Case {
            name: "VS Code Dev Tunnel",
            vars: &[
                ("VSCODE_IPC_HOOK_CLI", "/tmp/vscode-ipc.sock"),
                ("TERM_PROGRAM", "vscode"),
                (
                    "BROWSER",
                    "/home/j/.vscode/cli/servers/Stable-abc/server/bin/helpers/browser.sh",
                ),
            ],
            ancestors: &[
                ("bash", "bash"),
                ("node", "/home/j/.vscode/cli/servers/Stable-abc/server/node"),
                ("code-tunnel", "code-tunnel tunnel"),
            ],
            path: &["/home/j/.vscode/cli/servers/Stable-abc/server/bin/helpers/browser.sh"],
            kind: Kind::HostedIde,
            session: "VS Code tunnel",
            reach: Reach::No,
            lands: Lands::Client,
            ..BASE
        },
        Case {
            name: "VS Code Dev Container",
            vars: &[("REMOTE_CONTAINERS", "true"), ("TERM_PROGRAM", "vscode")],
            files: &["/.dockerenv"],
            kind: Kind::HostedIde,
            session: "VS Code Dev Container",
            reach: Reach::Forwarded,
            ..BASE
        },
        Case {
            name: "code-server",
            vars: &[("VSCODE_PROXY_URI", "https://ide.example.org/proxy/{{port}}")],
            ancestors: &[
                ("bash", "bash"),
                ("node", "/usr/lib/code-server/lib/node /usr/lib/code-server"),
            ],
            kind: Kind::HostedIde,
            session: "code-server",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "GitHub Codespaces",
            vars: &[
                ("CODESPACES", "true"),
                ("CODESPACE_NAME", "jenny-abc"),
                ("TERM_PROGRAM", "vscode"),
                ("VSCODE_IPC_HOOK_CLI", "/tmp/x.sock"),
            ],
            files: &["/.dockerenv"],
            kind: Kind::HostedIde,
            session: "GitHub Codespaces",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "Gitpod",
            vars: &[("GITPOD_WORKSPACE_ID", "abc-123")],
            kind: Kind::HostedIde,
            session: "Gitpod",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "RStudio Server terminal",
            vars: &[
                ("RSTUDIO", "1"),
                ("RSTUDIO_PROGRAM_MODE", "server"),
                ("RS_SERVER_URL", ""),
            ],
            ancestors: &[
                ("bash", "bash"),
                ("rsession", "/usr/lib/rstudio-server/bin/rsession"),
                ("rserver", "/usr/lib/rstudio-server/bin/rserver"),
            ],
            kind: Kind::HostedIde,
            session: "RStudio Server / Posit Workbench",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "RStudio Server, RS_SERVER_URL empty only",
            vars: &[("RS_SERVER_URL", "")],
            kind: Kind::HostedIde,
            session: "RStudio Server / Posit Workbench",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "RStudio Server under sudo -i (rserver ancestor)",
            ancestors: &[
                ("bash", "-bash"),
                ("sudo", "sudo -i"),
                ("rsession", "rsession"),
                ("rserver", "rserver"),
            ],
            kind: Kind::HostedIde,
            session: "RStudio Server / Posit Workbench",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "Posit Cloud",
            vars: &[
                ("RSTUDIO", "1"),
                ("RSTUDIO_HTTP_REFERER", "https://posit.cloud/content/123"),
            ],
            kind: Kind::HostedIde,
            session: "Posit Cloud",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "RStudio Desktop is local",
            vars: &[
                ("RSTUDIO", "1"),
                ("RSTUDIO_PROGRAM_MODE", "desktop"),
                ("DISPLAY", ":0"),
            ],
            ancestors: &[
                ("rsession", "rsession"),
                ("rstudio", "/usr/lib/rstudio/rstudio"),
            ],
            path: XDG,
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "Positron server",
            vars: &[("POSITRON", "1"), ("POSITRON_MODE", "server")],
            kind: Kind::HostedIde,
            session: "Positron (server)",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "Google Colab",
            vars: &[("COLAB_RELEASE_TAG", "release-colab_20251101")],
            files: &["/.dockerenv"],
            kind: Kind::Notebook,
            session: "Google Colab",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "JupyterHub",
            vars: &[
                ("JUPYTERHUB_USER", "jenny"),
                ("JUPYTERHUB_API_URL", "http://hub:8081/hub/api"),
            ],
            kind: Kind::Notebook,
            session: "JupyterHub",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "JupyterHub under env -i (singleuser ancestor)",
            ancestors: &[
                ("bash", "bash"),
                (
                    "jupyterhub-sing",
                    "/opt/conda/bin/python /opt/conda/bin/jupyterhub-singleuser",
                ),
            ],
            kind: Kind::Notebook,
            session: "JupyterHub",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "Jupyter on a headless server",
            ancestors: &[
                ("bash", "bash"),
                (
                    "jupyter-lab",
                    "/usr/bin/python3 /usr/local/bin/jupyter-lab --no-browser",
                ),
            ],
            kind: Kind::Notebook,
            session: "Jupyter server",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "Jupyter on a desktop is local",
            vars: &[("DISPLAY", ":0")],
            ancestors: &[("bash", "bash"), ("jupyter-lab", "jupyter-lab")],
            path: XDG,
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "Google Cloud Shell",
            vars: &[("CLOUD_SHELL", "true"), ("DEVSHELL_CLIENT_PORT", "45678")],
            kind: Kind::CloudShell,
            session: "Google Cloud Shell",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "Azure Cloud Shell (ACC_CLOUD)",
            vars: &[("ACC_CLOUD", "1")],
            kind: Kind::CloudShell,
            session: "Azure Cloud Shell",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "Azure Cloud Shell (AZUREPS)",
            vars: &[("AZUREPS_HOST_ENVIRONMENT", "cloud-shell/1.0")],
            kind: Kind::CloudShell,
            session: "Azure Cloud Shell",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "AWS CloudShell",
            vars: &[("AWS_EXECUTION_ENV", "CloudShell")],
            kind: Kind::CloudShell,
            session: "AWS CloudShell",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "Docker container",
            files: &["/.dockerenv"],
            kind: Kind::Container,
            session: "Docker container",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "Podman container",
            files: &["/run/.containerenv"],
            vars: &[("container", "podman")],
            kind: Kind::Container,
            session: "Podman container",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "Kubernetes pod",
            vars: &[("KUBERNETES_SERVICE_HOST", "10.96.0.1")],
            kind: Kind::Container,
            session: "Kubernetes pod",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "container from cgroup only",
            cgroup: "0::/system.slice/docker-0123abcd.scope\n",
            kind: Kind::Container,
            session: "Docker container",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "container init ancestor (tini)",
            ancestors: &[("sh", "sh"), ("tini", "/tini -- sh")],
            kind: Kind::Container,
            session: "container",
            reach: Reach::No,
            ..BASE
        },
        Case {
            name: "SSH into a container is SSH",
            vars: SSH,
            files: &["/.dockerenv"],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "WSL with wslview",
            vars: &[
                ("WSL_DISTRO_NAME", "Ubuntu"),
                ("WSL_INTEROP", "/run/WSL/1_interop"),
            ],
            path: &["wslview", "powershell.exe"],
            kind: Kind::Wsl,
            session: "WSL",
            reach: Reach::Yes,
            lands: Lands::WindowsHost,
            ..BASE
        },
        Case {
            name: "WSL without wslview (powershell.exe)",
            vars: &[("WSL_DISTRO_NAME", "Debian")],
            path: &["powershell.exe"],
            kind: Kind::Wsl,
            session: "WSL",
            reach: Reach::Yes,
            lands: Lands::WindowsHost,
            ..BASE
        },
        Case {
            name: "WSL with no Windows interop on PATH",
            proc_version: "Linux version 5.15.153.1-microsoft-standard-WSL2",
            kind: Kind::Wsl,
            session: "WSL",
            reach: Reach::Yes,
            lands: Lands::Nowhere,
            ..BASE
        },
        Case {
            name: "WSL from WSLInterop only",
            files: &["/proc/sys/fs/binfmt_misc/WSLInterop"],
            path: &["wslview"],
            kind: Kind::Wsl,
            session: "WSL",
            reach: Reach::Yes,
            lands: Lands::WindowsHost,
            ..BASE
        },
        Case {
            name: "SSH, BROWSER=w3m on this machine: it runs here and reaches this loopback",
            vars: &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 2222"),
                ("BROWSER", "w3m"),
            ],
            path: &["w3m"],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "SSH, BROWSER names a program that does not exist here",
            vars: &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 2222"),
                ("BROWSER", "w3m"),
            ],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "SSH, BROWSER=firefox with no display",
            vars: &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 2222"),
                ("BROWSER", "firefox"),
            ],
            path: &["firefox"],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "container, BROWSER=w3m in it",
            vars: &[("BROWSER", "/usr/bin/w3m %s")],
            files: &["/.dockerenv"],
            path: &["/usr/bin/w3m"],
            kind: Kind::Container,
            session: "Docker container",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "headless, BROWSER=nosuch:lynx picks the one that exists",
            vars: &[("BROWSER", "nosuch:lynx")],
            path: &["lynx"],
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "desktop, BROWSER names a missing program",
            vars: &[("DISPLAY", ":0"), ("BROWSER", "/opt/nowhere/browser")],
            path: XDG,
            x11: Some(true),
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Nowhere,
            ..BASE
        },
        Case {
            name: "DISPLAY set, no X server answers: headless",
            vars: &[("DISPLAY", ":0")],
            path: XDG,
            x11: Some(false),
            ..BASE
        },
        Case {
            name: "WAYLAND_DISPLAY set, no socket: headless",
            vars: &[("WAYLAND_DISPLAY", "wayland-0")],
            path: XDG,
            wayland: Some(false),
            ..BASE
        },
        Case {
            name: "X gone, Wayland answers",
            vars: &[("DISPLAY", ":0"), ("WAYLAND_DISPLAY", "wayland-0")],
            path: XDG,
            x11: Some(false),
            wayland: Some(true),
            kind: Kind::LocalDesktop,
            session: "local desktop",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "ssh -X whose forwarding does not answer",
            vars: &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                ("DISPLAY", "localhost:10.0"),
            ],
            path: XDG,
            ancestors: SSHD,
            x11: Some(false),
            kind: Kind::SshX11,
            session: "SSH with X11 forwarding",
            reach: Reach::Tunnel,
            ..BASE
        },
        Case {
            name: "SSH, BROWSER is the user's own ~/bin/browser.sh: it runs here",
            vars: &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                ("BROWSER", "/home/j/bin/browser.sh"),
            ],
            ancestors: SSHD,
            path: &["/home/j/bin/browser.sh"],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "SSH, a browser.sh in a directory named after VS Code is still the user's",
            vars: &[
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                ("BROWSER", "/home/j/vscode-tools/browser.sh"),
            ],
            ancestors: SSHD,
            path: &["/home/j/vscode-tools/browser.sh"],
            kind: Kind::Ssh,
            session: "SSH",
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "headless, BROWSER=./browser.sh runs here",
            vars: &[("BROWSER", "browser.sh")],
            path: &["browser.sh"],
            reach: Reach::Yes,
            lands: Lands::Here,
            ..BASE
        },
        Case {
            name: "code-server's helper opens on the client",
            vars: &[(
                "BROWSER",
                "/usr/lib/code-server/lib/vscode/bin/helpers/browser.sh",
            )],
            ancestors: &[
                ("bash", "bash"),
                ("node", "/usr/lib/code-server/lib/node /usr/lib/code-server"),
                ("code-server", "/usr/lib/code-server/bin/code-server"),
            ],
            path: &["/usr/lib/code-server/lib/vscode/bin/helpers/browser.sh"],
            kind: Kind::HostedIde,
            session: "code-server",
            reach: Reach::No,
            lands: Lands::Client,
            ..BASE
        },
        Case {
            name: "Cursor over SSH: its server's helper opens on the client",
            vars: &[
                ("VSCODE_IPC_HOOK_CLI", "/run/user/1000/vscode-ipc-2.sock"),
                ("TERM_PROGRAM", "vscode"),
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                (
                    "BROWSER",
                    "/home/j/.cursor-server/cli/servers/Stable-abc/server/bin/helpers/browser.sh",
                ),
            ],
            path: &["/home/j/.cursor-server/cli/servers/Stable-abc/server/bin/helpers/browser.sh"],
            kind: Kind::HostedIde,
            session: "VS Code Remote-SSH",
            reach: Reach::Forwarded,
            lands: Lands::Client,
            ..BASE
        },
        Case {
            name: "Windsurf over SSH: its server's helper opens on the client",
            vars: &[
                ("VSCODE_IPC_HOOK_CLI", "/run/user/1000/vscode-ipc-3.sock"),
                ("TERM_PROGRAM", "vscode"),
                ("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 22"),
                (
                    "BROWSER",
                    "/home/j/.windsurf-server/bin/abc/bin/helpers/browser.sh",
                ),
            ],
            path: &["/home/j/.windsurf-server/bin/abc/bin/helpers/browser.sh"],
            kind: Kind::HostedIde,
            session: "VS Code Remote-SSH",
            reach: Reach::Forwarded,
            lands: Lands::Client,
            ..BASE
        },
        Case {
            name: "container with a dead DISPLAY stays a container",
            vars: &[("DISPLAY", ":1")],
            files: &["/.dockerenv"],
            path: XDG,
            x11: Some(false),
            kind: Kind::Container,
            session: "Docker container",
            reach: Reach::No,
            ..BASE
        },
    ]
}

fn facts(c: &Case) -> Facts {
    Facts {
        files: c.files.iter().map(|p| (*p).into()).collect(),
        proc_version: c.proc_version.into(),
        pid1_cgroup: c.cgroup.into(),
        os: c.os.into(),
        x11_answers: c.x11,
        wayland_answers: c.wayland,
        stdin_tty: true,
        ..fixtures::facts(c.vars, fixtures::ancestors(100, c.ancestors), c.path)
    }
}

#[test]
fn every_case_is_detected_with_evidence() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let s = detect(&facts(c));
        let got = (s.kind, s.name.as_str(), s.reach, s.browser.lands);
        let want = (c.kind, c.session, c.reach, c.lands);
        if got != want {
            failures.push(format!(
                "{}: got {got:?}, want {want:?}; evidence {:?}",
                c.name, s.evidence
            ));
        }
        if s.evidence.is_empty() || s.browser.evidence.is_empty() || s.reach_why.is_empty() {
            failures.push(format!("{}: a decision without evidence: {s:?}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// VS Code's helper by its shape: `<server>/bin/helpers/browser.sh` inside
/// a VS Code-family server install; any other `browser.sh` is a program.
#[test]
fn the_vscode_browser_helper_is_known_by_its_shape() {
    use gauth::decide::session::vscode_browser_helper;
    for helper in [
        "/home/j/.vscode-server/bin/0f0d87fa/bin/helpers/browser.sh",
        "/home/j/.vscode-server-insiders/bin/abc/bin/helpers/browser.sh",
        "/home/j/.vscode-server/cli/servers/Stable-abc/server/bin/helpers/browser.sh",
        "/home/j/.vscode/cli/servers/Stable-abc/server/bin/helpers/browser.sh",
        "/vscode/bin/linux-x64/abc/bin/helpers/browser.sh",
        "/root/.vscode-remote/bin/abc/bin/helpers/browser.sh",
        "/home/j/.vscodium-server/bin/abc/bin/helpers/browser.sh",
        "/home/.openvscode-server/bin/helpers/browser.sh",
        "/usr/lib/code-server/lib/vscode/bin/helpers/browser.sh",
        "/home/j/.cursor-server/bin/abc/bin/helpers/browser.sh",
        "/home/j/.windsurf-server/bin/abc/bin/helpers/browser.sh",
        "/home/j/.positron-server/bin/abc/bin/helpers/browser.sh",
        "/ide/bin/helpers/browser.sh",
        "C:\\Users\\j\\.vscode-server\\bin\\abc\\bin\\helpers\\browser.cmd",
    ] {
        assert!(vscode_browser_helper(helper), "{helper}");
    }
    for program in [
        "browser.sh",
        "/home/j/bin/browser.sh",
        "/home/j/vscode/browser.sh",
        "/home/j/.vscode-server/browser.sh",
        "/home/j/.vscode-server/bin/helpers/open-browser.sh",
        "/home/j/tools/bin/helpers/browser.sh",
        "/home/j/.vscode-server/bin/abc/bin/helpers/browser.sh.bak",
        "/usr/bin/code",
        "/usr/bin/firefox",
        "",
    ] {
        assert!(!vscode_browser_helper(program), "{program}");
    }
}

#[test]
fn ssh_endpoint_comes_from_ssh_connection() {
    let c = Case {
        vars: &[("SSH_CONNECTION", "10.1.2.3 50000 10.9.8.7 2222")],
        ..BASE
    };
    let s = detect(&facts(&c));
    let e = s.ssh.unwrap();
    assert_eq!(
        (e.client.as_str(), e.server.as_str(), e.server_port),
        ("10.1.2.3", "10.9.8.7", 2222)
    );
}

#[test]
fn a_malformed_ssh_connection_gives_no_endpoint() {
    for bad in [
        "10.1.2.3 50000 10.9.8.7",
        "10.1.2.3 50000 10.9.8.7 22 extra",
        "10.1.2.3 50000 evil;host 22",
        "10.1.2.3 50000 10.9.8.7 ssh",
        "10.1.2.3 50000 10.9.8.7 70000",
        "client 50000 10.9.8.7 22",
        "10.1.2.3 port 10.9.8.7 22",
        "",
    ] {
        let c = Case {
            vars: &[("SSH_CONNECTION", "")],
            ..BASE
        };
        let mut f = facts(&c);
        f.vars.insert("SSH_CONNECTION".into(), bad.into());
        let s = detect(&f);
        assert!(s.ssh.is_none(), "{bad:?} gave {:?}", s.ssh);
    }
    let c = Case {
        vars: &[("SSH_CONNECTION", "2001:db8::1 50000 2001:db8::5 22")],
        ..BASE
    };
    assert_eq!(detect(&facts(&c)).ssh.unwrap().server, "2001:db8::5");
}

#[test]
fn a_dead_display_is_named() {
    let c = Case {
        vars: &[("DISPLAY", ":0")],
        path: XDG,
        x11: Some(false),
        ..BASE
    };
    let s = detect(&facts(&c));
    assert!(
        s.evidence
            .iter()
            .any(|e| e == "DISPLAY=:0 is set, but no X server answers there"),
        "{:?}",
        s.evidence
    );
}

#[test]
fn evidence_names_the_deciding_signal() {
    let c = Case {
        ancestors: &[
            ("bash", "-bash"),
            ("sudo", "sudo -i"),
            ("sshd", "sshd: jenny"),
        ],
        ..BASE
    };
    let s = detect(&facts(&c));
    assert!(
        s.evidence
            .iter()
            .any(|e| e.contains("sshd among gauth's ancestors")),
        "{:?}",
        s.evidence
    );
    let c = Case {
        vars: &[("DISPLAY", ":0")],
        path: XDG,
        ..BASE
    };
    assert_eq!(
        detect(&facts(&c)).browser.opener.as_deref(),
        Some("xdg-open")
    );
}
