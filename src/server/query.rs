//! The answer logic of an authoritative server (RFC 1034 §4.3.2), with
//! negative answers (RFC 2308), wildcards (RFC 4592), DNAME (RFC 6672),
//! EDNS (RFC 6891), minimal ANY (RFC 8482) and glue (RFC 9471).
//!
//! A lookup walks the question name from the zone apex down, one hash
//! probe per label: a missing name ends the walk at the closest encloser
//! (empty non-terminals are real nodes, so a missing name means nothing
//! exists below it either); a delegation or a DNAME met on the way wins
//! over anything deeper. Wildcards are then one more probe for `*.` plus
//! the closest encloser. No answer scans the zone.
//!
//! With DO=1 and a signed zone (one that holds NSEC or NSEC3 records) the
//! answer is signed as RFC 4035 §3.1 asks: every answer and authority
//! RRset with its RRSIGs (delegation NS and glue excepted), the DS or its
//! denial in referrals, and denial proofs chosen by `server::denial` —
//! queued while the answer section is written and put in the authority
//! section afterwards, so sections stay in order through CNAME chains.
//! Without DO nothing of this runs and the answer is what it always was.

use std::borrow::Cow;

use crate::rdata::{Class, RType};
use crate::server::catalog::Catalog;
use crate::server::denial::Chain;
use crate::wire::builder::{Full, MessageBuilder, Section};
use crate::wire::message::{flags, opcode, rcode, Request};
use crate::zone::name::{label_count_wire, strip_left_wire, Name, MAX_NAME_LEN};
use crate::zone::node::{Node, RRsetRef};
use crate::zone::version::ZoneVersion;

/// Longest CNAME/DNAME chain followed inside a zone.
const MAX_CHAIN: usize = 12;
/// The OPT record we append: root owner, type, class, ttl, rdlen.
const OPT_LEN: usize = 11;

/// How the request arrived, which sets the size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// Server-wide answer settings.
#[derive(Debug, Clone, Copy)]
pub struct AnswerOptions {
    /// Largest UDP answer we send (and advertise in OPT).
    pub udp_payload_max: u16,
}

impl Default for AnswerOptions {
    fn default() -> Self {
        AnswerOptions {
            udp_payload_max: 1232,
        }
    }
}

/// Writes the answer to `req` into `out`.
pub fn answer(
    req: &Request<'_>,
    catalog: &Catalog,
    opts: &AnswerOptions,
    transport: Transport,
    tsig_reserve: usize,
    out: &mut MessageBuilder,
) {
    let limit = match (transport, req.edns) {
        (Transport::Tcp, _) => u16::MAX as usize,
        (Transport::Udp, None) => 512,
        (Transport::Udp, Some(e)) => {
            (e.udp_size.max(512)).min(opts.udp_payload_max.max(512)) as usize
        }
    };
    // Room for the OPT record and a TSIG record added after the answer.
    let limit = limit.saturating_sub(tsig_reserve);
    let reserve = if req.edns.is_some() { OPT_LEN } else { 0 };
    let resp_flags = flags::QR | (req.flags & (0x7800 | flags::RD | flags::CD));
    out.start(
        req.id,
        resp_flags,
        Some((req.qname, req.qtype.0, req.qclass.0)),
        limit - reserve,
    );

    let mut ext_rcode = 0u8;
    let rc = if req.edns.is_some_and(|e| e.version > 0) {
        // RFC 6891 §6.1.3: BADVERS, no answer.
        ext_rcode = (rcode::BADVERS >> 4) as u8;
        rcode::BADVERS & 0xF
    } else if req.opcode != opcode::QUERY {
        rcode::NOTIMP
    } else if req.qtype == RType::OPT {
        rcode::FORMERR
    } else if matches!(req.qtype, RType::AXFR | RType::IXFR) {
        // Zone transfers are refused unless configured (not yet offered).
        rcode::REFUSED
    } else if req.qtype.is_meta() && req.qtype != RType::ANY {
        rcode::NOTIMP
    } else if req.qclass != Class::IN {
        rcode::REFUSED
    } else {
        match ds_zone(catalog, req, catalog.find(req.qname_lc())) {
            None => rcode::REFUSED,
            Some(zone) => {
                let version = zone.load();
                // DNSSEC records only for DO=1 and a signed zone (RFC 4035 §3.1).
                let chain = if req.dnssec_ok() {
                    Chain::of(&version)
                } else {
                    None
                };
                let mut ans = Answer {
                    v: &version,
                    out,
                    transport,
                    qtype: req.qtype,
                    truncated: false,
                    chain,
                    proofs: Vec::new(),
                    extra: None,
                };
                let rc = ans.resolve(req.qname, req.qname_lc());
                if ans.truncated {
                    out.rollback_to_question();
                    out.set_flags(flags::TC, 0);
                }
                rc
            }
        }
    };
    out.set_rcode(rc);
    if let Some(e) = req.edns {
        out.set_limit(limit);
        out.push_opt(opts.udp_payload_max, ext_rcode, e.dnssec_ok);
    }
}

/// RFC 4035 §3.1.4.1: a DS query for the apex of a zone we serve is
/// answered from its parent when we serve that too (the DS lives on the
/// parent side of the cut).
fn ds_zone<'c>(
    catalog: &'c Catalog,
    req: &Request<'_>,
    found: Option<&'c std::sync::Arc<crate::zone::Zone>>,
) -> Option<&'c std::sync::Arc<crate::zone::Zone>> {
    let zone = found?;
    if req.qtype != RType::DS || zone.name().as_wire().len() != req.qname_lc().len() {
        return Some(zone);
    }
    let parent = strip_left_wire(req.qname_lc(), 1);
    if parent.len() == req.qname_lc().len() {
        return Some(zone);
    }
    Some(catalog.find(parent).unwrap_or(zone))
}

/// The state of one answer being built.
struct Answer<'a, 'b> {
    v: &'a ZoneVersion,
    out: &'b mut MessageBuilder,
    transport: Transport,
    qtype: RType,
    truncated: bool,
    /// The zone's denial chain when the answer is signed (DO=1).
    chain: Option<Chain<'a>>,
    /// NSEC/NSEC3 nodes that go to the authority section at the end.
    proofs: Vec<&'a Node>,
    /// The final answer RRset whose targets get additional addresses;
    /// written last so that sections stay in order.
    extra: Option<RRsetRef<'a>>,
}

/// Where a name leads in a zone.
enum Lookup<'a> {
    /// The name exists (possibly as an empty non-terminal).
    Exact(&'a Node),
    /// The name is at or below a delegation.
    Referral(&'a Node),
    /// The name is below a DNAME.
    Dname(&'a Node),
    /// The name does not exist; a wildcard at the closest encloser matches.
    Wildcard(&'a Node),
    /// The name does not exist.
    NxDomain,
}

impl<'a> Answer<'a, '_> {
    /// Finds what `lc` (lowercase wire, inside the zone) leads to.
    fn lookup(&self, lc: &[u8], qtype: RType) -> Lookup<'a> {
        let v = self.v;
        let rel = label_count_wire(lc).saturating_sub(v.apex_labels());
        let mut ce_wire = v.apex().as_wire();
        // Ancestors strictly between the apex and the name, top down.
        for k in (1..rel).rev() {
            let suffix = strip_left_wire(lc, k);
            match v.find(suffix) {
                None => return self.no_name(ce_wire),
                Some(node) => {
                    if node.has(RType::NS) {
                        return Lookup::Referral(node);
                    }
                    if node.has(RType::DNAME) {
                        return Lookup::Dname(node);
                    }
                    ce_wire = suffix;
                }
            }
        }
        match v.find(lc) {
            Some(node) => {
                // At a delegation point only DS is answered from this side
                // (RFC 4035 §3.1.4.1); everything else is a referral.
                if rel > 0 && node.has(RType::NS) && qtype != RType::DS {
                    Lookup::Referral(node)
                } else {
                    Lookup::Exact(node)
                }
            }
            None => self.no_name(ce_wire),
        }
    }

    /// The name does not exist below `ce` (its closest encloser): a
    /// wildcard `*.ce` may match (RFC 4592 §3.3.1).
    fn no_name(&self, ce: &[u8]) -> Lookup<'a> {
        let mut buf = [0u8; MAX_NAME_LEN + 2];
        if ce.len() + 2 > MAX_NAME_LEN {
            return Lookup::NxDomain;
        }
        buf[0] = 1;
        buf[1] = b'*';
        buf[2..2 + ce.len()].copy_from_slice(ce);
        match self.v.find(&buf[..2 + ce.len()]) {
            Some(w) => Lookup::Wildcard(w),
            None => Lookup::NxDomain,
        }
    }

    /// Answers for `owner` (wire, case to write) following CNAME and DNAME
    /// chains inside the zone; returns the RCODE.
    fn resolve(&mut self, qname: &[u8], qname_lc: &[u8]) -> u16 {
        // Borrowed until a chain is followed: a plain answer allocates nothing.
        let mut owner: Cow<'_, [u8]> = Cow::Borrowed(qname);
        let mut lc: Cow<'_, [u8]> = Cow::Borrowed(qname_lc);
        let mut visited: Vec<Vec<u8>> = Vec::new();
        let mut authoritative = true;
        let mut rc = rcode::NOERROR;
        for _ in 0..MAX_CHAIN {
            let next = match self.lookup(&lc, self.qtype) {
                // An existing name keeps the case it has in the zone; a
                // synthesized one takes the case it was asked with.
                Lookup::Exact(node) => self.answer_node(node.owner_wire(), &lc, node, false),
                Lookup::Wildcard(node) => self.answer_node(&owner, &lc, node, true),
                Lookup::Referral(cut) => {
                    // AA stays when the referral ends a chain begun with
                    // authoritative data.
                    authoritative = self.out.count(Section::Answer) > 0;
                    self.referral(cut);
                    Step::Done(rcode::NOERROR)
                }
                Lookup::Dname(node) => self.dname(&owner, node),
                Lookup::NxDomain => {
                    self.negative();
                    if let Some(chain) = &self.chain {
                        chain.nxdomain(&lc, &mut self.proofs);
                    }
                    Step::Done(rcode::NXDOMAIN)
                }
            };
            match next {
                Step::Done(code) => {
                    rc = code;
                    break;
                }
                Step::YxDomain => {
                    rc = rcode::YXDOMAIN;
                    break;
                }
                Step::Follow(target) => {
                    let mut t = target.clone();
                    crate::zone::name::lowercase_wire(&mut t);
                    let in_zone =
                        Name::from_wire(&t).is_ok_and(|n| n.is_subdomain_of(self.v.apex()));
                    visited.push(lc.into_owned());
                    if !in_zone || visited.contains(&t) {
                        // The chain leaves the zone (or loops): the answer
                        // so far is complete.
                        break;
                    }
                    owner = Cow::Owned(target);
                    lc = Cow::Owned(t);
                }
            }
        }
        self.flush_proofs();
        if let Some(set) = self.extra.take() {
            self.additional_for(set);
        }
        if authoritative {
            self.out.set_flags(flags::AA, 0);
        }
        rc
    }

    /// Answers from a node that matched `lc` (exactly, or as a wildcard
    /// when `wild`).
    fn answer_node(&mut self, owner: &[u8], lc: &[u8], node: &'a Node, wild: bool) -> Step {
        let qtype = self.qtype;
        if qtype == RType::ANY {
            return self.any(owner, lc, node, wild);
        }
        if qtype == RType::RRSIG {
            if let Some(sigs) = node.get(RType::RRSIG) {
                self.rrsig_answer(owner, node, sigs);
                self.prove_expansion(lc, node, wild);
                return Step::Done(rcode::NOERROR);
            }
        }
        if let Some(set) = node.get(qtype) {
            self.push_signed(Section::Answer, owner, node, set);
            self.extra = Some(set);
            self.prove_expansion(lc, node, wild);
            return Step::Done(rcode::NOERROR);
        }
        if let Some(cname) = node.get(RType::CNAME) {
            self.push_signed(Section::Answer, owner, node, cname);
            self.prove_expansion(lc, node, wild);
            return match cname.first() {
                Some(target) => Step::Follow(target.to_vec()),
                None => Step::Done(rcode::NOERROR),
            };
        }
        self.nodata(lc, node, wild);
        Step::Done(rcode::NOERROR)
    }

    /// NODATA: the SOA, and with DO=1 the proof that the type is absent.
    fn nodata(&mut self, lc: &[u8], node: &'a Node, wild: bool) {
        self.negative();
        if let Some(chain) = &self.chain {
            if wild {
                chain.wildcard_nodata(lc, node, &mut self.proofs);
            } else {
                chain.nodata(lc, node, &mut self.proofs);
            }
        }
    }

    /// With DO=1, an answer synthesized from a wildcard carries the proof
    /// that the query name itself does not exist.
    fn prove_expansion(&mut self, lc: &[u8], wild_node: &'a Node, wild: bool) {
        if let (true, Some(chain)) = (wild, &self.chain) {
            chain.wildcard_answer(lc, wild_node, &mut self.proofs);
        }
    }

    /// RFC 8482 §4.2: over UDP one RRset stands for all; over TCP all of them.
    fn any(&mut self, owner: &[u8], lc: &[u8], node: &'a Node, wild: bool) -> Step {
        if node.is_empty() {
            self.nodata(lc, node, wild);
            return Step::Done(rcode::NOERROR);
        }
        let signed = self.chain.is_some();
        for set in node.rrsets() {
            // Signatures travel with the RRset they cover.
            if signed && set.rtype == RType::RRSIG {
                continue;
            }
            self.push_signed(Section::Answer, owner, node, set);
            if self.transport == Transport::Udp {
                break;
            }
        }
        self.prove_expansion(lc, node, wild);
        Step::Done(rcode::NOERROR)
    }

    /// An explicit RRSIG query: each signature with the TTL of the RRset
    /// it covers (RFC 4034 §3). Like ANY (RFC 8482 §4.2), over UDP only
    /// the signatures of one covered type are sent, which keeps the answer
    /// small; over TCP all of them.
    fn rrsig_answer(&mut self, owner: &[u8], node: &Node, sigs: RRsetRef<'_>) {
        let first = sigs.first().and_then(|rd| rd.get(..2));
        let mark = self.out.mark();
        for rd in sigs.rdatas() {
            if self.transport == Transport::Udp && rd.get(..2) != first {
                continue;
            }
            let ttl = node.record_ttl(&sigs, rd);
            if self
                .out
                .push_rr(Section::Answer, owner, RType::RRSIG, 1, ttl, rd)
                .is_err()
            {
                self.out.rollback(mark);
                self.truncated = true;
                return;
            }
        }
    }

    /// RFC 6672 §3.1: the DNAME, a synthesized CNAME, then the new name.
    fn dname(&mut self, owner: &[u8], node: &'a Node) -> Step {
        let Some(set) = node.get(RType::DNAME) else {
            return Step::Done(rcode::SERVFAIL);
        };
        self.push_signed(Section::Answer, node.owner_wire(), node, set);
        let Some(target) = set.first() else {
            return Step::Done(rcode::SERVFAIL);
        };
        let keep = owner.len() - node.owner_wire().len();
        if keep + target.len() > MAX_NAME_LEN {
            return Step::YxDomain;
        }
        let mut synth = Vec::with_capacity(keep + target.len());
        synth.extend_from_slice(&owner[..keep]);
        synth.extend_from_slice(target);
        if self
            .out
            .push_rr(Section::Answer, owner, RType::CNAME, 1, set.ttl, &synth)
            .is_err()
        {
            self.truncated = true;
            return Step::Done(rcode::NOERROR);
        }
        if self.qtype == RType::CNAME {
            // The synthesized CNAME is the answer (RFC 1034 §4.3.2 step 3a).
            return Step::Done(rcode::NOERROR);
        }
        Step::Follow(synth)
    }

    /// A delegation: NS in authority, glue in additional (AA left clear).
    fn referral(&mut self, cut: &'a Node) {
        let Some(ns) = cut.get(RType::NS) else { return };
        self.push(Section::Authority, cut.owner_wire(), ns);
        // RFC 4035 §3.1.4: the signed DS, or the proof that there is none.
        if let Some(chain) = &self.chain {
            match cut.get(RType::DS) {
                Some(ds) => self.push_signed(Section::Authority, cut.owner_wire(), cut, ds),
                None => chain.no_ds(cut, &mut self.proofs),
            }
            self.flush_proofs();
        }
        let cut_name = cut.owner();
        for target in ns.rdatas() {
            let Ok(t) = Name::from_wire(target) else {
                continue;
            };
            if !t.is_subdomain_of(self.v.apex()) {
                continue;
            }
            // Glue below the cut must fit (RFC 9471 §3); sibling glue may be left out.
            let required = t.is_subdomain_of(&cut_name);
            if let Some(node) = self.v.find(target) {
                for rtype in [RType::A, RType::AAAA] {
                    if let Some(set) = node.get(rtype) {
                        let r = self.out.push_rrset(
                            Section::Additional,
                            target,
                            rtype,
                            1,
                            set.ttl,
                            set.rdatas(),
                        );
                        if r.is_err() && required && self.transport == Transport::Udp {
                            self.truncated = true;
                        }
                    }
                }
            }
        }
    }

    /// The SOA in authority for NXDOMAIN and NODATA (RFC 2308 §3).
    fn negative(&mut self) {
        let v = self.v;
        if let Some(soa) = v.soa() {
            let ttl = v.negative_ttl();
            let r = self.out.push_rrset(
                Section::Authority,
                v.apex().as_wire(),
                RType::SOA,
                1,
                ttl,
                soa.rdatas(),
            );
            if r.is_err() {
                self.truncated = true;
            }
            if let Some(apex) = v.apex_node() {
                self.push_sigs(
                    Section::Authority,
                    v.apex().as_wire(),
                    apex,
                    RType::SOA,
                    ttl,
                );
            }
        }
    }

    /// Addresses of the names an NS, MX or SRV answer points to, when this
    /// zone has them; left out quietly when they do not fit.
    fn additional_for(&mut self, set: RRsetRef<'a>) {
        let offset = match set.rtype {
            RType::NS => 0,
            RType::MX => 2,
            RType::SRV => 6,
            _ => return,
        };
        for rd in set.rdatas() {
            let Some(target) = rd.get(offset..) else {
                continue;
            };
            let Ok(len) = Name::wire_len(target) else {
                continue;
            };
            let target = &target[..len];
            if let Some(node) = self.v.find(target) {
                for rtype in [RType::A, RType::AAAA] {
                    if let Some(addr) = node.get(rtype) {
                        let _ = self.out.push_rrset(
                            Section::Additional,
                            target,
                            rtype,
                            1,
                            addr.ttl,
                            addr.rdatas(),
                        );
                        // RFC 4035 §3.1.1: signatures in additional may be
                        // dropped, and never set TC.
                        if self.chain.is_some() {
                            let _ =
                                self.try_sigs(Section::Additional, target, node, rtype, addr.ttl);
                        }
                    }
                }
            }
        }
    }

    /// [`Answer::push`] plus, with DO=1, the RRset's signatures.
    fn push_signed(&mut self, section: Section, owner: &[u8], node: &'a Node, set: RRsetRef<'_>) {
        self.push(section, owner, set);
        self.push_sigs(section, owner, node, set.rtype, set.ttl);
    }

    /// With DO=1, the RRSIGs at `node` covering `rtype`, each with the TTL
    /// of the covered RRset; required (TC when they do not fit).
    fn push_sigs(&mut self, section: Section, owner: &[u8], node: &Node, rtype: RType, ttl: u32) {
        if self.chain.is_none() || self.truncated || rtype == RType::RRSIG {
            return;
        }
        if self.try_sigs(section, owner, node, rtype, ttl).is_err() {
            self.truncated = true;
        }
    }

    /// Writes the RRSIGs covering `rtype` at `node`, all or none.
    fn try_sigs(
        &mut self,
        section: Section,
        owner: &[u8],
        node: &Node,
        rtype: RType,
        ttl: u32,
    ) -> Result<(), Full> {
        let Some(sigs) = node.get(RType::RRSIG) else {
            return Ok(());
        };
        let covered = rtype.0.to_be_bytes();
        let matching = sigs.rdatas().filter(|rd| rd.get(..2) == Some(&covered[..]));
        self.out
            .push_rrset(section, owner, RType::RRSIG, 1, ttl, matching)
    }

    /// Writes the queued denial proofs (NSEC or NSEC3 with signatures) to
    /// the authority section.
    fn flush_proofs(&mut self) {
        let proofs = std::mem::take(&mut self.proofs);
        for node in &proofs {
            let rtype = if node.has(RType::NSEC3) {
                RType::NSEC3
            } else {
                RType::NSEC
            };
            if let Some(set) = node.get(rtype) {
                self.push_signed(Section::Authority, node.owner_wire(), node, set);
            }
        }
        // Keep the allocation for the next use in this answer.
        self.proofs = proofs;
        self.proofs.clear();
    }

    /// Adds an RRset to a required section; marks truncation if it does not fit.
    fn push(&mut self, section: Section, owner: &[u8], set: RRsetRef<'_>) {
        if self.truncated {
            return;
        }
        let r: Result<(), Full> =
            self.out
                .push_rrset(section, owner, set.rtype, 1, set.ttl, set.rdatas());
        if r.is_err() {
            self.truncated = true;
        }
    }
}

/// What to do after answering for one name.
enum Step {
    Done(u16),
    /// Continue with this name (wire, case as written in the zone).
    Follow(Vec<u8>),
    YxDomain,
}
