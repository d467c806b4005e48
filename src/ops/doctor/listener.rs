//! Listener checks: the self-test's binds, its HTTP round trip, and what
//! `localhost` resolves to.
use super::{Area, Check, Status, check};
use crate::system::net::bind::BindResult;
use crate::system::net::selftest::{self, ProbeResult, SelfTest};
use crate::system::rprofile::Httr;
use std::net::IpAddr;

pub fn checks(t: &SelfTest, httr: &Httr, checks: &mut Vec<Check>) {
    let p = t.port;
    let on = if t.on_requested_port {
        String::new()
    } else {
        format!(" (tested on free port {p}: the requested one is taken)")
    };
    if let Some(denied) = t.binds.iter().find(|b| {
        matches!(
            b.result,
            BindResult::Denied { .. } | BindResult::Failed { .. }
        )
    }) {
        checks.push(
            check(
                Area::Listener,
                "bind",
                Status::Fail,
                selftest::bind_problem(denied).unwrap_or_default(),
            )
            .fix("loopback login cannot work here; use the paste or device flow"),
        );
    }
    if t.ip_literal_works() {
        checks.push(check(
            Area::Listener,
            "round_trip",
            Status::Ok,
            format!("a listener on 127.0.0.1:{p} answers HTTP{on}"),
        ));
    } else if !t.probes.is_empty() {
        let why: Vec<String> = t
            .probes
            .iter()
            .filter(|p| p.result != ProbeResult::Ok)
            .filter_map(|p| p.detail.clone().map(|d| format!("{}: {d}", p.address)))
            .collect();
        checks.push(
            check(
                Area::Listener,
                "round_trip",
                Status::Fail,
                format!("a listener on 127.0.0.1:{p} does not answer its own HTTP request"),
            )
            .evidence(why)
            .fix("loopback traffic is blocked or the loopback interface is down (a sandbox?): use the paste or device flow"),
        );
    }
    if let Some(e) = &t.resolve_error {
        checks.push(
            check(
                Area::Listener,
                "localhost",
                Status::Warn,
                format!(
                    "localhost does not resolve ({e}): redirects to http://localhost:{p}/ fail"
                ),
            )
            .fix(format!("redirect to http://127.0.0.1:{p}/ (gauth does)")),
        );
        return;
    }
    let order: Vec<String> = t.localhost.iter().map(IpAddr::to_string).collect();
    let ev = vec![format!("localhost resolves to {}", order.join(", "))];
    if let Some(bad) = t.localhost.iter().find(|a| !a.is_loopback()) {
        checks.push(
            check(Area::Listener, "localhost", Status::Fail, format!("localhost resolves to {bad}, which is not loopback: a redirect to localhost leaves this machine"))
                .evidence(ev)
                .evidence([format!("gauth did not connect to {bad}: it contacts nothing beyond loopback without --online")])
                .fix("fix /etc/hosts (localhost must be 127.0.0.1 and ::1)"),
        );
        return;
    }
    let first_v6 = t.localhost.first().is_some_and(IpAddr::is_ipv6);
    let refused_first = t
        .localhost_first_with_ipv4_only()
        .is_some_and(|p| p.result == ProbeResult::Refused);
    let httr_ipv4 = !httr.listen_host.contains(':');
    if first_v6 && refused_first {
        let mut c = check(
            Area::Listener,
            "localhost",
            Status::Warn,
            "localhost resolves to ::1 first; a listener on 127.0.0.1 only, like httr's, is refused there (browsers that retry 127.0.0.1 get through, other clients fail)",
        )
        .evidence(ev);
        if t.localhost_works_with_both() {
            c.evidence.push(
                "with listeners on both 127.0.0.1 and ::1 every localhost address answers"
                    .to_owned(),
            );
        }
        if httr_ipv4 && httr.redirect_host == "localhost" {
            c = c.fix("for httr: Sys.setenv(HTTR_SERVER = \"127.0.0.1\") so the browser is sent where R listens");
        }
        checks.push(c);
    } else if t
        .localhost_first_with_ipv4_only()
        .is_some_and(|p| p.result == ProbeResult::Ok)
    {
        let both = if t.localhost_works_with_both() {
            "; a listener on 127.0.0.1 and ::1 answers at every address"
        } else {
            ""
        };
        checks.push(
            check(
                Area::Listener,
                "localhost",
                Status::Ok,
                format!("http://localhost:{p}/ reaches a 127.0.0.1 listener{both}"),
            )
            .evidence(ev),
        );
    } else {
        let mut ev = ev;
        ev.extend(
            t.localhost_first_with_ipv4_only()
                .and_then(|p| p.detail.clone()),
        );
        checks.push(
            check(
                Area::Listener,
                "localhost",
                Status::Fail,
                format!("http://localhost:{p}/ does not reach a listener here"),
            )
            .evidence(ev),
        );
    }
}
