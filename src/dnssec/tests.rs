//! Signer tests: a full sign and incremental seals checked against an
//! independent walk of the chain, against a fresh full sign of the same
//! data, and (where installed) against `dnssec-verify` and
//! `ldns-verify-zone`.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use proptest::prelude::*;

use super::chain::{status, CanonName};
use super::keys::{Algorithm, KeyPair};
use super::nsec3::Nsec3Params;
use super::policy::{Denial, RawPolicy};
use super::signer::{Role, Scope, ZoneKey, ZoneSigner};
use crate::rdata::RType;
use crate::zone::builder::ZoneBuilder;
use crate::zone::diff::Diff;
use crate::zone::name::Name;
use crate::zone::record::Record;
use crate::zone::version::ZoneVersion;

const NOW: u64 = 1_800_000_000;

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

fn rec(owner: &str, t: RType, text: &str) -> Record {
    let rd = crate::rdata::from_str(t, text, &n("example.")).unwrap();
    Record::new(n(owner), t, 300, rd)
}

fn base_records() -> Vec<Record> {
    vec![
        rec("example.", RType::SOA, "ns1 host 1 3600 600 86400 300"),
        rec("example.", RType::NS, "ns1.example."),
        rec("ns1.example.", RType::A, "192.0.2.1"),
        rec("www.example.", RType::A, "192.0.2.2"),
        rec("a.b.c.example.", RType::TXT, "\"deep\""),
        rec("*.w.example.", RType::MX, "10 mail.example."),
        rec("sub.example.", RType::NS, "ns.sub.example."),
        rec("ns.sub.example.", RType::A, "192.0.2.3"),
        rec("sec.example.", RType::NS, "ns.other."),
        rec(
            "sec.example.",
            RType::DS,
            "12345 13 2 0011223344556677889900112233445566778899001122334455667788990011",
        ),
        rec("Mixed.Example.", RType::CNAME, "www.example."),
    ]
}

fn version(records: &[Record]) -> ZoneVersion {
    let mut b = ZoneBuilder::new(n("example."), crate::rdata::Class::IN);
    for r in records {
        b.add(r.clone()).unwrap();
    }
    b.finish().unwrap()
}

fn policy(alg: &str, denial: &str, opt_out: bool) -> super::Policy {
    let raw: RawPolicy = toml::from_str(&format!(
        "name = \"t\"\nalgorithm = \"{alg}\"\ndenial = \"{denial}\"\nnsec3_opt_out = {opt_out}"
    ))
    .unwrap();
    raw.validate().unwrap()
}

fn keys(alg: Algorithm) -> Vec<ZoneKey> {
    [(257, Role::Ksk), (256, Role::Zsk)]
        .into_iter()
        .map(|(flags, role)| ZoneKey {
            pair: Arc::new(KeyPair::generate(alg, flags).unwrap()),
            role,
            published: true,
            signing: true,
            cds: role == Role::Ksk,
        })
        .collect()
}

/// A diff that only moves the serial.
fn bump(v: &ZoneVersion) -> Diff {
    let mut d = Diff::default();
    crate::commit::retarget_soa(&mut d, v, v.serial() + 1).unwrap();
    d
}

fn seal_apply(s: &mut ZoneSigner, v: &ZoneVersion, d: Diff, scope: Scope) -> (ZoneVersion, Diff) {
    let sealed = s.seal(v, d, scope, NOW).unwrap();
    (v.apply(&sealed).unwrap(), sealed)
}

/// Walks the NSEC chain from the apex: it must visit every name that
/// should be in it exactly once and come back to the apex.
fn check_nsec_chain(v: &ZoneVersion) {
    let expected: BTreeSet<CanonName> = v
        .nodes()
        .filter(|node| status(v, node.owner_wire()).in_nsec_chain())
        .map(|node| CanonName::new(node.owner_wire()))
        .collect();
    let apex = CanonName::new(v.apex().as_wire());
    let mut seen = BTreeSet::new();
    let mut cur = apex.clone();
    loop {
        assert!(
            seen.insert(cur.clone()),
            "chain loops at {:?}",
            Name::from_wire(&cur.0)
        );
        let node = v.find(&cur.0).expect("chain names exist");
        let rd = node
            .get(RType::NSEC)
            .expect("NSEC at chain member")
            .first()
            .unwrap();
        let len = Name::wire_len(rd).unwrap();
        cur = CanonName::new(&rd[..len]);
        if cur == apex {
            break;
        }
    }
    assert_eq!(seen, expected);
    for node in v.nodes() {
        if !expected.contains(&CanonName::new(node.owner_wire())) {
            assert!(!node.has(RType::NSEC), "stray NSEC at {}", node.owner());
        }
    }
}

/// Every authoritative RRset has a verifying signature by a signing key.
fn check_signatures(v: &ZoneVersion, keys: &[ZoneKey]) {
    for node in v.nodes() {
        let st = status(v, node.owner_wire());
        for set in node.rrsets() {
            if set.rtype == RType::RRSIG {
                continue;
            }
            let signed =
                !st.occluded && (!st.delegation || matches!(set.rtype, RType::DS | RType::NSEC));
            let sigs: Vec<&[u8]> = node
                .get(RType::RRSIG)
                .map(|s| {
                    s.rdatas()
                        .filter(|r| r[..2] == set.rtype.0.to_be_bytes())
                        .collect()
                })
                .unwrap_or_default();
            if !signed {
                assert!(
                    sigs.is_empty(),
                    "{} {} must not be signed",
                    node.owner(),
                    set.rtype
                );
                continue;
            }
            assert!(!sigs.is_empty(), "{} {} unsigned", node.owner(), set.rtype);
            for sig in sigs {
                let info = super::sign::rrsig_info(sig).unwrap();
                let key = keys
                    .iter()
                    .find(|k| k.pair.key_tag() == info.key_tag)
                    .expect("signed by a zone key");
                assert!(
                    verify(v, node, set.rtype, sig, &key.pair),
                    "{} {}",
                    node.owner(),
                    set.rtype
                );
            }
        }
    }
}

fn verify(
    v: &ZoneVersion,
    node: &crate::zone::node::Node,
    t: RType,
    sig: &[u8],
    key: &KeyPair,
) -> bool {
    use ring::signature;
    let signer_len = Name::wire_len(&sig[18..]).unwrap();
    let mut data = sig[..18 + signer_len].to_vec();
    let set = node.get(t).unwrap();
    super::sign::canonical_rrset(
        &node.owner(),
        t,
        v.class(),
        set.ttl,
        set.rdatas(),
        &mut data,
    );
    let s = &sig[18 + signer_len..];
    let pk = [&[4u8][..], key.public_key()].concat();
    match key.algorithm {
        Algorithm::EcdsaP256Sha256 => {
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &pk)
                .verify(&data, s)
                .is_ok()
        }
        Algorithm::Ed25519 => {
            signature::UnparsedPublicKey::new(&signature::ED25519, key.public_key())
                .verify(&data, s)
                .is_ok()
        }
        Algorithm::RsaSha256 => true,
    }
}

#[test]
fn full_sign_nsec_chain_and_signatures() {
    let v = version(&base_records());
    let keys = keys(Algorithm::EcdsaP256Sha256);
    let mut s = ZoneSigner::new(
        n("example."),
        policy("ecdsap256sha256", "nsec", false),
        keys.clone(),
    );
    let (signed, _) = seal_apply(&mut s, &v, bump(&v), Scope::Full);
    check_nsec_chain(&signed);
    check_signatures(&signed, &keys);
    // The cut lists only NS (no DS there) and the glue is unsigned.
    let sub = signed.node(&n("sub.example.")).unwrap();
    let rd = sub.get(RType::NSEC).unwrap().first().unwrap();
    let len = Name::wire_len(rd).unwrap();
    assert_eq!(
        crate::rdata::bitmap::types(&rd[len..]),
        vec![RType::NS, RType::RRSIG, RType::NSEC]
    );
    assert!(!signed
        .node(&n("ns.sub.example."))
        .unwrap()
        .has(RType::RRSIG));
    // CDS and CDNSKEY for the KSK only.
    let apex = signed.apex_node().unwrap();
    assert_eq!(apex.get(RType::CDS).unwrap().len(), 1);
    assert_eq!(apex.get(RType::DNSKEY).unwrap().len(), 2);
    // A second full pass has nothing to do but the SOA.
    let (_, again) = seal_apply(&mut s, &signed, bump(&signed), Scope::Full);
    let types: HashSet<RType> = again.added.iter().map(|r| r.rtype).collect();
    assert!(
        again
            .added
            .iter()
            .all(|r| r.rtype == RType::SOA || r.rdata[..2] == RType::SOA.0.to_be_bytes()),
        "{types:?}"
    );
    assert!(!s.needs_full_pass(&signed, NOW));
    assert!(s.needs_full_pass(&signed, NOW + 13 * 86_400));
}

#[test]
fn nsec3_chain_has_empty_non_terminals() {
    let v = version(&base_records());
    let keys = keys(Algorithm::Ed25519);
    let pol = policy("ed25519", "nsec3", false);
    let Denial::Nsec3(params) = pol.denial.clone() else {
        unreachable!()
    };
    let mut s = ZoneSigner::new(n("example."), pol, keys.clone());
    let (signed, _) = seal_apply(&mut s, &v, bump(&v), Scope::Full);
    check_nsec3_chain(&signed, &params);
    check_signatures(&signed, &keys);
    // b.c.example and c.example exist only as empty non-terminals.
    for ent in ["b.c.example.", "c.example."] {
        let h = params.hash(n(ent).as_wire());
        let owner = super::nsec3::hashed_owner(&h, &n("example.")).unwrap();
        assert!(signed.node(&owner).is_some(), "{ent}");
    }
}

fn check_nsec3_chain(v: &ZoneVersion, p: &Nsec3Params) {
    let expected: BTreeSet<[u8; 20]> = v
        .nodes()
        .filter(|node| status(v, node.owner_wire()).in_nsec3_chain(p))
        .map(|node| p.hash(node.owner_wire()))
        .collect();
    let have: BTreeSet<[u8; 20]> = v
        .nodes()
        .filter(|node| node.has(RType::NSEC3))
        .map(|node| super::nsec3::hash_of_owner(node.owner_wire()).unwrap())
        .collect();
    assert_eq!(have, expected);
    let sorted: Vec<[u8; 20]> = expected.into_iter().collect();
    for (i, h) in sorted.iter().enumerate() {
        let owner = super::nsec3::hashed_owner(h, v.apex()).unwrap();
        let rd = v
            .node(&owner)
            .unwrap()
            .get(RType::NSEC3)
            .unwrap()
            .first()
            .unwrap();
        let next = super::nsec3::next_hash(rd).unwrap();
        assert_eq!(next, sorted[(i + 1) % sorted.len()]);
    }
}

/// One random change: add or delete at new names, at delegations, under
/// wildcards, at empty non-terminals.
fn arb_change() -> impl Strategy<Value = (bool, usize, usize)> {
    (any::<bool>(), 0usize..12, 0usize..4)
}

const OWNERS: [&str; 12] = [
    "new.example.",
    "x.y.example.",
    "b.c.example.",
    "c.example.",
    "sub.example.",
    "deep.sub.example.",
    "sec.example.",
    "a.w.example.",
    "*.w.example.",
    "zz.example.",
    "www.example.",
    "q.x.y.example.",
];

fn change_record(owner: usize, kind: usize) -> Record {
    let o = OWNERS[owner];
    match kind {
        0 => rec(o, RType::A, "192.0.2.77"),
        1 => rec(o, RType::TXT, "\"t\""),
        2 if owner == 4 || owner == 6 || owner == 9 => rec(o, RType::NS, "ns.elsewhere."),
        2 => rec(o, RType::AAAA, "2001:db8::1"),
        _ if owner == 4 || owner == 9 => rec(
            o,
            RType::DS,
            "1 13 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ),
        _ => rec(o, RType::MX, "5 mx.example."),
    }
}

/// Applies random changes one seal at a time; after each, the chain and
/// signatures are whole, the chain records equal those of a fresh full
/// sign, and only touched RRsets got new signatures.
fn incremental_matches_full(denial: &str, changes: Vec<(bool, usize, usize)>) {
    incremental_matches_full_with(denial, false, changes)
}

fn incremental_matches_full_with(denial: &str, opt_out: bool, changes: Vec<(bool, usize, usize)>) {
    let pol = policy("ed25519", denial, opt_out);
    let nsec3 = match &pol.denial {
        Denial::Nsec3(p) => Some(p.clone()),
        Denial::Nsec => None,
    };
    let keys = keys(Algorithm::Ed25519);
    let mut s = ZoneSigner::new(n("example."), pol.clone(), keys.clone());
    let v = version(&base_records());
    let (mut cur, _) = seal_apply(&mut s, &v, bump(&v), Scope::Full);
    for (add, owner, kind) in changes {
        let r = change_record(owner, kind);
        let exists = cur
            .node(&r.owner)
            .and_then(|node| node.get(r.rtype))
            .is_some_and(|set| set.rdatas().any(|rd| rd == &r.rdata[..]));
        let mut d = bump(&cur);
        if add && !exists {
            // A CNAME cannot have company; the builder rules live in
            // update processing, so keep the test data legal here.
            if cur.node(&r.owner).is_some_and(|nd| nd.has(RType::CNAME)) {
                continue;
            }
            d.added.push(r.clone());
        } else if !add && exists {
            d.removed.push(r.clone());
        } else {
            continue;
        }
        let before_sigs = sigs_by_owner(&cur);
        let (next, sealed) = seal_apply(&mut s, &cur, d, Scope::Incremental);
        match &nsec3 {
            None => check_nsec_chain(&next),
            Some(p) => check_nsec3_chain(&next, p),
        }
        check_signatures(&next, &keys);
        // Only the changed owner, its chain neighbours and the apex got
        // new signatures.
        let after_sigs = sigs_by_owner(&next);
        let renewed: Vec<&CanonName> = after_sigs
            .iter()
            .filter(|(k, v)| before_sigs.get(*k) != Some(*v))
            .map(|(k, _)| k)
            .collect();
        assert!(
            renewed.len() <= 8,
            "too many owners re-signed: {}",
            renewed.len()
        );
        // The chain equals a fresh full sign of the same data.
        let unsigned: Vec<Record> = next
            .records_canonical()
            .into_iter()
            .filter(|r| !super::signer::is_managed(r.rtype))
            .collect();
        let fresh = version(&unsigned);
        let mut s2 = ZoneSigner::new(n("example."), pol.clone(), keys.clone());
        let (full, _) = seal_apply(&mut s2, &fresh, bump(&fresh), Scope::Full);
        let chain = |v: &ZoneVersion| -> BTreeSet<(Vec<u8>, Vec<u8>)> {
            v.records_canonical()
                .into_iter()
                .filter(|r| matches!(r.rtype, RType::NSEC | RType::NSEC3))
                .map(|r| {
                    (
                        CanonName::new(r.owner.as_wire()).0.to_vec(),
                        r.rdata.to_vec(),
                    )
                })
                .collect()
        };
        assert_eq!(
            chain(&next),
            chain(&full),
            "after {:?}",
            sealed
                .added
                .iter()
                .map(|r| (r.owner.to_string(), r.rtype))
                .collect::<Vec<_>>()
        );
        cur = next;
    }
}

fn sigs_by_owner(v: &ZoneVersion) -> std::collections::BTreeMap<CanonName, Vec<Vec<u8>>> {
    v.nodes()
        .filter_map(|node| {
            let mut s: Vec<Vec<u8>> = node
                .get(RType::RRSIG)?
                .rdatas()
                .map(|r| r.to_vec())
                .collect();
            s.sort();
            Some((CanonName::new(node.owner_wire()), s))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn incremental_nsec(changes in proptest::collection::vec(arb_change(), 1..25)) {
        incremental_matches_full("nsec", changes);
    }
    #[test]
    fn incremental_nsec3(changes in proptest::collection::vec(arb_change(), 1..25)) {
        incremental_matches_full("nsec3", changes);
    }
    #[test]
    fn incremental_nsec3_opt_out(changes in proptest::collection::vec(arb_change(), 1..25)) {
        incremental_matches_full_with("nsec3", true, changes);
    }
}

/// Our signed zone passes BIND's and ldns's verifiers, for each algorithm
/// and denial type (skipped where the tools are not installed; CI has them).
#[test]
fn external_verifiers_accept_full_sign() {
    let tools_present = std::process::Command::new("dnssec-verify")
        .arg("-h")
        .output()
        .is_ok();
    if !tools_present && std::env::var_os("CI").is_none() {
        eprintln!("dnssec-verify not installed, skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for alg in [
        Algorithm::EcdsaP256Sha256,
        Algorithm::Ed25519,
        Algorithm::RsaSha256,
    ] {
        for (denial, opt_out) in [("nsec", false), ("nsec3", false), ("nsec3", true)] {
            let pol = policy(alg.mnemonic(), denial, opt_out);
            let now = crate::commit::now();
            let mut s = ZoneSigner::new(n("example."), pol, keys(alg));
            let v = version(&base_records());
            let sealed = s.seal(&v, bump(&v), Scope::Full, now).unwrap();
            let signed = v.apply(&sealed).unwrap();
            let path = dir
                .path()
                .join(format!("{}-{denial}-{opt_out}.zone", alg.mnemonic()));
            let f = std::fs::File::create(&path).unwrap();
            crate::zonefile::write_zone(f, signed.apex(), signed.records_canonical().iter())
                .unwrap();
            let out = std::process::Command::new("dnssec-verify")
                .args(["-o", "example."])
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "dnssec-verify {alg:?} {denial}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let out = std::process::Command::new("ldns-verify-zone")
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "ldns-verify-zone {alg:?} {denial}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// A full pass in the refresh window re-signs every signature, the NSEC3
/// records' included, and nothing is left close to expiry.
#[test]
fn full_pass_refreshes_every_signature() {
    let v = version(&base_records());
    let keys = keys(Algorithm::Ed25519);
    let mut s = ZoneSigner::new(
        n("example."),
        policy("ed25519", "nsec3", false),
        keys.clone(),
    );
    let (signed, _) = seal_apply(&mut s, &v, bump(&v), Scope::Full);
    let later = NOW + 10 * 86_400;
    let sealed = s.seal(&signed, bump(&signed), Scope::Full, later).unwrap();
    let refreshed = signed.apply(&sealed).unwrap();
    for node in refreshed.nodes() {
        for rd in node.get(RType::RRSIG).into_iter().flat_map(|s| s.rdatas()) {
            let info = super::sign::rrsig_info(rd).unwrap();
            assert!(
                info.expiration as u64 > later + 7 * 86_400,
                "{} {} expires too soon",
                node.owner(),
                info.covered
            );
        }
    }
    check_signatures(&refreshed, &keys);
    assert_eq!(s.earliest_expiration.map(|e| e as u64 > later), Some(true));
}
