//! One module per command. Commands compute reports and never print; the
//! caller renders them (see `crate::render`).
pub mod accounts;
pub mod doctor;
pub mod free_port;
pub mod inspect;
pub mod login;
pub mod logout;
pub mod token;
