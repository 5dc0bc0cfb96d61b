//! Bindings of the signature diagnosis (the debugger page): plain JS objects out, every
//! decision made by [`crate::diagnose`].

use wasm_bindgen::prelude::*;

use crate::diagnose::{self, Finding, Input, JsonForm, Reserialized};

/// A fresh object with the given properties.
fn object(properties: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in properties {
        // Setting a data property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&object, &(*key).into(), value);
    }
    object.into()
}

/// A count or index as a JS number, `undefined` when absent.
fn number(value: Option<usize>) -> JsValue {
    value.map_or(JsValue::UNDEFINED, |n| JsValue::from(n as f64))
}

/// A mistake as the page shows it; `secret`: which secret it concerns (`undefined`: none).
fn described(mistake: diagnose::Mistake, secret: JsValue) -> JsValue {
    object(&[
        ("code", mistake.code().into()),
        ("title", mistake.title().into()),
        ("note", mistake.is_note().into()),
        ("secret", secret),
        ("message", mistake.explanation().into()),
    ])
}

fn finding(finding: &Finding) -> JsValue {
    described(finding.mistake, number(finding.secret))
}

/// Diagnoses a signature: `{ verdict, code?, message?, expected, matchedSecret?, findings:
/// [{ code, title, note, secret?, message }] }`.
/// `compact` and `pretty` are the payload re-serialized by `JSON.stringify`, when it is JSON.
#[wasm_bindgen(js_name = diagnose)]
pub fn diagnose_signature(
    payload: &[u8],
    secrets: Vec<String>,
    signature: Option<String>,
    legacy_header: bool,
    compact: Option<Vec<u8>>,
    pretty: Option<Vec<u8>>,
) -> JsValue {
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let mut reserialized = Vec::new();
    for (form, body) in [(JsonForm::Compact, &compact), (JsonForm::Pretty, &pretty)] {
        if let Some(body) = body {
            reserialized.push(Reserialized { form, body });
        }
    }
    let result = diagnose::diagnose(&Input {
        payload,
        secrets: &secrets,
        signature: signature.as_deref(),
        legacy_header,
        reserialized: &reserialized,
    });
    let error =
        |f: fn(&crate::Error) -> JsValue| result.error.as_ref().map_or(JsValue::UNDEFINED, f);
    let expected: js_sys::Array = result
        .expected
        .iter()
        .map(|s| JsValue::from(s.as_str()))
        .collect();
    let findings: js_sys::Array = result.findings.iter().map(finding).collect();
    object(&[
        ("verdict", result.verdict.as_str().into()),
        ("code", error(|e| e.code().into())),
        ("message", error(|e| e.to_string().into())),
        ("expected", expected.into()),
        ("matchedSecret", number(result.matched_secret)),
        ("findings", findings.into()),
    ])
}

/// Reads a pasted raw HTTP request: `{ method, target, headers: [name, value][], body,
/// signature?, signatureHeader?, legacyHeader, contentLength?, crlf }`, or `{ code, message }`.
#[wasm_bindgen(js_name = parseRawRequest)]
pub fn parse_raw_request(raw: &[u8]) -> JsValue {
    match diagnose::parse_raw_request(raw) {
        Ok(request) => {
            let headers: js_sys::Array = request
                .headers
                .iter()
                .map(|(name, value)| js_sys::Array::of2(&(*name).into(), &(*value).into()))
                .collect();
            let optional = |value: Option<&str>| value.map_or(JsValue::UNDEFINED, JsValue::from);
            object(&[
                ("method", request.method.into()),
                ("target", request.target.into()),
                ("headers", headers.into()),
                ("body", js_sys::Uint8Array::from(request.body).into()),
                ("signature", optional(request.signature)),
                ("signatureHeader", optional(request.signature_header)),
                ("legacyHeader", request.legacy_header().into()),
                ("contentLength", number(request.content_length)),
                ("crlf", request.crlf.into()),
            ])
        }
        Err(err) => object(&[
            ("code", err.code().into()),
            ("message", err.to_string().into()),
        ]),
    }
}

/// The signature header names as DigiVault spells them, canonical first (the package's
/// `signatureHeaders` gives them lower-cased, for lookups): for the page's text and samples.
#[wasm_bindgen(js_name = signatureHeaderNames)]
pub fn signature_header_names() -> Vec<String> {
    crate::SIGNATURE_HEADERS
        .iter()
        .map(|name| (*name).to_owned())
        .collect()
}

/// The catalogue of mistakes, in its order: `[{ code, title, note, message }]`, for pages
/// that name a mistake by its code (the console's list of refused deliveries).
#[wasm_bindgen(js_name = mistakeCatalogue)]
pub fn mistake_catalogue() -> Vec<JsValue> {
    diagnose::Mistake::ALL
        .iter()
        .map(|mistake| described(*mistake, JsValue::UNDEFINED))
        .collect()
}
