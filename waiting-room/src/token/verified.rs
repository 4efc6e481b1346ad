//! Purchase tokens whose signature was verified already ([`VerifiedTokens`]), so a
//! fan's next checkout request with the same token (the confirm after the hold, a hold
//! again after a conflict, a release, a reconnect's re-signed token, which is the same
//! bytes) skips the Ed25519 check (alone about 35–39 µs, near half of a hold's CPU; in
//! a batch less, see [`super::batch`]).
//!
//! What is kept is the SHA-256 (first 128 bits) of the token's whole text, header,
//! claims and signature, so only a token identical byte for byte skips the check: a
//! token with the same signature and other claims is checked, and refused. Only the
//! signature check is skipped; issuer, audience, `nbf` and `exp` are checked on every
//! request, so an expired token is refused as before, and everything a token's use
//! depends on beyond them (its event, the single use of `jti`, a purchase token ended
//! by its confirm) is the checkout's to check against the store on every request. A
//! cache belongs to one set of [`super::SigningKeys`] (keys do not change while a
//! replica runs; [`super::SigningKeys::with_verify_only`] makes a new set with an empty
//! cache), and a token that fails its check is never kept.
//!
//! Bounded: two generations of at most `per_generation` digests ([`PER_GENERATION`],
//! 16 bytes each, about 5 MB for both when full); when the young one is full, the old
//! one is dropped and the young one becomes old. A digest found in the old generation
//! moves back to the young one.

use std::collections::HashSet;
use std::sync::Mutex;

/// Digests per generation: the tokens of the last 131,072 to 262,144 distinct
/// purchase tokens a replica verified, minutes of a rush's holds.
pub const PER_GENERATION: usize = 131_072;

/// The first 128 bits of a token's SHA-256.
type Digest = [u8; 16];

/// The set of purchase tokens verified already; see the module docs.
pub struct VerifiedTokens {
    generations: Mutex<Generations>,
    per_generation: usize,
}

#[derive(Default)]
struct Generations {
    young: HashSet<Digest>,
    old: HashSet<Digest>,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self::new(PER_GENERATION)
    }
}

impl VerifiedTokens {
    /// An empty set of at most `2 × per_generation` tokens.
    pub fn new(per_generation: usize) -> Self {
        Self {
            generations: Mutex::new(Generations::default()),
            per_generation: per_generation.max(1),
        }
    }

    /// The digest `token` is kept under.
    pub fn digest(token: &str) -> Digest {
        let full = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&full.as_ref()[..16]);
        digest
    }

    /// Whether the token of `digest` was verified already.
    pub fn contains(&self, digest: &Digest) -> bool {
        let mut g = self.lock();
        if g.young.contains(digest) {
            return true;
        }
        if g.old.remove(digest) {
            self.insert_young(&mut g, *digest);
            return true;
        }
        false
    }

    /// Keeps the digest of a token whose signature was just verified.
    pub fn insert(&self, digest: Digest) {
        let mut g = self.lock();
        self.insert_young(&mut g, digest);
    }

    /// How many tokens are kept.
    pub fn len(&self) -> usize {
        let g = self.lock();
        g.young.len() + g.old.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert_young(&self, g: &mut Generations, digest: Digest) {
        if g.young.len() >= self.per_generation {
            g.old = std::mem::take(&mut g.young);
        }
        g.young.insert(digest);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // The sets stay consistent whatever panicked while one was held.
        self.generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_two_generations_and_refreshes_what_is_used() {
        let set = VerifiedTokens::new(2);
        let d = |i: u8| VerifiedTokens::digest(&i.to_string());
        for i in 0..3 {
            set.insert(d(i));
        }
        // young {2}, old {0, 1}; using 0 moves it young: young {2, 0}, old {1}.
        assert!(set.contains(&d(0)));
        set.insert(d(3)); // young full: old {2, 0}, young {3}
        assert!(!set.contains(&d(1)), "dropped with its generation");
        assert!(set.contains(&d(0)) && set.contains(&d(3)));
        for i in 10..100 {
            set.insert(d(i));
            assert!(set.len() <= 4, "{}", set.len());
        }
        assert!(!set.contains(&d(0)));
        assert_ne!(d(1), d(2));
    }
}
