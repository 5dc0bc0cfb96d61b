//! What the Durable Objects (the ledger, the console's log) share: one alarm kept armed at the
//! earliest time something is due, with as few storage calls as possible, and their JSON
//! replies.

use std::cell::Cell;

use worker::js_sys;
use worker::{Response, Result, ScheduledTime, Storage};

use crate::receiver::ledger::rearm_for;

/// The alarm an object has armed, as far as this instance knows.
pub(crate) struct ArmedAlarm {
    /// `None` until read from storage; then the alarm's time, if one is armed.
    known: Cell<Option<Option<i64>>>,
}

impl ArmedAlarm {
    /// Not known yet: the first [`ArmedAlarm::arm_for`] reads it from storage.
    pub(crate) fn unknown() -> Self {
        Self {
            known: Cell::new(None),
        }
    }

    /// Makes sure the alarm fires by `at` (one storage call only when it does not yet).
    pub(crate) async fn arm_for(&self, storage: &Storage, at: i64) -> Result<()> {
        let armed = match self.known.get() {
            Some(armed) => armed,
            None => {
                let armed = storage.get_alarm().await?;
                self.known.set(Some(armed));
                armed
            }
        };
        match rearm_for(armed, at) {
            Some(at) => self.set(storage, at).await,
            None => Ok(()),
        }
    }

    /// Arms the alarm at `at` (milliseconds since the epoch).
    pub(crate) async fn set(&self, storage: &Storage, at: i64) -> Result<()> {
        // Known before the call yields: a request handled while it is pending compares its
        // time with this one, not with an alarm that already fired.
        self.known.set(Some(Some(at)));
        // A Date, not an i64: worker reads an i64 as an offset from now.
        let date = js_sys::Date::new(&js_sys::Number::from(at as f64));
        if let Err(err) = storage.set_alarm(ScheduledTime::new(date)).await {
            self.known.set(None);
            return Err(err);
        }
        Ok(())
    }

    /// The alarm fired and nothing is due: none is armed.
    pub(crate) fn fired_with_nothing_due(&self) {
        self.known.set(Some(None));
    }
}

/// A `200` JSON reply of an object's operation.
pub(crate) fn json_response(body: String) -> Result<Response> {
    let mut response = Response::ok(body)?;
    response
        .headers_mut()
        .set("Content-Type", "application/json")?;
    Ok(response)
}
