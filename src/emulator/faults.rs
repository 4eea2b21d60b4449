//! Seeded fault injection: with probability `rate` a request gets one of four faults, chosen
//! evenly, from a generator seeded by `--seed`, so a failing run can be replayed. Faults before
//! the change leave the state untouched; a lost response happens after the change is stored.

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// 429 ThrottlingException with Retry-After, before the request takes effect.
    Throttle,
    /// 500 InternalServerException, before the request takes effect.
    InternalError,
    /// The connection closes without a response, before the request takes effect.
    DropBefore,
    /// The request takes effect and is stored, then the connection closes without a response.
    LoseResponse,
}

impl Fault {
    pub(crate) fn stats_name(self) -> &'static str {
        match self {
            Fault::Throttle => "ThrottlingException",
            Fault::InternalError => "InternalServerException",
            Fault::DropBefore => "DroppedConnection",
            Fault::LoseResponse => "LostResponse",
        }
    }
}

#[derive(Debug)]
pub(crate) struct FaultInjector {
    rate: f64,
    generator: Mutex<StdRng>,
}

impl FaultInjector {
    pub(crate) fn new(rate: f64, seed: u64) -> Self {
        FaultInjector {
            rate: if rate.is_finite() {
                rate.clamp(0.0, 1.0)
            } else {
                0.0
            },
            generator: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// The fault for the next request, if any. Draws nothing when faults are off, so the
    /// sequence for a given seed depends only on the order of requests.
    pub(crate) fn next(&self) -> Option<Fault> {
        if self.rate <= 0.0 {
            return None;
        }
        let mut generator = self
            .generator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let roll: f64 = generator.random();
        let kind: u8 = generator.random_range(0..4);
        (roll < self.rate).then_some(match kind {
            0 => Fault::Throttle,
            1 => Fault::InternalError,
            2 => Fault::DropBefore,
            _ => Fault::LoseResponse,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequence(rate: f64, seed: u64) -> Vec<Option<Fault>> {
        let injector = FaultInjector::new(rate, seed);
        (0..200).map(|_| injector.next()).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        assert_eq!(sequence(0.3, 7), sequence(0.3, 7));
        assert_ne!(sequence(0.3, 7), sequence(0.3, 8));
    }

    #[test]
    fn the_rate_bounds_how_often_and_every_kind_occurs() {
        assert!(sequence(0.0, 1).iter().all(Option::is_none));
        let all = sequence(1.0, 1);
        for kind in [
            Fault::Throttle,
            Fault::InternalError,
            Fault::DropBefore,
            Fault::LoseResponse,
        ] {
            assert!(all.contains(&Some(kind)));
        }
        let some = sequence(0.25, 3)
            .iter()
            .filter(|fault| fault.is_some())
            .count();
        assert!(
            (20..=80).contains(&some),
            "{some} faults of 200 at rate 0.25"
        );
    }
}
