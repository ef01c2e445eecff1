//! TSIG against real tools: requests from dig, kdig, nsupdate and
//! knsupdate, answers and AXFR streams from named and knotd (captured by
//! `scripts/tsig/capture_vectors.py` into `vectors.rs`).

use super::tests::{hex, invalid, key, name, query, record, ring, strip, valid, NOW};
use super::vectors as v;
use super::*;

fn knot_answer(alg: TsigAlgorithm) -> &'static str {
    match alg {
        TsigAlgorithm::HmacMd5 => v::KNOT_R_HMAC_MD5,
        TsigAlgorithm::HmacSha1 => v::KNOT_R_HMAC_SHA1,
        TsigAlgorithm::HmacSha224 => v::KNOT_R_HMAC_SHA224,
        TsigAlgorithm::HmacSha256 => v::KNOT_R_HMAC_SHA256,
        TsigAlgorithm::HmacSha384 => v::KNOT_R_HMAC_SHA384,
        TsigAlgorithm::HmacSha512 => v::KNOT_R_HMAC_SHA512,
    }
}

/// (dig query, kdig query, named's answer to the dig query) per algorithm.
fn captured(alg: TsigAlgorithm) -> (&'static str, &'static str, &'static str) {
    match alg {
        TsigAlgorithm::HmacMd5 => (v::DIG_HMAC_MD5, v::KDIG_HMAC_MD5, v::NAMED_R_HMAC_MD5),
        TsigAlgorithm::HmacSha1 => (v::DIG_HMAC_SHA1, v::KDIG_HMAC_SHA1, v::NAMED_R_HMAC_SHA1),
        TsigAlgorithm::HmacSha224 => (
            v::DIG_HMAC_SHA224,
            v::KDIG_HMAC_SHA224,
            v::NAMED_R_HMAC_SHA224,
        ),
        TsigAlgorithm::HmacSha256 => (
            v::DIG_HMAC_SHA256,
            v::KDIG_HMAC_SHA256,
            v::NAMED_R_HMAC_SHA256,
        ),
        TsigAlgorithm::HmacSha384 => (
            v::DIG_HMAC_SHA384,
            v::KDIG_HMAC_SHA384,
            v::NAMED_R_HMAC_SHA384,
        ),
        TsigAlgorithm::HmacSha512 => (
            v::DIG_HMAC_SHA512,
            v::KDIG_HMAC_SHA512,
            v::NAMED_R_HMAC_SHA512,
        ),
    }
}

// ------------------------------------------------ interop: real requests

#[test]
fn dig_and_kdig_requests_verify_for_every_algorithm() {
    let ring = ring();
    for alg in TsigAlgorithm::ALL {
        let (dig, kdig, _) = captured(alg);
        for (tool, msg) in [("dig", hex(dig)), ("kdig", hex(kdig))] {
            let rec = record(&msg);
            assert_eq!(rec.mac.len(), alg.output_len(), "{tool} {alg:?}");
            let ctx = valid(verify_request(&msg, &ring, rec.time_signed));
            assert_eq!(ctx.key.as_deref(), Some(&key(alg)));
            assert_eq!(ctx.request_mac, rec.mac);
            // The fudge window, with the request's fudge (300 s for both tools).
            assert_eq!(ctx.fudge, 300, "{tool}");
            let t = rec.time_signed;
            valid(verify_request(&msg, &ring, t + 300));
            valid(verify_request(&msg, &ring, t - 300));
            let (e, _) = invalid(verify_request(&msg, &ring, t + 301));
            assert_eq!(e, TsigError::BadTime, "{tool} {alg:?}");
            let (e, _) = invalid(verify_request(&msg, &ring, t - 301));
            assert_eq!(e, TsigError::BadTime);
        }
    }
}

#[test]
fn dig_truncated_macs_verify_and_local_minimum_gives_badtrunc() {
    let cases = [
        (v::DIG_TRUNC_HMAC_SHA256_128, TsigAlgorithm::HmacSha256, 16),
        (v::DIG_TRUNC_HMAC_SHA1_80, TsigAlgorithm::HmacSha1, 10),
        (v::DIG_TRUNC_HMAC_SHA512_256, TsigAlgorithm::HmacSha512, 32),
    ];
    for (q, alg, len) in cases {
        let msg = hex(q);
        let rec = record(&msg);
        assert_eq!(rec.mac.len(), len);
        assert_eq!(TsigAlgorithm::from_name(&rec.algorithm), Some(alg));
        let ctx = valid(verify_request(&msg, &ring(), rec.time_signed));
        assert_eq!(ctx.request_mac.len(), len);
        // A local policy that wants full MACs: BADTRUNC, and the reply is signed.
        let mut strict = ring();
        strict.set_min_truncation(64);
        let (e, ctx) = invalid(verify_request(&msg, &strict, rec.time_signed));
        assert_eq!(e, TsigError::BadTrunc);
        let mut reply = strip(&msg);
        reply[2] |= 0x80;
        let mac = sign_response(&mut reply, &ctx, e.code(), rec.time_signed).unwrap();
        assert_eq!(mac.len(), alg.output_len());
    }
}

#[test]
fn key_names_match_case_insensitively() {
    // dig lowercases the name it was given (so does kdig); a key
    // configured in upper case still matches.
    let msg = hex(v::DIG_MIXED_CASE_KEY);
    let rec = record(&msg);
    assert_eq!(rec.key_name.to_string(), "k-sha256.");
    let mut upper = key(TsigAlgorithm::HmacSha256);
    upper.name = name("K-SHA256.");
    let upper_ring: KeyRing = [upper.clone()].into_iter().collect();
    valid(verify_request(&msg, &upper_ring, rec.time_signed));

    // A mixed-case owner is digested lowercase (RFC 8945 §4.3.3) and
    // echoed as written.
    let mut q = query();
    sign_request(&mut q, &upper, NOW).unwrap();
    let ctx = valid(verify_request(&q, &ring(), NOW));
    assert!(ctx.key_name.eq_exact(&name("K-SHA256.")));
}

// ----------------------------------------------- interop: named's answers

#[test]
fn named_answers_verify_with_verify_response() {
    for alg in TsigAlgorithm::ALL {
        let (dig, _, answer) = captured(alg);
        let (q, r) = (hex(dig), hex(answer));
        let req_mac = record(&q).mac;
        let t = record(&r).time_signed;
        let ok = verify_response(&r, &key(alg), &req_mac, t).unwrap();
        assert_eq!(ok.mac, record(&r).mac);
        assert_eq!(ok.unsigned_len, record(&r).start);
        // Another request MAC: the answer does not belong to it.
        let mut other = req_mac.clone();
        other[0] ^= 1;
        assert_eq!(
            verify_response(&r, &key(alg), &other, t),
            Err(VerifyError::BadSig)
        );
        assert!(matches!(
            verify_response(&r, &key(alg), &req_mac, t + 1000),
            Err(VerifyError::BadTime { .. })
        ));
    }
}

/// Our signer reproduces named's answers byte for byte: same digest
/// input, same record layout (uncompressed owner, fudge 300, Original ID).
#[test]
fn sign_response_matches_named_byte_for_byte() {
    let ring = ring();
    for alg in TsigAlgorithm::ALL {
        let (dig, _, answer) = captured(alg);
        let (q, r) = (hex(dig), hex(answer));
        let t = record(&r).time_signed;
        let ctx = valid(verify_request(&q, &ring, t));
        let mut ours = strip(&r);
        sign_response(&mut ours, &ctx, 0, t).unwrap();
        assert_eq!(ours, r, "{alg:?}");
    }
}

/// A peer's signed AXFR stream (request `q`, answers `rs`, `count` of
/// them as captured): it verifies as one stream, and signing the same
/// messages with our `TsigStream` gives the same bytes. Returns the
/// answers.
fn check_axfr_stream(q: &[u8], rs: &[&str], count: usize) -> Vec<Vec<u8>> {
    let msgs: Vec<Vec<u8>> = rs.iter().map(|s| hex(s)).collect();
    assert_eq!(msgs.len(), count);
    let k = key(TsigAlgorithm::HmacSha256);
    let mut verifier = TsigStreamVerifier::new(&k, &record(q).mac);
    for m in &msgs {
        let t = record(m).time_signed;
        assert_eq!(verifier.verify(m, t), Ok(StreamStep::Signed));
    }
    verifier.finish().unwrap();

    let ctx = valid(verify_request(q, &ring(), record(q).time_signed));
    let mut stream = TsigStream::new(&ctx).unwrap();
    for m in &msgs {
        let mut ours = strip(m);
        stream.sign(&mut ours, record(m).time_signed).unwrap();
        assert_eq!(&ours, m);
    }
    msgs
}

#[test]
fn named_axfr_stream_verifies_and_we_sign_it_identically() {
    let q = hex(v::NAMED_AXFR_Q);
    let rs = [
        v::NAMED_AXFR_R0,
        v::NAMED_AXFR_R1,
        v::NAMED_AXFR_R2,
        v::NAMED_AXFR_R3,
    ];
    let msgs = check_axfr_stream(&q, &rs, v::NAMED_AXFR_MESSAGES);

    // Out of order: the second message does not follow the first's MAC.
    let k = key(TsigAlgorithm::HmacSha256);
    let mut verifier = TsigStreamVerifier::new(&k, &record(&q).mac);
    let t = record(&msgs[0]).time_signed;
    verifier.verify(&msgs[0], t).unwrap();
    assert_eq!(verifier.verify(&msgs[2], t), Err(VerifyError::BadSig));
}

#[test]
fn update_requests_from_nsupdate_and_knsupdate_verify() {
    let ring = ring();
    for q in [v::NSUPDATE_Q, v::KNSUPDATE_Q] {
        let msg = hex(q);
        assert_eq!(msg[2] >> 3 & 0xF, 5, "opcode UPDATE");
        let rec = record(&msg);
        let ctx = valid(verify_request(&msg, &ring, rec.time_signed));
        assert_eq!(ctx.key.as_deref(), Some(&key(TsigAlgorithm::HmacSha256)));
    }
    // named's signed NOERROR to nsupdate: verified, and reproduced.
    let (q, r) = (hex(v::NSUPDATE_Q), hex(v::NAMED_UPDATE_R));
    let t = record(&r).time_signed;
    verify_response(&r, &key(TsigAlgorithm::HmacSha256), &record(&q).mac, t).unwrap();
    let ctx = valid(verify_request(&q, &ring, t));
    let mut ours = strip(&r);
    sign_response(&mut ours, &ctx, 0, t).unwrap();
    assert_eq!(ours, r);
}

#[test]
fn knot_answers_verify_and_we_sign_them_identically() {
    let ring = ring();
    for alg in TsigAlgorithm::ALL {
        let (_, kdig, _) = captured(alg);
        let (q, r) = (hex(kdig), hex(knot_answer(alg)));
        assert_eq!(r[3] & 0xF, 0, "{alg:?}: knotd answered NOERROR");
        let t = record(&r).time_signed;
        verify_response(&r, &key(alg), &record(&q).mac, t).unwrap();
        let ctx = valid(verify_request(&q, &ring, t));
        let mut ours = strip(&r);
        sign_response(&mut ours, &ctx, 0, t).unwrap();
        assert_eq!(ours, r, "{alg:?}");
    }
}

#[test]
fn knot_axfr_stream_verifies_and_we_sign_it_identically() {
    let rs = [
        v::KNOT_AXFR_R0,
        v::KNOT_AXFR_R1,
        v::KNOT_AXFR_R2,
        v::KNOT_AXFR_R3,
    ];
    check_axfr_stream(&hex(v::KDIG_AXFR_Q), &rs, v::KNOT_AXFR_MESSAGES);
}

#[test]
fn named_error_answers() {
    let k = key(TsigAlgorithm::HmacSha256);
    // BADSIG: unsigned, error 16.
    let (q, r) = (hex(v::NAMED_BADSIG_Q), hex(v::NAMED_BADSIG_R));
    assert_eq!(r[3] & 0xF, 9, "NOTAUTH");
    assert_eq!(
        verify_response(&r, &k, &record(&q).mac, record(&r).time_signed),
        Err(VerifyError::Rejected(code::BADSIG))
    );
    // Our server gives the same verdict and writes the same record.
    let t = record(&r).time_signed;
    let (e, ctx) = invalid(verify_request(&q, &ring(), t));
    assert_eq!(e, TsigError::BadSig);
    let mut ours = strip(&r);
    assert_eq!(sign_response(&mut ours, &ctx, e.code(), t), Ok(Vec::new()));
    assert_eq!(ours, r);

    // BADKEY: same, error 17.
    let (q, r) = (hex(v::NAMED_BADKEY_Q), hex(v::NAMED_BADKEY_R));
    let t = record(&r).time_signed;
    let unknown = TsigKey {
        name: name("no-such-key."),
        ..k.clone()
    };
    assert_eq!(
        verify_response(&r, &unknown, &record(&q).mac, t),
        Err(VerifyError::Rejected(code::BADKEY))
    );
    let (e, ctx) = invalid(verify_request(&q, &ring(), t));
    assert_eq!(e, TsigError::BadKey);
    assert!(ctx.key.is_none());
    let mut ours = strip(&r);
    sign_response(&mut ours, &ctx, e.code(), t).unwrap();
    assert_eq!(ours, r);

    // BADTIME: signed, the request's time echoed, the server's in Other Data.
    let (q, r) = (hex(v::NAMED_BADTIME_Q), hex(v::NAMED_BADTIME_R));
    let rr = record(&r);
    let server_time = u64::from_be_bytes([
        0,
        0,
        rr.other[0],
        rr.other[1],
        rr.other[2],
        rr.other[3],
        rr.other[4],
        rr.other[5],
    ]);
    assert_eq!(rr.time_signed, record(&q).time_signed);
    assert_eq!(
        verify_response(&r, &k, &record(&q).mac, server_time),
        Err(VerifyError::ServerBadTime { server_time })
    );
    let (e, ctx) = invalid(verify_request(&q, &ring(), server_time));
    assert_eq!(e, TsigError::BadTime);
    let mut ours = strip(&r);
    sign_response(&mut ours, &ctx, e.code(), server_time).unwrap();
    assert_eq!(ours, r);
}
