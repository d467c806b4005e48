//! Pure decisions: which login flow works here, what kind of session this
//! is, what holds a port and whether a holder looks expendable, what
//! Google allows. No I/O and no clock: every input arrives as data, so
//! each decision is tested on tables of cases.
pub mod flow;
pub mod google;
pub mod port;
pub mod session;
pub mod verdict;
