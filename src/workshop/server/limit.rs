//! Rate limits: per bearer token (every authenticated request) and per client address (joins).
//! Over the limit: 429 with Retry-After.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests a second per token, and the burst allowed above it.
    pub per_token_per_sec: u32,
    pub per_token_burst: u32,
    /// Joins a minute per client address (a room behind one NAT shares an address).
    pub joins_per_min: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { per_token_per_sec: 20, per_token_burst: 60, joins_per_min: 600 }
    }
}

pub struct Limiters {
    tokens: DefaultKeyedRateLimiter<String>,
    joins: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl Limiters {
    pub fn new(limits: Limits) -> Limiters {
        let per_token = Quota::per_second(nz(limits.per_token_per_sec)).allow_burst(nz(limits.per_token_burst));
        let joins = Quota::per_minute(nz(limits.joins_per_min)).allow_burst(nz(limits.joins_per_min));
        Limiters { tokens: RateLimiter::keyed(per_token), joins: RateLimiter::keyed(joins), clock: DefaultClock::default() }
    }

    /// `key`: the token's hash (never the token itself).
    pub fn token(&self, key: &str) -> Result<(), ApiError> {
        self.tokens.check_key(&key.to_string()).map_err(|not_until| ApiError::too_many(secs(not_until.wait_time_from(self.clock.now()))))
    }

    pub fn join(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.joins.check_key(&ip).map_err(|not_until| ApiError::too_many(secs(not_until.wait_time_from(self.clock.now()))))
    }

    /// Forget keys that are back to a full quota (run now and then).
    pub fn shrink(&self) {
        self.tokens.retain_recent();
        self.joins.retain_recent();
    }
}

fn secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}
