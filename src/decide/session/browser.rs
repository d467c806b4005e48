//! Whether a browser can be opened from here, with what, and where it shows
//! up: the BROWSER variable, the platform's opener, or none.
use super::Kind;
use crate::system::facts::Facts;
use serde::Serialize;

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

/// The BROWSER variable: a colon-separated list; `true`/`false`/empty mean
/// "print the URL only". The first command whose program exists here wins.
pub(super) fn browser_var(f: &Facts) -> Option<Result<String, String>> {
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

pub(super) fn browser(f: &Facts, kind: Kind, has_display: bool) -> Browser {
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
