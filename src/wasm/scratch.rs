//! A reusable area of linear memory the JS glue writes inputs into directly.
//!
//! Passing a payload the usual wasm-bindgen way allocates, copies (strings through a JS
//! loop) and frees on every call; for a 1 KiB webhook that costs as much as the hash.
//! Instead the glue asks for a pointer once per call, writes the signature and payload
//! with native `TextEncoder.encodeInto` / `Uint8Array.set`, and passes their lengths.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A pointer to at least `bytes` writable bytes, valid until the next call into the module.
#[wasm_bindgen]
pub fn scratch(bytes: usize) -> *mut u8 {
    SCRATCH.with(|cell| {
        let mut area = cell.borrow_mut();
        if area.len() < bytes {
            area.resize(bytes, 0);
        }
        area.as_mut_ptr()
    })
}

/// The module's linear memory, for the glue to write into.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Runs `f` on the signature (`signature_len` bytes) and the payload (`payload_len` bytes
/// after it) the glue wrote into the scratch area.
pub(super) fn with_input<R>(
    signature_len: usize,
    payload_len: usize,
    f: impl FnOnce(&str, &[u8]) -> R,
) -> R {
    SCRATCH.with(|cell| {
        let area = cell.borrow();
        let end = signature_len.saturating_add(payload_len).min(area.len());
        let (signature, payload) = area[..end].split_at(signature_len.min(end));
        // The glue writes the header with encodeInto, so it is UTF-8; anything else is
        // treated as an unreadable (malformed) signature by the core.
        let signature = std::str::from_utf8(signature).unwrap_or("\u{fffd}");
        // The area is kept for the next call: linear memory never shrinks, so giving it
        // back would only cost a fresh zero-fill next time.
        f(signature, payload)
    })
}
