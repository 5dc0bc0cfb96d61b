//! The flood guard's platform half: the `RATE_LIMITER` binding counts failures, and this
//! isolate refuses an address that went over the limit until its block ends
//! ([`FloodGuard`]). Verified deliveries are never counted.

use std::cell::RefCell;

use worker::{Date, Env, Request};

use crate::receiver::{FloodGuard, LogLine, Reply};

/// Workers Rate Limiting binding: its limit counts failures per client address.
const RATE_LIMIT_BINDING: &str = "RATE_LIMITER";

thread_local! {
    /// Addresses this isolate refuses, until their block ends.
    static BLOCKED: RefCell<FloodGuard> = RefCell::new(FloodGuard::default());
}

/// The address the guard counts by: Cloudflare's `CF-Connecting-IP`.
pub(super) fn client_address(req: &Request) -> String {
    req.headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A 429 while `client` is blocked in this isolate; checked before anything is read.
pub(super) fn refused(client: &str) -> Option<Reply> {
    let now = Date::now().as_millis();
    BLOCKED.with(|guard| guard.borrow_mut().check(client, now).err())
}

/// Counts one failure by `client` (a bad or missing signature; the admin code calls this
/// for a failed login). Once the binding answers "over the limit", the address is
/// refused in this isolate for [`crate::receiver::FLOOD_BLOCK_SECONDS`]. Without the
/// binding nothing is counted; when it fails, the failure is logged and nothing blocked.
pub(crate) async fn count_failure(env: &Env, client: &str, log: &mut LogLine) {
    let Ok(limiter) = env.rate_limiter(RATE_LIMIT_BINDING) else {
        return;
    };
    match limiter.limit(client.to_owned()).await {
        Ok(outcome) if !outcome.success => {
            let now = Date::now().as_millis();
            BLOCKED.with(|guard| guard.borrow_mut().block(client, now));
        }
        Ok(_) => {}
        Err(err) => log.rate_limit_error(&err.to_string()),
    }
}
