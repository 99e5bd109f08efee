//! Small web helpers shared by every capability: cookies, CSRF, client address.
//!
//! CSRF uses the double-submit pattern: a random value in an HttpOnly, SameSite=Lax cookie, repeated in a hidden
//! `_csrf` field of every state-changing form. It needs no server state, so it works for residents without an
//! account and for staff alike, on any instance behind a load balancer.

use crate::error::AppError;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// Name of the CSRF cookie.
pub const CSRF_COOKIE: &str = "madoguchi_csrf";
/// Name of the staff session cookie.
pub const SESSION_COOKIE: &str = "madoguchi_session";
/// Name of the hidden form field carrying the CSRF value.
pub const CSRF_FIELD: &str = "_csrf";

/// Reads a cookie from request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Builds a `Set-Cookie` value with the project's attributes (HttpOnly, SameSite=Lax, Path=/, Secure when
/// served over HTTPS).
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie values are ASCII tokens")
}

/// The CSRF token of this browser, and a `Set-Cookie` header when a new one had to be made.
pub fn csrf_token(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    match cookie(headers, CSRF_COOKIE) {
        Some(v) if v.len() >= 32 => (v.to_string(), None),
        _ => {
            let t = crate::ids::new_token();
            let c = set_cookie(CSRF_COOKIE, &t, 60 * 60 * 24, secure);
            (t, Some(c))
        }
    }
}

/// Checks a submitted CSRF value against the cookie, in constant time.
pub fn verify_csrf(headers: &HeaderMap, submitted: &str) -> Result<(), AppError> {
    let Some(expected) = cookie(headers, CSRF_COOKIE) else {
        return Err(AppError::Csrf);
    };
    let (a, b) = (expected.as_bytes(), submitted.as_bytes());
    let same = a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
    if same && !a.is_empty() {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// Renders an HTML page that carries the CSRF token: `render` gets the token, and the response sets the CSRF
/// cookie when this browser had none yet.
pub fn page_with_csrf(
    headers: &HeaderMap,
    secure: bool,
    status: StatusCode,
    render: impl FnOnce(String) -> Result<String, AppError>,
) -> Result<Response, AppError> {
    let (csrf, cookie) = csrf_token(headers, secure);
    let mut resp = (status, Html(render(csrf)?)).into_response();
    if let Some(c) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// A file to download (or, with `inline`, to show): its type, its name in UTF-8 (RFC 5987
/// `filename*`), never sniffed and never stored by caches, since such files hold personal data.
pub fn file_response(
    content_type: &str,
    file_name: &str,
    body: impl Into<axum::body::Body>,
    inline: bool,
) -> Response {
    let encoded =
        percent_encoding::utf8_percent_encode(file_name, percent_encoding::NON_ALPHANUMERIC);
    let disposition = if inline { "inline" } else { "attachment" };
    let mut resp = Response::new(body.into());
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("{disposition}; filename*=UTF-8''{encoded}"))
            .expect("percent-encoded names are ASCII"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
