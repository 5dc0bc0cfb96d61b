//! Reading a webhook body under the size limit, copied into wasm once.
//!
//! The bytes stay on the JavaScript side as they arrive (a declared length in one
//! `arrayBuffer()`, otherwise chunk by chunk, counted by [`BodyLimit`] and cut off past the
//! limit) and are copied into wasm memory once, for the HMAC and the validator. The origin
//! is sent the JavaScript bytes: nothing is copied back out of wasm.

use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{ReadableStreamDefaultReader, Request};

use crate::receiver::{Receiver, Reply};

/// A request body: the JavaScript bytes (forwarded as they are) and their one copy in wasm.
pub(super) struct Body {
    /// The body as received, forwarded to the origin unchanged.
    pub(super) js: Uint8Array,
    /// The same bytes in wasm memory, for verification and validation.
    pub(super) bytes: Vec<u8>,
}

/// Reads the body of `req`. With a usable `Content-Length` (already checked against the
/// limit by [`Receiver::declared_length`], and enforced by the runtime) in one piece;
/// otherwise chunk by chunk, stopping as soon as the limit is exceeded.
pub(super) async fn read(
    req: &Request,
    receiver: &Receiver,
    declared: Option<usize>,
) -> Result<Body, Reply> {
    let js = match declared {
        Some(_) => {
            let promise = req.array_buffer().map_err(|_| Reply::unreadable_body())?;
            let buffer = JsFuture::from(promise)
                .await
                .map_err(|_| Reply::unreadable_body())?;
            Uint8Array::new(&buffer)
        }
        None => streamed(req, receiver).await?,
    };
    // `Receiver::accept` checks the size again, whatever was declared.
    let bytes = js.to_vec();
    Ok(Body { js, bytes })
}

async fn streamed(req: &Request, receiver: &Receiver) -> Result<Uint8Array, Reply> {
    // No body at all: an empty payload, which then fails verification.
    let Some(stream) = req.body() else {
        return Ok(Uint8Array::new_with_length(0));
    };
    let reader = ReadableStreamDefaultReader::new(&stream).map_err(|_| Reply::unreadable_body())?;
    let mut limit = receiver.body_limit();
    let mut chunks = Vec::new();
    loop {
        let next = JsFuture::from(reader.read())
            .await
            .map_err(|_| Reply::unreadable_body())?;
        let done = Reflect::get(&next, &JsValue::from_str("done"))
            .map_err(|_| Reply::unreadable_body())?;
        if done.is_truthy() {
            break;
        }
        let chunk: Uint8Array = Reflect::get(&next, &JsValue::from_str("value"))
            .ok()
            .and_then(|value| value.dyn_into().ok())
            .ok_or_else(Reply::unreadable_body)?;
        if let Err(reply) = limit.add(chunk.length() as usize) {
            // Stop the upload: nothing more of it is wanted.
            let _ = reader.cancel();
            return Err(reply);
        }
        chunks.push(chunk);
    }
    if chunks.len() == 1 {
        return Ok(chunks.swap_remove(0));
    }
    // Joined on the JavaScript side, so the bytes still cross into wasm only once.
    let joined = Uint8Array::new_with_length(limit.received() as u32);
    let mut offset = 0;
    for chunk in &chunks {
        joined.set(chunk, offset);
        offset += chunk.length();
    }
    Ok(joined)
}
