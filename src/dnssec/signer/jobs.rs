//! Signing jobs: the RRsets a seal must sign, signed on as many threads as
//! there are cores (at most 8) for big batches, split at owner-name
//! boundaries so a node is never shared between threads. Expirations are
//! spread over the policy's jitter so that later refreshes spread too.

use super::{SignError, ZoneSigner};
use crate::dnssec::policy::INCEPTION_BACKDATE;
use crate::dnssec::sign::{sign_rrset, SigTimes};
use crate::rdata::RType;
use crate::zone::node::Node;
use crate::zone::record::Record;

impl ZoneSigner {
    /// Signs every job, on two threads for big batches (split at owner
    /// boundaries so one node is never shared between threads).
    pub(super) fn run_jobs(
        &self,
        jobs: &[Job<'_>],
        now: u64,
    ) -> Result<Vec<(Record, u32)>, SignError> {
        let threads = if jobs.len() >= 2048 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(8)
        } else {
            1
        };
        // An update's few signatures: no thread to start.
        if threads == 1 {
            return self.sign_chunk(jobs, now, 0);
        }
        // Many small chunks handed out in turn, so that a thread slowed by
        // other work on the machine does not leave the others idle at the
        // end. A chunk never splits one owner's jobs.
        let mut bounds = vec![0usize];
        while let Some(&last) = bounds.last() {
            if last >= jobs.len() {
                break;
            }
            let mut at = (last + CHUNK).min(jobs.len());
            while at < jobs.len() && jobs[at].node.owner_wire() == jobs[at - 1].node.owner_wire() {
                at += 1;
            }
            bounds.push(at);
        }
        let chunks: Vec<&[Job<'_>]> = bounds.windows(2).map(|w| &jobs[w[0]..w[1]]).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        type Done = Vec<(usize, Result<Vec<(Record, u32)>, SignError>)>;
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
                            mine.push((i, self.sign_chunk(chunk, now, seed)));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join().unwrap_or_else(|_| {
                        vec![(0, Err(SignError::Key(crate::dnssec::keys::KeyError::Sign)))]
                    })
                })
                .collect()
        });
        done.sort_unstable_by_key(|d| d.0);
        let mut out = Vec::with_capacity(jobs.len());
        for (_, r) in done {
            out.extend(r?);
        }
        Ok(out)
    }

    fn sign_chunk(
        &self,
        jobs: &[Job<'_>],
        now: u64,
        seed: u64,
    ) -> Result<Vec<(Record, u32)>, SignError> {
        let mut out = Vec::with_capacity(jobs.len());
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
            out.push((Record::new(owner, RType::RRSIG, set.ttl, rd), expiration));
        }
        Ok(out)
    }
}

/// Jobs per work unit of a parallel signing pass (a few milliseconds of
/// work each).
const CHUNK: usize = 512;

/// One RRset to sign with one key.
pub(super) struct Job<'a> {
    pub(super) node: &'a Node,
    pub(super) rtype: RType,
    pub(super) key: usize,
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
