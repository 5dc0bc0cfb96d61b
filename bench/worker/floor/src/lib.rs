//! The floor of a workers-rs Worker's cold start (bench only, see Cargo.toml): `/health`
//! answers a small JSON, a POST is forwarded to `FORWARD_URL` with `fetch`, and every request
//! logs one JSON line, as the receiver does; no verification, no dedup.

use worker::{console_log, event, web_sys, Context, Date, Env, Fetch, Request, Response};

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started = Date::now().as_millis();
    let (status, body) = if req.path() == "/health" {
        (200, r#"{"status":"ok"}"#)
    } else if req.method() == worker::Method::Post {
        let url = env.var("FORWARD_URL")?.to_string();
        let bytes = req.bytes().await?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&worker::js_sys::Uint8Array::from(bytes.as_slice()));
        let request = web_sys::Request::new_with_str_and_init(&url, &init)?;
        match Fetch::Request(Request::from(request)).send().await {
            Ok(response) if (200..300).contains(&response.status_code()) => {
                (200, r#"{"status":"forwarded"}"#)
            }
            _ => (502, r#"{"status":"error","code":"ORIGIN_ERROR"}"#),
        }
    } else {
        (404, r#"{"status":"error","code":"NOT_FOUND"}"#)
    };
    let duration_ms = Date::now().as_millis().saturating_sub(started);
    // FLOOR_QUIET set: no log line (what the first console.log costs, measured).
    if env.var("FLOOR_QUIET").is_err() {
        console_log!("{{\"status\":{status},\"duration_ms\":{duration_ms}}}");
    }
    let response = Response::from_bytes(body.as_bytes().to_vec())?.with_status(status);
    response.headers().set("content-type", "application/json")?;
    Ok(response)
}
