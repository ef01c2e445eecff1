//! Errors of the rdata codec.

use super::RType;
use crate::zone::name::NameError;

/// Why rdata could not be converted between presentation and wire form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdataError {
    /// A field's text is not what the field needs.
    #[error("bad {what} \"{text}\"")]
    Bad { what: &'static str, text: String },
    /// The record ended before all fields were seen.
    #[error("expected {}{expected} fields for {rtype}, found {found}", if *at_least { "at least " } else { "" })]
    Missing {
        rtype: RType,
        expected: usize,
        at_least: bool,
        found: usize,
    },
    /// Text left over after the last field.
    #[error("unexpected \"{text}\" after the {rtype} rdata")]
    Extra { rtype: RType, text: String },
    /// A character-string over the 255-octet limit of RFC 1035 §3.3.
    #[error("{rtype} string longer than 255 octets")]
    StringTooLong { rtype: RType },
    /// A domain name that does not parse.
    #[error("bad domain name \"{text}\": {reason}")]
    BadName { text: String, reason: NameError },
    /// A problem with the RFC 3597 `\# len hex` form.
    #[error("bad generic rdata: {0}")]
    Generic(String),
    /// The type has no presentation format of its own.
    #[error("{0} rdata can only be written in the generic form \\# <length> <hex>")]
    GenericOnly(RType),
    /// Wire-form rdata whose structure does not fit its type.
    #[error("malformed {rtype} rdata: {reason}")]
    Malformed { rtype: RType, reason: &'static str },
    /// Anything else, with its own message.
    #[error("{0}")]
    Invalid(String),
}

impl RdataError {
    pub(crate) fn bad(what: &'static str, text: &[u8]) -> RdataError {
        RdataError::Bad {
            what,
            text: String::from_utf8_lossy(text).into_owned(),
        }
    }
}

/// An error in `from_text` with the index of the token it concerns
/// (`tokens.len()` when the tokens ran out), so the zone-file parser can
/// point at the column.
#[derive(Debug, Clone)]
pub struct TokenError {
    pub index: usize,
    pub error: RdataError,
}
