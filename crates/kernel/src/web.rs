//! Small web helpers shared by every capability: cookies, CSRF, client address.
//!
//! CSRF (ADR 0005, amended for issue 14): a random nonce in an HttpOnly, SameSite=Lax cookie (`__Host-` prefixed
//! when served over HTTPS, so a sibling subdomain cannot plant it), and in every state-changing form a token that
//! is a hash of that nonce *and the browser's session cookies*. A nonce planted by an attacker is useless without
//! the victim's session values, which are HttpOnly; the token changes when the session does. It needs no server
//! state, so it works for residents without an account and for staff alike, on any instance. On top of it,
//! `server::app` refuses every cross-site state change by its `Origin` / `Sec-Fetch-Site` headers.

use crate::error::AppError;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// Name of the CSRF cookie over plain HTTP (development).
pub const CSRF_COOKIE: &str = "madoguchi_csrf";
/// Name of the CSRF cookie over HTTPS (see [`set_cookie`]).
pub const CSRF_COOKIE_SECURE: &str = "__Host-madoguchi_csrf";
/// Name of the staff session cookie.
pub const SESSION_COOKIE: &str = "madoguchi_session";
/// Name of the hidden form field carrying the CSRF value.
pub const CSRF_FIELD: &str = "_csrf";

/// Reads a cookie from request headers: its `__Host-` form first (what this server sets over HTTPS, which
/// browsers accept only from this very host over a secure connection), else the plain name (development).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let host_name = format!("__Host-{name}");
    raw_cookie(headers, &host_name).or_else(|| raw_cookie(headers, name))
}

fn raw_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Builds a `Set-Cookie` value with the project's attributes (HttpOnly, SameSite=Lax, Path=/). Served over
/// HTTPS, every cookie is also `Secure` and named with the `__Host-` prefix, so a sibling subdomain, a `Domain`
/// attribute or an insecure page cannot plant or overwrite it (sessions, CSRF nonce, sign-in binding alike).
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let (prefix, secure) = if secure {
        ("__Host-", "; Secure")
    } else {
        ("", "")
    };
    HeaderValue::from_str(&format!(
        "{prefix}{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie values are ASCII tokens")
}

/// Cookie keeping the language a resident chose (`ja`, `en`, `ja-easy`), read by every resident-facing page.
pub const LANG_COOKIE: &str = "madoguchi_lang";

/// The language this browser chose (the cookie), Japanese when none or an unknown one.
pub fn chosen_lang(headers: &HeaderMap) -> madoguchi_japanese::lang::Lang {
    cookie(headers, LANG_COOKIE)
        .map(madoguchi_japanese::lang::Lang::from_code)
        .unwrap_or_default()
}

/// The `Set-Cookie` value that remembers a language for a year.
pub fn lang_cookie(lang: madoguchi_japanese::lang::Lang, secure: bool) -> HeaderValue {
    set_cookie(LANG_COOKIE, lang.code(), 60 * 60 * 24 * 365, secure)
}

tokio::task_local! {
    /// The language of the request being answered, set by [`request_scope`] around the whole handler.
    static REQUEST_LANG: madoguchi_japanese::lang::Lang;
    /// The id of the request being answered (its `X-Request-Id`), set by [`request_scope`].
    static REQUEST_ID: String;
}

/// The language the request being answered is read in (see [`request_scope`]); Japanese outside a request.
/// Error pages, rate-limit refusals and the framework's own refusals use it, so code far from the page — a
/// limit in the kernel, an extractor — answers in the resident's language without being handed it.
pub fn request_lang() -> madoguchi_japanese::lang::Lang {
    REQUEST_LANG.try_with(|l| *l).unwrap_or_default()
}

/// The id of the request being answered: in the log line of everything the request logs, in its response's
/// `X-Request-Id`, and on its error page, so a resident can quote it to staff and staff find the log lines.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A new request id: 12 characters of Crockford base32 (no I, L, O, U), easy to read out on the phone.
fn new_request_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Of three versions (日本語, English, やさしい日本語), the one in the request's language.
pub fn pick_in_request_lang<T>(ja: T, en: T, easy: T) -> T {
    use madoguchi_japanese::lang::Lang;
    match request_lang() {
        Lang::Ja => ja,
        Lang::En => en,
        Lang::Easy => easy,
    }
}

/// One sentence in the request's language, from its three versions (日本語, English, やさしい日本語).
pub fn in_request_lang(ja: &str, en: &str, easy: &str) -> String {
    pick_in_request_lang(ja, en, easy).to_string()
}

/// The language a request is read in: `?lang=` when it names one, else the language cookie, else Japanese.
/// Staff pages are Japanese whatever the browser chose for the resident pages.
pub fn language_of(uri: &axum::http::Uri, headers: &HeaderMap) -> madoguchi_japanese::lang::Lang {
    use madoguchi_japanese::lang::Lang;
    let path = uri.path();
    if path == "/staff" || path.starts_with("/staff/") {
        return Lang::Ja;
    }
    let asked = uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Lang::parse(v))
    });
    asked.unwrap_or_else(|| chosen_lang(headers))
}

/// Middleware around every route: answers the request inside the scope of its language ([`request_lang`])
/// and of a new request id ([`request_id`], in a tracing span and the `X-Request-Id` header), and counts it in
/// the metrics by route template (`crate::metrics`). The id is always made here: one sent by a client is not
/// trusted (it could collide with another's on purpose).
pub async fn request_scope(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use tracing::Instrument;
    let lang = language_of(req.uri(), req.headers());
    let id = new_request_id();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let started = std::time::Instant::now();
    let answer = REQUEST_ID.scope(id.clone(), REQUEST_LANG.scope(lang, next.run(req)));
    let mut resp = answer.instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = resp.status().as_u16();
    crate::metrics::METRICS.observe_request(&method, &route, status, elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            target: "madoguchi::access",
            status,
            ms = elapsed.as_secs_f64() * 1000.0,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", value);
    }
    resp
}

/// The CSRF nonce cookie of this browser, when it has a well-formed one (the `__Host-` one first).
fn csrf_nonce(headers: &HeaderMap) -> Option<&str> {
    [CSRF_COOKIE_SECURE, CSRF_COOKIE]
        .into_iter()
        .filter_map(|name| raw_cookie(headers, name))
        .find(|v| {
            v.len() >= 32
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The secret behind the form token for a nonce in this browser: bound to the staff and applicant session
/// cookies it sends.
fn csrf_secret(nonce: &str, headers: &HeaderMap) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"madoguchi-csrf-v2\0");
    h.update(nonce.as_bytes());
    for name in [SESSION_COOKIE, crate::applicants::APPLICANT_COOKIE] {
        h.update(b"\0");
        h.update(cookie(headers, name).unwrap_or("").as_bytes());
    }
    h.finalize().into()
}

/// The form token: the secret under a fresh random mask (`mask ‖ mask ⊕ secret`), so that it differs on every
/// page and compressed responses cannot be used to guess it byte by byte (BREACH).
fn csrf_form_token(nonce: &str, headers: &HeaderMap) -> String {
    use base64::Engine;
    use rand::Rng;
    let secret = csrf_secret(nonce, headers);
    let mask: [u8; 32] = rand::thread_rng().r#gen();
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&mask);
    for i in 0..32 {
        out[32 + i] = mask[i] ^ secret[i];
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
}

/// The CSRF form token for this browser, and a `Set-Cookie` header when a new nonce had to be made.
pub fn csrf_token(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    match csrf_nonce(headers) {
        Some(nonce) => (csrf_form_token(nonce, headers), None),
        None => {
            let nonce = crate::ids::new_token();
            let c = set_cookie(CSRF_COOKIE, &nonce, 60 * 60 * 24, secure);
            (csrf_form_token(&nonce, headers), Some(c))
        }
    }
}

/// Checks a submitted CSRF token against the nonce cookie and the session cookies of this request, in constant
/// time.
pub fn verify_csrf(headers: &HeaderMap, submitted: &str) -> Result<(), AppError> {
    use base64::Engine;
    let Some(nonce) = csrf_nonce(headers) else {
        return Err(AppError::Csrf);
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(submitted.as_bytes())
    else {
        return Err(AppError::Csrf);
    };
    if bytes.len() != 64 {
        return Err(AppError::Csrf);
    }
    let secret = csrf_secret(nonce, headers);
    let differ = (0..32).fold(0u8, |acc, i| acc | (bytes[i] ^ bytes[32 + i] ^ secret[i]));
    if differ == 0 {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// Whether a state-changing request comes from another site, by the headers browsers set themselves and
/// pages cannot forge: `Sec-Fetch-Site: cross-site`, or an `Origin` that is neither this host nor
/// `public_url`. Requests without either header (non-browser clients, old browsers) are left to the token.
pub fn is_cross_site(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site.eq_ignore_ascii_case("cross-site")
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == "null" {
        return true;
    }
    let origin = origin.trim_end_matches('/');
    let public = public_url.trim_end_matches('/');
    let same_public = !public.is_empty() && origin.eq_ignore_ascii_case(public);
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let same_host = host.is_some_and(|h| {
        origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(h))
    });
    !(same_public || same_host)
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

/// A `Content-Disposition` value naming a download: the UTF-8 name as RFC 5987 `filename*` for every current
/// browser, and `ascii_fallback` as `filename` for clients that read only that. Characters of the fallback
/// outside printable ASCII, quotes and backslashes become `_`, so neither name can break the header.
pub fn content_disposition(file_name: &str, ascii_fallback: &str, inline: bool) -> HeaderValue {
    let encoded =
        percent_encoding::utf8_percent_encode(file_name, percent_encoding::NON_ALPHANUMERIC);
    let fallback: String = ascii_fallback
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = if inline { "inline" } else { "attachment" };
    HeaderValue::from_str(&format!(
        "{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .expect("both names are printable ASCII")
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

/// The words of the residents' navigation (`templates/public_nav.html`) in `lang`: the navigation's label, home,
/// the tenant's procedures, its FAQ and my page.
pub fn public_nav_words<L: std::borrow::Borrow<madoguchi_japanese::lang::Lang>>(
    lang: L,
) -> [&'static str; 5] {
    match lang.borrow() {
        madoguchi_japanese::lang::Lang::Ja => [
            "サイト内の移動",
            "ホーム",
            "手続きの一覧",
            "よくある質問",
            "マイページ",
        ],
        madoguchi_japanese::lang::Lang::En => [
            "Site",
            "Home",
            "Procedures",
            "Questions and answers",
            "My page",
        ],
        madoguchi_japanese::lang::Lang::Easy => [
            "この サイトの なか",
            "ホーム",
            "てつづきの いちらん",
            "よく ある しつもん",
            "マイページ",
        ],
    }
}
