//! Property test of the multipart path of the public form (issue 14, "fuzzing"): arbitrary, truncated and
//! corrupted multipart bodies — odd field names, any bytes, files, broken boundaries and headers — sent over HTTP
//! with a valid CSRF token. The server never answers 5xx, stores nothing it should not, and keeps answering.
//! CI runs 48 cases per database; `PROPTEST_CASES=N` runs more.

use crate::common;

use common::{Backend, TestApp, csrf_of, page_text};
use proptest::prelude::*;

const FORM: &str = "/t/390003/forms/dx-seminar";
const BOUNDARY: &str = "fuzzboundary7MA4YWxkTrZu0gW";

#[derive(Debug, Clone)]
struct Part {
    name: String,
    file_name: Option<String>,
    value: Vec<u8>,
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("name.name".to_string()),
        Just("email".to_string()),
        Just("attendance".to_string()),
        Just("_action".to_string()),
        Just("_draft".to_string()),
        Just("_csrf".to_string()),
        "[a-z_\\[\\]\\.0-9]{0,24}",
        any::<String>().prop_map(|s| s.chars().take(30).collect()),
    ]
}

fn part() -> impl Strategy<Value = Part> {
    (
        field_name(),
        proptest::option::of("[^\"\r\n]{0,20}"),
        prop_oneof![
            1 => proptest::collection::vec(any::<u8>(), 0..512),
            4 => "[ぁ-んァ-ヶ一-龠ｦ-ﾟ〜髙﨑=+@\\-]{0,64}".prop_map(String::into_bytes),
            1 => Just(b"save".to_vec()),
            1 => Just(b"confirm".to_vec()),
            1 => Just(b"add:name".to_vec()),
            1 => Just(b"remove_file:x:y".to_vec()),
        ],
    )
        .prop_map(|(name, file_name, value)| Part {
            name,
            file_name,
            value,
        })
}

/// The body, then how it is damaged: cut at a point, and one byte changed.
fn body(parts: &[Part], csrf: &str, cut: Option<usize>, flip: Option<(usize, u8)>) -> Vec<u8> {
    let mut b = Vec::new();
    let mut all = vec![Part {
        name: "_csrf".into(),
        file_name: None,
        value: csrf.as_bytes().to_vec(),
    }];
    all.extend_from_slice(parts);
    for p in &all {
        b.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let name = p.name.replace(['"', '\r', '\n'], "_");
        match &p.file_name {
            Some(f) => b.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => b.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        b.extend_from_slice(&p.value);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    if let Some((at, byte)) = flip {
        let i = at % b.len();
        b[i] = byte;
    }
    if let Some(at) = cut {
        b.truncate(at % (b.len() + 1));
    }
    b
}

fn run(backend: Backend) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(TestApp::spawn(backend));
    let csrf = rt.block_on(async { csrf_of(&page_text(&app.client, &app, FORM).await) });
    let before = rt.block_on(app.scalar("SELECT COUNT(*) FROM submissions"));
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let strategy = (
        proptest::collection::vec(part(), 0..12),
        // Most bodies arrive whole; some are cut short or have one byte changed.
        proptest::option::weighted(0.2, any::<usize>()),
        proptest::option::weighted(0.2, (any::<usize>(), any::<u8>())),
    );
    let statuses = std::sync::Mutex::new(std::collections::BTreeMap::new());
    runner
        .run(&strategy, |(parts, cut, flip)| {
            let body = body(&parts, &csrf, cut, flip);
            let status = rt.block_on(async {
                app.client
                    .post(app.url(FORM))
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                    )
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            });
            let status = status.status().as_u16();
            *statuses.lock().unwrap().entry(status).or_insert(0) += 1;
            prop_assert!(status < 500, "status {status} for {parts:?}");
            Ok(())
        })
        .unwrap();
    println!(
        "fuzz_multipart {backend:?}: statuses {:?}",
        statuses.lock().unwrap()
    );
    rt.block_on(async {
        // Nothing submitted (no body reached the submit step), and the form still answers.
        assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, before);
        assert_eq!(app.get(FORM).await.status().as_u16(), 200);
        app.finish().await;
    });
}

#[test]
fn arbitrary_multipart_bodies_never_fail_the_server_sqlite() {
    run(Backend::Sqlite);
}

#[test]
fn arbitrary_multipart_bodies_never_fail_the_server_postgres() {
    run(Backend::Postgres);
}
