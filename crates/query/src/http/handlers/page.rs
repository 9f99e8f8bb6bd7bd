//! The portal search page: `GET /` and its two assets, `GET /assets/app.js` and
//! `GET /assets/app.css`, compiled into the binary (no build step, no CDN, no file system
//! access, so no path can reach outside the three files).
//!
//! Every answer carries a strict Content-Security-Policy: scripts and styles only from this
//! origin, no inline code, requests only to this origin. The page renders record text with
//! `textContent` only, so a record holding `<script>` stays text. Assets are revalidated
//! with an `ETag` (their hash, computed at compile time), so a new binary is picked up at
//! once and an unchanged one costs a 304.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::http::errors::ApiError;

/// The page's policy: same-origin scripts, styles and requests, nothing inline, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    bytes: &'static [u8],
    content_type: &'static str,
    etag: &'static str,
}

/// A weak ETag of `bytes`, computed at compile time (FNV-1a, 64 bits, as 16 hex digits);
/// weak because the compression layer may send the same file gzipped.
const fn etag_of(bytes: &[u8]) -> [u8; 20] {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    let digits = b"0123456789abcdef";
    let mut tag = [b'"'; 20];
    tag[0] = b'W';
    tag[1] = b'/';
    let mut d = 0;
    while d < 16 {
        tag[3 + d] = digits[((hash >> (60 - 4 * d)) & 0xf) as usize];
        d += 1;
    }
    tag
}

macro_rules! asset {
    ($file:literal, $content_type:literal) => {{
        const BYTES: &[u8] = include_bytes!(concat!("../page/", $file));
        const TAG: [u8; 20] = etag_of(BYTES);
        Asset {
            bytes: BYTES,
            content_type: $content_type,
            etag: match std::str::from_utf8(&TAG) {
                Ok(tag) => tag,
                Err(_) => panic!("an ETag is ASCII"),
            },
        }
    }};
}

const INDEX_HTML: Asset = asset!("index.html", "text/html; charset=utf-8");
const APP_JS: Asset = asset!("app.js", "text/javascript; charset=utf-8");
const APP_CSS: Asset = asset!("app.css", "text/css; charset=utf-8");

/// The search page.
pub async fn index(headers: HeaderMap) -> Response {
    serve(&INDEX_HTML, &headers)
}

/// `app.js` and `app.css`; any other name is a 404.
pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    match name.as_str() {
        "app.js" => serve(&APP_JS, &headers),
        "app.css" => serve(&APP_CSS, &headers),
        _ => ApiError::not_found("no such asset").into_response(),
    }
}

fn serve(asset: &Asset, request: &HeaderMap) -> Response {
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            let ours = asset.etag.trim_start_matches("W/");
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == ours || t == "*")
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.bytes,
        )
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    // Revalidate every time: the URLs carry no version, and a 304 is cheap.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (CROSS_ORIGIN_OPENER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_weak_quoted_hex_and_differ_between_files() {
        for asset in [&INDEX_HTML, &APP_JS, &APP_CSS] {
            assert_eq!(asset.etag.len(), 20);
            assert!(asset.etag.starts_with("W/\"") && asset.etag.ends_with('"'));
        }
        assert_ne!(APP_JS.etag, APP_CSS.etag);
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        let html = std::str::from_utf8(INDEX_HTML.bytes).unwrap();
        assert!(!html.contains("<script>"), "inline scripts break the CSP");
        assert!(!html.contains("style="), "inline styles break the CSP");
        assert!(!html.contains("<style"), "inline styles break the CSP");
        let js = std::str::from_utf8(APP_JS.bytes).unwrap();
        assert!(
            !js.contains("innerHTML"),
            "record text must go through textContent"
        );
        assert!(!js.contains("eval("));
    }
}
