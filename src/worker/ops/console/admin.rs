//! The admin API's console answers: refused deliveries, alerts, and what `GET /admin/stats`
//! adds (the backlog, the origin's last answer, the last 24 hours).

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::ObjectNamespace;

use super::super::super::ledger_client::call_object;
use super::{op, IdRequest, PageRequest, SinceRequest, CONSOLE_OBJECT};
use crate::receiver::alerts::{AlertPage, AlertRecord};
use crate::receiver::failures::{
    first_hour, hours, FailureItem, FailurePage, FailureView, HourFact, OverviewRequest, StatsView,
};
use crate::receiver::{failure_not_found, DeliveryMode, Reply, Stats};

fn json<T: Serialize>(status: u16, value: &T) -> Reply {
    Reply::admin(status, serde_json::to_string(value).unwrap_or_default())
}

async fn console<Q: Serialize, R: DeserializeOwned>(
    namespace: Option<&ObjectNamespace>,
    name: &str,
    request: &Q,
) -> Result<R, String> {
    let namespace = namespace.ok_or("the CONSOLE binding is missing")?;
    let body = serde_json::to_vec(request).map_err(|err| err.to_string())?;
    call_object(namespace, CONSOLE_OBJECT, name, &body).await
}

/// Up to `limit + 1` records of a list read newest first, after the cursor `after` (one more
/// than shown tells whether another page exists).
async fn page<R: DeserializeOwned>(
    namespace: Option<&ObjectNamespace>,
    name: &str,
    limit: usize,
    after: Option<u64>,
) -> Result<Vec<R>, String> {
    let request = PageRequest {
        limit: limit + 1,
        after,
    };
    console(namespace, name, &request).await
}

/// `GET /admin/failures`.
pub(crate) async fn failures(
    namespace: Option<&ObjectNamespace>,
    limit: usize,
    after: Option<u64>,
) -> Result<Reply, String> {
    let rows: Vec<FailureItem> = page(namespace, op::FAILURES, limit, after).await?;
    Ok(json(200, &FailurePage::from_rows(rows, limit)))
}

/// `GET /admin/failures/{id}`.
pub(crate) async fn failure(namespace: Option<&ObjectNamespace>, id: u64) -> Result<Reply, String> {
    let view: Option<FailureView> = console(namespace, op::FAILURE, &IdRequest { id }).await?;
    Ok(match view {
        Some(view) => json(200, &view),
        None => failure_not_found(),
    })
}

/// `GET /admin/alerts`.
pub(crate) async fn alerts(
    namespace: Option<&ObjectNamespace>,
    limit: usize,
    after: Option<u64>,
) -> Result<Reply, String> {
    let rows: Vec<AlertRecord> = page(namespace, op::ALERTS, limit, after).await?;
    Ok(json(200, &AlertPage::from_rows(rows, limit)))
}

/// `GET /admin/stats`: `counts` (summed over the shards) with the overview and the hours.
/// Without the console object, `refused` counts are 0.
pub(crate) async fn stats(
    ledger: &ObjectNamespace,
    namespace: Option<&ObjectNamespace>,
    counts: Stats,
    mode: DeliveryMode,
) -> Result<Reply, String> {
    let now = worker::Date::now().as_millis();
    let since = first_hour(now);
    let request = OverviewRequest {
        since,
        dead_since: now,
    };
    let hours_request = SinceRequest { since };
    let refused = async {
        match namespace {
            Some(_) => console::<_, Vec<HourFact>>(namespace, op::HOURS, &hours_request).await,
            None => Ok(Vec::new()),
        }
    };
    let (overview, refused) =
        futures_util::join!(super::alarm::overview(ledger, &request), refused);
    let overview = overview?;
    let facts = overview.facts.into_iter().chain(refused?);
    Ok(json(
        200,
        &StatsView {
            mode: mode.as_str(),
            counts,
            oldest_pending_at: overview.oldest_pending_at,
            last_attempt: overview.last_attempt,
            hours: hours(now, facts),
        },
    ))
}
