//! The signing floor for `scripts/bench/sign.sh`: how many ECDSA P-256
//! signatures per second this machine makes with the library polyzone
//! signs with, on one thread and on every core. A full signing pass cannot
//! take less than its signature count divided by the second figure, however
//! the rest of the pass is organised.
//!
//! `cargo run --release --example sign_floor -- 20000` prints
//! `threads T per_thread_us U total_per_s R`, one line for 1 thread and one
//! for all cores.

use std::time::Instant;

use polyzone::dnssec::keys::{Algorithm, KeyPair};

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(20_000);
    let key = KeyPair::generate(Algorithm::EcdsaP256Sha256, 256)
        .map_err(|e| anyhow::anyhow!("key generation: {e}"))?;
    // About the size of the signed data of a one-record RRset.
    let data = [0x5au8; 90];
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    for threads in [1, cores] {
        let started = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    for _ in 0..n {
                        std::hint::black_box(key.sign(&data).ok());
                    }
                });
            }
        });
        let secs = started.elapsed().as_secs_f64();
        println!(
            "threads {threads} per_thread_us {:.2} total_per_s {:.0}",
            secs * 1e6 / n as f64,
            (threads * n) as f64 / secs
        );
    }
    Ok(())
}
