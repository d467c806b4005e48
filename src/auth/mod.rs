//! OAuth pieces shared by the login flows (groundwork for `gauth login`):
//! secrets that never print, the loopback callback and the pasted answer.
pub mod callback;
pub mod http;
pub mod paste;
pub mod provider;
pub mod secret;
pub mod tokens;
