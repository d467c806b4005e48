//! Human rendering for the token cache commands: `gauth accounts`,
//! `gauth logout`, and `gauth token -v` (which never shows the token).
use super::Paint;
use crate::cache::Freshness;
use crate::ops::accounts::{AccountsReport, Login};
use crate::ops::logout::{LogoutReport, Revocation};
use crate::ops::token::{Source, TokenReport};
use crate::text::escape::esc;
use crate::text::human::duration;

fn state(l: &Login, paint: Paint) -> String {
    match (l.state, l.expires_in) {
        (Freshness::Valid, Some(s)) => paint.ok(&format!("valid, {} left", duration(s))),
        (Freshness::Valid, None) => paint.ok("valid (no expiry given)"),
        (Freshness::Refreshable, _) => paint.warn("expired, renewed on use"),
        (Freshness::Expired, _) => paint.bad("expired: log in again"),
    }
}

pub fn render_accounts(r: &AccountsReport, paint: Paint) -> String {
    if r.logins.is_empty() {
        return format!(
            "No cached logins (in {}). Run `gauth login`.\n",
            esc(&r.cache_dir)
        );
    }
    let rows: Vec<[String; 5]> = r
        .logins
        .iter()
        .map(|l| {
            let mut scopes = l.scopes.clone();
            scopes.sort();
            [
                esc(l.account.as_deref().unwrap_or("-")),
                esc(&l.issuer),
                esc(&l.client_id),
                esc(&scopes.join(" ")),
                state(l, paint),
            ]
        })
        .collect();
    let header = ["ACCOUNT", "ISSUER", "CLIENT", "SCOPES", "TOKEN"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5], last: &str| {
        let mut out = String::new();
        for (i, cell) in cells.iter().take(4).enumerate() {
            out.push_str(cell);
            out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
        }
        out.push_str(last);
        out.push('\n');
        out
    };
    let mut out = paint.bold(line(header, "TOKEN").trim_end());
    out.push('\n');
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], ""], &row[4]));
    }
    out
}

pub fn render_logout(r: &LogoutReport, paint: Paint) -> String {
    let mut out = String::new();
    for p in &r.removed {
        out.push_str(&format!(
            "Deleted {} (not a readable login)\n",
            esc(&p.path)
        ));
    }
    if r.logouts.is_empty() {
        if out.is_empty() {
            return "No cached logins.\n".to_owned();
        }
        return out;
    }
    for l in &r.logouts {
        let who = match &l.account {
            Some(a) => format!("{} at {}", esc(a), esc(&l.issuer)),
            None => format!("client {} at {}", esc(&l.client_id), esc(&l.issuer)),
        };
        let what = match l.revocation {
            Revocation::Revoked => paint.ok("revoked and deleted"),
            Revocation::Failed => format!(
                "{} (deleted locally)",
                paint.warn(&format!(
                    "revocation failed: {}",
                    esc(l.error.as_deref().unwrap_or("unknown"))
                ))
            ),
            Revocation::Unsupported => "no revocation endpoint (deleted locally)".to_owned(),
        };
        out.push_str(&format!("Logged out of {who}: {what}\n"));
    }
    out
}

/// `gauth token -v`: where the token came from (stderr; never the token).
pub fn render_token_verbose(r: &TokenReport) -> String {
    let expiry = match r.expires_in {
        Some(s) => format!("expires in {}", duration(s)),
        None => "no expiry given".to_owned(),
    };
    let path = esc(&r.path.display().to_string());
    match r.source {
        Source::Cache => format!("gauth: from the cache, no request made ({path}); {expiry}\n"),
        Source::Refreshed => format!(
            "gauth: refreshed at {}; saved to {path}; {expiry}\n",
            esc(&r.token_endpoint)
        ),
        Source::RefreshedMeanwhile => {
            format!("gauth: another gauth refreshed it while this one waited ({path}); {expiry}\n")
        }
    }
}
