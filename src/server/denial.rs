//! Authenticated denial of existence for answers with DO=1: which NSEC
//! (RFC 4035 §3.1.3) or NSEC3 (RFC 5155 §7.2) records prove an NXDOMAIN,
//! a NODATA, a wildcard expansion, a wildcard NODATA or an unsigned
//! delegation.
//!
//! Every function here only *chooses* records: it appends the nodes that
//! hold the proving NSEC or NSEC3 RRset to a list, and the answer writer
//! puts each one (with its RRSIGs) in the authority section. Covering
//! records come from the zone's ordered index ([`DenialIndex`]), so a
//! proof costs a few O(log n) searches plus one hash probe per record.
//!
//! A proof that cannot be built (a broken or half-signed chain) is left
//! out rather than invented: the validator then fails the answer, which is
//! the truth about such a zone.

use crate::rdata::RType;
use crate::zone::name::{label_count_wire, strip_left_wire};
use crate::zone::node::Node;
use crate::zone::nsec3::{self, Hash, Nsec3Params};
use crate::zone::ordered::DenialIndex;
use crate::zone::version::ZoneVersion;

/// The denial chain of one signed zone version.
pub(crate) struct Chain<'a> {
    v: &'a ZoneVersion,
    index: &'a DenialIndex,
    /// Set when the zone denies with NSEC3 (apex NSEC3PARAM and a chain).
    nsec3: Option<Nsec3Params<'a>>,
}

/// `*.` + `name` in a stack buffer; `None` when too long.
fn wildcard_of(name: &[u8], buf: &mut [u8; 258]) -> Option<usize> {
    if name.len() + 2 > 255 {
        return None;
    }
    buf[0] = 1;
    buf[1] = b'*';
    buf[2..2 + name.len()].copy_from_slice(name);
    Some(2 + name.len())
}

/// Appends a proof node unless it is already there.
fn add<'a>(out: &mut Vec<&'a Node>, node: Option<&'a Node>) {
    if let Some(n) = node {
        if !out.iter().any(|o| o.owner_wire() == n.owner_wire()) {
            out.push(n);
        }
    }
}

impl<'a> Chain<'a> {
    /// The chain of `v`; `None` for an unsigned zone.
    pub(crate) fn of(v: &'a ZoneVersion) -> Option<Chain<'a>> {
        let index = v.denial()?;
        let nsec3 = if index.nsec3_len() > 0 {
            v.apex_node()
                .and_then(|a| a.get(RType::NSEC3PARAM))
                .and_then(|s| s.rdatas().find_map(Nsec3Params::from_nsec3param))
        } else {
            None
        };
        Some(Chain { v, index, nsec3 })
    }

    /// The node whose NSEC matches or covers `wire`.
    fn nsec(&self, wire: &[u8]) -> Option<&'a Node> {
        let owner = self.index.nsec_at_or_before(wire)?;
        self.v.find(&owner)
    }

    fn nsec3_node(&self, hash: &Hash) -> Option<&'a Node> {
        let owner = nsec3::owner_wire(hash, self.v.apex().as_wire());
        self.v.find(&owner)
    }

    /// The NSEC3 that covers (or matches) the hash of `wire`.
    fn nsec3_cover(&self, p: &Nsec3Params<'_>, wire: &[u8]) -> Option<&'a Node> {
        let h = self.index.nsec3_at_or_before(&p.hash(wire))?;
        self.nsec3_node(&h)
    }

    /// The NSEC3 whose hash is that of `wire`, if it exists.
    fn nsec3_match(&self, p: &Nsec3Params<'_>, wire: &[u8]) -> Option<&'a Node> {
        let h = p.hash(wire);
        if self.index.has_nsec3(&h) {
            self.nsec3_node(&h)
        } else {
            None
        }
    }

    /// The closest encloser of a name that does not exist: its longest
    /// existing ancestor (a suffix of `lc`).
    fn closest_encloser<'n>(&self, lc: &'n [u8]) -> &'n [u8] {
        let rel = label_count_wire(lc).saturating_sub(self.v.apex_labels());
        let mut ce = strip_left_wire(lc, rel);
        for k in (1..rel).rev() {
            let suffix = strip_left_wire(lc, k);
            if self.v.find(suffix).is_none() {
                break;
            }
            ce = suffix;
        }
        ce
    }

    /// RFC 5155 §7.2.1: starting at `from` (an ancestor of `lc`, or `lc`
    /// itself) and walking up, the first name with a matching NSEC3 and the
    /// name one label below it towards `lc` (the next closer name).
    fn closest_provable<'n>(
        &self,
        p: &Nsec3Params<'_>,
        lc: &'n [u8],
        from: &'n [u8],
    ) -> (&'n [u8], Option<&'a Node>, &'n [u8]) {
        let total = label_count_wire(lc);
        let apex = self.v.apex_labels();
        let mut labels = label_count_wire(from);
        loop {
            let cand = strip_left_wire(lc, total - labels);
            let m = self.nsec3_match(p, cand);
            if m.is_some() || labels <= apex {
                let next_closer = strip_left_wire(lc, total.saturating_sub(labels + 1));
                return (cand, m, next_closer);
            }
            labels -= 1;
        }
    }

    /// NXDOMAIN for `lc` (RFC 4035 §3.1.3.2, RFC 5155 §7.2.2).
    pub(crate) fn nxdomain(&self, lc: &[u8], out: &mut Vec<&'a Node>) {
        let ce = self.closest_encloser(lc);
        let mut buf = [0u8; 258];
        match self.nsec3 {
            None => {
                add(out, self.nsec(lc));
                if let Some(n) = wildcard_of(ce, &mut buf) {
                    add(out, self.nsec(&buf[..n]));
                }
            }
            Some(p) => {
                let (cpe, m, next_closer) = self.closest_provable(&p, lc, ce);
                add(out, m);
                add(out, self.nsec3_cover(&p, next_closer));
                if let Some(n) = wildcard_of(cpe, &mut buf) {
                    add(out, self.nsec3_cover(&p, &buf[..n]));
                }
            }
        }
    }

    /// NODATA at an existing name (RFC 4035 §3.1.3.1, RFC 5155 §7.2.3 and
    /// §7.2.4): its own NSEC/NSEC3; for an empty non-terminal under NSEC,
    /// the NSEC that covers it; where opt-out left the name without an
    /// NSEC3 (DS at an insecure delegation), the closest provable encloser
    /// proof.
    pub(crate) fn nodata(&self, lc: &[u8], node: &'a Node, out: &mut Vec<&'a Node>) {
        match self.nsec3 {
            None => {
                if node.has(RType::NSEC) {
                    add(out, Some(node));
                } else {
                    add(out, self.nsec(lc));
                }
            }
            Some(p) => {
                if let Some(m) = self.nsec3_match(&p, lc) {
                    add(out, Some(m));
                    return;
                }
                let parent = strip_left_wire(lc, 1);
                let (_, m, next_closer) = self.closest_provable(&p, lc, parent);
                add(out, m);
                add(out, self.nsec3_cover(&p, next_closer));
            }
        }
    }

    /// A wildcard expansion answered `lc`: prove that `lc` itself does not
    /// exist (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6: the next closer name).
    pub(crate) fn wildcard_answer(&self, lc: &[u8], wild: &Node, out: &mut Vec<&'a Node>) {
        match self.nsec3 {
            None => add(out, self.nsec(lc)),
            Some(p) => {
                let ce_labels = label_count_wire(wild.owner_wire()).saturating_sub(1);
                let total = label_count_wire(lc);
                let next_closer = strip_left_wire(lc, total.saturating_sub(ce_labels + 1));
                add(out, self.nsec3_cover(&p, next_closer));
            }
        }
    }

    /// A wildcard matched `lc` but has no data of the type asked
    /// (RFC 4035 §3.1.3.4, RFC 5155 §7.2.5).
    pub(crate) fn wildcard_nodata(&self, lc: &[u8], wild: &'a Node, out: &mut Vec<&'a Node>) {
        match self.nsec3 {
            None => {
                add(out, self.nsec(lc));
                add(out, Some(wild));
            }
            Some(p) => {
                let ce = strip_left_wire(wild.owner_wire(), 1);
                let total = label_count_wire(lc);
                let next_closer =
                    strip_left_wire(lc, total.saturating_sub(label_count_wire(ce) + 1));
                add(out, self.nsec3_match(&p, ce));
                add(out, self.nsec3_cover(&p, next_closer));
                add(out, self.nsec3_match(&p, wild.owner_wire()));
            }
        }
    }

    /// A referral to a delegation without DS (RFC 4035 §3.1.4.1, RFC 5155
    /// §7.2.7): the NSEC/NSEC3 of the cut, or with opt-out the closest
    /// provable encloser and the opt-out NSEC3 covering the next closer.
    pub(crate) fn no_ds(&self, cut: &'a Node, out: &mut Vec<&'a Node>) {
        let mut lc = [0u8; 255];
        let wire = cut.owner_wire();
        let n = wire.len().min(lc.len());
        for (d, s) in lc[..n].iter_mut().zip(wire) {
            *d = s.to_ascii_lowercase();
        }
        self.nodata(&lc[..n], cut, out);
    }
}

#[cfg(test)]
#[path = "denial_tests.rs"]
mod tests;
