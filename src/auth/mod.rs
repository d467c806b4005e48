//! OAuth itself: HTTP to providers, discovery, the authorization URL and
//! code exchange, the device flow, refresh and revocation, the loopback
//! listener and its callback, the pasted answer, opening a browser, and
//! secrets that never print. It knows nothing of the cache.
pub mod bearer;
pub mod browser;
pub mod callback;
pub mod client;
pub mod device;
pub mod discovery;
pub mod http;
pub mod loopback;
pub mod oauth;
pub mod online;
pub mod paste;
pub mod provider;
pub mod secret;
pub mod tokens;
