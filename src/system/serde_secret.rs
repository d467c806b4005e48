//! Reading a secret field of a file the user wrote (the config file, a
//! client JSON) with serde, so that no error ever quotes its value.

/// A secret field of a file the user wrote (`client_secret` in the config
/// file or a client JSON): a string, or absent or null. serde's own type
/// error quotes the value (``invalid type: integer `12345678` ``), and a
/// numeric secret is still a secret: this error never shows it.
pub fn deserialize_opt_string<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<String>, D::Error> {
    use serde::de::{self, Error as _};
    const NOT_A_STRING: &str = "a client secret must be a string (its value is not shown)";
    struct Quiet;
    impl<'de> de::Visitor<'de> for Quiet {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(Quiet)
        }
        // Every other kind of value: the same error, without the value
        // (serde's defaults would quote it).
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(E::custom(NOT_A_STRING))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(E::custom(NOT_A_STRING))
        }
        fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
            Err(E::custom(NOT_A_STRING))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(E::custom(NOT_A_STRING))
        }
        fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
            Err(E::custom(NOT_A_STRING))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(E::custom(NOT_A_STRING))
        }
        fn visit_char<E: de::Error>(self, _: char) -> Result<Self::Value, E> {
            Err(E::custom(NOT_A_STRING))
        }
        fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
            Err(E::custom(NOT_A_STRING))
        }
        fn visit_newtype_struct<D: serde::Deserializer<'de>>(
            self,
            _: D,
        ) -> Result<Self::Value, D::Error> {
            Err(D::Error::custom(NOT_A_STRING))
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(A::Error::custom(NOT_A_STRING))
        }
        fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(A::Error::custom(NOT_A_STRING))
        }
        fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(A::Error::custom(NOT_A_STRING))
        }
    }
    de.deserialize_option(Quiet)
}
