//! What `gauth login` shows a person: decisions, the URL, the device code
//! and a spinner on stderr; the result on stdout.
use super::Paint;
use crate::auth::browser::Opened;
use crate::auth::device::DeviceStart;
use crate::ops::login::Report;
use crate::system::config::Flow;
use crate::text::escape::esc;
use std::fmt::Write;
use std::time::Duration;

/// The result, for stdout.
pub fn render(r: &Report, paint: Paint) -> String {
    let who = r.account.as_deref().map_or_else(
        || "logged in".to_owned(),
        |a| format!("logged in as {}", esc(a)),
    );
    let mut out = format!(
        "{} {who} at {} ({} flow)\n",
        paint.mark_ok(),
        esc(&r.issuer),
        r.flow.as_str()
    );
    let _ = writeln!(out, "  scopes: {}", esc(&r.scopes.join(" ")));
    if !r.refresh_token {
        let _ = writeln!(
            out,
            "  {} no refresh token: `gauth token` works until the access token expires",
            paint.mark_warn()
        );
    }
    let _ = writeln!(
        out,
        "  {}",
        paint.dim("`gauth token` prints the access token")
    );
    out
}

/// The URL to open, and what happens next, for stderr. `reads_paste`:
/// gauth's input is a terminal, where a person can paste while a loopback
/// login waits; elsewhere (R, a notebook, `</dev/null`) nothing typed at
/// the console would reach gauth, so the way out is another login.
pub fn url_text(url: &str, opened: &Opened, flow: Flow, reads_paste: bool) -> String {
    let url = esc(url);
    let fallback = if reads_paste {
        "Waiting for the browser to come back. If it cannot reach this machine,\n\
         paste the address it ends on (or the code) here and press Enter.\n"
    } else {
        "Waiting for the browser to come back.\n\
         If it cannot reach this machine, stop this login and log in in two steps:\n\
         `gauth login --no-wait` (the same options but --flow and --no-browser), then `gauth login --finish -`.\n"
    };
    match (flow, opened) {
        (Flow::Paste, _) => format!(
            "\nOpen this URL in a browser, on any machine:\n\n    {url}\n\n\
             After you allow access, the browser shows an error page (or a code).\n\
             Paste its whole address (or the code) here and press Enter:\n"
        ),
        (_, Opened::Yes(how)) => format!(
            "\nOpened the login page in your browser ({}).\n\
             If it did not open, or opened on another machine, open:\n\n    {url}\n\n{fallback}",
            esc(how)
        ),
        (_, Opened::No(why)) => format!(
            "\nNo browser was opened ({}). Open this URL in a browser:\n\n    {url}\n\n{fallback}",
            esc(why)
        ),
    }
}

/// The device flow's code and where to enter it, for stderr.
pub fn device_text(start: &DeviceStart, paint: Paint) -> String {
    let mut text = format!(
        "\nTo sign in, open {} on any device and enter the code\n\n    {}\n",
        esc(&start.verification_uri),
        paint.bold(&esc(&start.user_code))
    );
    if let Some(c) = &start.verification_uri_complete {
        let _ = write!(text, "\n(or open {} directly)\n", esc(c));
    }
    text
}

/// One frame of the device flow's spinner: short enough for any terminal
/// (a line that wraps cannot be redrawn in place and would push the code
/// off the screen).
pub fn spinner_frame(frame: usize, left: Duration) -> String {
    const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    let s = left.as_secs();
    format!(
        "\r\x1b[2K{} waiting, {}:{:02} left",
        FRAMES[frame % FRAMES.len()],
        s / 60,
        s % 60
    )
}

/// `gauth login --no-wait`, for stderr (the URL itself goes to stdout):
/// where to open it and how to finish.
pub fn started_text(s: &crate::ops::login::pending::Started, on_stdout: bool) -> String {
    format!(
        "Open this URL in a browser, on any machine{}:\n\n    {}\n\n\
         After you allow access, the browser lands on an address that may not load\n\
         ({}…). Copy that whole address; then, before {}, run\n\n    \
         {}\n\n\
         and paste it there (or pass it quoted: gauth login --finish 'ADDRESS').\n",
        if on_stdout {
            " (it is also on stdout)"
        } else {
            ""
        },
        esc(&s.url),
        esc(&s.redirect_uri),
        crate::text::human::clock(s.expires_at),
        crate::decide::flow::FINISH
    )
}
