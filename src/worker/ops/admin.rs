//! The admin API (`/admin/...`, enabled by `ADMIN_TOKEN` with `LEDGER` bound): the token,
//! then one shard asked (an event, a replay) or all of them, concurrently, and merged (a
//! listing, stats, a bulk replay).

use futures_util::future::join_all;
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::ObjectNamespace;

use super::super::ledger_client::call;
use crate::receiver::ledger::{shard_of, LEDGER_SHARDS};
use crate::receiver::{
    admin_request, merge_pages, op, AdminRequest, AdminToken, EventQuery, EventView, ListReply,
    ListRequest, LogLine, ReplayDeadReply, ReplayDeadRequest, ReplayReply, Reply, Stats,
    REPLAY_BATCH_PER_SHARD,
};

fn json<T: Serialize>(status: u16, value: &T) -> Reply {
    Reply::admin(status, serde_json::to_string(value).unwrap_or_default())
}

/// What the admin API reads of a request.
pub(crate) struct Request<'a> {
    /// HTTP method.
    pub(crate) method: &'a str,
    /// URL path, percent-encoded.
    pub(crate) path: &'a str,
    /// URL query, without `?`.
    pub(crate) query: &'a str,
    /// The `Authorization` header.
    pub(crate) authorization: Option<&'a str>,
}

/// Answers a request under `/admin`: 401 without the right token, whatever the path.
pub(crate) async fn handle(
    ledger: &ObjectNamespace,
    token: &AdminToken,
    http: Request<'_>,
    log: &mut LogLine,
) -> Reply {
    // The token first: nothing about paths or events is said without it.
    if !token.authorizes(http.authorization) {
        return Reply::unauthorized();
    }
    let request = match admin_request(http.method, http.path, http.query) {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    answer(ledger, request).await.unwrap_or_else(|err| {
        log.detail(&err);
        Reply::ledger_unavailable()
    })
}

async fn answer(ledger: &ObjectNamespace, request: AdminRequest) -> Result<Reply, String> {
    Ok(match request {
        AdminRequest::Event { id, body } => {
            let query = EventQuery { id, body };
            let view: Option<EventView> =
                call(ledger, shard_of(&query.id), op::EVENT, &query).await?;
            match view {
                Some(view) => json(200, &view),
                None => not_found(),
            }
        }
        AdminRequest::Replay { id } => {
            let query = EventQuery { id, body: false };
            let reply: ReplayReply = call(ledger, shard_of(&query.id), op::REPLAY, &query).await?;
            match reply {
                ReplayReply::Replayed => json(202, &serde_json::json!({"status": "accepted"})),
                ReplayReply::NotFound => not_found(),
                ReplayReply::NotSettled { state } => Reply::admin_error(
                    409,
                    "NOT_SETTLED",
                    format!(
                        "the event is {}: it is being delivered already",
                        state.as_str()
                    ),
                ),
                ReplayReply::NotStored => Reply::admin_error(
                    409,
                    "NOT_STORED",
                    "the event was forwarded in forward mode: its body was not stored".to_owned(),
                ),
            }
        }
        AdminRequest::List(query) => {
            let request = ListRequest {
                state: query.state,
                limit: query.limit + 1,
                after: query.after,
            };
            let pages: Vec<ListReply> = every_shard(ledger, op::LIST, &request).await?;
            json(200, &merge_pages(pages, query.limit))
        }
        AdminRequest::Stats => {
            let counts: Vec<Stats> = every_shard(ledger, op::STATS, &serde_json::json!({})).await?;
            json(
                200,
                &counts.into_iter().fold(Stats::default(), Stats::merge),
            )
        }
        AdminRequest::ReplayDead => {
            let request = ReplayDeadRequest {
                limit: REPLAY_BATCH_PER_SHARD,
            };
            let parts: Vec<ReplayDeadReply> =
                every_shard(ledger, op::REPLAY_DEAD, &request).await?;
            let total = parts
                .into_iter()
                .fold(ReplayDeadReply::default(), |sum, part| ReplayDeadReply {
                    replayed: sum.replayed + part.replayed,
                    remaining: sum.remaining + part.remaining,
                });
            json(200, &total)
        }
    })
}

fn not_found() -> Reply {
    Reply::admin_error(404, "EVENT_NOT_FOUND", "no event with this id".to_owned())
}

/// The same op on every shard, concurrently (16 subrequests).
async fn every_shard<Q: Serialize, R: DeserializeOwned>(
    ledger: &ObjectNamespace,
    name: &str,
    request: &Q,
) -> Result<Vec<R>, String> {
    join_all((0..LEDGER_SHARDS).map(|shard| call(ledger, shard, name, request)))
        .await
        .into_iter()
        .collect()
}
