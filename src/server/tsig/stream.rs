//! Multi-message TSIG (RFC 8945 §5.3.1): AXFR and IXFR responses over TCP.
//!
//! The first message is signed like any response (request MAC, message,
//! all TSIG variables). Every later signed message covers the previous
//! MAC, every unsigned message sent since, itself, and only the TSIG
//! timers (Time Signed, Fudge). At most 99 unsigned messages may follow a
//! signed one, and the last message must be signed; the verifier enforces
//! both so a truncated or spliced stream is caught.
//!
//! Both sides keep the running HMAC of the unsigned messages in
//! `pending`, so no message is buffered.

use std::sync::Arc;

use super::wire::{self, MacState, NewRecord};
use super::{
    check_response_key, check_signable, finish_response_check, message_id, SignError, TsigContext,
    TsigKey, VerifyError, DEFAULT_FUDGE,
};
use crate::zone::name::Name;

/// Unsigned messages allowed in a row (RFC 8945 §5.3.1: "every 100th").
const MAX_UNSIGNED_RUN: usize = 99;

/// Signs the messages of a multi-message response.
#[derive(Clone)]
pub struct TsigStream {
    key: Arc<TsigKey>,
    key_name: Name,
    algorithm_name: Name,
    /// The request MAC until the first message is signed, then the MAC of
    /// the last signed message.
    prior_mac: Vec<u8>,
    signed_any: bool,
    pending: Option<MacState>,
    unsigned_run: usize,
}

impl TsigStream {
    /// A stream answering the request of `ctx`, which should come from
    /// [`super::TsigOutcome::Valid`] (an error reply is one message: use
    /// [`super::sign_response`]). `None` when the context has no key.
    pub fn new(ctx: &TsigContext) -> Option<TsigStream> {
        Some(TsigStream {
            key: ctx.key.clone()?,
            key_name: ctx.key_name.clone(),
            algorithm_name: ctx.algorithm_name.clone(),
            prior_mac: ctx.request_mac.clone(),
            signed_any: false,
            pending: None,
            unsigned_run: 0,
        })
    }

    /// Appends a TSIG to the next message of the stream; returns its MAC.
    pub fn sign(&mut self, msg: &mut Vec<u8>, now: u64) -> Result<Vec<u8>, SignError> {
        check_signable(msg)?;
        let mut mac = self.pending.take().unwrap_or_else(|| self.fresh());
        mac.update(msg);
        if self.signed_any {
            mac.timers(now, DEFAULT_FUDGE);
        } else {
            mac.variables(
                &self.key_name,
                &self.algorithm_name,
                now,
                DEFAULT_FUDGE,
                0,
                &[],
            );
        }
        let mac = mac.finalize();
        let original_id = message_id(msg);
        let record =
            NewRecord::signed(&self.key_name, &self.algorithm_name, now, &mac, original_id);
        wire::append(msg, &record);
        self.prior_mac.clone_from(&mac);
        self.signed_any = true;
        self.unsigned_run = 0;
        Ok(mac)
    }

    /// Records a message sent without a TSIG; the next signed message's
    /// MAC covers it.
    pub fn add_unsigned(&mut self, msg: &[u8]) -> Result<(), SignError> {
        if !self.signed_any {
            return Err(SignError::FirstUnsigned);
        }
        if self.unsigned_run >= MAX_UNSIGNED_RUN {
            return Err(SignError::TooManyUnsigned);
        }
        let mut mac = self.pending.take().unwrap_or_else(|| self.fresh());
        mac.update(msg);
        self.pending = Some(mac);
        self.unsigned_run += 1;
        Ok(())
    }

    /// A new digest starting with the prior MAC.
    fn fresh(&self) -> MacState {
        let mut mac = MacState::new(self.key.algorithm, &self.key.secret);
        mac.prior_mac(&self.prior_mac);
        mac
    }
}

/// What one message of a verified stream was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamStep {
    Signed,
    /// Accepted provisionally: only the next signed message proves it.
    Unsigned,
}

/// Checks the messages of a multi-message response (AXFR/IXFR in).
#[derive(Clone)]
pub struct TsigStreamVerifier {
    key: TsigKey,
    prior_mac: Vec<u8>,
    signed_any: bool,
    pending: Option<MacState>,
    unsigned_run: usize,
}

impl TsigStreamVerifier {
    /// A verifier for the answer to a request signed with `key` whose MAC
    /// was `request_mac` (from [`super::sign_request`]).
    pub fn new(key: &TsigKey, request_mac: &[u8]) -> TsigStreamVerifier {
        TsigStreamVerifier {
            key: key.clone(),
            prior_mac: request_mac.to_vec(),
            signed_any: false,
            pending: None,
            unsigned_run: 0,
        }
    }

    /// Checks the next message. Data from an [`StreamStep::Unsigned`]
    /// message must not be committed before a later signed one verifies
    /// and [`TsigStreamVerifier::finish`] succeeds.
    pub fn verify(&mut self, msg: &[u8], now: u64) -> Result<StreamStep, VerifyError> {
        let rec = wire::locate(msg).map_err(|_| VerifyError::Malformed)?;
        let Some(rec) = rec else {
            if !self.signed_any {
                return Err(VerifyError::FirstUnsigned);
            }
            if self.unsigned_run >= MAX_UNSIGNED_RUN {
                return Err(VerifyError::TooManyUnsigned);
            }
            let mut mac = self.pending.take().unwrap_or_else(|| self.fresh());
            mac.update(msg);
            self.pending = Some(mac);
            self.unsigned_run += 1;
            return Ok(StreamStep::Unsigned);
        };
        check_response_key(&rec, &self.key)?;
        let mut mac = self.pending.take().unwrap_or_else(|| self.fresh());
        mac.message_without_tsig(msg, rec.start, rec.original_id);
        if self.signed_any {
            mac.timers(rec.time_signed, rec.fudge);
        } else {
            mac.variables_of(&rec);
        }
        let verified = finish_response_check(&rec, mac, now)?;
        self.prior_mac = verified.mac;
        self.signed_any = true;
        self.unsigned_run = 0;
        Ok(StreamStep::Signed)
    }

    /// Call after the last message: the stream must end signed.
    pub fn finish(&self) -> Result<(), VerifyError> {
        match (self.signed_any, self.unsigned_run) {
            (false, _) => Err(VerifyError::FirstUnsigned),
            (true, 0) => Ok(()),
            _ => Err(VerifyError::UnsignedEnd),
        }
    }

    fn fresh(&self) -> MacState {
        let mut mac = MacState::new(self.key.algorithm, &self.key.secret);
        mac.prior_mac(&self.prior_mac);
        mac
    }
}
