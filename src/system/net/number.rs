//! A TCP port as the user types it: decimal digits only, 1 to 65535. A type
//! rather than a bare `u16` so that every entry point (arguments, `HTTR_PORT`,
//! config) parses it the same strict way.
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Port(u16);

/// Why a string is not a port; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PortError(String);

impl PortError {
    pub fn new(message: String) -> PortError {
        PortError(message)
    }
}

impl Port {
    /// R's httr and gargle listen on this port.
    pub const HTTR_DEFAULT: Port = Port(1410);

    pub fn new(n: u16) -> Option<Port> {
        (n != 0).then_some(Port(n))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl FromStr for Port {
    type Err = PortError;

    /// Stricter than `u16::from_str` (which takes `+1410`) so that a typo is
    /// never silently read as a port.
    fn from_str(s: &str) -> Result<Port, PortError> {
        if s.is_empty() {
            return Err(PortError(
                "a port is a number from 1 to 65535, not an empty string".into(),
            ));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PortError(format!(
                "'{}' is not a port: a port is a number from 1 to 65535",
                crate::text::escape::esc(s)
            )));
        }
        match s.parse::<u32>() {
            Ok(n @ 1..=65535) => Ok(Port(n as u16)),
            _ => Err(PortError(format!(
                "{s} is out of range: a port is a number from 1 to 65535"
            ))),
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Port> for u16 {
    fn from(p: Port) -> u16 {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_strict() {
        assert_eq!("1410".parse(), Ok(Port(1410)));
        assert_eq!("65535".parse(), Ok(Port(65535)));
        assert_eq!("1".parse(), Ok(Port(1)));
        assert_eq!("01410".parse(), Ok(Port(1410)));
        for bad in [
            "",
            "abc",
            "0",
            "-1",
            "65536",
            "1410x",
            "+1410",
            " 1410",
            "70000",
            "99999999999",
            "１４１０",
        ] {
            assert!(bad.parse::<Port>().is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(Port::new(0), None);
        assert_eq!(
            "\x1b[2J".parse::<Port>().unwrap_err().to_string(),
            "'\\e[2J' is not a port: a port is a number from 1 to 65535"
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(s in "\\PC*") {
            if let Ok(p) = s.parse::<Port>() {
                let shown = p.to_string();
                proptest::prop_assert_eq!(shown.as_str(), s.trim_start_matches('0'));
            }
        }

        #[test]
        fn every_valid_port_parses(p in 1u16..) {
            proptest::prop_assert_eq!(p.to_string().parse::<Port>(), Ok(Port(p)));
        }
    }
}
