//! The signs that gauth runs away from the user's own machine: an SSH
//! session (and the endpoint a tunnel command needs), a container.
use super::{among_ancestors, ancestor, var_evidence};
use crate::system::facts::Facts;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SshEndpoint {
    /// The login name here (USER or LOGNAME), for the tunnel command.
    pub user: Option<String>,
    pub client: String,
    pub server: String,
    pub server_port: u16,
}

pub(super) fn container(f: &Facts) -> Option<(String, Vec<String>)> {
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

pub(super) fn ssh(f: &Facts) -> (Vec<String>, Option<SshEndpoint>) {
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
