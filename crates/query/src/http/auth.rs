//! The write API's guard: `Authorization: Bearer KEY`, compared in constant time. Without a
//! configured key the write API is off. Neither the key nor the header is ever logged.

use axum::http::{header, HeaderMap};
use subtle::ConstantTimeEq;

use super::errors::ApiError;
use super::state::{AppState, Writes};

/// The write side if the request carries the right key: 403 `writes_disabled` without a
/// configured key, 401 without credentials, 403 with wrong ones.
pub fn authorize<'a>(state: &'a AppState, headers: &HeaderMap) -> Result<&'a Writes, ApiError> {
    let Some(writes) = &state.writes else {
        return Err(if state.read_only {
            ApiError::read_only()
        } else {
            ApiError::writes_disabled()
        });
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "writes need an 'Authorization: Bearer KEY' header",
        ));
    };
    let presented = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be 'Bearer KEY'"))?;
    if keys_match(presented.as_bytes(), writes.key.as_bytes()) {
        Ok(writes)
    } else {
        Err(ApiError::forbidden("the API key is not valid"))
    }
}

/// Constant-time comparison: the time taken does not depend on where the keys differ
/// (only on their lengths, which is not secret enough to matter for a long random key).
fn keys_match(presented: &[u8], expected: &[u8]) -> bool {
    presented.ct_eq(expected).into()
}

#[cfg(test)]
mod tests {
    use super::keys_match;

    #[test]
    fn only_the_exact_key_matches() {
        assert!(keys_match(b"key-123456", b"key-123456"));
        assert!(!keys_match(b"key-123457", b"key-123456"));
        assert!(!keys_match(b"key-12345", b"key-123456"));
        assert!(!keys_match(b"", b"key-123456"));
    }
}
