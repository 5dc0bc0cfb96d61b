//! The ops script (cargo feature `worker-ops`, `ops/wrangler.toml`, name
//! `digivault-webhooks-ops`, no public route): what a webhook does not need. Today the admin
//! API ([`admin`]), `/listen` and its hub ([`listen`]); the console builds here.
//!
//! # The contract between the two scripts
//!
//! - **Requests from users.** The webhook script (feature `worker`) forwards every request whose
//!   path is `/admin`, `/admin/...`, `/listen` or `/listen/...` verbatim (method, URL, headers,
//!   body) through its service binding `OPS`, after its flood guard (an address refused for
//!   failures never reaches this script) and returns the answer as it is; a 401 from here counts
//!   as a failure of the address there. Without `OPS` those paths are 404; `OPS` bound but
//!   failing: 503 `OPS_UNAVAILABLE`. [`respond`] answers them: route new paths there.
//! - **Notices from the webhook script.** One `POST https://ops/internal/<topic>` per notice,
//!   sent after the reply (`ctx.waitUntil`, never on a delivery's critical path), its failure
//!   only logged there; `/internal/...` is reachable only through the binding (the webhook script
//!   never forwards it). Each carries `x-digivault-outcome` (the delivery's log outcome:
//!   `forwarded`, `duplicate`, `accepted`, `rejected`, ...). Topics:
//!   - `/internal/listen/event` ([`listen::LISTEN_EVENT_PATH`]): one NEW verified event (the
//!     claim or store winner only) when the webhook script has `LISTEN_TOKEN` set; body: an
//!     `EventMeta` frame (`src/receiver/listen/`: a JSON line with id, type, received time,
//!     Content-Type and signature header, then the raw body); answer: the hub's
//!     `PublishReply` JSON. Unlike the other notices it is answered and, in the development
//!     mode (no `FORWARD_URL`), awaited before DigiVault's 202 (`src/worker/listen.rs`).
//!   - `/internal/refused`: refused-delivery evidence (a framed
//!     [`crate::receiver::failures::FailureReport`]), sent by the webhook script from the
//!     rejection path only (`FAILURE_SAMPLES` > 0 there); kept, diagnosed and alerted on here
//!     ([`console`], the `ConsoleLog` object bound as `CONSOLE`).
//!   - `/internal/console/nudge`: a ledger shard's alarm saw a failed attempt (at most every
//!     10 s per isolate): the alerts are evaluated soon (only when the class runs in another
//!     script, as in measured variants; hosted here, the shard calls the console object itself).
//! - **Bindings of this script**: `LEDGER` (class `EventLedger`, exported by this script and
//!   bound by the webhook script by `script_name`: the claims, durable mode's stored events and
//!   alarms; the admin API reads and replays through it; in durable mode the class delivers
//!   with this script's FORWARD_URL, delivery settings and WEBHOOK_SECRET), `ADMIN_TOKEN`
//!   (secret: the admin API is off without it), and whatever the console and listen add (their
//!   own Durable Object classes, exported by this script too, declared in
//!   `ops/wrangler.toml`'s migrations).
//! - **Code placement**: platform I/O only the ops side needs under `src/worker/ops/`, pure
//!   decisions in `src/receiver/<topic>/` with native unit tests; nothing here is compiled into
//!   the webhook script (the size budget in `scripts/build-worker.mjs` checks it).

pub mod admin;
pub mod console;
pub mod listen;

use worker::{Env, Request, Response};

use super::{ledger_binding, to_response, var};
use crate::receiver::listen::LISTEN_PATH;
use crate::receiver::{query_of, AdminToken, DeliveryMode, LogLine, Reply, ADMIN_PREFIX};

/// The ops script's entry point (its own build only: with both features the webhook script's
/// entry point calls [`respond`]). The webhook script logs each request; this script logs a
/// line only for what went wrong here (a ledger failure, a bad `ADMIN_TOKEN`).
#[cfg(not(feature = "worker"))]
#[worker::event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: worker::Context) -> worker::Result<Response> {
    let started = worker::Date::now().as_millis();
    let mut log = LogLine::default();
    let response = respond(req, &env, &mut log).await;
    log.duration_ms = worker::Date::now().as_millis().saturating_sub(started);
    if log.level != "info" || log.detail.is_some() {
        super::emit(&log);
    }
    response
}

/// Answers a request the webhook script forwarded (or, both features built into one script,
/// handed over): the admin API, 404 for anything else. `log` gets the reply and details.
pub async fn respond(mut req: Request, env: &Env, log: &mut LogLine) -> worker::Result<Response> {
    // The webhook script's notices for the console (refused-delivery evidence, nudges).
    if let Some(response) = console::notice(&mut req, env).await {
        // Not a request of anyone's: nothing to log unless it failed (logged where it did).
        log.level = "info";
        return response;
    }
    let path = req.path();
    if path == LISTEN_PATH {
        return match listen::connect(req, env).await {
            Ok(response) => Ok(response),
            Err(reply) => {
                log.finish(&reply, 0);
                to_response(&reply)
            }
        };
    }
    if path == listen::LISTEN_EVENT_PATH {
        return listen::publish(req, env).await;
    }
    let reply = admin_reply(&req, env, log).await;
    log.finish(&reply, 0);
    to_response(&reply)
}

/// The admin API's answer: only with `ADMIN_TOKEN` (valid) and `LEDGER`; otherwise its paths
/// are 404, as if it did not exist.
async fn admin_reply(req: &Request, env: &Env, log: &mut LogLine) -> Reply {
    let path = req.path();
    let admin_path = path == ADMIN_PREFIX || path.starts_with("/admin/");
    let token = match AdminToken::from_var(var(env, "ADMIN_TOKEN")) {
        Ok(token) => token,
        Err(err) => {
            log.detail(&err.to_string());
            return Reply::misconfigured();
        }
    };
    let (true, Some(token), Ok(Some(ledger))) = (admin_path, token, ledger_binding(env)) else {
        return Reply::not_found();
    };
    // The console's settings (FAILURE_*, ALERT_*) are checked like the others.
    if let Err(err) = console::settings(env) {
        log.detail(&err.to_string());
        return Reply::misconfigured();
    }
    // The query as sent (no URL parser: the `url` crate's IDNA tables cost ~100 KB).
    let url = req.inner().url();
    let query = query_of(&url);
    let authorization = req.headers().get("Authorization").ok().flatten();
    let method = req.method();
    let request = admin::Request {
        method: method.as_ref(),
        path: &path,
        query,
        authorization: authorization.as_deref(),
    };
    // Read only to say it (stats' `mode`): the webhook script validates it for deliveries.
    let mode = match DeliveryMode::from_var(var(env, "DELIVERY_MODE").as_deref()) {
        Ok(mode) => mode,
        Err(err) => {
            log.detail(&err.to_string());
            return Reply::misconfigured();
        }
    };
    let console = console::binding(env);
    admin::handle(&ledger, console.as_ref(), &token, mode, request, log).await
}
