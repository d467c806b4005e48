//! The command line itself: usage errors, help, completions, man pages.
mod common;
use common::*;

#[test]
fn bad_ports_are_usage_errors_with_one_clear_line() {
    for bad in ["abc", "0", "-1", "65536", "1410x", "", "70000", "+1410"] {
        let out = run(&["free-port", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty(), "{bad:?}: nothing on stdout");
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: invalid value")
                && first.contains("a port is a number from 1 to 65535"),
            "{bad:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn other_bad_arguments_are_usage_errors() {
    for args in [
        &["free-port", "--timeout", "soon"][..],
        &["free-port", "--timeout", "2h"],
        &["free-port", "--signal", "USR1"],
        &["--color", "sometimes", "free-port"],
        &["no-such-command"],
        &["free-port", "1410", "1411"],
        &["doctor", "--port", "0"],
        &["doctor", "--port", "abc"],
        &["doctor", "--endpoint", "https://x.example"],
        &["doctor", "--recommend", "--json"],
        &["-q", "-v", "free-port"],
        &[],
    ] {
        let out = run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn help_and_version_succeed_and_document_exit_codes() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("3  action still needed"), "{text}");
    let out = run(&["free-port", "--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("gauth free-port --dry-run"));
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("gauth "));
}

#[test]
fn completions_are_generated_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("free-port"), "{shell}: {text}");
    }
}

#[test]
fn quiet_prints_only_the_summary() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(&["-q", "free-port", &port.to_string()]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("port {port} is free\n")
    );
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    use std::process::Stdio;
    let mut child = gauth()
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

/// `man/` must match the CLI. To regenerate after a CLI change:
/// `GAUTH_UPDATE_MAN=1 cargo test --test cli man_pages_are_up_to_date`.
#[test]
fn man_pages_are_up_to_date() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    #[allow(clippy::disallowed_methods)]
    let update = std::env::var_os("GAUTH_UPDATE_MAN").is_some();
    let pages = gauth::man::pages();
    assert!(pages.len() >= 3);
    let mut stale = Vec::new();
    for (name, body) in &pages {
        let text = String::from_utf8_lossy(body);
        assert!(
            text.contains("EXIT STATUS") && text.contains("EXAMPLES"),
            "{name}"
        );
        let path = dir.join(name);
        if std::fs::read(&path).ok().as_deref() != Some(body.as_slice()) {
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, body).unwrap();
            } else {
                stale.push(name.clone());
            }
        }
    }
    let expected: Vec<&String> = pages.iter().map(|(n, _)| n).collect();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".1") && !expected.contains(&&name) {
            stale.push(format!("{name} (no such command any more)"));
        }
    }
    assert!(
        stale.is_empty(),
        "man pages are stale: {stale:?}; run GAUTH_UPDATE_MAN=1 cargo test --test cli man_pages_are_up_to_date"
    );
}

#[test]
fn colour_follows_flag_then_no_color_then_clicolor_force() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let has_escape = |args: &[&str], env: &[(&str, &str)]| {
        let out = gauth()
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        out.stdout.contains(&0x1b)
    };
    let fp = ["free-port", port.as_str()];
    assert!(!has_escape(&fp, &[]), "not a terminal: no colour");
    assert!(has_escape(&fp, &[("CLICOLOR_FORCE", "1")]));
    assert!(
        !has_escape(&fp, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]),
        "NO_COLOR wins over CLICOLOR_FORCE"
    );
    assert!(
        has_escape(
            &["--color", "always", "free-port", &port],
            &[("NO_COLOR", "1")]
        ),
        "--color wins"
    );
    assert!(!has_escape(
        &["--color", "never", "free-port", &port],
        &[("CLICOLOR_FORCE", "1")]
    ));
    assert!(
        !has_escape(&["--json", "--color", "always", "free-port", &port], &[]),
        "JSON is never coloured"
    );
    assert!(has_escape(
        &["--color", "always", "doctor", "--port", &port],
        &[]
    ));
    assert!(!has_escape(
        &[
            "--color",
            "always",
            "doctor",
            "--recommend",
            "--port",
            &port
        ],
        &[]
    ));
}
