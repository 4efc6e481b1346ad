//! `AppJson`: axum's `Json` with the contract's errors (`invalid_json`, 415 for a body
//! that is not JSON) and integral floats (`2.0`) taken where integers are expected.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `Json<T>` whose rejections are contract errors (`invalid_json`).
///
/// A number with a zero fraction (`2.0`) is accepted where an integer is expected, as
/// JSON Schema counts it an integer (clients such as Python's `json` write floats that
/// way); the happy path parses once, the retry runs only for a body serde refused.
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::bad_request(
                "invalid_json",
                "expected Content-Type: application/json",
            ));
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge)
            }
            Err(rejection) => {
                return Err(ApiError::bad_request("invalid_json", rejection.body_text()))
            }
        };
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection @ JsonRejection::JsonDataError(_)) => integral_retry(&bytes)
                .map(Self)
                .ok_or_else(|| json_error(rejection)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

/// Whether `Content-Type` is JSON (`application/json` or `application/*+json`), as
/// axum's `Json` decides.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(mime) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
    else {
        return false;
    };
    mime.type_() == "application"
        && (mime.subtype() == "json" || mime.suffix().is_some_and(|name| name == "json"))
}

/// `body` decoded as `T` once every number with a zero fraction that an `f64` holds
/// exactly became an integer; `None` if there was none to change or it still fails.
fn integral_retry<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if !integral_floats(&mut value) {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// Turns every float with a zero fraction within ±2^53 into an integer; whether any was.
fn integral_floats(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() <= EXACT {
                *value = Value::from(f as i64);
                return true;
            }
            false
        }
        Value::Array(items) => items.iter_mut().fold(false, |c, v| integral_floats(v) | c),
        Value::Object(map) => map.values_mut().fold(false, |c, v| integral_floats(v) | c),
        _ => false,
    }
}

fn json_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request("invalid_json", e.body_text()),
        JsonRejection::JsonDataError(e) => ApiError::bad_request("invalid_body", e.body_text()),
        other => ApiError::bad_request("invalid_json", other.body_text()),
    }
}
