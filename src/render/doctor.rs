//! Human rendering of `gauth doctor`: checks grouped by area with ✓ / ! / ✗
//! marks, one fix per problem, then the verdict.
use super::Paint;
use crate::ops::doctor::{Area, Report, Status};
use crate::text::escape::esc;
use std::fmt::Write;

const AREAS: [Area; 6] = [
    Area::Session,
    Area::Browser,
    Area::Port,
    Area::Listener,
    Area::Config,
    Area::Online,
];

pub fn render(r: &Report, paint: Paint, verbose: bool) -> String {
    let mut out = String::new();
    for area in AREAS {
        let checks: Vec<_> = r.checks.iter().filter(|c| c.area == area).collect();
        if checks.is_empty() {
            continue;
        }
        let title = if area == Area::Port {
            format!("Port {}", r.port)
        } else {
            area.title().to_owned()
        };
        let _ = writeln!(out, "{}", paint.bold(&title));
        for c in checks {
            let mark = match c.status {
                Status::Ok => paint.mark_ok(),
                Status::Warn => paint.mark_warn(),
                Status::Fail => paint.mark_bad(),
                Status::Info => paint.dim("·"),
            };
            let _ = writeln!(out, "  {mark} {}", esc(&c.summary));
            let show_evidence = verbose || (c.status == Status::Info && c.area == Area::Session);
            if show_evidence {
                for e in &c.evidence {
                    let _ = writeln!(out, "      {}", paint.dim(&esc(e)));
                }
            }
            if let Some(fix) = &c.fix {
                let _ = writeln!(out, "    {} {}", paint.bold("fix:"), esc(fix));
            }
        }
        out.push('\n');
    }
    out.push_str(&render_verdict(r, paint));
    out
}

pub fn render_verdict(r: &Report, paint: Paint) -> String {
    let mut out = String::new();
    let rec = &r.recommendation;
    let head = if r.loopback_ready {
        format!(
            "{} loopback login works here as things are",
            paint.mark_ok()
        )
    } else {
        format!(
            "{} recommended flow: {}",
            paint.mark_warn(),
            paint.bold(rec.flow.as_str())
        )
    };
    let _ = writeln!(out, "{} {head}", paint.bold("Verdict"));
    for reason in &rec.reasons {
        let _ = writeln!(out, "  {}", esc(reason));
    }
    for c in &rec.commands {
        let _ = writeln!(
            out,
            "  {}:\n      {}",
            esc(&c.what),
            paint.bold(&esc(&c.run))
        );
    }
    out
}
