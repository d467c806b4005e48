//! OAuth pieces shared by the login flows (groundwork for `gauth login`):
//! secrets that never print, the loopback callback and the pasted answer.
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
