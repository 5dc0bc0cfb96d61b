//! A reusable area of linear memory the JS glue writes inputs into directly.
//!
//! Passing a payload the usual wasm-bindgen way allocates, copies (strings through a JS
//! loop) and frees on every call; for a 1 KiB webhook that costs as much as the hash.
//! Instead the glue asks for a pointer once per call, writes the signature and payload
//! with native `TextEncoder.encodeInto` / `Uint8Array.set`, and passes their lengths.
//!
//! The area and the hashing in progress live in `Cell`s, not `RefCell`s: wasm has no
//! unwinding, so a call that traps while holding a borrow would leave its flag set and make
//! every later call trap too. A `Cell` is taken and put back; there is no flag to leave.

use std::cell::Cell;

use wasm_bindgen::prelude::*;

use crate::{Error, PayloadMacs, SIGNATURE_BYTES};

thread_local! {
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    static HASHING: Cell<Option<Hashing>> = const { Cell::new(None) };
}

/// A payload being hashed in chunks, and the signature it must match (none when the
/// glue wants the hex HMACs instead).
pub(super) struct Hashing {
    pub(super) macs: PayloadMacs,
    pub(super) tag: Option<[u8; SIGNATURE_BYTES]>,
}

/// A pointer to at least `bytes` writable bytes, valid until the next call into the module.
/// Null (0) when linear memory cannot give that much: the error to take is then
/// `PAYLOAD_TOO_LARGE`, and the module stays usable.
#[wasm_bindgen]
pub fn scratch(bytes: f64) -> *mut u8 {
    // `as` saturates: a length beyond the address space asks for usize::MAX, which fails.
    let wanted = bytes as usize;
    with_area(|area| {
        if area.len() >= wanted || grow(area, wanted) {
            area.as_mut_ptr()
        } else {
            super::status::<()>(Err(Error::PayloadTooLarge {
                size: wanted,
                // The most one allocation can hold on wasm32; a smaller request can also
                // fail when memory is short, and is reported against the same bound.
                limit: isize::MAX.unsigned_abs(),
            }));
            std::ptr::null_mut()
        }
    })
}

/// Replaces the area by one of `wanted` bytes, or leaves it empty when that cannot be had.
fn grow(area: &mut Vec<u8>, wanted: usize) -> bool {
    // The old contents are not needed: free them first so old and new never coexist.
    *area = Vec::new();
    if area.try_reserve_exact(wanted).is_err() {
        return false;
    }
    area.resize(wanted, 0);
    true
}

/// The module's linear memory, for the glue to write into.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

fn with_area<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut area = cell.take();
        let result = f(&mut area);
        // The area is kept for the next call: linear memory never shrinks, so giving it
        // back would only cost a fresh zero-fill next time.
        cell.set(area);
        result
    })
}

/// Runs `f` on the signature (`signature_len` bytes) and the payload (`payload_len` bytes
/// after it) the glue wrote into the scratch area.
pub(super) fn with_input<R>(
    signature_len: usize,
    payload_len: usize,
    f: impl FnOnce(&str, &[u8]) -> R,
) -> R {
    with_area(|area| {
        let end = signature_len.saturating_add(payload_len).min(area.len());
        let (signature, payload) = area[..end].split_at(signature_len.min(end));
        // The glue writes the header with encodeInto, so it is UTF-8; anything else is
        // treated as an unreadable (malformed) signature by the core.
        let signature = std::str::from_utf8(signature).unwrap_or("\u{fffd}");
        f(signature, payload)
    })
}

/// Starts hashing a payload that the glue will write in chunks.
pub(super) fn start_hashing(hashing: Hashing) {
    HASHING.set(Some(hashing));
}

/// Adds the next `len` bytes, written at the start of the scratch area, to the payload
/// being hashed.
#[wasm_bindgen(js_name = hashChunk)]
pub fn hash_chunk(len: usize) {
    let Some(mut hashing) = HASHING.take() else {
        return;
    };
    with_input(0, len, |_, chunk| hashing.macs.update(chunk));
    HASHING.set(Some(hashing));
}

/// Ends the hashing: whether the payload matches the signature given at the start, as a
/// status number. Fails closed (`INVALID_SIGNATURE`) when no hashing with a signature is
/// in progress.
#[wasm_bindgen(js_name = finishVerify)]
pub fn finish_verify() -> u32 {
    let verdict = match HASHING.take() {
        Some(Hashing {
            macs,
            tag: Some(tag),
        }) => macs.verify_tag(&tag),
        _ => Err(Error::InvalidSignature),
    };
    super::status(verdict)
}

/// Ends the hashing: the lowercase hex HMAC of the payload under each secret.
#[wasm_bindgen(js_name = finishHex)]
pub fn finish_hex() -> Vec<String> {
    HASHING
        .take()
        .map(|hashing| hashing.macs.hex())
        .unwrap_or_default()
}
