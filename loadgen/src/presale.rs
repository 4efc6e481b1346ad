//! The presale scenario (`--presale-groups N`): presale groups opening one after
//! another before the public line, each fan of a group redeeming its access code
//! before it joins. [`setup::setup`] creates the groups and their codes through the
//! admin API once the event exists; every worker hands each of its fans its code
//! ([`kinds::Codes`]); a fan redeems it ([`setup::redeem`]) and then joins over the
//! WebSocket as any fan does, noting what it saw of its line ([`kinds::Saw`]); after
//! the run [`audit::audit`] checks each line against the server's draw records.

pub mod audit;
pub mod figures;
pub mod kinds;
pub mod setup;
