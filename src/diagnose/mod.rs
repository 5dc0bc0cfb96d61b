//! Why a signature does or does not verify: the logic behind the debugger page (`www/`).
//!
//! [`diagnose`] gives the core's verdict on a payload, its secrets and a received signature
//! header, the expected signature for each secret, and, when the signature fails, which
//! common mistake explains it. It tries the likely changes one at a time (to the body,
//! to the secret, to how the signature is encoded) and reports the first combination
//! under which the received signature matches. [`parse_raw_request`] reads a whole pasted
//! HTTP request into its body bytes and its signature header.
//!
//! JSON re-serialization is the one mistake not derived here. It is a JavaScript mistake
//! (`JSON.stringify(req.body)` after a body parser), and only a JavaScript engine
//! reproduces `JSON.stringify` byte for byte: it keeps the document's key order (with
//! integer-like keys first), and it prints numbers as doubles (`1.0` as `1`, `1e3` as
//! `1000`, big integers rounded). This crate's `serde_json` sorts object keys (no
//! `preserve_order`) and keeps `1.0` as written, and even `preserve_order` would not fix
//! the numbers, so a Rust imitation would miss real cases and claim false ones. The caller
//! therefore re-serializes with the real `JSON.stringify` (the npm package's `diagnose`
//! does) and passes the results as [`Reserialized`] bodies; the core signs and compares
//! them like every other candidate.
//!
//! Comparisons here are not constant-time: this is a diagnostic, never a verification.
//!
//! The module is split by idea: `mistake` is the catalogue of what a diagnosis can name
//! (code, title, explanation), `candidates` the changes it tries, `diagnosis` the search
//! itself, and `raw_request` the reader of a pasted HTTP request.

mod candidates;
mod diagnosis;
mod mistake;
mod raw_request;

pub use diagnosis::{diagnose, Diagnosis, Finding, Input, JsonForm, Reserialized, Verdict};
pub use mistake::Mistake;
pub use raw_request::{parse_raw_request, RawRequest, RawRequestError};
