//! Step 4 of a seal: which signatures each node needs, and making them.
//! A node's existing RRSIGs are kept or dropped, the missing ones become
//! jobs (one RRset, one key), and the jobs are signed. For big batches
//! this runs on as many threads as there are cores (at most 8), the nodes
//! handed out in small chunks so a node is never shared between threads.
//! Expirations are spread over the policy's jitter so that later
//! refreshes spread too.

use super::{Changed, SignError, ZoneSigner};
use crate::dnssec::chain::status;
use crate::dnssec::policy::INCEPTION_BACKDATE;
use crate::dnssec::sign::{rrsig_info, sign_rrset, time_before, SigTimes};
use crate::rdata::RType;
use crate::zone::node::Node;
use crate::zone::record::Record;
use crate::zone::version::ZoneVersion;

/// What step 4 changes, and the earliest expiration among the signatures
/// it kept or made.
#[derive(Default)]
pub(super) struct Signed {
    pub(super) removed: Vec<Record>,
    pub(super) added: Vec<Record>,
    pub(super) earliest: Option<u32>,
}

impl Signed {
    fn saw(&mut self, expiration: u32) {
        self.earliest = Some(match self.earliest {
            Some(e) if time_before(e, expiration) => e,
            _ => expiration,
        });
    }
}

impl ZoneSigner {
    /// The signatures of `nodes` in `v`: planned and made per chunk of
    /// nodes, on several threads for big batches. The result keeps the
    /// order of `nodes`.
    pub(super) fn sign_nodes(
        &self,
        v: &ZoneVersion,
        nodes: &[&Node],
        changed: &Changed,
        now: u64,
    ) -> Result<Signed, SignError> {
        let threads = if nodes.len() >= 1024 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(8)
        } else {
            1
        };
        // An update's few signatures: no thread to start.
        if threads == 1 {
            return self.sign_chunk(v, nodes, changed, now, 0);
        }
        // Many small chunks handed out in turn, so that a thread slowed by
        // other work on the machine does not leave the others idle at the
        // end.
        let chunks: Vec<&[&Node]> = nodes.chunks(CHUNK).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        type Done = Vec<(usize, Result<Signed, SignError>)>;
        let mut done: Done = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (chunks, next) = (&chunks, &next);
                    s.spawn(move || {
                        let mut mine: Done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(chunk) = chunks.get(i) else {
                                return mine;
                            };
                            let seed = (t as u64) << 32 | i as u64;
                            mine.push((i, self.sign_chunk(v, chunk, changed, now, seed)));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        done.sort_unstable_by_key(|d| d.0);
        let mut out = Signed::default();
        for (_, r) in done {
            let r = r?;
            out.removed.extend(r.removed);
            out.added.extend(r.added);
            if let Some(e) = r.earliest {
                out.saw(e);
            }
        }
        Ok(out)
    }

    /// Plans and signs one chunk of nodes.
    fn sign_chunk(
        &self,
        v: &ZoneVersion,
        nodes: &[&Node],
        changed: &Changed,
        now: u64,
        seed: u64,
    ) -> Result<Signed, SignError> {
        let mut out = Signed::default();
        let mut jobs: Vec<Job<'_>> = Vec::with_capacity(nodes.len() * 2);
        let mut owner = Vec::new();
        for node in nodes {
            owner.clear();
            owner.extend_from_slice(node.owner_wire());
            crate::zone::name::lowercase_wire(&mut owner);
            self.plan_node(
                v,
                node,
                &owner,
                changed.get(&owner),
                now,
                &mut out,
                &mut jobs,
            );
        }
        self.sign_jobs(&jobs, now, seed, &mut out)?;
        Ok(out)
    }

    /// The signatures one node needs: its RRSIGs that stay (noted in
    /// `out.earliest`), those that go (`out.removed`), and the jobs for
    /// the missing ones. `owner` is its name lowercased; `forced` the
    /// types whose RRsets changed there.
    #[allow(clippy::too_many_arguments)]
    fn plan_node<'a>(
        &self,
        v: &ZoneVersion,
        node: &'a Node,
        owner: &[u8],
        forced: Option<&Vec<RType>>,
        now: u64,
        out: &mut Signed,
        jobs: &mut Vec<Job<'a>>,
    ) {
        let refresh_until = (now + self.policy.rrsig_refresh) as u32;
        let now32 = now as u32;
        let st = status(v, owner);
        let is_apex = owner.len() == self.apex_lower.len();
        let wanted: Vec<RType> = if !st.exists || st.occluded {
            Vec::new()
        } else if st.nsec3_owner {
            vec![RType::NSEC3]
        } else {
            node.rrsets()
                .map(|s| s.rtype)
                .filter(|t| *t != RType::RRSIG)
                .filter(|t| !st.delegation || matches!(*t, RType::DS | RType::NSEC))
                .collect()
        };
        let signers = |t: RType| {
            let keyset = is_apex && matches!(t, RType::DNSKEY | RType::CDS | RType::CDNSKEY);
            self.keys.iter().enumerate().filter_map(move |(i, k)| {
                let signs = if keyset {
                    k.signs_keyset()
                } else {
                    k.signs_data()
                };
                signs.then_some(i)
            })
        };
        // Which (type, key) pairs already have a good signature.
        let mut have: Vec<(RType, usize)> = Vec::new();
        if let Some(sigs) = node.get(RType::RRSIG) {
            for rd in sigs.rdatas() {
                let keep = rrsig_info(rd).and_then(|info| {
                    if !wanted.contains(&info.covered)
                        || forced.is_some_and(|f| f.contains(&info.covered))
                        || !time_before(refresh_until, info.expiration)
                        || time_before(now32, info.inception)
                    {
                        return None;
                    }
                    let ttl_ok = node
                        .get(info.covered)
                        .is_some_and(|s| s.ttl == info.original_ttl);
                    let k = signers(info.covered).find(|&i| {
                        let kp = &self.keys[i].pair;
                        kp.key_tag() == info.key_tag && kp.algorithm.number() == info.algorithm
                    })?;
                    (ttl_ok && !have.contains(&(info.covered, k))).then_some((info, k))
                });
                match keep {
                    Some((info, k)) => {
                        have.push((info.covered, k));
                        out.saw(info.expiration);
                    }
                    None => out
                        .removed
                        .push(Record::new(node.owner(), RType::RRSIG, sigs.ttl, rd)),
                }
            }
        }
        for t in wanted {
            for key in signers(t) {
                if !have.contains(&(t, key)) {
                    jobs.push(Job {
                        node,
                        rtype: t,
                        key,
                    });
                }
            }
        }
    }

    /// Makes the signatures of `jobs`, adding them to `out`.
    fn sign_jobs(
        &self,
        jobs: &[Job<'_>],
        now: u64,
        seed: u64,
        out: &mut Signed,
    ) -> Result<(), SignError> {
        out.added.reserve(jobs.len());
        let mut rng = Jitter::new(now ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let inception = now.saturating_sub(INCEPTION_BACKDATE) as u32;
        let base = now + self.policy.rrsig_validity;
        for job in jobs {
            let Some(set) = job.node.get(job.rtype) else {
                continue;
            };
            let expiration = (base - rng.below(self.policy.rrsig_jitter + 1)) as u32;
            let owner = job.node.owner();
            let rd = sign_rrset(
                &owner,
                job.rtype,
                crate::rdata::Class::IN,
                set.ttl,
                set.rdatas(),
                &self.keys[job.key].pair,
                &self.apex_lower,
                SigTimes {
                    inception,
                    expiration,
                },
            )?;
            out.added
                .push(Record::new(owner, RType::RRSIG, set.ttl, rd));
            out.saw(expiration);
        }
        Ok(())
    }
}

/// Nodes per work unit of a parallel signing pass (a few milliseconds of
/// work each).
const CHUNK: usize = 256;

/// One RRset to sign with one key.
struct Job<'a> {
    node: &'a Node,
    rtype: RType,
    key: usize,
}

/// A small xorshift generator for spreading expirations (not secret).
struct Jitter(u64);

impl Jitter {
    fn new(seed: u64) -> Jitter {
        let mut bytes = [0u8; 8];
        let _ = getrandom::fill(&mut bytes);
        Jitter((u64::from_le_bytes(bytes) ^ seed) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        if n == 0 {
            0
        } else {
            self.0 % n
        }
    }
}
