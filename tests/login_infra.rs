//! The test provider itself works: discovery, the scripted browser through
//! login and consent, the code exchange. Guards the infrastructure the login
//! tests stand on.
// Real processes, sockets and the test provider through Unix APIs (and
// tests/helpers/listen.py): Unix only. Windows runs the end-to-end check of
// .ci/win-e2e under wine instead.
#![cfg(unix)]
mod common;
use common::oidc::Oidc;

#[test]
fn provider_and_agent_complete_an_authorization() {
    let p = Oidc::start(&[]);
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let body = client
        .get(format!("{}/.well-known/openid-configuration", p.issuer))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let disco: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(disco["issuer"], p.issuer.as_str());
    assert_eq!(
        disco["authorization_response_iss_parameter_supported"],
        true
    );
    let url = format!(
        "{}/auth?client_id=gauth-native&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Fcallback&scope=openid&state=xyz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        p.issuer
    );
    let redirect = p.agent(&url, &["--print-redirect"]);
    assert!(
        redirect.starts_with("http://127.0.0.1:5555/callback?code="),
        "{redirect}"
    );
    assert!(redirect.contains("state=xyz"), "{redirect}");
}
