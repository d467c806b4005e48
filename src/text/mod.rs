//! Text that reaches a person: escaping what came from outside.
pub mod escape;
pub mod human;
