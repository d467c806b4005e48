//! Man pages generated from the clap definition (never written by hand):
//! `gauth.1` and one page per subcommand, each with EXIT STATUS and EXAMPLES.
//! `tests/cli.rs` fails when `man/` is stale; `GAUTH_UPDATE_MAN=1 cargo test
//! --test cli man_pages` rewrites it.
use crate::cli::Cli;
use clap::CommandFactory;
use clap_mangen::roff::{Roff, bold, roman};

const EXIT_STATUS: &[(&str, &str)] = &[
    (
        "0",
        "Success. For free-port: the port is free (or only TIME_WAIT connections remain, which listeners that set SO_REUSEADDR can bind through).",
    ),
    (
        "1",
        "Runtime error: a kernel interface or file could not be read, a signal could not be sent for an unexpected reason.",
    ),
    (
        "2",
        "Usage error: bad arguments, such as a port that is not a number from 1 to 65535.",
    ),
    (
        "3",
        "Action still needed. For free-port: holders remain (dry run, refused, declined, not confirmed without a terminal, or owned by a user you cannot see).",
    ),
];

fn examples(name: &str) -> &'static [(&'static str, &'static str)] {
    match name {
        "gauth-free-port" => &[
            (
                "gauth free-port --dry-run",
                "Show who holds port 1410 and whether each holder looks expendable; change nothing.",
            ),
            (
                "gauth free-port 8085",
                "Ask before killing each expendable holder of port 8085, then prove the port is free.",
            ),
            (
                "gauth free-port --yes --json 1410",
                "Kill expendable holders without asking; print the result as JSON.",
            ),
            (
                "sudo gauth free-port 1410",
                "When the port is held by another user's process.",
            ),
        ],
        "gauth-doctor" => &[
            (
                "gauth doctor",
                "What blocks a browser-based login here, and what to run instead.",
            ),
            (
                "gauth doctor --json",
                "Every check with its evidence and the recommendation, as JSON (schema_version 1).",
            ),
            (
                "gauth doctor --recommend",
                "One word for scripts and .Rprofile files: loopback, paste or device.",
            ),
            (
                "gauth doctor --port 8085 --online",
                "Check port 8085 and that Google's endpoints answer.",
            ),
        ],
        "gauth-completions" => &[
            (
                "gauth completions bash > ~/.local/share/bash-completion/completions/gauth",
                "Install bash completions.",
            ),
            (
                "gauth completions zsh > ~/.zfunc/_gauth",
                "Install zsh completions.",
            ),
        ],
        _ => &[
            (
                "gauth free-port --dry-run",
                "Who holds R's OAuth port 1410, and may it be killed?",
            ),
            ("gauth free-port 1410", "Free the port, asking first."),
        ],
    }
}

/// (file name, contents) for every page.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = Cli::command();
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

fn render(cmd: clap::Command, name: &str) -> (String, Vec<u8>) {
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
    let _ = man.render_subcommands_section(&mut buf);
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, text) in EXIT_STATUS {
        roff.control("TP", [])
            .text([bold(*code)])
            .text([roman(*text)]);
    }
    roff.control("SH", ["EXAMPLES"]);
    for (cmdline, text) in examples(name) {
        roff.control("TP", [])
            .text([bold(*cmdline)])
            .text([roman(*text)]);
    }
    let _ = roff.to_writer(&mut buf);
    let _ = man.render_version_section(&mut buf);
    (format!("{name}.1"), buf)
}
