//! One module per command. Commands compute reports and never print; the
//! caller renders them.
/// The version of every `--json` report's schema (`schema_version`): one
/// number for all commands, raised only when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

pub mod accounts;
pub mod doctor;
pub mod free_port;
pub mod hints;
pub mod inspect;
pub mod login;
pub mod logout;
pub mod token;
