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

/// clap quotes a bad argument back: on a terminal with colour it used to
/// pass an escape sequence through raw (a title change, a clipboard write),
/// and invisible format characters anywhere. Every one is escaped, with or
/// without colour, and clap's own colour stays.
#[test]
fn clap_errors_escape_what_the_user_typed() {
    for (args, env) in [
        (
            &["free-port", "\x1b]0;pwned\x07"][..],
            &[("CLICOLOR_FORCE", "1")][..],
        ),
        (&["--color", "always", "free-port", "\x1b]0;pwned\x07"], &[]),
        (&["free-port", "\x1b]0;pwned\x07"], &[]),
        (
            &["--\x1b]0;pwned\x07", "doctor"],
            &[("CLICOLOR_FORCE", "1")],
        ),
        (
            &["doctor", "--port", "14\u{200b}10\u{2028}"],
            &[("CLICOLOR_FORCE", "1")],
        ),
    ] {
        let out = gauth()
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        // The only escape sequences left are colours (SGR: ESC [ … m).
        let mut rest = err.as_ref();
        while let Some(at) = rest.find('\x1b') {
            let after = &rest[at + 1..];
            let sgr = after.strip_prefix('[').and_then(|a| {
                let end = a.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
                (a.as_bytes()[end] == b'm').then_some(end)
            });
            assert!(sgr.is_some(), "{args:?}: a raw escape sequence: {err:?}");
            rest = after;
        }
        for raw in ['\x07', '\u{200b}', '\u{2028}'] {
            assert!(!err.contains(raw), "{args:?}: {raw:?} raw in {err:?}");
        }
        assert!(
            err.contains("\\e]0;pwned\\x07") || err.contains("14\\u{200b}10\\u{2028}"),
            "{args:?}: the value is shown escaped: {err:?}"
        );
        let colour = !env.is_empty() || args.contains(&"always");
        assert_eq!(
            err.starts_with("\x1b["),
            colour,
            "{args:?}: colour as asked: {err:?}"
        );
    }
}

/// Help and version that could not be written are not a success: exit 1,
/// as for any output that could not be written. A closed pipe is no error.
#[cfg(target_os = "linux")]
#[test]
fn help_and_version_to_a_full_device_fail() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["login", "--help"],
        &["help"],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = gauth().args(args).stdout(full).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with("gauth: error: cannot write the "),
            "{args:?}: {err}"
        );
        assert!(err.contains("No space left on device"), "{args:?}: {err}");
    }
    for args in [&["--help"][..], &["--version"]] {
        let mut child = gauth()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    }
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
    let pages = gauth::cli::man::pages();
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

/// `gauth … | true`: the reader is gone before gauth prints. The exit code
/// is the outcome's, decided before printing; the closed pipe only stops
/// the printing.
#[test]
#[cfg(unix)] // the Python listener helper
fn a_closed_stdout_does_not_change_the_exit_code() {
    // A holder that is not expendable without --force: refused, port held.
    let l = listen(&[]);
    let port = l.port.to_string();
    let closed = |args: &[&str]| {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = gauth()
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains("panicked"), "{err}");
        out.status.code()
    };
    for args in [
        &["free-port", "--yes", port.as_str()][..],
        &["free-port", "--dry-run", &port],
        &["-q", "free-port", "--yes", &port],
        &["--json", "free-port", "--yes", &port],
        &["doctor", "--port", &port],
        &["--json", "doctor", "--port", &port],
    ] {
        let normal = gauth().args(args).output().unwrap().status.code();
        assert_eq!(normal, Some(3), "{args:?}: the port is held");
        assert_eq!(closed(args), normal, "{args:?}");
    }
    assert!(alive(l.pid), "refused holder untouched");
}

#[test]
fn help_and_usage_errors_follow_the_colour_choice() {
    let has_escape = |args: &[&str], env: &[(&str, &str)]| {
        let out = gauth()
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        out.stdout.contains(&0x1b) || out.stderr.contains(&0x1b)
    };
    for args in [
        &["--help"][..],
        &["free-port", "--help"],
        &["free-port", "abc"],
    ] {
        let with = |flag: &[&'static str]| [flag, args].concat();
        assert!(has_escape(&with(&["--color", "always"]), &[]), "{args:?}");
        assert!(
            !has_escape(&with(&["--color", "never"]), &[("CLICOLOR_FORCE", "1")]),
            "{args:?}: --color never wins"
        );
        assert!(
            !has_escape(&with(&["--color=never"]), &[("CLICOLOR_FORCE", "1")]),
            "{args:?}: --color=never"
        );
        assert!(
            !has_escape(args, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]),
            "{args:?}: NO_COLOR"
        );
        assert!(
            has_escape(args, &[("CLICOLOR_FORCE", "1")]),
            "{args:?}: CLICOLOR_FORCE"
        );
        assert!(!has_escape(args, &[]), "{args:?}: not a terminal");
    }
}

#[test]
#[cfg(unix)] // the Python listener helper
fn quiet_yes_still_names_what_it_killed() {
    let l = listen(&["--reuseaddr", "run_local_server"]);
    let out = run(&["-q", "free-port", "--yes", "--force", &l.port.to_string()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(
        text,
        format!(
            "✓ python3 (pid {}) exited after SIGTERM ({})\nport {} is free now\n",
            l.pid,
            text.split(['(', ')']).nth(3).unwrap_or("?"),
            l.port
        )
    );
}

#[test]
#[cfg(unix)] // the Python listener helper
fn free_port_defaults_to_httr_port() {
    let l = listen(&[]);
    let port = l.port.to_string();
    let out = gauth()
        .args(["--json", "free-port", "--dry-run"])
        .env("HTTR_PORT", &port)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["port"], l.port, "{v:#}");
    assert_eq!(holder_pids(&v), vec![l.pid as i64]);
    // A bad HTTR_PORT names no port: free-port refuses (exit 2, nothing
    // inspected or killed) rather than act on 1410; doctor reports it.
    for bad in ["14x0", "abc", "0", "70000"] {
        for args in [&["free-port", "--dry-run"][..], &["free-port", "--yes"]] {
            let out = gauth().args(args).env("HTTR_PORT", bad).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
            assert!(out.stdout.is_empty(), "{bad}");
            assert!(
                err.starts_with(&format!("gauth: error: HTTR_PORT={bad}: "))
                    && err.contains("pass the port, or fix or unset HTTR_PORT")
                    && err.lines().count() == 1,
                "{bad}: {err}"
            );
        }
        let out = gauth()
            .args(["doctor"])
            .env("HTTR_PORT", bad)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&format!("✗ HTTR_PORT={bad}: ")), "{text}");
    }
    // The port given wins over a bad HTTR_PORT.
    let out = gauth()
        .args(["--json", "free-port", "--dry-run", &port])
        .env("HTTR_PORT", "abc")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

/// The README's exit-code table is generated from the same table as
/// `--help` and the man pages. To regenerate:
/// `GAUTH_UPDATE_MAN=1 cargo test --test cli readme_exit_codes_are_up_to_date`.
#[test]
fn readme_exit_codes_are_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let begin = "<!-- exit-codes:begin -->\n";
    let end = "<!-- exit-codes:end -->";
    let (Some(b), Some(e)) = (readme.find(begin), readme.find(end)) else {
        panic!("README.md has no exit-codes markers");
    };
    let table = gauth::error::exit_status_markdown();
    if readme[b + begin.len()..e] != table {
        #[allow(clippy::disallowed_methods)]
        if std::env::var_os("GAUTH_UPDATE_MAN").is_some() {
            let fresh = format!("{}{table}{}", &readme[..b + begin.len()], &readme[e..]);
            std::fs::write(&path, fresh).unwrap();
        } else {
            panic!(
                "README exit-code table is stale; run GAUTH_UPDATE_MAN=1 cargo test --test cli readme_exit_codes_are_up_to_date"
            );
        }
    }
}

#[test]
fn man_pages_name_environment_files_and_no_missing_page() {
    for (name, body) in gauth::cli::man::pages() {
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("gauth\\-help(1)"),
            "{name} names gauth-help(1)"
        );
        if name != "gauth-completions.1" {
            for want in [
                "ENVIRONMENT",
                "FILES",
                "HTTR_PORT",
                "NO_COLOR",
                "config.toml",
            ] {
                assert!(text.contains(want), "{name} lacks {want}");
            }
        }
    }
    let doctor = gauth::cli::man::pages()
        .into_iter()
        .find(|(n, _)| n == "gauth-doctor.1")
        .unwrap();
    let text = String::from_utf8_lossy(&doctor.1);
    assert!(text.contains("a loopback login works here as things are"));
    assert!(text.contains("a loopback login needs an action or a fallback flow"));
}
