//! Text that reaches a person: escaping what came from outside, durations
//! in words, and quoting words for the commands gauth prints.
pub mod escape;
pub mod human;
pub mod shell;
