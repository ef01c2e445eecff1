//! Who may change what: the per-zone update policy.
//!
//! A zone's `update` key lists grants. A plain string is a TSIG key name
//! with full rights over the zone; a table narrows a key to some names
//! and types:
//!
//! ```toml
//! update = [
//!     "admin-key",
//!     { key = "acme", name = "_acme-challenge.*", types = ["TXT"] },
//!     { key = "dhcp", name = "*.dyn.example.com", types = ["A", "AAAA", "DHCID"] },
//! ]
//! ```
//!
//! # Name patterns
//!
//! Names are absolute; the trailing dot is optional (as for zone names in
//! the rest of the config). A `*` may stand only as a whole label, first or
//! last:
//!
//! | pattern | matches |
//! |---|---|
//! | `*` (or no `name`) | every name in the zone |
//! | `www.example.com` | exactly that name |
//! | `*.example.com` | every name strictly *below* `example.com` (not the name itself; add a second grant for it) |
//! | `_acme-challenge.*` | every name whose leftmost label(s) are `_acme-challenge`, with at least one label after them: `_acme-challenge.example.com`, `_acme-challenge.www.example.com` |
//!
//! A literal `*` label is written `\*`. Matching ignores ASCII case.
//!
//! # Types
//!
//! `types` lists mnemonics (`TXT`, `TYPE65280`); left out or empty, every
//! type is granted. No grant overrides the RFC 2136 protections the update
//! logic keeps anyway: the apex SOA and the last apex NS are never deleted
//! and an SOA only replaces one with an earlier serial.
//!
//! A "delete every RRset at a name" (type ANY) is granted when the key may
//! touch every type that name holds, so a TXT-only key can clear a name
//! that holds only TXT (the check is done by the caller with
//! [`UpdateAcl::permits`] for each type).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::rdata::RType;
use crate::zone::name::{Name, NameError};

/// Which owner names a grant covers. See the module docs for the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamePattern {
    /// Every name (`*`).
    Any,
    /// Exactly this name.
    Exact(Name),
    /// Names strictly below this one (`*.example.com`).
    Below(Name),
    /// Names that start with these labels and have at least one more
    /// (`_acme-challenge.*`). Held as a name whose labels are the prefix.
    Prefix(Name),
}

/// A pattern that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("`{0}`: `*` may only stand first (`*.example.com`: names below) or last (`_acme-challenge.*`: these labels anywhere); write a literal `*` label as `\\*`")]
    MisplacedWildcard(String),
    #[error("`{0}`: {1}")]
    BadName(String, NameError),
}

impl FromStr for NamePattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<NamePattern, PatternError> {
        let text = s.strip_suffix('.').unwrap_or(s);
        if text == "*" {
            return Ok(NamePattern::Any);
        }
        let misplaced = || PatternError::MisplacedWildcard(s.to_string());
        let name = |t: &str| {
            // An unescaped `*` label anywhere else is ambiguous.
            if t.split('.').any(|l| l == "*") {
                return Err(misplaced());
            }
            t.parse::<Name>()
                .map_err(|e| PatternError::BadName(s.to_string(), e))
        };
        if let Some(rest) = text.strip_prefix("*.") {
            return name(rest).map(NamePattern::Below);
        }
        if let Some(head) = text.strip_suffix(".*") {
            return name(head).map(NamePattern::Prefix);
        }
        name(text).map(NamePattern::Exact)
    }
}

impl fmt::Display for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NamePattern::Any => f.write_str("*"),
            NamePattern::Exact(n) => write!(f, "{n}"),
            NamePattern::Below(n) => write!(f, "*.{n}"),
            NamePattern::Prefix(n) => write!(f, "{n}*"),
        }
    }
}

impl NamePattern {
    /// True when `owner` is covered.
    pub fn matches(&self, owner: &Name) -> bool {
        match self {
            NamePattern::Any => true,
            NamePattern::Exact(n) => owner == n,
            NamePattern::Below(n) => owner.is_subdomain_of(n) && owner != n,
            NamePattern::Prefix(p) => {
                owner.label_count() > p.label_count()
                    && owner
                        .labels()
                        .zip(p.labels())
                        .all(|(a, b)| a.eq_ignore_ascii_case(b))
            }
        }
    }
}

impl<'de> Deserialize<'de> for NamePattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

/// One grant: a TSIG key, the names and the types it may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The TSIG key name as written in the config (`[[tsig]] name`).
    pub key: String,
    pub name: NamePattern,
    /// Granted types; empty means every type.
    pub types: Vec<RType>,
}

impl Grant {
    /// Full rights over the zone for `key`.
    pub fn full(key: impl Into<String>) -> Grant {
        Grant {
            key: key.into(),
            name: NamePattern::Any,
            types: Vec::new(),
        }
    }

    /// True when this grant is for `key` (names compare ignoring case and
    /// the trailing dot, as TSIG key names on the wire are absolute).
    pub fn is_for(&self, key: &Name) -> bool {
        self.key.parse::<Name>().is_ok_and(|k| &k == key)
    }

    /// True when this grant lets `key` change the `rtype` RRset at `owner`.
    pub fn permits(&self, key: &Name, owner: &Name, rtype: RType) -> bool {
        self.is_for(key)
            && self.name.matches(owner)
            && (self.types.is_empty() || self.types.contains(&rtype))
    }
}

/// The table form of a grant.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantTable {
    key: String,
    #[serde(default)]
    name: Option<NamePattern>,
    #[serde(default)]
    types: Vec<TypeName>,
}

/// A record type written as its mnemonic.
struct TypeName(RType);

impl<'de> Deserialize<'de> for TypeName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match RType::from_mnemonic(&s) {
            Some(t) if !t.is_meta() => Ok(TypeName(t)),
            Some(_) => Err(de::Error::custom(format!(
                "`{s}` is not a data type; leave `types` out to grant every type"
            ))),
            None => Err(de::Error::custom(format!("unknown record type `{s}`"))),
        }
    }
}

fn check_key<E: de::Error>(key: &str) -> Result<(), E> {
    key.parse::<Name>()
        .map(|_| ())
        .map_err(|e| E::custom(format!("key `{key}`: {e}")))
}

impl<'de> Deserialize<'de> for Grant {
    /// A string (a key with full rights) or a table `{ key, name, types }`
    /// with no other fields. Hand-written rather than an untagged enum so
    /// that a misspelt field is reported by name.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Grant;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a TSIG key name or a table { key, name, types }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Grant, E> {
                check_key(v)?;
                Ok(Grant::full(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Grant, A::Error> {
                let t = GrantTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                check_key(&t.key)?;
                Ok(Grant {
                    key: t.key,
                    name: t.name.unwrap_or(NamePattern::Any),
                    types: t.types.into_iter().map(|t| t.0).collect(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A zone's update policy: the union of its grants. Empty (the default)
/// refuses every update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateAcl {
    pub grants: Vec<Grant>,
}

impl UpdateAcl {
    /// True when no key may update.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// True when `key` has any grant at all: updates signed with other
    /// keys are refused before their prerequisites are looked at, so they
    /// cannot probe the zone.
    pub fn knows(&self, key: &Name) -> bool {
        self.grants.iter().any(|g| g.is_for(key))
    }

    /// True when some grant lets `key` change the `rtype` RRset at `owner`.
    pub fn permits(&self, key: &Name, owner: &Name, rtype: RType) -> bool {
        self.grants.iter().any(|g| g.permits(key, owner, rtype))
    }
}

impl<'de> Deserialize<'de> for UpdateAcl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UpdateAcl;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of TSIG key names or { key, name, types } tables")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UpdateAcl, A::Error> {
                let mut grants = Vec::new();
                while let Some(g) = seq.next_element::<Grant>()? {
                    grants.push(g);
                }
                Ok(UpdateAcl { grants })
            }
        }
        d.deserialize_seq(V)
    }
}
