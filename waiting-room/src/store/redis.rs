//! The Redis store (production). Placeholder until the adapter lands.

use super::*;

pub struct RedisStore;

impl RedisStore {
    pub async fn connect(_url: &str, _prefix: &str) -> Result<Self, StoreError> {
        Err(StoreError::Backend("not yet".into()))
    }
}
