//! What Google's OAuth server is and allows, where it differs from the
//! standards: its issuer, and its device flow takes only a short list of
//! scopes. Kept here, in one place with its source, so that doctor and
//! login decide alike.

/// Google's issuer, as its discovery document names it.
pub const ISSUER: &str = "https://accounts.google.com";

/// The scopes Google's device authorization grant accepts; any other scope
/// gets `invalid_scope` (seen for Drive, Gmail, BigQuery and
/// cloud-platform). Source: Google Identity, "OAuth 2.0 for TV and
/// Limited-Input Device Applications", section "Allowed scopes"
/// (<https://developers.google.com/identity/protocols/oauth2/limited-input-device#allowedscopes>),
/// as of 2026-12. `userinfo.email` and `userinfo.profile` are the long
/// names of `email` and `profile` (Google answers with them), so they are
/// the same scopes.
pub const DEVICE_SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
    "https://www.googleapis.com/auth/drive.appdata",
    "https://www.googleapis.com/auth/drive.file",
    "https://www.googleapis.com/auth/youtube",
    "https://www.googleapis.com/auth/youtube.readonly",
];

/// Google's long name for a scope it also takes by a short one: `email` is
/// granted (and cached) as `…/auth/userinfo.email`, `profile` as
/// `…/auth/userinfo.profile`; anything else is itself.
pub fn canonical_scope(scope: &str) -> &str {
    match scope {
        "email" => "https://www.googleapis.com/auth/userinfo.email",
        "profile" => "https://www.googleapis.com/auth/userinfo.profile",
        s => s,
    }
}

/// The scopes of `scopes` that Google's device flow refuses (none: the
/// device flow fits).
pub fn device_refuses(scopes: &[String]) -> Vec<&str> {
    scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !DEVICE_SCOPES.contains(s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_scopes_fit_the_device_flow() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(device_refuses(&s(&["openid", "email"])).is_empty());
        assert!(
            device_refuses(&s(&[
                "https://www.googleapis.com/auth/userinfo.email",
                "https://www.googleapis.com/auth/drive.file"
            ]))
            .is_empty()
        );
        assert_eq!(
            device_refuses(&s(&[
                "email",
                "https://www.googleapis.com/auth/drive",
                "https://www.googleapis.com/auth/bigquery",
                "https://mail.google.com/"
            ])),
            [
                "https://www.googleapis.com/auth/drive",
                "https://www.googleapis.com/auth/bigquery",
                "https://mail.google.com/"
            ]
        );
    }
}
