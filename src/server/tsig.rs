//! TSIG: secret-key transaction signatures (RFC 8945).
//!
//! # Design
//!
//! TSIG works on the bytes of a message, not on a parsed model: the MAC
//! covers the exact octets the peer sent. So this module never rebuilds a
//! message. A request is walked once (`wire::locate`) to find its TSIG
//! record, and the digest is fed straight from the message slices: header
//! with the Original ID put back and ARCOUNT decremented, everything up to
//! the TSIG record, then the TSIG variables in canonical form (lowercase
//! names, class ANY, TTL 0). Signing appends a TSIG record to a finished
//! message and increments ARCOUNT; callers reserve room for it with
//! [`TsigContext::reply_tsig_len`].
//!
//! All six algorithms of RFC 8945 §6 run through one HMAC code path
//! (RustCrypto `hmac` over `md-5`, `sha1`, `sha2`). MACs are compared in
//! constant time; a truncated MAC is compared with the same number of
//! leading octets of the computed one.
//!
//! The pieces:
//! - [`verify_request`] / [`sign_response`]: the server side of one
//!   exchange (queries, UPDATE, NOTIFY in, the first AXFR message).
//! - [`TsigStream`] / [`TsigStreamVerifier`]: multi-message responses
//!   (AXFR/IXFR over TCP, RFC 8945 §5.3.1).
//! - [`sign_request`] / [`verify_response`]: the client side (NOTIFY out,
//!   SOA checks and transfers in).
//!
//! # Failure modes
//!
//! Checks run in the order of RFC 8945 §5.2 and map to its answers:
//! - the message cannot be walked, the TSIG is not the last record, there
//!   are two, its class is not ANY, or its MAC size is longer than the
//!   digest or shorter than max(10, digest/2) octets → [`TsigOutcome::FormErr`];
//! - unknown key name, or a known name with another algorithm → BADKEY;
//! - MAC mismatch → BADSIG;
//! - a truncated MAC shorter than the ring's minimum → BADTRUNC;
//! - `now` outside Time Signed ± Fudge (the request's fudge) → BADTIME.
//!
//! BADKEY and BADSIG replies carry a TSIG with an empty MAC, unsigned
//! (§5.3.2: an attacker must not get a MAC computed over its message).
//! BADTIME and BADTRUNC replies are signed; BADTIME puts the server's time
//! in Other Data and echoes the request's Time Signed and Fudge so the
//! client can verify the reply despite the clock skew (§5.2.3).
//! Nothing here panics on input: every offset is checked.
//!
//! # Interoperability, and how it is checked
//!
//! `tests.rs` runs against bytes captured from real tools by
//! `scripts/tsig/capture_vectors.py` (kept in `vectors.rs`): signed
//! queries from `dig -y` and `kdig -y` for all six algorithms, dig's
//! truncated MACs (`hmac-sha256-128`, `hmac-sha1-80`, `hmac-sha512-256`),
//! UPDATEs from `nsupdate -y` and `knsupdate -y`, and the signed answers
//! of BIND `named` and Knot `knotd` to them, including 4-message AXFR
//! streams and named's BADSIG, BADKEY and BADTIME answers. Every request
//! verifies, every answer passes [`verify_response`] or
//! [`TsigStreamVerifier`], and [`sign_response`] / [`TsigStream`]
//! reproduce both servers' answers byte for byte from the unsigned
//! message. The other direction is `scripts/tsig/check_with_dig.sh`: it
//! runs `examples/tsig_lab.rs` (a responder built on this module) and
//! checks that dig, kdig and nsupdate accept its signed answers and AXFR
//! streams (also with an unsigned middle message), see BADSIG, BADKEY and
//! BADTIME, and reject the answers once their MACs are corrupted.
//!
//! Not done here: caching the last Time Signed per key to refuse replays
//! inside the fudge window (a SHOULD of §5.2.3); ACLs and the reply's
//! RCODE (NOTAUTH, FORMERR) are the caller's.

mod stream;
mod wire;

#[cfg(test)]
mod interop_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;

use crate::zone::name::Name;
use wire::{MacState, NewRecord};

pub use stream::{StreamStep, TsigStream, TsigStreamVerifier};

/// The fudge we write into the TSIG records we sign (BIND and Knot use
/// 300 s as well).
pub const DEFAULT_FUDGE: u16 = 300;

/// TSIG error codes (RFC 8945 §3, IANA "TSIG Error values").
pub mod code {
    pub const NOERROR: u16 = 0;
    pub const BADSIG: u16 = 16;
    pub const BADKEY: u16 = 17;
    pub const BADTIME: u16 = 18;
    pub const BADTRUNC: u16 = 22;
}

/// The HMAC algorithms of RFC 8945 §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TsigAlgorithm {
    HmacMd5,
    HmacSha1,
    HmacSha224,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl TsigAlgorithm {
    /// Every algorithm, weakest first.
    pub const ALL: [TsigAlgorithm; 6] = [
        TsigAlgorithm::HmacMd5,
        TsigAlgorithm::HmacSha1,
        TsigAlgorithm::HmacSha224,
        TsigAlgorithm::HmacSha256,
        TsigAlgorithm::HmacSha384,
        TsigAlgorithm::HmacSha512,
    ];

    /// The algorithm name in lowercase wire form.
    fn wire(self) -> &'static [u8] {
        match self {
            TsigAlgorithm::HmacMd5 => b"\x08hmac-md5\x07sig-alg\x03reg\x03int\x00",
            TsigAlgorithm::HmacSha1 => b"\x09hmac-sha1\x00",
            TsigAlgorithm::HmacSha224 => b"\x0bhmac-sha224\x00",
            TsigAlgorithm::HmacSha256 => b"\x0bhmac-sha256\x00",
            TsigAlgorithm::HmacSha384 => b"\x0bhmac-sha384\x00",
            TsigAlgorithm::HmacSha512 => b"\x0bhmac-sha512\x00",
        }
    }

    /// The algorithm of a TSIG record's Algorithm Name (case-insensitive).
    pub fn from_name(name: &Name) -> Option<TsigAlgorithm> {
        Self::ALL
            .into_iter()
            .find(|a| a.wire().eq_ignore_ascii_case(name.as_wire()))
    }

    /// The Algorithm Name written in TSIG records (RFC 8945 §6).
    pub fn name(self) -> Name {
        Name::from_wire(self.wire()).expect("the algorithm names above are well formed")
    }

    /// The name used in BIND `key` clauses and in our config
    /// (`hmac-sha256`; also the full `hmac-md5.sig-alg.reg.int`).
    pub fn from_config_str(s: &str) -> Option<TsigAlgorithm> {
        let s = s.trim_end_matches('.');
        Self::ALL.into_iter().find(|a| {
            a.config_str().eq_ignore_ascii_case(s)
                || (*a == TsigAlgorithm::HmacMd5
                    && s.eq_ignore_ascii_case("hmac-md5.sig-alg.reg.int"))
        })
    }

    /// The BIND/config spelling: `hmac-md5`, `hmac-sha1`, ...
    pub fn config_str(self) -> &'static str {
        match self {
            TsigAlgorithm::HmacMd5 => "hmac-md5",
            TsigAlgorithm::HmacSha1 => "hmac-sha1",
            TsigAlgorithm::HmacSha224 => "hmac-sha224",
            TsigAlgorithm::HmacSha256 => "hmac-sha256",
            TsigAlgorithm::HmacSha384 => "hmac-sha384",
            TsigAlgorithm::HmacSha512 => "hmac-sha512",
        }
    }

    /// Length of the full MAC (the hash output) in octets.
    pub fn output_len(self) -> usize {
        match self {
            TsigAlgorithm::HmacMd5 => 16,
            TsigAlgorithm::HmacSha1 => 20,
            TsigAlgorithm::HmacSha224 => 28,
            TsigAlgorithm::HmacSha256 => 32,
            TsigAlgorithm::HmacSha384 => 48,
            TsigAlgorithm::HmacSha512 => 64,
        }
    }

    /// Shortest truncated MAC the RFC allows: max(10, output/2) octets
    /// (RFC 8945 §5.2.2.1).
    pub fn min_mac_len(self) -> usize {
        (self.output_len() / 2).max(10)
    }
}

/// A shared secret and the algorithm it is used with.
#[derive(Clone, PartialEq, Eq)]
pub struct TsigKey {
    pub name: Name,
    pub algorithm: TsigAlgorithm,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for TsigKey {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsigKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Why a key could not be built from configuration text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("bad key name {0:?}: {1}")]
    Name(String, crate::zone::name::NameError),
    #[error("unknown TSIG algorithm {0:?} (use hmac-sha256, hmac-sha512, hmac-sha1, hmac-md5, hmac-sha224 or hmac-sha384)")]
    Algorithm(String),
    #[error("the secret is not valid base64")]
    Base64,
    #[error("the secret is empty")]
    EmptySecret,
}

impl TsigKey {
    /// A key from the config/BIND spelling: a name (a missing final dot is
    /// added), an algorithm such as `hmac-sha256`, a base64 secret.
    pub fn from_config(name: &str, algorithm: &str, secret_b64: &str) -> Result<TsigKey, KeyError> {
        let name = Name::parse(name, Some(&Name::root()))
            .map_err(|e| KeyError::Name(name.to_string(), e))?;
        let algorithm = TsigAlgorithm::from_config_str(algorithm)
            .ok_or_else(|| KeyError::Algorithm(algorithm.to_string()))?;
        let secret = base64::engine::general_purpose::STANDARD
            .decode(secret_b64.trim())
            .map_err(|_| KeyError::Base64)?;
        if secret.is_empty() {
            return Err(KeyError::EmptySecret);
        }
        Ok(TsigKey {
            name,
            algorithm,
            secret,
        })
    }
}

/// The keys a server knows, looked up by key name (case-insensitive, as
/// [`Name`] equality is).
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: HashMap<Name, Arc<TsigKey>>,
    /// Local minimum for truncated MACs in octets (RFC 8945 §5.2.2.1
    /// item 4); `None` = the RFC minimum for each algorithm.
    min_truncation: Option<usize>,
}

impl KeyRing {
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    /// Adds a key; a key of the same name is replaced.
    pub fn insert(&mut self, key: TsigKey) {
        self.keys.insert(key.name.clone(), Arc::new(key));
    }

    /// The key called `name`, in any case.
    pub fn get(&self, name: &Name) -> Option<&Arc<TsigKey>> {
        self.keys.get(name)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Requires truncated MACs to keep at least `octets` octets (capped at
    /// the full length); shorter but RFC-legal ones get BADTRUNC.
    pub fn set_min_truncation(&mut self, octets: usize) {
        self.min_truncation = Some(octets);
    }

    fn min_mac_len(&self, alg: TsigAlgorithm) -> usize {
        match self.min_truncation {
            Some(m) => m.clamp(alg.min_mac_len(), alg.output_len()),
            None => alg.min_mac_len(),
        }
    }
}

impl FromIterator<TsigKey> for KeyRing {
    fn from_iter<I: IntoIterator<Item = TsigKey>>(iter: I) -> KeyRing {
        let mut ring = KeyRing::new();
        for k in iter {
            ring.insert(k);
        }
        ring
    }
}

/// What the server needs from a signed request to answer it.
#[derive(Debug, Clone)]
pub struct TsigContext {
    /// The key, when the request named one we have (absent for BADKEY).
    pub key: Option<Arc<TsigKey>>,
    /// Key name as the request wrote it (echoed in the reply).
    pub key_name: Name,
    /// Algorithm Name as the request wrote it (echoed in the reply).
    pub algorithm_name: Name,
    /// The request's MAC, which prefixes the reply's digest.
    pub request_mac: Vec<u8>,
    /// The request's Original ID.
    pub original_id: u16,
    /// The request's Time Signed (echoed in a BADTIME reply).
    pub time_signed: u64,
    /// The request's Fudge (echoed in a BADTIME reply).
    pub fudge: u16,
}

impl TsigContext {
    /// Octets the TSIG record of a reply with `error` will take, so that
    /// the answer builder can keep room for it.
    pub fn reply_tsig_len(&self, error: u16) -> usize {
        let mac = match &self.key {
            Some(k) if !is_unsigned_error(error) => k.algorithm.output_len(),
            _ => 0,
        };
        let other = if error == code::BADTIME { 6 } else { 0 };
        wire::record_len(&self.key_name, &self.algorithm_name, mac, other)
    }
}

/// The TSIG errors a request can earn (RFC 8945 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TsigError {
    #[error("TSIG: unknown key or algorithm (BADKEY)")]
    BadKey,
    #[error("TSIG: MAC does not verify (BADSIG)")]
    BadSig,
    #[error("TSIG: time signed outside the fudge window (BADTIME)")]
    BadTime,
    #[error("TSIG: MAC truncated below the local minimum (BADTRUNC)")]
    BadTrunc,
}

impl TsigError {
    /// The value for the TSIG Error field.
    pub fn code(self) -> u16 {
        match self {
            TsigError::BadSig => code::BADSIG,
            TsigError::BadKey => code::BADKEY,
            TsigError::BadTime => code::BADTIME,
            TsigError::BadTrunc => code::BADTRUNC,
        }
    }
}

/// The result of checking a request's TSIG.
#[derive(Debug, Clone)]
pub enum TsigOutcome {
    /// No TSIG record: the request is anonymous.
    Unsigned,
    /// Signed with a known key and verified; sign the reply with this.
    Valid(TsigContext),
    /// Signed but not acceptable: reply NOTAUTH (rcode 9) and pass
    /// `error.code()` and the context to [`sign_response`].
    Invalid {
        error: TsigError,
        ctx_for_reply: TsigContext,
    },
    /// Malformed as far as TSIG goes: reply FORMERR, unsigned.
    FormErr,
}

/// Why a message could not be signed (a caller's bug, not a peer's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("message shorter than a DNS header")]
    NoHeader,
    #[error("additional section already holds 65535 records")]
    TooManyRecords,
    #[error("the first message of a TSIG stream must be signed")]
    FirstUnsigned,
    #[error("at most 99 unsigned messages may follow a signed one (RFC 8945 §5.3.1)")]
    TooManyUnsigned,
}

/// Why a signed response (or stream message) is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the response is not signed")]
    Unsigned,
    #[error("the response's TSIG is malformed or misplaced")]
    Malformed,
    #[error("the response is signed with another key or algorithm ({0})")]
    WrongKey(Name),
    #[error("the response's MAC does not verify")]
    BadSig,
    #[error("the response was signed at {time_signed}, outside our time {now} ± {fudge} s")]
    BadTime {
        time_signed: u64,
        now: u64,
        fudge: u16,
    },
    #[error("the server reports TSIG error {0} (BADSIG=16, BADKEY=17, BADTRUNC=22)")]
    Rejected(u16),
    #[error("the server reports BADTIME: its clock reads {server_time}")]
    ServerBadTime { server_time: u64 },
    #[error("more than 99 unsigned messages in a row in a TSIG stream")]
    TooManyUnsigned,
    #[error("the first message of a TSIG stream must be signed")]
    FirstUnsigned,
    #[error("the TSIG stream ended with an unsigned message")]
    UnsignedEnd,
}

/// True for the errors whose replies carry an empty MAC (§5.3.2).
fn is_unsigned_error(error: u16) -> bool {
    matches!(error, code::BADKEY | code::BADSIG)
}

fn time_ok(now: u64, time_signed: u64, fudge: u16) -> bool {
    now.abs_diff(time_signed) <= u64::from(fudge)
}

/// MAC size rules of RFC 8945 §5.2.2.1 items 1 and 3: longer than the
/// digest, or shorter than max(10, half), is a FORMERR.
fn mac_size_ok(alg: TsigAlgorithm, len: usize) -> bool {
    (alg.min_mac_len()..=alg.output_len()).contains(&len)
}

/// Checks the TSIG of a request (RFC 8945 §5.2). `now` is Unix time in
/// seconds.
pub fn verify_request(msg: &[u8], keys: &KeyRing, now: u64) -> TsigOutcome {
    let rec = match wire::locate(msg) {
        Err(_) => return TsigOutcome::FormErr,
        Ok(None) => return TsigOutcome::Unsigned,
        Ok(Some(r)) => r,
    };
    let mut ctx = TsigContext {
        key: None,
        key_name: rec.key_name.clone(),
        algorithm_name: rec.algorithm.clone(),
        request_mac: rec.mac.clone(),
        original_id: rec.original_id,
        time_signed: rec.time_signed,
        fudge: rec.fudge,
    };
    let invalid = |error, ctx| TsigOutcome::Invalid {
        error,
        ctx_for_reply: ctx,
    };
    // §5.2.1: the key must be known, with the algorithm the request names.
    let key = match keys.get(&rec.key_name) {
        Some(k) if TsigAlgorithm::from_name(&rec.algorithm) == Some(k.algorithm) => k.clone(),
        _ => return invalid(TsigError::BadKey, ctx),
    };
    let alg = key.algorithm;
    if !mac_size_ok(alg, rec.mac.len()) {
        return TsigOutcome::FormErr;
    }
    ctx.key = Some(key.clone());
    // §5.2.2: the MAC.
    let mut mac = MacState::new(alg, &key.secret);
    mac.message_without_tsig(msg, rec.start, rec.original_id);
    mac.variables_of(&rec);
    if !wire::mac_matches(&mac.finalize(), &rec.mac) {
        return invalid(TsigError::BadSig, ctx);
    }
    // §5.2.2.1 item 4: local policy on truncation (after the MAC check,
    // so the BADTRUNC reply may be signed).
    if rec.mac.len() < keys.min_mac_len(alg) {
        return invalid(TsigError::BadTrunc, ctx);
    }
    // §5.2.3: the time, with the request's own fudge.
    if !time_ok(now, rec.time_signed, rec.fudge) {
        return invalid(TsigError::BadTime, ctx);
    }
    TsigOutcome::Valid(ctx)
}

fn check_signable(msg: &[u8]) -> Result<(), SignError> {
    if msg.len() < crate::wire::message::HEADER_LEN {
        return Err(SignError::NoHeader);
    }
    if u16::from_be_bytes([msg[10], msg[11]]) == u16::MAX {
        return Err(SignError::TooManyRecords);
    }
    Ok(())
}

fn message_id(msg: &[u8]) -> u16 {
    u16::from_be_bytes([msg[0], msg[1]])
}

/// Appends the TSIG record of the reply to a request with context `ctx`
/// (RFC 8945 §5.3), `error` being 0 or one of [`code`]. The message must
/// be complete (every other record written). For BADKEY and BADSIG, or
/// when the key is unknown, the record has an empty MAC (§5.3.2); for
/// BADTIME it is signed and carries `now` in Other Data (§5.2.3).
/// Returns the MAC (empty when unsigned).
pub fn sign_response(
    msg: &mut Vec<u8>,
    ctx: &TsigContext,
    error: u16,
    now: u64,
) -> Result<Vec<u8>, SignError> {
    check_signable(msg)?;
    let original_id = message_id(msg);
    let key = match &ctx.key {
        Some(k) if !is_unsigned_error(error) => k,
        _ => {
            wire::append(
                msg,
                &NewRecord {
                    key_name: &ctx.key_name,
                    algorithm: &ctx.algorithm_name,
                    time_signed: now,
                    fudge: DEFAULT_FUDGE,
                    mac: &[],
                    original_id,
                    error,
                    other: &[],
                },
            );
            return Ok(Vec::new());
        }
    };
    let server_time = wire::time48(now);
    let (time_signed, fudge, other): (u64, u16, &[u8]) = if error == code::BADTIME {
        (ctx.time_signed, ctx.fudge, &server_time)
    } else {
        (now, DEFAULT_FUDGE, &[])
    };
    let mut mac = MacState::new(key.algorithm, &key.secret);
    mac.prior_mac(&ctx.request_mac);
    mac.update(msg);
    mac.variables(
        &ctx.key_name,
        &ctx.algorithm_name,
        time_signed,
        fudge,
        error,
        other,
    );
    let mac = mac.finalize();
    wire::append(
        msg,
        &NewRecord {
            key_name: &ctx.key_name,
            algorithm: &ctx.algorithm_name,
            time_signed,
            fudge,
            mac: &mac,
            original_id,
            error,
            other,
        },
    );
    Ok(mac)
}

/// Signs a request (NOTIFY out, SOA query, AXFR/IXFR request) with `key`
/// at time `now`; returns the MAC, which the response is checked against
/// ([`verify_response`], [`TsigStreamVerifier::new`]).
pub fn sign_request(msg: &mut Vec<u8>, key: &TsigKey, now: u64) -> Result<Vec<u8>, SignError> {
    check_signable(msg)?;
    let original_id = message_id(msg);
    let algorithm = key.algorithm.name();
    let mut mac = MacState::new(key.algorithm, &key.secret);
    mac.update(msg);
    mac.variables(&key.name, &algorithm, now, DEFAULT_FUDGE, 0, &[]);
    let mac = mac.finalize();
    let record = NewRecord::signed(&key.name, &algorithm, now, &mac, original_id);
    wire::append(msg, &record);
    Ok(mac)
}

/// A response whose TSIG verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedResponse {
    /// The response's MAC (the prior MAC for a following message).
    pub mac: Vec<u8>,
    /// Length of the response without its TSIG record.
    pub unsigned_len: usize,
}

/// Checks the TSIG of a response to a request we signed with `key`, whose
/// MAC was `request_mac` (RFC 8945 §5.4).
pub fn verify_response(
    msg: &[u8],
    key: &TsigKey,
    request_mac: &[u8],
    now: u64,
) -> Result<VerifiedResponse, VerifyError> {
    let rec = wire::locate(msg)
        .map_err(|_| VerifyError::Malformed)?
        .ok_or(VerifyError::Unsigned)?;
    check_response_key(&rec, key)?;
    let mut mac = MacState::new(key.algorithm, &key.secret);
    mac.prior_mac(request_mac);
    mac.message_without_tsig(msg, rec.start, rec.original_id);
    mac.variables_of(&rec);
    finish_response_check(&rec, mac, now)
}

/// Key name and algorithm of a response; an unsigned error reply.
fn check_response_key(rec: &wire::TsigRecord, key: &TsigKey) -> Result<(), VerifyError> {
    if rec.key_name != key.name || TsigAlgorithm::from_name(&rec.algorithm) != Some(key.algorithm) {
        return Err(VerifyError::WrongKey(rec.key_name.clone()));
    }
    // §5.3.2: BADKEY/BADSIG replies come with an empty MAC.
    if rec.mac.is_empty() && rec.error != 0 {
        return Err(VerifyError::Rejected(rec.error));
    }
    if !mac_size_ok(key.algorithm, rec.mac.len()) {
        return Err(VerifyError::Malformed);
    }
    Ok(())
}

/// MAC comparison, then the error field, then the time.
fn finish_response_check(
    rec: &wire::TsigRecord,
    mac: MacState,
    now: u64,
) -> Result<VerifiedResponse, VerifyError> {
    if !wire::mac_matches(&mac.finalize(), &rec.mac) {
        return Err(VerifyError::BadSig);
    }
    match rec.error {
        0 => {}
        code::BADTIME => {
            let server_time = match rec.other.as_slice() {
                [a, b, c, d, e, f] => u64::from_be_bytes([0, 0, *a, *b, *c, *d, *e, *f]),
                _ => 0,
            };
            return Err(VerifyError::ServerBadTime { server_time });
        }
        e => return Err(VerifyError::Rejected(e)),
    }
    if !time_ok(now, rec.time_signed, rec.fudge) {
        return Err(VerifyError::BadTime {
            time_signed: rec.time_signed,
            now,
            fudge: rec.fudge,
        });
    }
    Ok(VerifiedResponse {
        mac: rec.mac.clone(),
        unsigned_len: rec.start,
    })
}
