//! Decoding a response into the parts the differential test compares:
//! rcode, AA, TC, the echoed question, EDNS presence and DO, and the
//! sections as sets of presentation-format records.

use hickory_proto::op::Message;
use hickory_proto::rr::{Record, RecordType};
use std::collections::BTreeSet;

/// One server's answer to one query, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Answered(Outcome),
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub rcode: String,
    pub aa: bool,
    pub tc: bool,
    pub question: String,
    /// `Some(do_bit)` when the response carries an OPT record.
    pub edns: Option<bool>,
    pub answer: BTreeSet<String>,
    /// SOA and NS records of the authority section, and in signed zones
    /// DS, NSEC, NSEC3 and their RRSIGs.
    pub authority: BTreeSet<String>,
    /// Address records (A, AAAA) of the additional section; only those of
    /// name servers in the authority section are compared (see `glue`).
    pub addresses: BTreeSet<String>,
    /// Types present in the additional section, for reports only.
    pub additional_types: BTreeSet<String>,
}

impl Outcome {
    /// In-domain glue: address records in the additional section for name
    /// servers at or below the owner of an NS RRset in the authority section.
    ///
    /// RFC 9471 §3.1: a referral MUST carry all in-domain glue (or set TC);
    /// §3.2: sibling glue (name servers elsewhere in the parent zone) SHOULD
    /// be included, so its presence is a permitted difference and not
    /// compared. Other additional-section content is optional (RFC 1034
    /// §4.3.2 step 6) and not compared either.
    pub fn glue(&self) -> BTreeSet<String> {
        let targets: BTreeSet<String> = self
            .authority
            .iter()
            .filter(|r| is_type(r, "NS"))
            .filter_map(|r| Some((field(r, 0)?, field(r, 4)?)))
            .map(|(owner, target)| (owner.to_ascii_lowercase(), target.to_ascii_lowercase()))
            .filter(|(owner, target)| is_at_or_below(target, owner))
            .map(|(_, target)| target)
            .collect();
        self.addresses
            .iter()
            .filter(|r| {
                field(r, 0).is_some_and(|owner| targets.contains(&owner.to_ascii_lowercase()))
            })
            .cloned()
            .collect()
    }
}

/// Whether `name` equals `ancestor` or is below it (both lower case, absolute).
fn is_at_or_below(name: &str, ancestor: &str) -> bool {
    name == ancestor || name.ends_with(&format!(".{ancestor}"))
}

/// Whether a rendered record ("owner ttl class type rdata") has this type.
pub fn is_type(record: &str, rtype: &str) -> bool {
    field(record, 3) == Some(rtype)
}

/// The n-th whitespace-separated field of a rendered record.
pub fn field(record: &str, n: usize) -> Option<&str> {
    record.split_whitespace().nth(n)
}

pub fn decode(raw: Result<Vec<u8>, String>) -> Reply {
    let bytes = match raw {
        Ok(bytes) => bytes,
        Err(why) => return Reply::Failed(why),
    };
    match Message::from_vec(&bytes) {
        Ok(msg) => Reply::Answered(outcome_of(&msg)),
        Err(e) => Reply::Failed(format!("undecodable response: {e}")),
    }
}

fn outcome_of(msg: &Message) -> Outcome {
    let meta = &msg.metadata;
    let authority: BTreeSet<String> = msg
        .authorities
        .iter()
        .filter(|r| {
            matches!(
                r.record_type(),
                RecordType::SOA
                    | RecordType::NS
                    | RecordType::DS
                    | RecordType::NSEC
                    | RecordType::NSEC3
                    | RecordType::RRSIG
            )
        })
        .map(render)
        .collect();
    Outcome {
        rcode: rcode_name(u16::from(meta.response_code)),
        aa: meta.authoritative,
        tc: meta.truncation,
        question: msg
            .queries
            .iter()
            .map(|q| q.to_string())
            .collect::<Vec<_>>()
            .join(" | "),
        edns: msg.edns.as_ref().map(|e| e.flags().dnssec_ok),
        answer: msg.answers.iter().map(render).collect(),
        addresses: msg
            .additionals
            .iter()
            .filter(|r| matches!(r.record_type(), RecordType::A | RecordType::AAAA))
            .map(render)
            .collect(),
        authority,
        additional_types: msg
            .additionals
            .iter()
            .map(|r| r.record_type().to_string())
            .collect(),
    }
}

/// "owner ttl class type rdata", the owner exactly as received.
fn render(record: &Record) -> String {
    format!(
        "{} {} {} {} {}",
        record.name,
        record.ttl,
        record.dns_class,
        record.record_type(),
        record.data
    )
}

fn rcode_name(code: u16) -> String {
    let name = match code {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        9 => "NOTAUTH",
        _ => return format!("RCODE{code}"),
    };
    name.to_string()
}
