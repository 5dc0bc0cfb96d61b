//! `ConsoleLog`, the console's Durable Object class (binding `CONSOLE`, SQLite storage, one
//! object named [`super::CONSOLE_OBJECT`]): refused-delivery evidence and the alerts sent.
//! Its alarm expires evidence and evaluates the alerts.

use std::cell::Cell;

use worker::js_sys;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, ScheduledTime, State};

use crate::receiver::ledger::rearm_for;

/// The console object.
#[durable_object(alarm)]
pub struct ConsoleLog {
    state: State,
    /// The settings and secrets (the diagnosis runs here).
    env: Env,
    /// The alarm armed, as far as this instance knows: `None` until read from storage.
    armed: Cell<Option<Option<i64>>>,
}

impl DurableObject for ConsoleLog {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            armed: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let body = req.bytes().await?;
        let sql = self.state.storage().sql();
        let now = worker::Date::now().as_millis();
        let answer = super::handle(&self.env, &sql, &path, &body, now)
            .unwrap_or_else(|| Err(worker::Error::RustError("unknown console operation".into())));
        let answer = match answer {
            Ok(answer) => answer,
            Err(err) => return Response::error(err.to_string(), 400),
        };
        if let Some(at) = answer.wake_at {
            self.arm_for(at).await?;
        }
        let mut response = Response::ok(answer.reply)?;
        response
            .headers_mut()
            .set("Content-Type", "application/json")?;
        Ok(response)
    }

    async fn alarm(&self) -> Result<Response> {
        let sql = self.state.storage().sql();
        match super::alarm(&self.env, &sql).await {
            Some(at) => {
                self.set_alarm(i64::try_from(at).unwrap_or(i64::MAX))
                    .await?
            }
            None => self.armed.set(Some(None)),
        }
        Response::ok("")
    }
}

impl ConsoleLog {
    /// Makes sure the alarm fires by `at` (one storage call only when it does not yet).
    async fn arm_for(&self, at: i64) -> Result<()> {
        let armed = match self.armed.get() {
            Some(armed) => armed,
            None => {
                let armed = self.state.storage().get_alarm().await?;
                self.armed.set(Some(armed));
                armed
            }
        };
        match rearm_for(armed, at) {
            Some(at) => self.set_alarm(at).await,
            None => Ok(()),
        }
    }

    async fn set_alarm(&self, at: i64) -> Result<()> {
        self.armed.set(Some(Some(at)));
        // A Date, not an i64: worker reads an i64 as an offset from now.
        let date = js_sys::Date::new(&js_sys::Number::from(at as f64));
        if let Err(err) = self
            .state
            .storage()
            .set_alarm(ScheduledTime::new(date))
            .await
        {
            self.armed.set(None);
            return Err(err);
        }
        Ok(())
    }
}
