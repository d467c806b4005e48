//! The examples each command's `--help` and man page show: one table, so
//! the two never drift apart.

/// Examples per command (`""`: gauth itself), for `--help` and the man
/// pages alike: (command line, what it does).
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "",
        &[
            ("gauth doctor", "can a browser-based OAuth login work here?"),
            (
                "gauth free-port --dry-run",
                "who holds R's OAuth port 1410, and may it be killed?",
            ),
        ],
    ),
    (
        "doctor",
        &[
            (
                "gauth doctor",
                "what blocks a browser login here, and what to run instead",
            ),
            (
                "gauth doctor --json",
                "every check with its evidence, as JSON (schema_version 1)",
            ),
            (
                "gauth doctor --recommend",
                "one word for scripts and .Rprofile: loopback, paste or device",
            ),
            (
                "gauth doctor --port 8085 --online",
                "check port 8085 and that Google's endpoints answer",
            ),
            (
                "gauth doctor --recommend --scope https://www.googleapis.com/auth/drive",
                "the flow for a login with these scopes",
            ),
        ],
    ),
    (
        "free-port",
        &[
            (
                "gauth free-port --dry-run",
                "show who holds 1410 and whether it looks expendable",
            ),
            (
                "gauth free-port 8085",
                "ask before killing the expendable holders of 8085",
            ),
            (
                "gauth free-port --yes --json 1410",
                "kill without asking; print the result as JSON",
            ),
            (
                "sudo gauth free-port --force 1410",
                "when another user's process holds the port",
            ),
        ],
    ),
    (
        "login",
        &[
            (
                "gauth login --credentials client.json --scope openid --scope email",
                "log in with Google using a client JSON",
            ),
            (
                "gauth login --issuer https://id.example.com --client-id cli",
                "log in with any OpenID provider",
            ),
            (
                "gauth login --oob",
                "paste the redirected URL back (remote sessions)",
            ),
            (
                "gauth login --flow device",
                "enter a short code on any device",
            ),
            (
                "gauth login --no-wait",
                "start a login and print its URL (consoles gauth cannot read)",
            ),
            (
                "gauth login --finish 'http://127.0.0.1:1410/?code=…'",
                "finish it with the address the browser landed on",
            ),
        ],
    ),
    (
        "token",
        &[
            ("gauth token", "the access token of the only cached login"),
            (
                "gauth token --account me@example.com",
                "of one login among several",
            ),
            ("gauth token --json", "with its expiry, scopes and account"),
            (
                "gauth token --refresh",
                "a new access token now (the cached one was refused)",
            ),
            (
                "curl -H \"Authorization: Bearer $(gauth token)\" URL",
                "use it in a request",
            ),
        ],
    ),
    (
        "accounts",
        &[
            (
                "gauth accounts",
                "list the cached logins and their token state",
            ),
            ("gauth accounts --json", "the same as JSON (no secrets)"),
        ],
    ),
    (
        "logout",
        &[
            ("gauth logout", "revoke and forget the only login"),
            (
                "gauth logout --account me@example.com",
                "revoke and forget one login among several",
            ),
            ("gauth logout --all", "revoke and forget every login"),
        ],
    ),
    (
        "completions",
        &[
            (
                "gauth completions bash > ~/.local/share/bash-completion/completions/gauth",
                "install bash completions",
            ),
            (
                "gauth completions zsh > ~/.zfunc/_gauth",
                "install zsh completions",
            ),
        ],
    ),
];

pub fn examples(command: &str) -> &'static [(&'static str, &'static str)] {
    EXAMPLES
        .iter()
        .find(|(c, _)| *c == command)
        .map_or(&[], |(_, e)| e)
}
