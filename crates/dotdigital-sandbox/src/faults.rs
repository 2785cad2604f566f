//! Fault injection: one seeded generator (xorshift64*, no dependency) decides
//! per API request whether to fail it. The same seed and request order give
//! the same faults.

use crate::config::Faults;

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    /// Answer 500 without doing anything.
    InternalError,
    /// Answer 503 without doing anything.
    Unavailable,
    /// Close the connection without answering.
    Drop,
}

/// The seeded generator.
#[derive(Debug)]
pub(crate) struct FaultDice {
    state: u64,
}

impl FaultDice {
    pub fn new(seed: u64) -> Self {
        // xorshift needs a non-zero state; mix the seed so 0 and 1 differ.
        let state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        Self { state }
    }

    /// A number in [0, 1).
    fn next(&mut self) -> f64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let bits = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        bits as f64 / (1u64 << 53) as f64
    }

    /// Decides the fault of one request.
    pub fn roll(&mut self, faults: &Faults) -> Fault {
        if faults.drop_rate <= 0.0 && faults.error_rate <= 0.0 {
            return Fault::None;
        }
        let draw = self.next();
        if draw < faults.drop_rate {
            Fault::Drop
        } else if draw < faults.drop_rate + faults.error_rate {
            if self.next() < 0.5 {
                Fault::InternalError
            } else {
                Fault::Unavailable
            }
        } else {
            Fault::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let faults = Faults {
            error_rate: 0.3,
            drop_rate: 0.1,
            ..Faults::default()
        };
        let run = |seed| {
            let mut dice = FaultDice::new(seed);
            (0..1000).map(|_| dice.roll(&faults)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let errors = run(7).iter().filter(|f| **f != Fault::None).count();
        assert!((300..500).contains(&errors), "{errors} faults in 1000");
    }
}
