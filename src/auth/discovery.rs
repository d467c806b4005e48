//! OpenID provider discovery (`/.well-known/openid-configuration`), fetched
//! once and cached. Only https, except a loopback issuer (tests, local
//! development): RFC 6749 §3.1 wants TLS for every endpoint.
pub use super::http::MAX_DOCUMENT;
use super::provider::Provider;
use std::time::Duration;

/// How long a cached discovery document is used before it is fetched again.
pub const FRESH_FOR: Duration = Duration::from_secs(24 * 3600);

pub use super::http::check_url;

/// The issuer: [`check_url`], and no query or fragment (OpenID Connect
/// Discovery §2: the well-known path is appended to it).
pub fn check_issuer(issuer: &str) -> Result<url::Url, String> {
    let u = check_url("the issuer", issuer)?;
    if u.query().is_some() || u.fragment().is_some() || issuer.contains(['?', '#']) {
        return Err(format!(
            "the issuer '{}' has a query or a fragment: an issuer is a plain https URL",
            crate::text::escape::esc(issuer)
        ));
    }
    Ok(u)
}

/// The file name of `issuer`'s document in the cache's `discovery/`.
pub fn cache_name(issuer: &str) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(issuer.trim_end_matches('/').as_bytes());
    let name: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{name}.json")
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Cached {
    fetched_at: u64,
    provider: Provider,
}

/// The provider behind `issuer`: from the cache (`read`) when fresh and
/// sound, else fetched and handed to `write` to be cached. The cache is
/// the caller's (this module knows nothing of files).
pub fn discover(
    issuer: &str,
    read: &dyn Fn() -> Option<Vec<u8>>,
    write: &dyn Fn(&[u8]),
    now_unix: u64,
    limit: Duration,
) -> anyhow::Result<Provider> {
    check_issuer(issuer).map_err(anyhow::Error::msg)?;
    if let Some(p) = read().and_then(|bytes| from_cache(&bytes, issuer, now_unix)) {
        return Ok(p);
    }
    let provider = fetch(issuer, super::http::deadline_in(limit))?;
    let cached = Cached {
        fetched_at: now_unix,
        provider: provider.clone(),
    };
    if let Ok(bytes) = serde_json::to_vec_pretty(&cached) {
        write(&bytes);
    }
    Ok(provider)
}

/// A cached document, used only when it is fresh, names `issuer`, and
/// passes the checks a fetched one passes (the endpoints a secret will be
/// sent to): what is read from the cache is checked before it is trusted.
fn from_cache(bytes: &[u8], issuer: &str, now_unix: u64) -> Option<Provider> {
    let c: Cached = serde_json::from_slice(bytes).ok()?;
    let age = now_unix.checked_sub(c.fetched_at)?;
    if age >= FRESH_FOR.as_secs() || c.provider.issuer != issuer {
        return None;
    }
    check_endpoints(&c.provider).ok()?;
    Some(c.provider)
}

/// Every endpoint a provider names is https, or http on loopback.
fn check_endpoints(p: &Provider) -> anyhow::Result<()> {
    for (what, u) in [
        ("authorization endpoint", Some(&p.authorization_endpoint)),
        ("token endpoint", Some(&p.token_endpoint)),
        ("device endpoint", p.device_authorization_endpoint.as_ref()),
        ("revocation endpoint", p.revocation_endpoint.as_ref()),
        ("userinfo endpoint", p.userinfo_endpoint.as_ref()),
    ] {
        if let Some(u) = u {
            check_url(&format!("the provider's {what}"), u).map_err(anyhow::Error::msg)?;
        }
    }
    Ok(())
}

/// Fetch and check the discovery document of `issuer`, answered whole
/// before `deadline`. The issuer is kept exactly as given: RFC 9207 compares
/// `iss` with it as a plain string, so `https://id.example/` and
/// `https://id.example` are two issuers, and the document must name the one
/// asked for (OpenID Connect Discovery §4.3).
fn fetch(issuer: &str, deadline: std::time::Instant) -> anyhow::Result<Provider> {
    use crate::text::escape::esc;
    // Discovery §4: a terminating `/` is removed before the well-known
    // path is appended (only for the URL; the issuer keeps it).
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let http = super::http::Http::new();
    let resp = http
        .get(
            &url,
            &[("accept", "application/json")],
            deadline,
            MAX_DOCUMENT,
        )
        .map_err(|e| anyhow::anyhow!("cannot fetch {}: {e}", esc(&url)))?;
    if !resp.status().is_success() {
        anyhow::bail!("{} answered HTTP {}", esc(&url), resp.status().as_u16());
    }
    let p: Provider = serde_json::from_slice(resp.body()).map_err(|e| {
        anyhow::anyhow!(
            "{} is not an OpenID discovery document: {}",
            esc(&url),
            esc(&e.to_string())
        )
    })?;
    // OpenID Connect Discovery §4.3: the document must name the issuer it
    // was fetched for, exactly, or it is an impostor's.
    if p.issuer != issuer {
        let hint = if p.issuer.trim_end_matches('/') == issuer.trim_end_matches('/') {
            format!(
                "; pass --issuer {} as the provider spells it",
                esc(&crate::text::shell::quote(&p.issuer))
            )
        } else {
            String::new()
        };
        anyhow::bail!(
            "{} names the issuer '{}', not '{}'{hint}",
            esc(&url),
            esc(&p.issuer),
            esc(issuer)
        );
    }
    check_endpoints(&p)?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_have_no_query_or_fragment() {
        for bad in [
            "http://127.0.0.1:1/ok?x=1",
            "http://127.0.0.1:1/ok#frag",
            "https://id.example.com/?",
        ] {
            let e = check_issuer(bad).unwrap_err();
            assert!(e.contains("query or a fragment"), "{e}");
        }
        assert!(check_issuer("https://id.example.com/realms/x").is_ok());
    }

    #[test]
    fn issuers_must_be_https_or_loopback() {
        for ok in [
            "https://accounts.google.com",
            "http://127.0.0.1:4000",
            "http://[::1]:4000",
            "http://localhost:8080/realms/x",
        ] {
            assert!(check_url("the issuer", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://id.example.com",
            "ftp://x",
            "not a url",
            "https://",
            "http://10.0.0.1",
            "file:///etc/passwd",
        ] {
            let e = check_url("the issuer", bad).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn a_stale_foreign_or_unsound_cache_entry_is_not_used() {
        let p = Provider {
            issuer: "http://127.0.0.1:9".into(),
            ..Provider::google()
        };
        let bytes = |fetched_at: u64, provider: &Provider| {
            serde_json::to_vec(&Cached {
                fetched_at,
                provider: provider.clone(),
            })
            .unwrap()
        };
        assert_eq!(
            from_cache(&bytes(1000, &p), &p.issuer, 1000 + 60),
            Some(p.clone())
        );
        assert_eq!(
            from_cache(&bytes(1000, &p), &p.issuer, 1000 + 2 * 86400),
            None
        );
        assert_eq!(
            from_cache(&bytes(1000, &Provider::google()), &p.issuer, 1001),
            None
        );
        // A token endpoint no fetch would have accepted.
        let forged = Provider {
            token_endpoint: "http://evil.example/token".into(),
            ..p.clone()
        };
        assert_eq!(from_cache(&bytes(1000, &forged), &p.issuer, 1001), None);
        assert_eq!(from_cache(b"{", &p.issuer, 1001), None);
    }
}
