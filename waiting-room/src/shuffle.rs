//! The commit-reveal pre-queue shuffle (docs/FAIRNESS.md states it precisely enough to
//! reimplement; keep the two in step).
//!
//! - Each event gets a random 32-byte [`ShuffleSeed`] when it is created; its
//!   [`ShuffleSeed::commitment`] (lowercase hex of SHA-256 of the 32 bytes) is public
//!   from then on, the seed itself only once the sale has opened.
//! - Each ticket has a [`pseudonym`]: lowercase hex of the first 16 bytes of SHA-256 of
//!   the ticket id's ASCII text. The fan sees their ticket and its pseudonym; the
//!   pseudonym says nothing about the account.
//! - At the opening the pre-queue is put in the order of [`draw_key`]:
//!   HMAC-SHA256(key = the seed's 32 bytes, message = the pseudonym's 32 ASCII hex
//!   characters), ascending as bytes; equal keys (never seen in practice) fall back to
//!   the pseudonym, ascending. [`shuffled`] does it; every replica gets the same order.

use std::fmt;

use ring::{digest, hmac};

use crate::TicketId;

/// Bytes in a seed.
pub const SEED_BYTES: usize = 32;

/// An event's shuffle seed. `Debug` hides it: it must not reach a log before the
/// opening.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShuffleSeed([u8; SEED_BYTES]);

impl ShuffleSeed {
    /// A fresh seed from the operating system's random source.
    pub fn random() -> Self {
        let mut bytes = [0u8; SEED_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: [u8; SEED_BYTES]) -> Self {
        Self(bytes)
    }

    /// The seed's bytes.
    pub fn bytes(&self) -> &[u8; SEED_BYTES] {
        &self.0
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = from_hex(text)?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// The seed as 64 lowercase hex digits (what is stored, and revealed at the opening).
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// The seed of presale group `slot`'s draw (issue 20): HMAC-SHA256(key = this
    /// seed's bytes, message = `floodgate-presale-<slot>`). Each group's seed has its
    /// own commitment and is revealed at the group's opening, which tells nothing of
    /// the event's seed (still hidden until the public draw) or of another group's.
    pub fn for_presale(&self, slot: u8) -> Self {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        let tag = hmac::sign(&key, format!("floodgate-presale-{slot}").as_bytes());
        let mut bytes = [0u8; SEED_BYTES];
        bytes.copy_from_slice(tag.as_ref());
        Self(bytes)
    }

    /// Lowercase hex of SHA-256 of the seed's 32 bytes: published from the creation on.
    pub fn commitment(&self) -> String {
        to_hex(digest::digest(&digest::SHA256, &self.0).as_ref())
    }
}

impl fmt::Debug for ShuffleSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShuffleSeed(<hidden>)")
    }
}

/// A ticket's public pseudonym: lowercase hex of the first 16 bytes of SHA-256 of the
/// ticket id's ASCII text (32 hex digits).
pub fn pseudonym(ticket: &TicketId) -> String {
    let hash = digest::digest(&digest::SHA256, ticket.0.as_bytes());
    to_hex(&hash.as_ref()[..16])
}

/// The sort key of a pseudonym under `seed`: HMAC-SHA256(key = seed bytes,
/// message = the pseudonym's ASCII text).
pub fn draw_key(seed: &ShuffleSeed, pseudonym: &str) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, &seed.0);
    let tag = hmac::sign(&key, pseudonym.as_bytes());
    tag.as_ref()
        .try_into()
        .expect("HMAC-SHA256 tags are 32 bytes")
}

/// `items` (each with its pseudonym) in draw order: ascending [`draw_key`], then
/// ascending pseudonym. The input order does not matter.
pub fn shuffled<T>(seed: &ShuffleSeed, items: Vec<(String, T)>) -> Vec<(String, T)> {
    let mut keyed: Vec<([u8; 32], (String, T))> = items
        .into_iter()
        .map(|item| (draw_key(seed, &item.0), item))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1 .0.cmp(&b.1 .0)));
    keyed.into_iter().map(|(_, item)| item).collect()
}

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Hex (either case) to bytes; `None` for odd lengths or other characters.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16);
            Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commitment_is_sha256_of_the_seed_bytes() {
        // SHA-256 of 32 zero bytes.
        let zero = ShuffleSeed::from_bytes([0; 32]);
        assert_eq!(
            zero.commitment(),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
        assert_eq!(zero.to_hex(), "0".repeat(64));
        let seed = ShuffleSeed::random();
        assert_eq!(ShuffleSeed::from_hex(&seed.to_hex()), Some(seed));
        assert_eq!(
            ShuffleSeed::from_hex(&seed.to_hex().to_uppercase()),
            Some(seed)
        );
        assert_eq!(ShuffleSeed::from_hex("00"), None);
        assert_eq!(ShuffleSeed::from_hex(&"g".repeat(64)), None);
        assert_eq!(format!("{seed:?}"), "ShuffleSeed(<hidden>)");
    }

    #[test]
    fn pseudonyms_and_keys_match_known_values() {
        // printf 'abc' | sha256sum: ba7816bf8f01cfea414140de5dae2223...
        assert_eq!(
            pseudonym(&TicketId("abc".into())),
            "ba7816bf8f01cfea414140de5dae2223"
        );
        // Computed independently with Python's hmac and hashlib.
        let seed = ShuffleSeed::from_bytes([0x0b; 32]);
        assert_eq!(
            to_hex(&draw_key(&seed, "ba7816bf8f01cfea414140de5dae2223")),
            "a20e512c57740bef5a0699c9a90d27ff7fbea87a91c5307958e3231477813ba3"
        );
    }

    #[test]
    fn the_order_depends_on_the_seed_only() {
        let seed = ShuffleSeed::from_bytes([7; 32]);
        let items: Vec<(String, usize)> = (0..50)
            .map(|i| (pseudonym(&TicketId(format!("t{i}"))), i))
            .collect();
        let a = shuffled(&seed, items.clone());
        let mut reversed = items.clone();
        reversed.reverse();
        assert_eq!(a, shuffled(&seed, reversed), "input order does not matter");
        assert_ne!(a, items, "the draw moves tickets");
        let other = shuffled(&ShuffleSeed::from_bytes([8; 32]), items);
        assert_ne!(a, other, "another seed, another order");
        let keys: Vec<[u8; 32]> = a.iter().map(|(p, _)| draw_key(&seed, p)).collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn equal_keys_fall_back_to_the_pseudonym() {
        // The same pseudonym twice has the same key: the tie-break keeps them stable
        // by pseudonym (then input order, the sort being stable).
        let seed = ShuffleSeed::from_bytes([1; 32]);
        let items = vec![
            ("b".to_string(), 1),
            ("a".to_string(), 2),
            ("b".to_string(), 3),
        ];
        let out = shuffled(&seed, items);
        let bs: Vec<i32> = out.iter().filter(|(p, _)| p == "b").map(|x| x.1).collect();
        assert_eq!(bs, vec![1, 3]);
    }
}
