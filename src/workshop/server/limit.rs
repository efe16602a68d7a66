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
    /// Events a second per learner, with a burst for an outbox delivered after an outage.
    pub events_per_sec: u32,
    pub events_burst: u32,
    /// Requests with an unknown token a minute per client address.
    pub failures_per_min: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { per_token_per_sec: 20, per_token_burst: 60, joins_per_min: 600, events_per_sec: 20, events_burst: 2000, failures_per_min: 120 }
    }
}

pub struct Limiters {
    tokens: DefaultKeyedRateLimiter<String>,
    joins: DefaultKeyedRateLimiter<IpAddr>,
    events: DefaultKeyedRateLimiter<String>,
    failures: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl Limiters {
    pub fn new(limits: Limits) -> Limiters {
        let per_token = Quota::per_second(nz(limits.per_token_per_sec)).allow_burst(nz(limits.per_token_burst));
        let joins = Quota::per_minute(nz(limits.joins_per_min)).allow_burst(nz(limits.joins_per_min));
        let events = Quota::per_second(nz(limits.events_per_sec)).allow_burst(nz(limits.events_burst.max(crate::workshop::model::MAX_BATCH as u32)));
        let failures = Quota::per_minute(nz(limits.failures_per_min)).allow_burst(nz(limits.failures_per_min));
        Limiters {
            tokens: RateLimiter::keyed(per_token),
            joins: RateLimiter::keyed(joins),
            events: RateLimiter::keyed(events),
            failures: RateLimiter::keyed(failures),
            clock: DefaultClock::default(),
        }
    }

    /// `n` events of one learner.
    pub fn events(&self, learner: &str, n: usize) -> Result<(), ApiError> {
        let Some(n) = NonZeroU32::new(n.min(u32::MAX as usize) as u32) else { return Ok(()) };
        match self.events.check_key_n(&learner.to_string(), n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(ApiError::too_many(secs(not_until.wait_time_from(self.clock.now())))),
            // more than the burst in one batch cannot happen (batches are capped below it)
            Err(_) => Err(ApiError::too_many(1)),
        }
    }

    /// A request with an unknown token from this address: too many of them get a 429.
    pub fn failure(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.failures.check_key(&ip).map_err(|not_until| ApiError::too_many(secs(not_until.wait_time_from(self.clock.now()))))
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
        self.events.retain_recent();
        self.failures.retain_recent();
    }
}

fn secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}
