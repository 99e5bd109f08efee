//! Harvesting (issue 17, ADR 0034), through HTTP: a second madoguchi instance acts as the remote CKAN, a small
//! server in the test serves a DCAT-AP Turtle feed and misbehaves on demand (slow, 500, garbage, 50 MB), and
//! the sources are configured on the staff pages by the prefecture's administrator.

use crate::common::{Backend, TestApp, hidden_value};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// Runs a scenario once on SQLite and once on PostgreSQL.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::common::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(crate::common::Backend::Postgres).await;
            }
        }
    )*};
}

both_backends!(
    harvests_a_second_instance_incrementally_with_deletions,
    harvests_a_dcat_turtle_feed,
    a_misbehaving_source_fails_the_run_and_changes_nothing,
    only_the_prefecture_administrator_configures_sources,
    scheduled_sources_are_queued_once_per_interval,
);

/// The local catalog: harvest sources on the loopback address are allowed (tests only), short timeouts and a
/// 10 MB answer bound.
async fn local_app(backend: Backend) -> TestApp {
    TestApp::spawn_configured(backend, false, |c| {
        c.opendata.harvest_allow_private_addresses = true;
        c.opendata.harvest_timeout_secs = 2;
        c.opendata.harvest_max_bytes = 10 * 1024 * 1024;
    })
    .await
}

async fn tenant_id(app: &TestApp, code: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM tenants WHERE code = $1")
        .bind(code)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap()
}

/// A CKAN API token of 高知市's administrator on `app`.
async fn city_token(app: &TestApp) -> String {
    let tenant = tenant_id(app, "392014").await;
    let staff: i64 = sqlx::query_scalar("SELECT id FROM staff WHERE login = 'kochi-city-admin'")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    madoguchi_opendata::store::create_token(&app.ctx.db, tenant, staff, "テスト")
        .await
        .unwrap()
}

async fn action(app: &TestApp, name: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url(&format!("/api/3/action/{name}")))
        .json(&body);
    if let Some(t) = token {
        req = req.header("Authorization", t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// Creates a harvest source on the staff page as the prefecture's administrator; returns its id.
async fn add_source(local: &TestApp, name: &str, kind: &str, url: &str) -> i64 {
    let org = tenant_id(local, "392014").await.to_string();
    let b = local.as_staff("pref-admin").await;
    let r = b
        .post_form(
            "/staff/opendata/harvest",
            &[
                ("name", name),
                ("kind", kind),
                ("url", url),
                ("org", &org),
                ("every_hours", "0"),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    location
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .expect("redirect to the source page")
}

/// A run's counts: (status, found, created, updated, deleted, requests, message).
type RunRow = (String, i64, i64, i64, i64, i64, String);

/// Queues a run with the page's button, runs the job, and returns the run's log row.
async fn run_source(local: &TestApp, id: i64) -> RunRow {
    let b = local.as_staff("pref-admin").await;
    let page = format!("/staff/opendata/harvest/{id}");
    let r = b.post_form_from(&page, &format!("{page}/run"), &[]).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("実行待ちにしました"));
    local.drain_jobs().await;
    let row: RunRow = sqlx::query_as(
        "SELECT status, found, created, updated, deleted, requests, message FROM od_harvest_runs
         WHERE source_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&local.ctx.db.read)
    .await
    .unwrap();
    // The run log is on the source's page.
    let (status, html) = b.get_page(&page).await;
    assert_eq!(status, 200);
    assert!(html.contains("実行記録"));
    assert!(html.contains(&format!("data-status=\"{}\"", row.0)));
    row
}

async fn active_harvested(local: &TestApp, source: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM od_datasets WHERE harvest_source_id = $1 AND state = 'active'",
    )
    .bind(source)
    .fetch_one(&local.ctx.db.read)
    .await
    .unwrap()
}

async fn harvests_a_second_instance_incrementally_with_deletions(backend: Backend) {
    let remote = TestApp::spawn(backend).await;
    let local = local_app(backend).await;
    let token = city_token(&remote).await;
    for i in 1..=5 {
        let (s, v) = action(
            &remote,
            "package_create",
            Some(&token),
            json!({
                "name": format!("kochi-data-{i}"),
                "owner_org": "392014",
                "title": format!("高知市のデータ{i}<script>alert(1)</script>"),
                "notes": "高知市が公開しているデータです。",
                "tags": [{"name": "高知市"}, {"name": "統計"}],
                "resources": [{"name": "CSV", "url": format!("https://example.jp/data{i}.csv"), "format": "CSV"}],
            }),
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
    let source = add_source(&local, "高知市オープンデータ", "ckan", &remote.addr).await;

    // The first run takes everything.
    let first = run_source(&local, source).await;
    assert_eq!(
        (first.0.as_str(), first.1, first.2, first.3, first.4),
        ("succeeded", 5, 5, 0, 0),
        "{first:?}"
    );
    // package_search page + package_list page.
    assert_eq!(first.5, 2);
    assert_eq!(active_harvested(&local, source).await, 5);

    // Harvested datasets are in search, package_show, DCAT and the public pages, with their source named.
    let (s, v) = action(&local, "package_show", None, json!({"id": "kochi-data-1"})).await;
    assert_eq!(s, 200, "{v}");
    let r = &v["result"];
    assert_eq!(r["organization"]["name"], "392014");
    assert_eq!(r["resources"][0]["url"], "https://example.jp/data1.csv");
    let extras = r["extras"].as_array().unwrap();
    assert!(
        extras
            .iter()
            .any(|e| e["key"] == "harvest_source_title" && e["value"] == "高知市オープンデータ")
    );
    assert!(extras.iter().any(|e| e["key"] == "harvest_url"
        && e["value"] == format!("{}/dataset/kochi-data-1", remote.addr)));
    let (s, v) = action(
        &local,
        "package_search",
        None,
        json!({"q": "高知市のデータ"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["result"]["count"], 5);
    let (s, html) = local.get_text("/opendata/dataset/kochi-data-1").await;
    assert_eq!(s, 200);
    assert!(html.contains("「高知市オープンデータ」から取り込んだ"));
    assert!(html.contains("alert(1)"), "the remote title is shown");
    assert!(
        !html.contains("<script>alert(1)"),
        "remote titles are escaped"
    );
    let (s, ttl) = local.get_text("/catalog.ttl").await;
    assert_eq!(s, 200);
    assert!(ttl.contains("高知市のデータ1"));

    // Harvested datasets are read-only here: the CKAN API and the staff pages refuse with a clear message.
    let local_token = city_token(&local).await;
    let (s, v) = action(
        &local,
        "package_patch",
        Some(&local_token),
        json!({"id": "kochi-data-1", "title": "書き換え"}),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ハーベスト")
    );
    let (s, _) = action(
        &local,
        "package_delete",
        Some(&local_token),
        json!({"id": "kochi-data-1"}),
    )
    .await;
    assert_eq!(s, 403);
    let id: String = sqlx::query_scalar("SELECT id FROM od_datasets WHERE name = 'kochi-data-1'")
        .fetch_one(&local.ctx.db.read)
        .await
        .unwrap();
    let city = local.as_staff("kochi-city-admin").await;
    let r = city
        .post_form(&format!("/staff/opendata/datasets/{id}/delete"), &[])
        .await;
    assert_eq!(r.status().as_u16(), 409);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("取り込み元のカタログで変更してください")
    );
    assert_eq!(active_harvested(&local, source).await, 5);

    // An edit at the source is picked up by the next run, which only fetches what changed since the last.
    let (s, v) = action(
        &remote,
        "package_patch",
        Some(&token),
        json!({"id": "kochi-data-2", "title": "高知市のデータ2（改訂）"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let second = run_source(&local, source).await;
    assert_eq!(second.0, "succeeded", "{second:?}");
    assert_eq!((second.2, second.3, second.4), (0, 1, 0), "{second:?}");
    // Only the modified dataset and the one at the high-water mark itself come back, not all five.
    assert!(second.1 <= 2, "incremental: {second:?}");
    let (_, v) = action(&local, "package_show", None, json!({"id": "kochi-data-2"})).await;
    assert_eq!(v["result"]["title"], "高知市のデータ2（改訂）");

    // A deletion at the source deletes here.
    let (s, _) = action(
        &remote,
        "package_delete",
        Some(&token),
        json!({"id": "kochi-data-3"}),
    )
    .await;
    assert_eq!(s, 200);
    let third = run_source(&local, source).await;
    assert_eq!((third.0.as_str(), third.4), ("succeeded", 1), "{third:?}");
    let (s, _) = action(&local, "package_show", None, json!({"id": "kochi-data-3"})).await;
    assert_eq!(s, 404);
    assert_eq!(active_harvested(&local, source).await, 4);

    local.finish().await;
    remote.finish().await;
}

/// A small server in the test: the Turtle feed at `/feed.ttl`, and misbehaviour on demand.
#[derive(Clone, Default)]
struct Feed {
    body: Arc<Mutex<String>>,
    mode: Arc<Mutex<&'static str>>,
}

async fn serve_feed(feed: Feed) -> String {
    use axum::response::IntoResponse;
    let app = axum::Router::new().route(
        "/feed.ttl",
        axum::routing::get(move || {
            let feed = feed.clone();
            async move {
                let mode = *feed.mode.lock().unwrap();
                match mode {
                    "slow" => {
                        tokio::time::sleep(std::time::Duration::from_secs(6)).await;
                        "".into_response()
                    }
                    "500" => {
                        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response()
                    }
                    "garbage" => "@prefix : <oops .\n\u{0}\u{1}ではない".into_response(),
                    "huge" => vec![b' '; 50 * 1024 * 1024].into_response(),
                    _ => (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "text/turtle; charset=utf-8",
                        )],
                        feed.body.lock().unwrap().clone(),
                    )
                        .into_response(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

const FEED: &str = r#"@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://opendata.city.nankoku.example.jp/dataset/aed> a dcat:Dataset ;
    dct:identifier "nankoku-aed" ;
    dct:title "AED設置箇所一覧"@ja , "AED locations"@en ;
    dct:description "南国市内のAED設置箇所です。"@ja ;
    dct:modified "2026-04-01T09:00:00Z"^^xsd:dateTime ;
    dcat:keyword "AED"@ja , "防災"@ja ;
    dct:license <https://creativecommons.org/licenses/by/4.0/> ;
    dcat:landingPage <https://opendata.city.nankoku.example.jp/dataset/aed> ;
    dcat:distribution [
        a dcat:Distribution ;
        dct:title "AED設置箇所（CSV）"@ja ;
        dcat:downloadURL <https://opendata.city.nankoku.example.jp/files/aed.csv> ;
        dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
        dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv>
    ] , [
        a dcat:Distribution ;
        dct:title "危ないリンク"@ja ;
        dcat:accessURL <javascript:alert(1)>
    ] .

<https://opendata.city.nankoku.example.jp/dataset/shelter> a dcat:Dataset ;
    dct:identifier "nankoku-shelter" ;
    dct:title "指定緊急避難場所一覧"@ja ;
    dct:modified "2026-05-01"^^xsd:date ;
    dcat:distribution <https://opendata.city.nankoku.example.jp/dist/shelter-xlsx> .

<https://opendata.city.nankoku.example.jp/dist/shelter-xlsx> a dcat:Distribution ;
    dct:title "避難場所（Excel）"@ja ;
    dcat:accessURL <https://opendata.city.nankoku.example.jp/files/shelter.xlsx> ;
    dct:format "XLSX" .
"#;

async fn harvests_a_dcat_turtle_feed(backend: Backend) {
    let local = local_app(backend).await;
    let feed = Feed::default();
    *feed.body.lock().unwrap() = FEED.into();
    *feed.mode.lock().unwrap() = "ok";
    let addr = serve_feed(feed.clone()).await;
    let source = add_source(
        &local,
        "南国市 DCAT",
        "dcat-turtle",
        &format!("{addr}/feed.ttl"),
    )
    .await;
    let first = run_source(&local, source).await;
    assert_eq!(
        (first.0.as_str(), first.1, first.2, first.3, first.4),
        ("succeeded", 2, 2, 0, 0),
        "{first:?}"
    );
    let (s, v) = action(&local, "package_show", None, json!({"id": "nankoku-aed"})).await;
    assert_eq!(s, 200, "{v}");
    let r = &v["result"];
    assert_eq!(r["title"], "AED設置箇所一覧", "the Japanese title is taken");
    assert_eq!(r["license_id"], "cc-by-4.0");
    assert_eq!(
        r["url"],
        "https://opendata.city.nankoku.example.jp/dataset/aed"
    );
    let resources = r["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "the javascript: link is left out");
    assert_eq!(
        resources[0]["url"],
        "https://opendata.city.nankoku.example.jp/files/aed.csv"
    );
    assert_eq!(resources[0]["format"], "CSV");
    assert_eq!(resources[0]["mimetype"], "text/csv");
    let tags: Vec<&str> = r["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["AED", "防災"]);
    let (_, v) = action(
        &local,
        "package_show",
        None,
        json!({"id": "nankoku-shelter"}),
    )
    .await;
    assert_eq!(v["result"]["resources"][0]["format"], "XLSX");

    // The same run again changes nothing; an edited dataset is updated and a dataset gone from the feed deleted.
    let again = run_source(&local, source).await;
    assert_eq!((again.2, again.3, again.4), (0, 0, 0), "{again:?}");
    let edited = FEED
        .replace("AED設置箇所一覧", "AED設置箇所一覧（令和8年度）")
        .replace("2026-04-01T09:00:00Z", "2026-06-01T09:00:00Z");
    let cut = edited
        .find("<https://opendata.city.nankoku.example.jp/dataset/shelter>")
        .unwrap();
    *feed.body.lock().unwrap() = edited[..cut].to_string();
    let third = run_source(&local, source).await;
    assert_eq!(
        (third.0.as_str(), third.2, third.3, third.4),
        ("succeeded", 0, 1, 1),
        "{third:?}"
    );
    let (_, v) = action(&local, "package_show", None, json!({"id": "nankoku-aed"})).await;
    assert_eq!(v["result"]["title"], "AED設置箇所一覧（令和8年度）");
    let (s, _) = action(
        &local,
        "package_show",
        None,
        json!({"id": "nankoku-shelter"}),
    )
    .await;
    assert_eq!(s, 404);
    local.finish().await;
}

async fn a_misbehaving_source_fails_the_run_and_changes_nothing(backend: Backend) {
    let local = local_app(backend).await;
    let feed = Feed::default();
    *feed.body.lock().unwrap() = FEED.into();
    *feed.mode.lock().unwrap() = "ok";
    let addr = serve_feed(feed.clone()).await;
    let source = add_source(
        &local,
        "南国市 DCAT",
        "dcat-turtle",
        &format!("{addr}/feed.ttl"),
    )
    .await;
    assert_eq!(run_source(&local, source).await.2, 2);
    let version = local.scalar("SELECT version FROM od_catalog_version").await;
    for (mode, reason) in [
        ("slow", "時間内に"),
        ("500", "HTTP 500"),
        ("garbage", "Turtle として読めません"),
        ("huge", "大きすぎます"),
    ] {
        *feed.mode.lock().unwrap() = mode;
        let run = run_source(&local, source).await;
        assert_eq!(run.0, "failed", "{mode}: {run:?}");
        assert!(run.6.contains(reason), "{mode}: {run:?}");
        assert_eq!(active_harvested(&local, source).await, 2, "{mode}");
        assert_eq!(
            local.scalar("SELECT version FROM od_catalog_version").await,
            version,
            "{mode}: nothing written"
        );
        let b = local.as_staff("pref-admin").await;
        let (_, html) = b
            .get_page(&format!("/staff/opendata/harvest/{source}"))
            .await;
        assert!(html.contains(reason), "{mode}: the reason is on the page");
    }
    // A CKAN site that is not one (HTML instead of JSON) fails the same way.
    let not_ckan = add_source(&local, "CKANではない", "ckan", &format!("{addr}/feed.ttl")).await;
    *feed.mode.lock().unwrap() = "ok";
    let run = run_source(&local, not_ckan).await;
    assert_eq!(run.0, "failed", "{run:?}");
    local.finish().await;
}

async fn only_the_prefecture_administrator_configures_sources(backend: Backend) {
    // Default configuration: private addresses refused.
    let app = TestApp::spawn(backend).await;
    for login in [
        "pref-editor",
        "pref-viewer",
        "kochi-city-admin",
        "kochi-city-reviewer",
    ] {
        let b = app.as_staff(login).await;
        let (s, _) = b.get_page("/staff/opendata/harvest").await;
        assert_eq!(s, 403, "{login}");
        let csrf = b.csrf_for("/staff/opendata/harvest").await;
        let r = b
            .post_form_with(
                &csrf,
                "/staff/opendata/harvest",
                &[
                    ("name", "x"),
                    ("kind", "ckan"),
                    ("url", "https://example.jp"),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 403, "{login}");
    }
    let (s, _) = app.anonymous().get_page("/staff/opendata/harvest").await;
    assert_ne!(s, 200);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM od_harvest_sources").await,
        0
    );

    let admin = app.as_staff("pref-admin").await;
    let (s, html) = admin.get_page("/staff/opendata/harvest").await;
    assert_eq!(s, 200);
    assert!(hidden_value(&html, "_csrf").is_some());
    let org = tenant_id(&app, "392014").await.to_string();
    let long_name = "名".repeat(201);
    let long_url = format!("https://example.jp/{}", "a".repeat(2000));
    for (name, url, kind, every, field) in [
        ("x", "javascript:alert(1)", "ckan", "0", "URL"),
        ("x", "file:///etc/passwd", "ckan", "0", "URL"),
        ("x", "https://user:secret@example.jp/", "ckan", "0", "URL"),
        ("x", long_url.as_str(), "ckan", "0", "URL"),
        (
            long_name.as_str(),
            "https://example.jp",
            "ckan",
            "0",
            "名前",
        ),
        ("x", "https://example.jp", "solr", "0", "種類"),
        ("x", "https://example.jp", "ckan", "-1", "実行間隔"),
        ("x", "https://example.jp", "ckan", "abc", "実行間隔"),
    ] {
        let r = admin
            .post_form(
                "/staff/opendata/harvest",
                &[
                    ("name", name),
                    ("kind", kind),
                    ("url", url),
                    ("org", &org),
                    ("every_hours", every),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 422, "{name} {url} {kind} {every}");
        assert!(r.text().await.unwrap().contains(field), "{field}");
    }
    // Another prefecture's tenant is not an organisation it may file under; a missing CSRF value is refused.
    let r = admin
        .post_form(
            "/staff/opendata/harvest",
            &[
                ("name", "x"),
                ("kind", "ckan"),
                ("url", "https://example.jp"),
                ("org", "999999"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let r = admin
        .post_form_with(
            "",
            "/staff/opendata/harvest",
            &[
                ("name", "x"),
                ("kind", "ckan"),
                ("url", "https://example.jp"),
                ("org", &org),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM od_harvest_sources").await,
        0
    );

    // SSRF: without `harvest_allow_private_addresses` a source on an internal address fails its run.
    let source = add_source(&app, "内部", "ckan", &app.addr).await;
    let run = run_source(&app, source).await;
    assert_eq!(run.0, "failed");
    assert!(run.6.contains("内部のアドレス"), "{run:?}");
    assert_eq!(run.5, 0, "no request was made");
    // Other staff cannot see the source either.
    let city = app.as_staff("kochi-city-admin").await;
    let (s, _) = city
        .get_page(&format!("/staff/opendata/harvest/{source}"))
        .await;
    assert_eq!(s, 403);
    let (s, _) = admin.get_page("/staff/opendata/harvest/99999").await;
    assert_eq!(s, 404);
    app.finish().await;
}

async fn scheduled_sources_are_queued_once_per_interval(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = tenant_id(&app, "392014").await.to_string();
    let admin = app.as_staff("pref-admin").await;
    for (name, every, enabled) in [
        ("毎時", "1", true),
        ("手動", "0", true),
        ("停止中", "1", false),
    ] {
        let mut fields = vec![
            ("name", name),
            ("kind", "ckan"),
            ("url", "https://harvest.invalid/"),
            ("org", org.as_str()),
            ("every_hours", every),
        ];
        if enabled {
            fields.push(("enabled", "1"));
        }
        let r = admin.post_form("/staff/opendata/harvest", &fields).await;
        assert_eq!(r.status().as_u16(), 303);
    }
    // Only the enabled hourly source is due; a second look within the hour (another instance) queues nothing.
    assert_eq!(
        madoguchi_opendata::harvest::queue_due(&app.ctx.db)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        madoguchi_opendata::harvest::queue_due(&app.ctx.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM od_harvest_runs").await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'od_harvest'")
            .await,
        1
    );
    // The run fails (`.invalid` never resolves); it is logged, not retried.
    app.drain_jobs().await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM od_harvest_runs WHERE status = 'failed'")
            .await,
        1
    );
    app.finish().await;
}
