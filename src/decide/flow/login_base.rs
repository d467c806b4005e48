//! The `gauth login` that the recommended commands start with: where it
//! finds its client, what to fix first, and the scopes it was asked about.
use super::is_google;

/// The `gauth login` the printed commands start with: what runs as printed
/// where gauth finds its OAuth client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginBase {
    /// `gauth login`, plus `--credentials client.json` when no client is
    /// configured and the reason says how to make that file.
    pub command: String,
    /// What to do before it runs: get a client (no client configured).
    pub first: Option<String>,
    /// The same for a device login, when it differs: Google's device flow
    /// takes only clients of type "TVs and Limited Input devices".
    pub first_device: Option<String>,
    /// The scopes `gauth doctor --scope` was asked about, which the
    /// commands repeat (empty: the login's defaults).
    pub scopes: Vec<String>,
    /// The client JSON the commands name (`--credentials`), which the R
    /// call names too (`credentials =`).
    pub credentials: Option<&'static str>,
}

impl LoginBase {
    /// A client is configured (the environment or the config file): `gauth
    /// login` as it is.
    pub fn configured() -> LoginBase {
        LoginBase {
            command: "gauth login".into(),
            first: None,
            first_device: None,
            scopes: Vec::new(),
            credentials: None,
        }
    }

    /// The same login for these scopes (`gauth doctor --scope`): each
    /// becomes a `--scope` of the printed commands, and of the R call.
    pub fn for_scopes(mut self, scopes: &[String]) -> LoginBase {
        for s in scopes {
            self.command.push_str(" --scope ");
            self.command.push_str(&crate::text::shell::quote(s));
        }
        self.scopes = scopes.to_vec();
        self
    }

    /// The R package's login for the same scopes. A scope is an RFC 6749
    /// scope-token (`cli::parse_scope`: printable ASCII without `"` or
    /// `\`), so inside R's double quotes it stands for itself.
    pub(super) fn r_login(&self) -> String {
        let mut args = Vec::new();
        if !self.scopes.is_empty() {
            let list: Vec<String> = self.scopes.iter().map(|s| format!("\"{s}\"")).collect();
            args.push(format!("scopes = c({})", list.join(", ")));
        }
        if let Some(c) = self.credentials {
            args.push(format!("credentials = \"{c}\""));
        }
        format!("gauth::login({})", args.join(", "))
    }

    /// Where `gauth login` would find its client: `GAUTH_CLIENT_ID`, the
    /// config file's `client_id` or `credentials`. Without one it fails
    /// ("no OAuth client"): say how to get one — for Google a Desktop-app
    /// client's JSON, passed with `--credentials`.
    pub fn from_config(config: &crate::system::config::Config) -> LoginBase {
        LoginBase::at(config, None)
    }

    /// [`LoginBase::from_config`] for a login at `issuer` (`None`: the
    /// config file's, else Google).
    pub fn at(config: &crate::system::config::Config, issuer: Option<&str>) -> LoginBase {
        // `gauth login` stops at any problem of its configuration (it may
        // be the very client or flow meant): that, not a missing client, is
        // what to fix first, even when the file that failed names a client.
        if let Some(p) = config.problems.first() {
            let more = match config.problems.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            return LoginBase {
                command: "gauth login".into(),
                first: Some(format!(
                    "gauth login refuses to run until its configuration is fixed: {p}{more}"
                )),
                first_device: None,
                scopes: Vec::new(),
                credentials: None,
            };
        }
        if config.client_source.is_some() {
            return LoginBase::configured();
        }
        let where_config = config
            .path
            .as_deref()
            .unwrap_or("~/.config/gauth/config.toml");
        let issuer = issuer.or(config.defaults.issuer.as_deref());
        match issuer.filter(|i| !is_google(Some(i))) {
            None => LoginBase {
                command: "gauth login --credentials client.json".into(),
                first: Some(google_client("Desktop app")),
                first_device: Some(google_client("TVs and Limited Input devices")),
                scopes: Vec::new(),
                credentials: Some("client.json"),
            },
            Some(issuer) => LoginBase {
                command: "gauth login".into(),
                first: Some(format!(
                    "gauth login needs an OAuth client and none is configured: register one for a native app (loopback redirect) at {issuer} and put client_id = \"…\" in {where_config}"
                )),
                first_device: None,
                scopes: Vec::new(),
                credentials: None,
            },
        }
    }

    pub(super) fn with(&self, flags: &str) -> String {
        if flags.is_empty() {
            self.command.clone()
        } else {
            format!("{} {flags}", self.command)
        }
    }
}

/// How to get a Google client of this type, saved where the printed
/// commands look for it.
fn google_client(kind: &str) -> String {
    format!(
        "gauth login needs an OAuth client and none is configured: for Google, create one of type {kind} (Google Cloud console > APIs & Services > Credentials > Create credentials > OAuth client ID), download its JSON and save it here as client.json"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scopes_asked_about_are_in_the_commands_quoted_for_each_language() {
        let base = LoginBase::configured().for_scopes(&[
            "openid".to_owned(),
            "https://www.googleapis.com/auth/drive".to_owned(),
            "a$b'c".to_owned(),
        ]);
        assert_eq!(
            base.with("--no-wait"),
            r#"gauth login --scope openid --scope https://www.googleapis.com/auth/drive --scope 'a$b'\''c' --no-wait"#
        );
        assert_eq!(
            base.r_login(),
            r#"gauth::login(scopes = c("openid", "https://www.googleapis.com/auth/drive", "a$b'c"))"#
        );
        assert_eq!(LoginBase::configured().r_login(), "gauth::login()");
        let google = LoginBase::from_config(&crate::system::config::Config {
            path: None,
            forced: None,
            defaults: Default::default(),
            client_source: None,
            problems: Vec::new(),
        });
        assert_eq!(
            google.for_scopes(&["openid".to_owned()]).r_login(),
            r#"gauth::login(scopes = c("openid"), credentials = "client.json")"#
        );
    }
}
