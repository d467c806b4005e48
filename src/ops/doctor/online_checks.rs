//! `--online` checks: does each provider endpoint answer? A failure blocks
//! every flow, so it counts in the verdict.
use super::{Area, Check, Status, check};
use crate::auth::online::Online;

/// Push one check per endpoint; true when one of them failed.
pub fn checks(results: Option<&[Online]>, checks: &mut Vec<Check>) -> bool {
    let mut failed = false;
    for r in results.unwrap_or_default() {
        let c = if r.ok {
            check(
                Area::Online,
                "endpoint",
                Status::Ok,
                format!("{} answers", r.url),
            )
            .evidence([r.detail.clone()])
        } else if let Some(why) = r.detail.strip_prefix(crate::auth::online::NOT_CONTACTED) {
            // Refused before any connection (plain http beyond loopback):
            // "does not answer" would not be true.
            failed = true;
            check(Area::Online, "endpoint", Status::Fail, format!("{} was not contacted: {why}", r.url))
                .fix("use https, or make localhost resolve to loopback only (127.0.0.1 and ::1 in /etc/hosts)")
        } else {
            failed = true;
            check(Area::Online, "endpoint", Status::Fail, format!("{} does not answer: {}", r.url, r.detail))
                .fix("check the network, proxy (HTTPS_PROXY) and DNS; offline, no login flow can reach the provider")
        };
        checks.push(c);
    }
    failed
}
