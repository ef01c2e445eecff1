//! A settable clock, so that signature expiry and key rollovers can be
//! tested in seconds instead of days.
//!
//! `POLYZONE_CLOCK` (environment) holds comma-separated settings:
//! `start=<unix seconds>` (the clock starts there instead of now),
//! `offset=<seconds>` (added to the real time, may be negative), and
//! `speed=<factor>` (simulated seconds per real second). Unset, the clock
//! is the system clock. Every DNSSEC time (inceptions, expirations, key
//! events, the scheduler's waits) comes from here.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A clock that may run offset and faster than real time.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Simulated Unix time at `anchor`.
    base: f64,
    anchor: Instant,
    speed: f64,
}

fn real_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl Clock {
    /// The real clock.
    pub fn system() -> Clock {
        Clock {
            base: real_now(),
            anchor: Instant::now(),
            speed: 1.0,
        }
    }

    /// Parses the `POLYZONE_CLOCK` syntax.
    pub fn parse(spec: &str) -> Result<Clock, String> {
        let mut clock = Clock::system();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected key=value"))?;
            let num: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("`{part}`: not a number"))?;
            match k.trim() {
                "start" => clock.base = num,
                "offset" => clock.base += num,
                "speed" if num > 0.0 => clock.speed = num,
                "speed" => return Err(format!("`{part}`: speed must be positive")),
                other => return Err(format!("unknown clock setting `{other}`")),
            }
        }
        Ok(clock)
    }

    /// The clock of the environment (`POLYZONE_CLOCK`), or the system clock.
    pub fn from_env() -> Result<Clock, String> {
        match std::env::var("POLYZONE_CLOCK") {
            Ok(spec) => Clock::parse(&spec).map_err(|e| format!("POLYZONE_CLOCK: {e}")),
            Err(_) => Ok(Clock::system()),
        }
    }

    /// Simulated Unix time in seconds.
    pub fn now(&self) -> u64 {
        let t = self.base + self.anchor.elapsed().as_secs_f64() * self.speed;
        t.max(0.0) as u64
    }

    /// The real duration until simulated time `t` (zero if past).
    pub fn real_until(&self, t: u64) -> std::time::Duration {
        let now = self.base + self.anchor.elapsed().as_secs_f64() * self.speed;
        let secs = ((t as f64 - now) / self.speed).max(0.0);
        std::time::Duration::from_secs_f64(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        let c = Clock::parse("start=1000,speed=3600").unwrap();
        assert!((1000..1000 + 3600).contains(&c.now()));
        assert!(c.real_until(1000 + 7200) <= std::time::Duration::from_secs(2));
        let c = Clock::parse("offset=-100").unwrap();
        assert!(c.now() < Clock::system().now());
        assert!(Clock::parse("speed=0").is_err());
        assert!(Clock::parse("warp=2").is_err());
    }
}
