//! Provider sync: every serial of a zone pushed to each of its targets.
//!
//! One durable worker per (zone, target) ([`engine`]) turns the current
//! zone version into the target's desired state ([`desired`], shaped by
//! the provider's [`normalize`] rules), compares it with what the provider
//! has, and applies the smallest change set ([`plan`]) with timeouts,
//! retries and rate limits ([`retry`], [`crate::providers::http`]). The
//! applied serial is recorded in the store so a restart resumes; a target
//! that fails never holds back another. [`drift`] re-reads providers
//! periodically; [`verify`] asks their nameservers over DNS.

pub mod desired;
pub mod dnsq;
pub mod drift;
pub mod engine;
pub mod normalize;
pub mod plan;
pub mod report;
pub mod retry;
pub mod rrset;
pub mod target;
pub mod verify;
