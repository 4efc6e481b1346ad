//! The simulated fans: fan `i` is a fixed account and ticket, so nothing about ten
//! million fans has to be kept in memory, and a member read back from Redis names its
//! fan. Fan `i` belongs to replica `i % replicas` (its socket's replica).

use uuid::Uuid;
use waiting_room::{TicketId, UserId};

/// The high bits every simulated account id carries (readable in `redis-cli`).
const USER_BASE: u128 = 0x5157_0000_0000_0000_0000_0000_0000_0000;

/// Fan `i`'s account.
pub fn user(i: u64) -> UserId {
    UserId(Uuid::from_u128(USER_BASE | u128::from(i)))
}

/// Fan `i`'s ticket id (the 32 hex digits a real ticket has).
pub fn ticket(i: u64) -> TicketId {
    TicketId(format!("{:032x}", USER_BASE | u128::from(i)))
}

/// The fan a queue member (an account id as Redis keeps it) belongs to, if it is one
/// of ours.
pub fn index_of(member: &str) -> Option<u64> {
    let id = Uuid::parse_str(member).ok()?.as_u128();
    (id & !u128::from(u64::MAX) == USER_BASE).then_some(id as u64)
}

/// The fans `range` of which replica `replica` of `replicas` holds the sockets.
pub fn share(range: std::ops::Range<u64>, replica: u64, replicas: u64) -> Vec<u64> {
    let replicas = replicas.max(1);
    let first = range.start + (replica + replicas - range.start % replicas) % replicas;
    (first..range.end).step_by(replicas as usize).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_names_its_fan() {
        for i in [0, 1, 9_999_999, u64::MAX] {
            assert_eq!(index_of(&user(i).to_string()), Some(i));
        }
        assert_eq!(index_of(&UserId(Uuid::nil()).to_string()), None);
        assert_eq!(index_of("not a uuid"), None);
        assert_eq!(ticket(1).0.len(), 32);
    }

    #[test]
    fn replicas_share_the_fans_between_them() {
        let shares: Vec<Vec<u64>> = (0..3).map(|r| share(5..15, r, 3)).collect();
        assert_eq!(shares[0], vec![6, 9, 12]);
        assert_eq!(shares[1], vec![7, 10, 13]);
        assert_eq!(shares[2], vec![5, 8, 11, 14]);
        let mut all: Vec<u64> = shares.concat();
        all.sort_unstable();
        assert_eq!(all, (5..15).collect::<Vec<_>>());
        assert!(share(0..0, 0, 100).is_empty());
    }
}
