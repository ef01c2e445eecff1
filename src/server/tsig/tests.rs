//! TSIG tests: our own round trips, the error paths of RFC 8945 §5.2,
//! multi-message streams, and property tests that nothing panics. The
//! interop vectors from real tools are in `interop_tests.rs`.

use proptest::prelude::*;

use super::vectors as v;
use super::wire::{self, locate};
use super::*;

pub(super) fn hex(s: &str) -> Vec<u8> {
    data_encoding::HEXLOWER
        .decode(s.as_bytes())
        .expect("test vector hex")
}

pub(super) fn name(s: &str) -> Name {
    Name::parse(s, None).expect("test name")
}

/// The keys of the capture script: `k-<hash>.` with its fixed secret.
pub(super) fn key(alg: TsigAlgorithm) -> TsigKey {
    let secret = match alg {
        TsigAlgorithm::HmacMd5 => v::SECRET_HMAC_MD5,
        TsigAlgorithm::HmacSha1 => v::SECRET_HMAC_SHA1,
        TsigAlgorithm::HmacSha224 => v::SECRET_HMAC_SHA224,
        TsigAlgorithm::HmacSha256 => v::SECRET_HMAC_SHA256,
        TsigAlgorithm::HmacSha384 => v::SECRET_HMAC_SHA384,
        TsigAlgorithm::HmacSha512 => v::SECRET_HMAC_SHA512,
    };
    let hash = alg.config_str().trim_start_matches("hmac-");
    TsigKey::from_config(&format!("k-{hash}"), alg.config_str(), secret).expect("test key")
}

pub(super) fn ring() -> KeyRing {
    TsigAlgorithm::ALL.into_iter().map(key).collect()
}

/// knotd's answer to the kdig query, per algorithm.
pub(super) fn record(msg: &[u8]) -> wire::TsigRecord {
    locate(msg).expect("well formed").expect("signed")
}

/// The message without its TSIG record, ARCOUNT decremented: what the
/// signer had before appending it.
pub(super) fn strip(msg: &[u8]) -> Vec<u8> {
    let rec = record(msg);
    let mut out = msg[..rec.start].to_vec();
    let ar = u16::from_be_bytes([out[10], out[11]]) - 1;
    out[10..12].copy_from_slice(&ar.to_be_bytes());
    out
}

pub(super) fn valid(outcome: TsigOutcome) -> TsigContext {
    match outcome {
        TsigOutcome::Valid(ctx) => ctx,
        other => panic!("expected Valid, got {other:?}"),
    }
}

pub(super) fn invalid(outcome: TsigOutcome) -> (TsigError, TsigContext) {
    match outcome {
        TsigOutcome::Invalid {
            error,
            ctx_for_reply,
        } => (error, ctx_for_reply),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// A plain query for `example.test. SOA` with id 0x1234.
pub(super) fn query() -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend_from_slice(b"\x07example\x04test\x00\x00\x06\x00\x01");
    q
}

/// A response to [`query`] with one A record in the answer.
fn response() -> Vec<u8> {
    let mut r = query();
    r[2] = 0x84;
    r[7] = 1;
    r.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 192, 0, 2, 1]);
    r
}

pub(super) const NOW: u64 = 1_800_000_000;

// ---------------------------------------------------------------- names

#[test]
fn algorithm_names() {
    for alg in TsigAlgorithm::ALL {
        assert_eq!(TsigAlgorithm::from_name(&alg.name()), Some(alg));
        assert_eq!(TsigAlgorithm::from_config_str(alg.config_str()), Some(alg));
        assert!(alg.name().is_lowercase());
    }
    assert_eq!(
        TsigAlgorithm::HmacMd5.name().to_string(),
        "hmac-md5.sig-alg.reg.int."
    );
    assert_eq!(TsigAlgorithm::HmacSha256.name().to_string(), "hmac-sha256.");
    assert_eq!(
        TsigAlgorithm::from_name(&name("HMAC-SHA256.")),
        Some(TsigAlgorithm::HmacSha256)
    );
    assert_eq!(
        TsigAlgorithm::from_config_str("HMAC-MD5.SIG-ALG.REG.INT"),
        Some(TsigAlgorithm::HmacMd5)
    );
    assert_eq!(TsigAlgorithm::from_name(&name("hmac-md5.")), None);
    assert_eq!(TsigAlgorithm::from_config_str("hmac-sha256-128"), None);
    assert_eq!(TsigAlgorithm::from_config_str("gss-tsig"), None);
    let mins: Vec<usize> = TsigAlgorithm::ALL.iter().map(|a| a.min_mac_len()).collect();
    assert_eq!(mins, [10, 10, 14, 16, 24, 32]);
}

#[test]
fn keys_from_config() {
    let k = TsigKey::from_config("Update-Key", "hmac-sha256", "AAECAw==").unwrap();
    assert_eq!(k.name.to_string(), "Update-Key.");
    assert_eq!(k.secret, [0, 1, 2, 3]);
    assert!(!format!("{k:?}").contains("secret"));
    assert!(matches!(
        TsigKey::from_config("k", "hmac-sha3", "AA=="),
        Err(KeyError::Algorithm(_))
    ));
    assert_eq!(
        TsigKey::from_config("k", "hmac-sha1", "not base64!"),
        Err(KeyError::Base64)
    );
    assert_eq!(
        TsigKey::from_config("k", "hmac-sha1", ""),
        Err(KeyError::EmptySecret)
    );
    let ring: KeyRing = [k].into_iter().collect();
    assert!(ring.get(&name("UPDATE-KEY.")).is_some());
    assert!(ring.get(&name("update-key.example.")).is_none());
}

// ----------------------------------------------------- our own round trips

#[test]
fn request_and_response_round_trip_for_every_algorithm() {
    let ring = ring();
    for alg in TsigAlgorithm::ALL {
        let k = key(alg);
        let mut q = query();
        let req_mac = sign_request(&mut q, &k, NOW).unwrap();
        assert_eq!(req_mac.len(), alg.output_len());
        let ctx = valid(verify_request(&q, &ring, NOW + 5));
        assert_eq!(ctx.request_mac, req_mac);
        assert_eq!(ctx.original_id, 0x1234);
        let mut r = response();
        let expected_len = r.len() + ctx.reply_tsig_len(0);
        sign_response(&mut r, &ctx, 0, NOW + 6).unwrap();
        assert_eq!(r.len(), expected_len);
        assert_eq!(u16::from_be_bytes([r[10], r[11]]), 1);
        verify_response(&r, &k, &req_mac, NOW + 7).unwrap();
        // The reply to a request with another MAC does not verify.
        assert_eq!(
            verify_response(&r, &k, &[0; 32], NOW),
            Err(VerifyError::BadSig)
        );
    }
}

#[test]
fn original_id_is_restored() {
    // A forwarder may change the ID; the MAC covers the original one.
    let k = key(TsigAlgorithm::HmacSha256);
    let mut q = query();
    sign_request(&mut q, &k, NOW).unwrap();
    q[0..2].copy_from_slice(&[0xBE, 0xEF]);
    let ctx = valid(verify_request(&q, &ring(), NOW));
    assert_eq!(ctx.original_id, 0x1234);
}

#[test]
fn badkey_for_unknown_name_or_other_algorithm() {
    let mut k = key(TsigAlgorithm::HmacSha256);
    k.name = name("unknown-key.");
    let mut q = query();
    sign_request(&mut q, &k, NOW).unwrap();
    let (e, ctx) = invalid(verify_request(&q, &ring(), NOW));
    assert_eq!(e, TsigError::BadKey);
    assert_eq!(ctx.reply_tsig_len(e.code()), ctx.reply_tsig_len(0));

    // The right name with the wrong algorithm.
    let mut k = key(TsigAlgorithm::HmacSha1);
    k.name = name("k-sha256.");
    let mut q = query();
    sign_request(&mut q, &k, NOW).unwrap();
    let (e, ctx) = invalid(verify_request(&q, &ring(), NOW));
    assert_eq!(e, TsigError::BadKey);
    // The reply is unsigned: empty MAC, error BADKEY, algorithm echoed.
    let mut r = response();
    let before = r.len();
    assert_eq!(sign_response(&mut r, &ctx, e.code(), NOW), Ok(Vec::new()));
    assert_eq!(r.len(), before + ctx.reply_tsig_len(e.code()));
    let rec = record(&r);
    assert!(rec.mac.is_empty());
    assert_eq!(rec.error, code::BADKEY);
    assert_eq!(rec.algorithm, TsigAlgorithm::HmacSha1.name());
    assert_eq!(
        verify_response(&r, &k, &[], NOW),
        Err(VerifyError::Rejected(code::BADKEY))
    );
}

#[test]
fn badsig_for_a_wrong_secret_or_a_changed_message() {
    let mut k = key(TsigAlgorithm::HmacSha384);
    k.secret[0] ^= 1;
    let mut q = query();
    sign_request(&mut q, &k, NOW).unwrap();
    let (e, ctx) = invalid(verify_request(&q, &ring(), NOW));
    assert_eq!(e, TsigError::BadSig);
    let mut r = response();
    sign_response(&mut r, &ctx, e.code(), NOW).unwrap();
    assert!(record(&r).mac.is_empty());

    let mut q = query();
    sign_request(&mut q, &key(TsigAlgorithm::HmacSha384), NOW).unwrap();
    q[3] ^= 0x10; // a header flag
    assert_eq!(
        invalid(verify_request(&q, &ring(), NOW)).0,
        TsigError::BadSig
    );
}

#[test]
fn badtime_reply_is_signed_with_server_time() {
    let k = key(TsigAlgorithm::HmacSha256);
    let mut q = query();
    let req_mac = sign_request(&mut q, &k, NOW).unwrap();
    let (e, ctx) = invalid(verify_request(&q, &ring(), NOW + 1000));
    assert_eq!(e, TsigError::BadTime);
    let mut r = response();
    let expected_len = r.len() + ctx.reply_tsig_len(e.code());
    sign_response(&mut r, &ctx, e.code(), NOW + 1000).unwrap();
    assert_eq!(r.len(), expected_len);
    assert_eq!(
        verify_response(&r, &k, &req_mac, NOW),
        Err(VerifyError::ServerBadTime {
            server_time: NOW + 1000
        })
    );
}

/// Rewrites the MAC of a signed message: `len` octets of the real MAC.
fn with_mac_len(msg: &[u8], alg: TsigAlgorithm, len: usize) -> Vec<u8> {
    let rec = record(msg);
    let mut out = strip(msg);
    let mut mac = rec.mac.clone();
    mac.resize(len, 0xAA);
    wire::append(
        &mut out,
        &wire::NewRecord {
            key_name: &rec.key_name,
            algorithm: &alg.name(),
            time_signed: rec.time_signed,
            fudge: rec.fudge,
            mac: &mac,
            original_id: rec.original_id,
            error: rec.error,
            other: &rec.other,
        },
    );
    out
}

#[test]
fn truncated_macs_accepted_down_to_the_rfc_minimum() {
    let ring = ring();
    for alg in TsigAlgorithm::ALL {
        let mut q = query();
        sign_request(&mut q, &key(alg), NOW).unwrap();
        let min = alg.min_mac_len();
        valid(verify_request(&with_mac_len(&q, alg, min), &ring, NOW));
        valid(verify_request(&with_mac_len(&q, alg, min + 1), &ring, NOW));
        // A client accepts a truncated answer as well.
        let ctx = valid(verify_request(&q, &ring, NOW));
        let mut r = response();
        sign_response(&mut r, &ctx, 0, NOW).unwrap();
        let short = with_mac_len(&r, alg, min);
        verify_response(&short, &key(alg), &ctx.request_mac, NOW).unwrap();
        assert_eq!(
            verify_response(
                &with_mac_len(&r, alg, min - 1),
                &key(alg),
                &ctx.request_mac,
                NOW
            ),
            Err(VerifyError::Malformed)
        );
        // Shorter than max(10, half), longer than the digest, or empty: FORMERR.
        for bad in [min - 1, 0, alg.output_len() + 1] {
            assert!(
                matches!(
                    verify_request(&with_mac_len(&q, alg, bad), &ring, NOW),
                    TsigOutcome::FormErr
                ),
                "{alg:?} {bad}"
            );
        }
    }
}

// --------------------------------------------------------------- FORMERR

#[test]
fn tsig_must_be_the_last_and_only_one() {
    let k = key(TsigAlgorithm::HmacSha256);
    let mut q = query();
    sign_request(&mut q, &k, NOW).unwrap();
    let formerr = |m: &[u8]| matches!(verify_request(m, &ring(), NOW), TsigOutcome::FormErr);

    // A record after the TSIG.
    let mut m = q.clone();
    m.extend_from_slice(&[0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1]);
    m[11] += 1;
    assert!(formerr(&m));

    // Two TSIGs.
    let mut m = q.clone();
    sign_request(&mut m, &k, NOW).unwrap();
    assert!(formerr(&m));

    // A TSIG in the answer section.
    let mut m = q.clone();
    m[7] = 1;
    m[11] = 0;
    assert!(formerr(&m));

    // Trailing garbage, a cut message, class IN.
    let mut m = q.clone();
    m.push(0);
    assert!(formerr(&m));
    assert!(formerr(&q[..q.len() - 1]));
    let rec = record(&q);
    let mut m = q.clone();
    let class_at = rec.start + rec.key_name.as_wire().len() + 2;
    m[class_at..class_at + 2].copy_from_slice(&1u16.to_be_bytes());
    assert!(formerr(&m));
    assert!(formerr(&q[..5]));

    // No TSIG at all.
    assert!(matches!(
        verify_request(&query(), &ring(), NOW),
        TsigOutcome::Unsigned
    ));
}

#[test]
fn compressed_key_name_is_read() {
    // Key name written as a pointer to a name earlier in the message.
    let k = TsigKey {
        name: name("example.test."),
        algorithm: TsigAlgorithm::HmacSha256,
        secret: vec![7; 32],
    };
    let mut q = query();
    sign_request(&mut q, &k, NOW).unwrap();
    let rec = record(&q);
    let mut m = q[..rec.start].to_vec();
    m.extend_from_slice(&[0xC0, 12]);
    m.extend_from_slice(&q[rec.start + k.name.as_wire().len()..]);
    let ring: KeyRing = [k].into_iter().collect();
    valid(verify_request(&m, &ring, NOW));
}

#[test]
fn sign_refuses_what_it_cannot_sign() {
    let k = key(TsigAlgorithm::HmacSha256);
    assert_eq!(
        sign_request(&mut vec![0; 5], &k, NOW),
        Err(SignError::NoHeader)
    );
    let mut q = query();
    q[10] = 0xFF;
    q[11] = 0xFF;
    assert_eq!(
        sign_request(&mut q, &k, NOW),
        Err(SignError::TooManyRecords)
    );
}

// ----------------------------------------------------------------- streams

fn axfr_message(i: u8) -> Vec<u8> {
    let mut r = response();
    r[7] = 1;
    r.extend_from_slice(&[0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, b'0' + i]);
    r[7] = 2;
    r
}

#[test]
fn stream_round_trip_three_messages() {
    for alg in TsigAlgorithm::ALL {
        let k = key(alg);
        let mut q = query();
        let req_mac = sign_request(&mut q, &k, NOW).unwrap();
        let ctx = valid(verify_request(&q, &ring(), NOW));
        let mut stream = TsigStream::new(&ctx).unwrap();
        let mut verifier = TsigStreamVerifier::new(&k, &req_mac);
        for i in 0..3 {
            let mut m = axfr_message(i);
            stream.sign(&mut m, NOW + u64::from(i)).unwrap();
            assert_eq!(verifier.verify(&m, NOW + 2), Ok(StreamStep::Signed));
        }
        verifier.finish().unwrap();
    }
}

#[test]
fn stream_with_unsigned_messages_between() {
    let k = key(TsigAlgorithm::HmacSha256);
    let mut q = query();
    let req_mac = sign_request(&mut q, &k, NOW).unwrap();
    let ctx = valid(verify_request(&q, &ring(), NOW));
    let mut stream = TsigStream::new(&ctx).unwrap();
    let mut sent = Vec::new();
    for i in 0..6u8 {
        let mut m = axfr_message(i);
        if i == 0 || i == 3 || i == 5 {
            stream.sign(&mut m, NOW).unwrap();
        } else {
            stream.add_unsigned(&m).unwrap();
        }
        sent.push(m);
    }
    let mut verifier = TsigStreamVerifier::new(&k, &req_mac);
    let steps: Vec<StreamStep> = sent
        .iter()
        .map(|m| verifier.verify(m, NOW).unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            StreamStep::Signed,
            StreamStep::Unsigned,
            StreamStep::Unsigned,
            StreamStep::Signed,
            StreamStep::Unsigned,
            StreamStep::Signed
        ]
    );
    verifier.finish().unwrap();

    // A changed unsigned message is caught by the next signed one.
    let mut verifier = TsigStreamVerifier::new(&k, &req_mac);
    let mut tampered = sent.clone();
    let last = tampered[1].len() - 1;
    tampered[1][last] ^= 1;
    verifier.verify(&tampered[0], NOW).unwrap();
    verifier.verify(&tampered[1], NOW).unwrap();
    verifier.verify(&tampered[2], NOW).unwrap();
    assert_eq!(verifier.verify(&tampered[3], NOW), Err(VerifyError::BadSig));

    // A dropped unsigned message too.
    let mut verifier = TsigStreamVerifier::new(&k, &req_mac);
    verifier.verify(&sent[0], NOW).unwrap();
    verifier.verify(&sent[2], NOW).unwrap();
    assert_eq!(verifier.verify(&sent[3], NOW), Err(VerifyError::BadSig));

    // A stream cut after an unsigned message.
    let mut verifier = TsigStreamVerifier::new(&k, &req_mac);
    for m in &sent[..5] {
        verifier.verify(m, NOW).unwrap();
    }
    assert_eq!(verifier.finish(), Err(VerifyError::UnsignedEnd));
}

#[test]
fn stream_limits() {
    let k = key(TsigAlgorithm::HmacSha1);
    let mut q = query();
    let req_mac = sign_request(&mut q, &k, NOW).unwrap();
    let ctx = valid(verify_request(&q, &ring(), NOW));
    let mut stream = TsigStream::new(&ctx).unwrap();
    let m = axfr_message(0);
    assert_eq!(stream.add_unsigned(&m), Err(SignError::FirstUnsigned));
    let mut first = m.clone();
    stream.sign(&mut first, NOW).unwrap();
    for _ in 0..99 {
        stream.add_unsigned(&m).unwrap();
    }
    assert_eq!(stream.add_unsigned(&m), Err(SignError::TooManyUnsigned));

    let mut verifier = TsigStreamVerifier::new(&k, &req_mac);
    assert_eq!(verifier.verify(&m, NOW), Err(VerifyError::FirstUnsigned));
    assert_eq!(verifier.finish(), Err(VerifyError::FirstUnsigned));
    verifier.verify(&first, NOW).unwrap();
    for _ in 0..99 {
        verifier.verify(&m, NOW).unwrap();
    }
    assert_eq!(verifier.verify(&m, NOW), Err(VerifyError::TooManyUnsigned));

    // A context without a key (BADKEY) cannot start a stream.
    let ctx = TsigContext { key: None, ..ctx };
    assert!(TsigStream::new(&ctx).is_none());
}

// ------------------------------------------------------------- properties

fn signed_query() -> Vec<u8> {
    let mut q = query();
    sign_request(&mut q, &key(TsigAlgorithm::HmacSha256), NOW).unwrap();
    q
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let ring = ring();
        let k = key(TsigAlgorithm::HmacSha256);
        let _ = verify_request(&bytes, &ring, NOW);
        let _ = verify_response(&bytes, &k, &[1; 32], NOW);
        let mut s = TsigStreamVerifier::new(&k, &[1; 32]);
        let _ = s.verify(&bytes, NOW);
        let _ = s.verify(&bytes, NOW);
    }

    #[test]
    fn mutated_signed_requests_never_panic_nor_verify(
        flips in proptest::collection::vec((0usize..200, any::<u8>()), 1..4),
        cut in 0usize..8,
    ) {
        let orig = signed_query();
        let tsig_start = record(&orig).start;
        let mut m = orig.clone();
        for (i, b) in &flips {
            if *i < m.len() {
                m[*i] = *b;
            }
        }
        m.truncate(m.len() - cut);
        let outcome = verify_request(&m, &ring(), NOW);
        // Any change to what the MAC covers (all but the ID) must not verify.
        let covered_changed = (2..tsig_start).any(|i| m.get(i) != orig.get(i));
        if covered_changed {
            prop_assert!(!matches!(outcome, TsigOutcome::Valid(_)));
        }
    }

}

proptest! {
    // Each case hashes the whole 45 KB transfer: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_named_stream_never_panics(i in 0usize..4, pos in 0usize..20_000, b in any::<u8>()) {
        let q = hex(v::NAMED_AXFR_Q);
        let mut msgs: Vec<Vec<u8>> = [v::NAMED_AXFR_R0, v::NAMED_AXFR_R1, v::NAMED_AXFR_R2, v::NAMED_AXFR_R3]
            .iter().map(|s| hex(s)).collect();
        let changed = pos < msgs[i].len() && msgs[i][pos] != b && pos >= 2;
        if pos < msgs[i].len() {
            msgs[i][pos] = b;
        }
        let mut verifier = TsigStreamVerifier::new(&key(TsigAlgorithm::HmacSha256), &record(&q).mac);
        let t = record(&hex(v::NAMED_AXFR_R0)).time_signed;
        let all_ok = msgs.iter().all(|m| verifier.verify(m, t).is_ok());
        if changed {
            // Case changes in the TSIG owner or algorithm name are not covered.
            let rec_start = record(&hex([v::NAMED_AXFR_R0, v::NAMED_AXFR_R1, v::NAMED_AXFR_R2, v::NAMED_AXFR_R3][i])).start;
            let in_tsig_names = pos >= rec_start && pos < rec_start + 40;
            prop_assert!(!all_ok || in_tsig_names);
        }
    }
}
