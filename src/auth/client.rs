//! Which OAuth client gauth logs in as: `--client-id`/`--client-secret`,
//! `GAUTH_CLIENT_ID`/`GAUTH_CLIENT_SECRET`, the config file, or a client JSON
//! as Google hands it out (`installed` or `web`, with its `redirect_uris`).
//! gauth ships no client of its own.
use super::oauth::ClientCreds;
use super::secret::Secret;
use serde::Deserialize;

/// What kind of client, as far as the redirect is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A native ("installed", "Desktop app") client: any loopback port is
    /// allowed at request time (RFC 8252 §7.3).
    Native,
    /// A web client: only its registered redirect URIs, exactly.
    Web,
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub creds: ClientCreds,
    pub kind: Kind,
    /// Registered redirect URIs (web clients: the only ones allowed).
    pub redirect_uris: Vec<String>,
    /// Where it came from (`--credentials FILE`, `GAUTH_CLIENT_ID`, …).
    pub source: String,
}

impl ClientConfig {
    /// The loopback redirect a web client registered, as (URL, port): the
    /// login must use exactly it. `None` for a native client.
    pub fn fixed_redirect(&self) -> Option<(url::Url, u16)> {
        if self.kind != Kind::Web {
            return None;
        }
        self.redirect_uris.iter().find_map(|u| {
            let url = url::Url::parse(u).ok()?;
            let loopback = match url.host()? {
                url::Host::Domain(d) => d == "localhost",
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
            };
            (url.scheme() == "http" && loopback).then(|| {
                let port = url.port().unwrap_or(80);
                (url, port)
            })
        })
    }

    /// May the login pick any loopback port?
    pub fn any_port(&self) -> bool {
        self.kind == Kind::Native
    }
}

#[derive(Deserialize)]
struct GoogleJson {
    installed: Option<GoogleClient>,
    web: Option<GoogleClient>,
}

#[derive(Deserialize)]
struct GoogleClient {
    client_id: String,
    #[serde(
        default,
        deserialize_with = "crate::system::serde_secret::deserialize_opt_string"
    )]
    client_secret: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

/// Parse a Google client JSON. The error is one line for the user.
pub fn from_google_json(bytes: &[u8], source: &str) -> Result<ClientConfig, String> {
    let j: GoogleJson = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "{source} is not a Google client JSON: {}",
            crate::text::escape::esc(&e.to_string())
        )
    })?;
    let (kind, c) = match (j.installed, j.web) {
        (Some(c), None) => (Kind::Native, c),
        (None, Some(c)) => (Kind::Web, c),
        (Some(_), Some(_)) => {
            return Err(format!(
                "{source} has both an `installed` and a `web` client; keep one"
            ));
        }
        (None, None) => {
            return Err(format!(
                "{source} has neither an `installed` nor a `web` client (is it a service account key? gauth logs in as a person)"
            ));
        }
    };
    if c.client_id.trim().is_empty() {
        return Err(format!("{source} has an empty client_id"));
    }
    if c.client_id
        .chars()
        .any(|ch| ch.is_control() || ch.is_whitespace())
    {
        return Err(format!(
            "{source} has a client_id with spaces or control characters"
        ));
    }
    if kind == Kind::Web && c.redirect_uris.is_empty() {
        return Err(format!(
            "{source} is a web client with no redirect_uris: register http://127.0.0.1:1410/ for it, or use a Desktop (installed) client"
        ));
    }
    Ok(ClientConfig {
        creds: ClientCreds {
            id: c.client_id,
            secret: c.client_secret.filter(|s| !s.is_empty()).map(Secret::new),
        },
        kind,
        redirect_uris: c.redirect_uris,
        source: source.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_client_files() {
        let installed = br#"{"installed":{"client_id":"123.apps.googleusercontent.com","project_id":"p","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token","client_secret":"GOCSPX-x","redirect_uris":["http://localhost"]}}"#;
        let c = from_google_json(installed, "client.json").unwrap();
        assert_eq!(c.kind, Kind::Native);
        assert!(c.any_port());
        assert_eq!(c.fixed_redirect(), None);
        assert_eq!(
            c.creds.secret.as_ref().map(Secret::expose),
            Some("GOCSPX-x")
        );
        assert!(!format!("{c:?}").contains("GOCSPX"));

        let web = br#"{"web":{"client_id":"w","client_secret":"s","redirect_uris":["https://example.com/cb","http://localhost:1410/"]}}"#;
        let c = from_google_json(web, "web.json").unwrap();
        assert_eq!(c.kind, Kind::Web);
        let (url, port) = c.fixed_redirect().unwrap();
        assert_eq!((url.as_str(), port), ("http://localhost:1410/", 1410));

        for (bad, want) in [
            (&b"{"[..], "is not a Google client JSON"),
            (b"[]", "is not a Google client JSON"),
            (b"{}", "neither an `installed` nor a `web`"),
            (br#"{"type":"service_account"}"#, "service account"),
            (br#"{"installed":{"client_id":""}}"#, "empty client_id"),
            (
                br#"{"installed":{"client_id":"a\u001b[31m"}}"#,
                "control characters",
            ),
            (br#"{"web":{"client_id":"w"}}"#, "no redirect_uris"),
            (
                br#"{"installed":{"client_id":"a"},"web":{"client_id":"b"}}"#,
                "both",
            ),
        ] {
            let e = from_google_json(bad, "f.json").unwrap_err();
            assert!(e.contains(want), "{e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn client_json_reader_never_panics(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256), s in "\\PC*") {
            let _ = from_google_json(&b, "f.json");
            let _ = from_google_json(s.as_bytes(), "f.json");
        }
    }
}
