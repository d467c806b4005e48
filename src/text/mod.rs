//! Text that reaches a person: escaping what came from outside, durations
//! in words, quoting words for the commands gauth prints, and what a scope
//! may be.
pub mod escape;
pub mod human;
pub mod scope;
pub mod shell;
