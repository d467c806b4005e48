//! Session and browser checks: what kind of session this is, whether the
//! user's browser can reach this loopback, and whether one can be opened.
use super::{Area, Check, Status, check};
use crate::decide::session::{Kind, Lands, Reach, Session};

pub fn checks(s: &Session, checks: &mut Vec<Check>) {
    let status = match s.reach {
        Reach::Yes | Reach::Forwarded => Status::Ok,
        Reach::Tunnel | Reach::No => Status::Warn,
    };
    let remote = matches!(
        s.kind,
        Kind::Ssh | Kind::HostedIde | Kind::Notebook | Kind::CloudShell
    );
    let what = if remote && s.reach != Reach::Forwarded {
        format!("{} (remote session)", s.name)
    } else {
        s.name.clone()
    };
    checks.push(check(Area::Session, "kind", Status::Info, what).evidence(s.evidence.clone()));
    if let Some(c) = &s.container
        && s.kind != Kind::Container
    {
        checks.push(check(
            Area::Session,
            "container",
            Status::Info,
            format!("inside a container ({c})"),
        ));
    }
    let reach = match s.reach {
        Reach::Yes => "your browser can reach a listener on this machine's loopback".to_owned(),
        Reach::Forwarded => {
            "your browser reaches this machine's loopback through a forwarded port".to_owned()
        }
        Reach::Tunnel => {
            "your browser reaches this machine's loopback only through a tunnel".to_owned()
        }
        Reach::No => "your browser cannot reach a listener on this machine's loopback".to_owned(),
    };
    checks.push(check(
        Area::Session,
        "reach",
        status,
        format!("{reach}: {}", s.reach_why),
    ));
    let b = &s.browser;
    let (status, summary) = match (&b.opener, b.lands) {
        (Some(o), Lands::Here) => (Status::Ok, format!("a browser opens here with {o}")),
        (Some(o), Lands::Client) => (
            Status::Ok,
            format!("a browser opens on your own machine through {o}"),
        ),
        (Some(o), Lands::WindowsHost) => (
            Status::Ok,
            format!("a browser opens on the Windows host with {o}"),
        ),
        _ => (
            Status::Warn,
            "no browser can be opened from here: the login URL must be opened by hand".to_owned(),
        ),
    };
    checks.push(check(Area::Browser, "opener", status, summary).evidence(b.evidence.clone()));
}
