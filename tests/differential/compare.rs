//! Comparing two servers' replies field by field, after normalising the
//! differences that the RFCs permit. Each rule was found by diffing knotd
//! with nsd on this query set; nothing else is normalised:
//!
//! | rule | RFC | knotd vs nsd |
//! |---|---|---|
//! | TC=1: sections not compared | RFC 2181 §9 | (none seen; permitted partial sections) |
//! | ANY: any non-empty subset of the RRsets at the name | RFC 8482 §4.1 | knotd and nsd return different single RRsets, over TCP too |
//! | RRSIG query (signed zone): any non-empty subset of the RRSIGs | RFC 8482 §4.1 by analogy | knotd sends one covered type's, nsd all |
//! | DO=1, signed zone: the apex NS's RRSIG in positive answers optional | RFC 4035 §3.1.1 with RFC 2181 §5.4.1 | nsd adds it with the NS, knotd not |
//! | apex NS in the authority section of positive answers optional | RFC 1034 §6.2.1, RFC 2181 §5.4.1 | nsd adds it (and its addresses), knotd not |
//! | mixed-case query: names compared case-insensitively | RFC 4343 §3, §4.1 | nsd compresses against the question's case |
//! | owner names compared case-insensitively | RFC 4343 §4.1 | knotd echoes the question's case, polyzone keeps the zone's |
//! | RRSIG query at a CNAME owner: NODATA or chase | RFC 4035 §2.5 | knotd NODATA, nsd follows the CNAME |
//! | sibling glue not compared, in-domain glue is | RFC 9471 §3.1/§3.2 | (both include it) |
//! | nsd only: referral with partial glue, no TC | nsd 4.6 predates RFC 9471 §3.1 | knotd sets TC |
//! | mixed-case DO=1 query, UDP: TC in one server only | RFC 1035 §4.1.4 (compression optional), RFC 4343 §4.1 | (see `case_kept_compression_tc`) |
//!
//! Additional-section content other than in-domain glue is optional (RFC 1034
//! §4.3.2 step 6) and never compared.

use crate::outcome::{field, is_type, Outcome, Reply};
use crate::queries::{Query, Transport};
use crate::zone::ORIGIN;
use std::collections::BTreeSet;

const ANY: u16 = 255;
const RRSIG: u16 = 46;

/// One field on which two servers disagree for one query.
#[derive(Clone, Debug)]
pub struct Difference {
    pub kind: &'static str,
    pub query: String,
    pub reference: String,
    pub candidate: String,
}

/// Applies the rules for differences the RFCs permit to one reply, in
/// place. Each rule was found by diffing knotd with nsd; nothing else is
/// normalised, so every other difference is a failure.
pub fn normalise(query: &Query, outcome: &mut Outcome) {
    if outcome.tc {
        // RFC 2181 §9: a client ignores a truncated reply and retries over
        // TCP, and the server may leave a partial RRset in it (or none), so
        // only the header (rcode, AA, TC) and EDNS are meaningful.
        outcome.answer.clear();
        outcome.authority.clear();
        outcome.addresses.clear();
    }
    let rrsig_answer = query.qtype == RRSIG && outcome.answer.iter().all(|r| is_type(r, "RRSIG"));
    if (query.qtype == ANY || rrsig_answer)
        && outcome.rcode == "NOERROR"
        && !outcome.answer.is_empty()
    {
        // RFC 8482 §4.1: a responder may answer ANY with one RRset or a
        // larger subset of those at the name; knotd returns one, nsd another,
        // over TCP too. Compared: the answer is non-empty and its owners
        // (the query name, plus the DNAME owner when one redirects it).
        // An explicit RRSIG query in a signed zone is treated alike: knotd
        // sends the signatures of one covered type, nsd all of them.
        let owners: BTreeSet<String> = outcome
            .answer
            .iter()
            .filter_map(|r| field(r, 0))
            .map(str::to_ascii_lowercase)
            .collect();
        outcome.answer = owners
            .into_iter()
            .map(|o| format!("{o} <subset of the RRsets at the name, RFC 8482>"))
            .collect();
    }
    if outcome.rcode == "NOERROR" && !outcome.answer.is_empty() {
        // RFC 1034 §6.2.1 shows a positive answer with an empty authority
        // section, RFC 2181 §5.4.1 ranks NS data found in the authority
        // section of an answer: the apex NS RRset there is optional. nsd
        // adds it, knotd (minimal responses) does not. The NS of a delegation
        // reached through a CNAME is a referral and stays.
        // With DO=1 the NS's signature goes with it.
        outcome.authority.retain(|r| {
            let at_apex = field(r, 0).is_some_and(|o| o.eq_ignore_ascii_case(&apex()));
            let ns_or_its_sig = is_type(r, "NS") || rrsig_covers(r, 2);
            !(at_apex && ns_or_its_sig)
        });
    }
    if query.name.chars().any(|c| c.is_ascii_uppercase()) {
        // RFC 4343 §3: names compare case-insensitively; §4.1: output case
        // is preserved only as far as the server keeps it, and name
        // compression may carry the question's case into owners and rdata.
        // nsd compresses against the mixed-case question, knotd against its
        // own lower-case copy.
        for set in [
            &mut outcome.answer,
            &mut outcome.authority,
            &mut outcome.addresses,
        ] {
            *set = set.iter().map(|r| fold_case(r)).collect();
        }
    } else {
        // RFC 4343 §4.1 leaves the case of an answer's owner to the server:
        // knotd copies the question's case (it compresses against it),
        // polyzone keeps the zone's case (the contract; asserted exactly in
        // tests/e2e_query.rs). Owners are compared case-insensitively.
        for set in [
            &mut outcome.answer,
            &mut outcome.authority,
            &mut outcome.addresses,
        ] {
            *set = set.iter().map(|r| fold_owner(r)).collect();
        }
    }
}

/// Whether a rendered RRSIG covers this type: hickory prints RRSIG rdata
/// as base64, whose first four characters hold the type covered and the
/// algorithm.
fn rrsig_covers(record: &str, rtype: u16) -> bool {
    use base64::Engine;
    is_type(record, "RRSIG")
        && field(record, 4)
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.get(..4)?)
                    .ok()
            })
            .is_some_and(|bytes| bytes.get(..2) == Some(&rtype.to_be_bytes()[..]))
}

/// The record with its owner name in lower case, everything else kept.
fn fold_owner(record: &str) -> String {
    match record.split_once(' ') {
        Some((owner, rest)) => format!("{} {rest}", owner.to_ascii_lowercase()),
        None => record.to_ascii_lowercase(),
    }
}

/// RFC 4035 §2.5: RRSIGs coexist with a CNAME at its owner, so an RRSIG
/// query there matches the owner's own data (RFC 1034 §4.3.2 step 3a) and
/// need not follow the CNAME. In an unsigned zone knotd answers NODATA, nsd
/// follows the chain; both are accepted, so only AA and TC are compared.
fn rrsig_at_cname(query: &Query, reference: &Outcome, candidate: &Outcome) -> bool {
    let chases = |o: &Outcome| {
        o.answer.iter().any(|r| {
            is_type(r, "CNAME")
                && field(r, 0)
                    .is_some_and(|owner| owner.eq_ignore_ascii_case(&format!("{}.", query.name)))
        })
    };
    query.qtype == RRSIG && (chases(reference) || chases(candidate))
}

/// The record with owner and rdata in lower case (class and type kept, so
/// the record can still be classified). Folds text rdata too; the
/// lower-case variant of every query keeps comparing that exactly.
fn fold_case(record: &str) -> String {
    record
        .split(' ')
        .enumerate()
        .map(|(i, f)| {
            if i == 2 || i == 3 {
                f.to_string()
            } else {
                f.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn apex() -> String {
    format!("{ORIGIN}.")
}

/// Differences between the reference's and the candidate's reply.
pub fn compare(query: &Query, reference: &Reply, candidate: &Reply) -> Vec<Difference> {
    let (reference, candidate) = match (reference, candidate) {
        (Reply::Answered(r), Reply::Answered(c)) => (normalised(query, r), normalised(query, c)),
        (r, c) => {
            return vec![difference(
                "response",
                query,
                format!("{r:?}"),
                format!("{c:?}"),
            )]
        }
    };
    let mut found = Vec::new();
    let mut field = |kind, r: String, c: String| {
        if r != c {
            found.push(difference(kind, query, r, c));
        }
    };
    field("aa", reference.aa.to_string(), candidate.aa.to_string());
    field("tc", reference.tc.to_string(), candidate.tc.to_string());
    if rrsig_at_cname(query, &reference, &candidate) {
        return found;
    }
    field("rcode", reference.rcode.clone(), candidate.rcode.clone());
    field(
        "question",
        reference.question.clone(),
        candidate.question.clone(),
    );
    field(
        "edns",
        format!("{:?}", reference.edns),
        format!("{:?}", candidate.edns),
    );
    field("answer", set(&reference.answer), set(&candidate.answer));
    field(
        "authority",
        set(&reference.authority),
        set(&candidate.authority),
    );
    field("glue", set(&reference.glue()), set(&candidate.glue()));
    found
}

/// nsd 4.6 predates RFC 9471 (2023): when a referral's in-domain glue does
/// not fit, it sends part of the glue without TC, where RFC 9471 §3 requires
/// TC=1 (knotd, and polyzone, follow RFC 9471). Used for the nsd peer only;
/// no other server gets this exemption.
pub fn nsd_glue_without_tc(query: &Query, reference: &Reply, candidate: &Reply) -> bool {
    let (Reply::Answered(r), Reply::Answered(c)) = (reference, candidate) else {
        return false;
    };
    query.transport == Transport::Udp
        && r.tc
        && !c.tc
        && c.answer.is_empty()
        && !c.aa
        && c.authority.iter().any(|rec| is_type(rec, "NS"))
}

/// Name compression is optional (RFC 1035 §4.1.4), and a server that keeps
/// the zone's case in owner names (RFC 4343 §4.1; polyzone) cannot point
/// them at a mixed-case question, so its signed reply is a few bytes
/// longer than one compressed against a case-folded copy (knotd). Near the
/// UDP limit one server then sets TC and the other does not; only that
/// combination (mixed case, UDP, DO=1, TC on one side) is excused.
pub fn case_kept_compression_tc(query: &Query, reference: &Reply, candidate: &Reply) -> bool {
    let (Reply::Answered(r), Reply::Answered(c)) = (reference, candidate) else {
        return false;
    };
    query.transport == Transport::Udp
        && query.edns.is_some_and(|e| e.dnssec_ok)
        && query.name.chars().any(|ch| ch.is_ascii_uppercase())
        && r.tc != c.tc
        && r.rcode == c.rcode
}

fn normalised(query: &Query, outcome: &Outcome) -> Outcome {
    let mut outcome = outcome.clone();
    normalise(query, &mut outcome);
    outcome
}

fn difference(
    kind: &'static str,
    query: &Query,
    reference: String,
    candidate: String,
) -> Difference {
    Difference {
        kind,
        query: query.describe(),
        reference,
        candidate,
    }
}

fn set(records: &BTreeSet<String>) -> String {
    if records.is_empty() {
        return "{}".to_string();
    }
    let lines: Vec<&str> = records.iter().map(String::as_str).collect();
    format!("{{ {} }}", lines.join(" ; "))
}
