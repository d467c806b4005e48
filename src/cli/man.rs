//! Man pages generated from the clap definition (never written by hand):
//! `gauth.1` and one page per subcommand, each with EXIT STATUS and EXAMPLES.
//! `tests/cli.rs` fails when `man/` is stale; `GAUTH_UPDATE_MAN=1 cargo test
//! --test cli man_pages` rewrites it.
use crate::error::EXIT_CODES;
use clap_mangen::roff::{Roff, bold, roman};

/// Environment variables gauth reads: (name, what for).
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "GAUTH_FLOW",
        "Force a flow: auto, loopback, paste or device (doctor reports it and recommends it).",
    ),
    (
        "GAUTH_OOB",
        "Set to 1 or true: force the paste (out-of-band) flow.",
    ),
    (
        "HTTR_PORT, HTTR_LOCALHOST",
        "Where R's httr listener binds (default 127.0.0.1:1410); the port doctor and free-port use when none is given.",
    ),
    (
        "HTTR_SERVER, HTTR_SERVER_PORT",
        "Where httr sends the browser back to (default localhost:1410); doctor flags a mismatch with the listener.",
    ),
    (
        "R_PROFILE_USER",
        "The R profile doctor reads for out-of-band options, instead of ~/.Rprofile.",
    ),
    (
        "BROWSER, DISPLAY, WAYLAND_DISPLAY",
        "How a browser would be opened here; doctor checks that the program exists and the display answers.",
    ),
    (
        "SSH_CONNECTION, SSH_CLIENT, SSH_TTY",
        "An SSH session: doctor prints the tunnel that keeps a loopback login working.",
    ),
    (
        "NO_COLOR, CLICOLOR_FORCE, TERM",
        "Colour: NO_COLOR (set, not empty) turns it off, CLICOLOR_FORCE on, TERM=dumb off; --color wins over all three.",
    ),
    (
        "XDG_CONFIG_HOME, HOME",
        "Where the configuration file is looked for.",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/gauth/config.toml (~/.config/gauth/config.toml)",
        "Configuration: flow = \"paste\" or oob = true force a flow. Read only when it is a regular file of at most 1 MiB.",
    ),
    (
        "~/.Rprofile, ./.Rprofile",
        "Read by doctor for options(gargle_oob_default = TRUE); same limits.",
    ),
    (
        "/proc",
        "Processes, their file descriptors, names and ancestry (Linux).",
    ),
];

/// (file name, contents) for every page.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    // `gauth help` is clap's; it has no page of its own to refer to.
    let mut cmd = super::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![render(cmd.clone(), "gauth")];
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("gauth-{}", sub.get_name());
        let sub = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("gauth {}", sub.get_name()));
        pages.push(render(sub, &name));
    }
    pages
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn render(cmd: clap::Command, name: &str) -> (String, Vec<u8>) {
    // clap_mangen writes the heading even for a command without any.
    let has_subcommands = cmd.get_subcommands().any(|s| s.get_name() != "help");
    let man = clap_mangen::Man::new(cmd)
        .date("")
        .source(format!("gauth {}", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    // Rendering into a Vec cannot fail.
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    let _ = man.render_synopsis_section(&mut buf);
    let _ = man.render_description_section(&mut buf);
    let _ = man.render_options_section(&mut buf);
    if has_subcommands {
        let _ = man.render_subcommands_section(&mut buf);
    }
    let command = name.strip_prefix("gauth-").unwrap_or("");
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for doc in EXIT_CODES {
        let mut text = doc.meaning.to_owned();
        for (c, note) in doc.per_command {
            if c.is_empty() || *c == command {
                text.push_str(&format!(". {note}"));
            } else if command.is_empty() {
                text.push_str(&format!(". {c}: {note}"));
            }
        }
        text.push('.');
        roff.control("TP", [])
            .text([bold(doc.exit.code().to_string())])
            .text([roman(upper_first(&text))]);
    }
    let mut section = |title: &str, rows: &[(&str, &str)]| {
        roff.control("SH", [title]);
        for (key, text) in rows {
            roff.control("TP", [])
                .text([bold(*key)])
                .text([roman(*text)]);
        }
    };
    if command != "completions" {
        section("ENVIRONMENT", ENVIRONMENT);
        section("FILES", FILES);
    }
    section("EXAMPLES", crate::cli::examples(command));
    let _ = roff.to_writer(&mut buf);
    let _ = man.render_version_section(&mut buf);
    (format!("{name}.1"), buf)
}
