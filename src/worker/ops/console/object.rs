//! `ConsoleLog`, the console's Durable Object class (binding `CONSOLE`, SQLite storage, one
//! object named [`super::CONSOLE_OBJECT`]): refused-delivery evidence and the alerts sent.
//! Its alarm expires evidence and evaluates the alerts.

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::worker::alarm::{json_response, ArmedAlarm};

/// The console object.
#[durable_object(alarm)]
pub struct ConsoleLog {
    state: State,
    /// The settings and secrets (the diagnosis runs here).
    env: Env,
    /// The alarm armed, as far as this instance knows: `None` until read from storage.
    armed: ArmedAlarm,
}

impl DurableObject for ConsoleLog {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            armed: ArmedAlarm::unknown(),
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
            self.armed.arm_for(&self.state.storage(), at).await?;
        }
        json_response(answer.reply)
    }

    async fn alarm(&self) -> Result<Response> {
        let sql = self.state.storage().sql();
        match super::alarm(&self.env, &sql).await {
            Some(at) => {
                let at = i64::try_from(at).unwrap_or(i64::MAX);
                self.armed.set(&self.state.storage(), at).await?
            }
            None => self.armed.fired_with_nothing_due(),
        }
        Response::ok("")
    }
}
