//! The endpoints, by subsystem: the search box, demand matching, the supply records, the
//! operational endpoints (health, readiness, metrics, the OpenAPI document), and the portal
//! search page that uses them.

pub mod demands;
pub mod matching;
pub mod ops;
pub mod page;
pub mod search;
pub mod supplies;

use serde_json::{Map, Value};

use super::errors::ApiError;

/// The body as one JSON object (`what` says what it should hold, for the error message).
pub(crate) fn json_object(bytes: &[u8], what: &str) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::malformed_json(format!(
            "the request body is empty; expected {what} as a JSON object"
        )));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ApiError::malformed_json(format!(
            "expected {what} as a JSON object"
        ))),
        Err(error) => Err(ApiError::malformed_json(format!(
            "the body is not valid JSON: {error}"
        ))),
    }
}
