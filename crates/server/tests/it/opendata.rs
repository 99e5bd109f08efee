//! Open data catalog over HTTP, on SQLite and PostgreSQL: the CKAN Action API (envelopes, error shapes,
//! search paging, facets and filters, token auth), uploads with validation, staff pages, public pages,
//! DCAT, the prefecture dashboard, and the real `ckanapi` client from PyPI.

use crate::common;

use common::{TestApp, csrf_of};
use serde_json::{Value, json};

/// A sample AED file in the old layout (22 columns); `rows` are the data rows.
fn aed_csv(rows: &[&str]) -> String {
    let mut s = madoguchi_opendata::layout::find("aed")
        .unwrap()
        .header(madoguchi_opendata::layout::Variant::Old)
        .join(",");
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

const AED_ROW: &str = "392014,1,高知県,高知市,高知市役所,コウチシヤクショ,高知県高知市本町5-1-45,,33.5597,133.5311,1階,088-822-8111,,,,月火水木金,08:30,17:15,,有,,サンプル";
const AED_ROW2: &str = "392014,2,高知県,高知市,はりまや橋,ハリマヤバシ,高知県高知市はりまや町,,33.5610,133.5425,待合室,088-882-0000,,,,月火水木金土日,07:00,20:00,,無,,サンプル";

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

async fn get_action(app: &TestApp, path_and_query: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(&format!("/api/3/action/{path_and_query}")))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// Logs in as a staff account and creates an API token on the tokens page.
async fn token_for(app: &TestApp, login: &str) -> String {
    let client = app.as_staff(login).await.client;
    let page = client
        .get(app.url("/staff/opendata/tokens"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = client
        .post(app.url("/staff/opendata/tokens"))
        .form(&[("_csrf", csrf_of(&page).as_str()), ("name", "テスト連携")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    let marker = "id=\"new-token\" readonly value=\"";
    let start = html.find(marker).expect("token shown once") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

async fn seed(app: &TestApp) {
    assert!(madoguchi::demo::seed_opendata(&app.ctx).await.unwrap());
}

both!(
    ckan_envelopes_and_error_shapes_match_ckan,
    write_actions_need_a_token_of_the_owning_organisation,
    standard_dataset_uploads_are_validated_and_cp932_gets_a_utf8_copy,
    harvester_paging_filters_and_facets,
    staff_upload_report_draft_and_publish,
    public_pages_preview_map_download_and_dcat,
    prefecture_dashboard_counts_standard_datasets,
    ckanapi_client_round_trip,
    ckanapi_drives_every_write_action,
    dcat_documents_conform_to_dcat_ap_3,
);

async fn ckan_envelopes_and_error_shapes_match_ckan(app: &TestApp) {
    let (s, v) = get_action(app, "status_show").await;
    assert_eq!(s, 200);
    assert_eq!(v["success"], true);
    assert!(
        v["help"]
            .as_str()
            .unwrap()
            .ends_with("/api/3/action/help_show?name=status_show")
    );
    assert_eq!(v["result"]["locale_default"], "ja");
    // The unversioned path ckanapi uses.
    let r = app
        .client
        .get(app.url("/api/action/package_list"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let (s, v) = get_action(app, "no_such_action").await;
    assert_eq!(s, 400);
    assert_eq!(
        v,
        json!("Bad request: Action name not known: no_such_action")
    );

    let (s, v) = get_action(app, "package_create?name=x").await;
    assert_eq!(s, 400);
    assert!(v.is_string());

    let (s, v) = get_action(app, "package_show?id=missing").await;
    assert_eq!(s, 404);
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["__type"], "Not Found Error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Not found")
    );

    let (s, v) = action(
        app,
        "package_create",
        None,
        json!({"name": "abc", "owner_org": "392014"}),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(v["error"]["__type"], "Authorization Error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Access denied")
    );

    let (s, v) = get_action(app, "package_search?fq=organization:(a").await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["__type"], "Search Query Error");
    let (s, v) = get_action(app, "package_search?sort=bogus%20asc").await;
    assert_eq!(
        (s, v["error"]["__type"].as_str()),
        (400, Some("Search Query Error"))
    );

    let token = token_for(app, "kochi-city-admin").await;
    let (s, v) = action(
        app,
        "package_create",
        Some(&token),
        json!({"name": "Bad Name!", "owner_org": "392014", "title": "x"}),
    )
    .await;
    assert_eq!(s, 409);
    assert_eq!(v["error"]["__type"], "Validation Error");
    assert!(v["error"]["name"][0].as_str().unwrap().contains("URL名"));
    assert!(
        v["error"].get("message").is_none(),
        "CKAN validation errors carry no message"
    );

    // Malformed JSON is a bare-string 400, as in CKAN.
    let r = app
        .client
        .post(app.url("/api/3/action/package_create"))
        .header("Authorization", &token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.json::<Value>()
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .contains("JSON")
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM od_datasets").await, 0);
}

async fn write_actions_need_a_token_of_the_owning_organisation(app: &TestApp) {
    seed(app).await;
    let city = token_for(app, "kochi-city-admin").await;
    let pref = token_for(app, "pref-editor").await;
    let body = |name: &str| {
        json!({"name": name, "title": "公衆無線LANアクセスポイント一覧", "owner_org": "392014", "notes": "説明",
               "tags": [{"name": "Wi-Fi"}], "extras": [{"key": "更新頻度", "value": "年1回"}]})
    };
    // The raw token, `Bearer`, and `X-CKAN-API-Key` are all accepted.
    let (s, v) = action(app, "package_create", Some(&city), body("wifi-1")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"]["organization"]["name"], "392014");
    assert_eq!(
        v["result"]["license_id"], "cc-by-4.0",
        "CC BY 4.0 is the default"
    );
    let (s, _) = action(
        app,
        "package_create",
        Some(&format!("Bearer {city}")),
        body("wifi-2"),
    )
    .await;
    assert_eq!(s, 200);
    let r = app
        .client
        .post(app.url("/api/3/action/package_create"))
        .header("X-CKAN-API-Key", &city)
        .json(&body("wifi-3"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // Another organisation's token may not write into 高知市, nor edit its datasets.
    let (s, v) = action(app, "package_create", Some(&pref), body("wifi-4")).await;
    assert_eq!(
        (s, v["error"]["__type"].as_str()),
        (403, Some("Authorization Error"))
    );
    let (s, _) = action(
        app,
        "package_patch",
        Some(&pref),
        json!({"id": "wifi-1", "title": "乗っ取り"}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = action(
        app,
        "package_delete",
        Some(&pref),
        json!({"id": "kochi-city-aed"}),
    )
    .await;
    assert_eq!(s, 403);
    let (_, v) = get_action(app, "package_show?id=wifi-1").await;
    assert_eq!(v["result"]["title"], "公衆無線LANアクセスポイント一覧");

    // A viewer's token cannot write; an unknown token is anonymous.
    let reviewer = app.as_staff("kochi-city-reviewer").await.client;
    let r = reviewer
        .get(app.url("/staff/opendata/tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "only administrators and editors get tokens"
    );
    let viewer = madoguchi_opendata::store::create_token(&app.ctx.db, 2, 7, "直接作成")
        .await
        .unwrap();
    let (s, _) = action(
        app,
        "package_patch",
        Some(&viewer),
        json!({"id": "wifi-1", "title": "x"}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = action(
        app,
        "package_patch",
        Some("not-a-token"),
        json!({"id": "wifi-1", "title": "x"}),
    )
    .await;
    assert_eq!(s, 403);

    // patch keeps what it is not given; update replaces.
    let (s, v) = action(
        app,
        "package_patch",
        Some(&city),
        json!({"id": "wifi-1", "title": "公衆無線LAN（改訂）"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"]["notes"], "説明");
    assert_eq!(v["result"]["tags"][0]["name"], "Wi-Fi");
    let (s, v) = action(
        app,
        "package_update",
        Some(&city),
        json!({"id": "wifi-1", "name": "wifi-1", "title": "置き換え"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["result"]["notes"], "");
    assert_eq!(v["result"]["tags"], json!([]));
    // A name already used is a field error and changes nothing.
    let (s, v) = action(
        app,
        "package_update",
        Some(&city),
        json!({"id": "wifi-1", "name": "wifi-2", "title": "重複"}),
    )
    .await;
    assert_eq!(s, 409);
    assert!(v["error"]["name"].is_array());
    let (_, v) = get_action(app, "package_show?id=wifi-1").await;
    assert_eq!(v["result"]["title"], "置き換え");

    // Private datasets are visible to their organisation's token only.
    let (s, _) = action(
        app,
        "package_create",
        Some(&city),
        json!({"name": "private-one", "title": "非公開", "owner_org": "392014", "private": true}),
    )
    .await;
    assert_eq!(s, 200);
    // CKAN answers 403 (not 404) to a private dataset of another organisation.
    let (s, v) = get_action(app, "package_show?id=private-one").await;
    assert_eq!(
        (s, v["error"]["__type"].as_str()),
        (403, Some("Authorization Error"))
    );
    let r = app
        .client
        .get(app.url("/api/3/action/package_show?id=private-one"))
        .header("Authorization", &city)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (_, v) = get_action(app, "package_list").await;
    assert!(
        !v["result"]
            .as_array()
            .unwrap()
            .contains(&json!("private-one"))
    );

    let (s, v) = action(app, "package_delete", Some(&city), json!({"id": "wifi-3"})).await;
    assert_eq!((s, &v["result"]), (200, &Value::Null));
    let (s, _) = get_action(app, "package_show?id=wifi-3").await;
    assert_eq!(s, 404);

    // A revoked token stops working.
    let client = app.as_staff("kochi-city-admin").await.client;
    let page = client
        .get(app.url("/staff/opendata/tokens"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM od_api_tokens")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let r = client
        .post(app.url(&format!("/staff/opendata/tokens/{id}/revoke")))
        .form(&[("_csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (s, _) = action(
        app,
        "package_patch",
        Some(&city),
        json!({"id": "wifi-1", "title": "x"}),
    )
    .await;
    assert_eq!(s, 403);
}

async fn upload(
    app: &TestApp,
    token: &str,
    package: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .text("package_id", package.to_string())
        .text("name", "AED一覧")
        .part(
            "upload",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
        );
    let r = app
        .client
        .post(app.url("/api/3/action/resource_create"))
        .header("Authorization", token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

async fn standard_dataset_uploads_are_validated_and_cp932_gets_a_utf8_copy(app: &TestApp) {
    let token = token_for(app, "kochi-city-admin").await;
    let (s, v) = action(
        app,
        "package_create",
        Some(&token),
        json!({"name": "aed", "title": "AED設置箇所", "owner_org": "392014",
        "extras": [{"key": "standard_dataset", "value": "aed"}]}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let tags: Vec<&str> = v["result"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"自治体標準ODS") && tags.contains(&"AED設置箇所"),
        "BODIK tags: {tags:?}"
    );

    // Errors refuse the upload and leave everything as it was.
    let bad = aed_csv(&[
        AED_ROW,
        &AED_ROW2
            .replace("33.5610,133.5425", "133.5425,33.5610")
            .replace("392014", "392015"),
    ]);
    let (s, v) = upload(app, &token, "aed", "aed.csv", bad.into_bytes()).await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["__type"], "Validation Error");
    let msgs = v["error"]["upload"].as_array().unwrap();
    assert!(
        msgs.iter()
            .any(|m| m.as_str().unwrap().starts_with("3行目「緯度」")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.as_str().unwrap().contains("検査数字")),
        "{msgs:?}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM od_resources").await, 0);
    let files = walk(&app.data_dir.join("objects"));
    assert!(
        files.iter().all(|f| !f.contains("opendata")),
        "nothing stored: {files:?}"
    );

    // A CP932 file is ONE resource: its UTF-8 copy as `url`, the original kept and linked.
    let good = aed_csv(&[AED_ROW, AED_ROW2]);
    let cp932 = madoguchi_japanese::encoding::encode_cp932(&good).unwrap();
    let (s, v) = upload(app, &token, "aed", "AED一覧.csv", cp932.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"]["character_encoding"], "UTF-8");
    assert_eq!(v["result"]["original_character_encoding"], "Shift_JIS");
    let (_, v) = get_action(app, "package_show?id=aed").await;
    let res = v["result"]["resources"].as_array().unwrap();
    assert_eq!(res.len(), 1, "{res:?}");
    assert_eq!(res[0]["character_encoding"], "UTF-8");
    assert_eq!(res[0]["name"], "AED一覧", "the name given, not renamed");
    let original_id = res[0]["original_resource_id"].as_str().unwrap();
    let copy = app
        .client
        .get(
            res[0]["url"]
                .as_str()
                .unwrap()
                .replace("http://127.0.0.1:8080", &app.addr),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(copy.text().await.unwrap(), good);
    let orig = app
        .client
        .get(
            res[0]["original_url"]
                .as_str()
                .unwrap()
                .replace("http://127.0.0.1:8080", &app.addr),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        orig.bytes().await.unwrap().to_vec(),
        cp932,
        "the original is kept byte for byte"
    );

    // The datastore-like query API: filters, q, sort, paging, on the resource or its original.
    for rid in [res[0]["id"].as_str().unwrap(), original_id] {
        let (s, v) = action(
            app,
            "datastore_search",
            None,
            json!({"resource_id": rid, "filters": {"小児対応設備の有無": "有"}}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["result"]["total"], 1);
        assert_eq!(v["result"]["records"][0]["名称"], "高知市役所");
    }
    let rid = res[0]["id"].as_str().unwrap();
    let (_, v) = get_action(
        app,
        &format!("datastore_search?resource_id={rid}&sort=%E7%B5%8C%E5%BA%A6%20desc&limit=1"),
    )
    .await;
    assert_eq!(v["result"]["records"][0]["名称"], "はりまや橋");
    assert_eq!(v["result"]["total"], 2);
    let (_, v) = get_action(
        app,
        &format!(
            "datastore_search?resource_id={rid}&q=%E3%81%AF%E3%82%8A%E3%81%BE%E3%82%84&offset=0"
        ),
    )
    .await;
    assert_eq!(v["result"]["total"], 1);
    let (s, v) = action(
        app,
        "datastore_search",
        None,
        json!({"resource_id": rid, "filters": {"存在しない列": "x"}}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["__type"].as_str()),
        (409, Some("Validation Error"))
    );

    // A file with warnings only is published through the API (the report is in the resource).
    let extra = aed_csv(&[AED_ROW])
        .replacen("備考\n", "備考,独自列\n", 1)
        .replacen("サンプル\n", "サンプル,x\n", 1);
    let (s, v) = upload(app, &token, "aed", "extra.csv", extra.into_bytes()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"]["validation_warnings"], 1);
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

async fn harvester_paging_filters_and_facets(app: &TestApp) {
    seed(app).await;
    let token = token_for(app, "kochi-city-admin").await;
    let before = chrono::Utc::now();
    for i in 0..23 {
        let (s, _) = action(
            app,
            "package_create",
            Some(&token),
            json!({"name": format!("ds-{i:02}"), "title": format!("統計データ{i}"),
            "owner_org": "392014", "tags": [{"name": if i % 2 == 0 { "偶数" } else { "奇数" }}]}),
        )
        .await;
        assert_eq!(s, 200);
    }
    let total = 23 + 5;
    // Page with `sort=id asc` until an empty page, as ckanext-harvest does: every dataset once.
    let mut seen = std::collections::HashSet::new();
    let mut start = 0;
    loop {
        let (s, v) = get_action(
            app,
            &format!("package_search?rows=10&start={start}&sort=id%20asc&q=*:*"),
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(v["result"]["count"], total);
        let page = v["result"]["results"].as_array().unwrap();
        if page.is_empty() {
            break;
        }
        let ids: Vec<&str> = page.iter().map(|d| d["id"].as_str().unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        for id in ids {
            assert!(seen.insert(id.to_string()), "page repeated {id}");
        }
        start += 10;
    }
    assert_eq!(seen.len(), total);

    let fq = |f: &str| percent(f);
    let (_, v) = get_action(
        app,
        &format!(
            "package_search?rows=0&fq={}",
            fq("organization:392049 OR organization:390003")
        ),
    )
    .await;
    assert_eq!(v["result"]["count"], 3);
    let (_, v) = get_action(
        app,
        &format!("package_search?rows=0&fq={}", fq("-organization:392014")),
    )
    .await;
    assert_eq!(v["result"]["count"], 3);
    let (_, v) = get_action(
        app,
        &format!("package_search?rows=0&fq={}", fq("groups:bousai")),
    )
    .await;
    assert_eq!(v["result"]["count"], 2);
    let since = before.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let (_, v) = get_action(
        app,
        &format!(
            "package_search?rows=0&fq={}",
            fq(&format!(
                "metadata_modified:[{since} TO *] AND organization:392014"
            ))
        ),
    )
    .await;
    assert_eq!(v["result"]["count"], 23);
    let (_, v) = get_action(
        app,
        &format!(
            "package_search?rows=0&fq={}",
            fq("metadata_modified:[* TO 2000-01-01T00:00:00Z]")
        ),
    )
    .await;
    assert_eq!(v["result"]["count"], 0);

    // Facets, CKAN's two shapes.
    let (_, v) = get_action(
        app,
        &format!(
            "package_search?rows=0&facet.field={}",
            fq(r#"["organization","tags","res_format","license_id"]"#)
        ),
    )
    .await;
    let f = &v["result"]["facets"];
    assert_eq!(f["organization"]["392014"], 25);
    assert_eq!(f["tags"]["偶数"], 12);
    assert_eq!(f["res_format"]["CSV"], 5);
    let org_items = v["result"]["search_facets"]["organization"]["items"]
        .as_array()
        .unwrap();
    assert_eq!(org_items[0]["name"], "392014");
    assert_eq!(org_items[0]["display_name"], "高知市");

    // Japanese full text, newest first.
    let (_, v) = get_action(app, &format!("package_search?q={}", fq("避難場所"))).await;
    assert_eq!(v["result"]["results"][0]["name"], "nankoku-evacuation");
    let (_, v) = get_action(
        app,
        &format!(
            "package_search?q={}&rows=1&sort=metadata_modified%20desc",
            fq("統計データ")
        ),
    )
    .await;
    assert_eq!(v["result"]["count"], 23);
    assert_eq!(v["result"]["results"][0]["name"], "ds-22");
    let (_, v) = get_action(app, &format!("package_search?q={}", fq("tags:奇数 統計"))).await;
    assert_eq!(v["result"]["count"], 11);

    let (_, v) = get_action(app, "organization_list?all_fields=true").await;
    let orgs = v["result"].as_array().unwrap();
    assert_eq!(orgs.len(), 3);
    assert!(
        orgs.iter()
            .any(|o| o["name"] == "392014" && o["package_count"] == 25)
    );
    let (_, v) = get_action(app, "organization_show?id=392049&include_datasets=true").await;
    assert_eq!(v["result"]["packages"][0]["name"], "nankoku-evacuation");
    let (_, v) = get_action(app, "group_list").await;
    assert_eq!(v["result"], json!(["bousai", "kanko"]));
    let (_, v) = get_action(app, "tag_list").await;
    assert!(
        v["result"]
            .as_array()
            .unwrap()
            .contains(&json!("自治体標準ODS"))
    );
    let (_, v) = get_action(app, "package_list?limit=2&offset=1").await;
    assert_eq!(v["result"], json!(["ds-01", "ds-02"]));
    let (_, v) = get_action(app, "package_show?id=kochi-city-aed").await;
    let rid = v["result"]["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = get_action(app, &format!("resource_show?id={rid}")).await;
    assert_eq!((s, v["result"]["format"].as_str()), (200, Some("CSV")));
}

fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn new_dataset_via_page(app: &TestApp, client: &reqwest::Client) -> String {
    let page = client
        .get(app.url("/staff/opendata/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    // A bad name is reported on the field, nothing is stored.
    let r = client
        .post(app.url("/staff/opendata/new"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("title", "AED"),
            ("name", "ＡＥＤ"),
            ("standard_type", "aed"),
            ("license_id", "cc-by-4.0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("URL名は2〜100文字"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM od_datasets WHERE tenant_id = 2")
            .await,
        0
    );
    let r = client
        .post(app.url("/staff/opendata/new"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("title", "AED設置箇所一覧"),
            ("name", "city-aed"),
            ("standard_type", "aed"),
            ("license_id", "cc-by-4.0"),
            ("tags", "防災、救命"),
            ("notes", "市内のAED"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    app.location(&r)
}

async fn staff_upload(
    client: &reqwest::Client,
    url: &str,
    csrf: &str,
    name: &str,
    body: Vec<u8>,
    accept: bool,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new()
        .text("_csrf", csrf.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(body).file_name(name.to_string()),
        );
    if accept {
        form = form.text("accept_warnings", "1");
    }
    client
        .post(format!("{url}/resources"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn staff_upload_report_draft_and_publish(app: &TestApp) {
    let viewer = app.as_staff("pref-viewer").await.client;
    let r = viewer.get(app.url("/staff/opendata")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);

    let client = app.as_staff("kochi-city-admin").await.client;
    let location = new_dataset_via_page(app, &client).await;
    let url = location.split('?').next().unwrap().to_string();
    let page = client
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("データセットを作成しました"));
    let csrf = csrf_of(&page);

    // Errors: the report lists row and column in Japanese; nothing is stored.
    let bad = aed_csv(&[
        AED_ROW,
        &AED_ROW2.replace("08:30", "8時半").replace("07:00", "7時"),
    ]);
    let r = staff_upload(&client, &url, &csrf, "aed.csv", bad.into_bytes(), true).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("3行目「開始時間」"), "{html}");
    assert!(html.contains("エラーが 1 件あるため登録できません"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM od_resources").await, 0);

    // Warnings only, not accepted: stored as a draft, invisible to the public.
    let warn = aed_csv(&[AED_ROW]).replace("サンプル", " サンプル ");
    let r = staff_upload(&client, &url, &csrf, "aed.csv", warn.into_bytes(), false).await;
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("公開待ち"), "{html}");
    assert!(html.contains("前後に空白"));
    let (_, v) = get_action(app, "package_show?id=city-aed").await;
    assert_eq!(v["result"]["num_resources"], 0);
    let rid: String = sqlx::query_scalar("SELECT id FROM od_resources")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let (s, _) = app
        .get_text(&format!("/opendata/dataset/city-aed/resource/{rid}"))
        .await;
    assert_eq!(s, 404);

    // Another tenant's staff cannot publish it.
    let pref = app.as_staff("pref-admin").await.client;
    let p = pref
        .get(app.url("/staff/opendata"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = pref
        .post(app.url(&format!("/staff/opendata/resources/{rid}/publish")))
        .form(&[("_csrf", csrf_of(&p).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    let r = client
        .post(app.url(&format!("/staff/opendata/resources/{rid}/publish")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, v) = get_action(app, "package_show?id=city-aed").await;
    assert_eq!(v["result"]["num_resources"], 1);
    let (s, html) = app
        .get_text(&format!("/opendata/dataset/city-aed/resource/{rid}"))
        .await;
    assert_eq!(s, 200);
    assert!(html.contains("高知市役所"));
    // The audit log records the upload and the publication.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'opendata.%'")
            .await,
        3
    );
}

async fn public_pages_preview_map_download_and_dcat(app: &TestApp) {
    seed(app).await;
    let (s, html) = app.get_text("/opendata?q=AED").await;
    assert_eq!(s, 200);
    assert!(html.contains("AED設置箇所一覧（高知市）"));
    let (_, html) = app.get_text("/opendata?organization=392049").await;
    assert!(
        html.contains("1件のデータセット") && html.contains("指定緊急避難場所一覧（南国市）"),
        "{html}"
    );
    let (_, html) = app
        .get_text("/opendata?q=%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84")
        .await;
    assert!(html.contains("0件のデータセット"));

    let (s, html) = app
        .get_text("/opendata/dataset/kochi-pref-public-facility")
        .await;
    assert_eq!(s, 200);
    assert!(html.contains("原本（Shift_JIS）"), "{html}");
    assert!(html.contains("rel=\"alternate\" type=\"text/turtle\""));
    // The Shift_JIS original previews without mojibake.
    let (_, v) = get_action(app, "package_show?id=kochi-pref-public-facility").await;
    let rid = v["result"]["resources"][0]["id"].as_str().unwrap();
    let (s, html) = app
        .get_text(&format!(
            "/opendata/dataset/kochi-pref-public-facility/resource/{rid}"
        ))
        .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("高知県立牧野植物園") && html.contains("<th scope=\"col\">名称</th>"),
        "{html}"
    );
    assert!(html.contains("<svg class=\"od-map\"") && html.contains("地図（5地点）"));

    let (_, v) = get_action(app, "package_show?id=kochi-city-aed").await;
    let url = v["result"]["resources"][0]["url"]
        .as_str()
        .unwrap()
        .replace("http://127.0.0.1:8080", &app.addr);
    let r = app.client.get(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("aed_kochi_city.csv")
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .starts_with("都道府県コード又は市区町村コード")
    );

    let r = app.get("/catalog.jsonld").await;
    assert_eq!(
        r.headers()["content-type"],
        "application/ld+json; charset=utf-8"
    );
    let v: Value = r.json().await.unwrap();
    let graph = v["@graph"].as_array().unwrap();
    assert!(
        graph
            .iter()
            .any(|n| n["@type"] == json!(["hydra:PagedCollection"])
                && n["hydra:totalItems"]["@value"] == "5")
    );
    let ds = graph
        .iter()
        .find(|n| n["dct:title"]["@value"] == "AED設置箇所一覧（高知市）")
        .unwrap();
    assert!(
        ds["dct:spatial"]["@id"]
            .as_str()
            .unwrap()
            .contains("/organization/392014")
    );
    assert!(
        ds["dct:conformsTo"]["@id"]
            .as_str()
            .unwrap()
            .ends_with("/standards/aed")
    );
    assert!(
        graph
            .iter()
            .any(|n| n["dct:identifier"] == "392014" && n["@type"] == json!(["dct:Location"]))
    );
    let (s, ttl) = app
        .get_text("/catalog.ttl?modified_since=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(s, 200);
    assert!(
        ttl.contains("@prefix dcat: <http://www.w3.org/ns/dcat#> .")
            && ttl.contains("dct:conformsTo")
    );
    let (s, ttl) = app
        .get_text("/opendata/dataset/nankoku-evacuation.ttl")
        .await;
    assert_eq!(s, 200);
    assert!(ttl.contains("\"指定緊急避難場所一覧（南国市）\"@ja"));
    let (_, v) = app
        .get_text("/catalog.jsonld?modified_since=2999-01-01T00:00:00Z")
        .await;
    assert!(v.contains("\"hydra:totalItems\""));
}

async fn prefecture_dashboard_counts_standard_datasets(app: &TestApp) {
    seed(app).await;
    let city = app.as_staff("kochi-city-admin").await.client;
    let r = city
        .get(app.url("/staff/opendata/dashboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);

    app.login("pref-admin").await;
    let (s, html) = app.get_text("/staff/opendata/dashboard").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("オープンデータの取組団体数</dt><dd>3 団体"),
        "{html}"
    );
    assert!(html.contains("推奨データセットの公開件数</dt><dd>4 件"));
    let r = app.get("/staff/opendata/dashboard.csv").await;
    let body = r.bytes().await.unwrap();
    assert!(
        body.starts_with(b"\xEF\xBB\xBF"),
        "{:?}",
        String::from_utf8_lossy(&body[..body.len().min(300)])
    );
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    assert!(
        text.contains("392014,高知市,2,1,0,0,0,0,1") || text.contains("392014,高知市,2"),
        "{text}"
    );
    assert!(text.contains("オープンデータの取組団体数,3"));
}

/// The venv python with the real `ckanapi` client (PyPI), installed by `scripts/ckanapi-setup`. Without it,
/// the test says so and stops, unless `MADOGUCHI_REQUIRE_CKANAPI=1` (set by `scripts/test`) makes its
/// absence a failure.
fn ckanapi_python() -> Option<String> {
    let python = std::env::var("MADOGUCHI_CKANAPI_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/madoguchi-ckanapi/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    if std::path::Path::new(&python).exists() {
        return Some(python);
    }
    assert!(
        std::env::var("MADOGUCHI_REQUIRE_CKANAPI").is_err(),
        "ckanapi venv missing at {python}: run scripts/test (or scripts/ckanapi-setup)"
    );
    eprintln!(
        "ckanapi is not installed ({python}); run scripts/ckanapi-setup to include this test"
    );
    None
}

/// Runs one of the ckanapi scripts beside this file; returns its stdout after asserting it succeeded.
async fn run_ckanapi(python: &str, script: &str, args: &[&str]) -> String {
    let script = format!("{}/tests/{script}", env!("CARGO_MANIFEST_DIR"));
    // ckanapi's dump starts worker processes by the name `ckanapi`, so the venv's bin goes first on PATH.
    let bin = std::path::Path::new(python)
        .parent()
        .unwrap()
        .display()
        .to_string();
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    let out = tokio::process::Command::new(python)
        .env("PATH", path)
        .arg(&script)
        .args(args)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed\n{stdout}\n{stderr}");
    stdout
}

/// The CP932 AED sample file the ckanapi scripts upload.
fn cp932_aed_file(app: &TestApp) -> String {
    let csv = app.data_dir.join("aed-upload.csv");
    std::fs::write(
        &csv,
        madoguchi_japanese::encoding::encode_cp932(&aed_csv(&[AED_ROW, AED_ROW2])).unwrap(),
    )
    .unwrap();
    csv.display().to_string()
}

async fn ckanapi_client_round_trip(app: &TestApp) {
    let Some(python) = ckanapi_python() else {
        return;
    };
    seed(app).await;
    let token = token_for(app, "kochi-city-admin").await;
    let csv = cp932_aed_file(app);
    let dump = app.data_dir.join("dump.jsonl").display().to_string();
    let stdout = run_ckanapi(
        &python,
        "ckanapi_roundtrip.py",
        &[&app.addr, &token, &csv, &dump],
    )
    .await;
    assert!(stdout.contains("ckanapi round trip ok"), "{stdout}");
    // What the client created is in the database: the Shift_JIS original and its UTF-8 copy, one resource.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM od_resources r JOIN od_datasets d ON d.id = r.dataset_id WHERE d.name = 'ckanapi-aed'").await, 2);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM od_resources r JOIN od_datasets d ON d.id = r.dataset_id WHERE d.name = 'ckanapi-aed' AND r.original_id IS NOT NULL").await, 1);
}

/// Every CKAN write action through the real ckanapi client: package_update/patch replacing resources,
/// resource_update/patch, package_revise, package_resource_reorder, group_create, organization_create/patch,
/// member_create, deleted and private datasets, datastore_search's lists and links, the Shift_JIS upload as
/// one resource, and the refusals (anonymous, another organisation, a read-only token, `javascript:` links,
/// a billion-row limit).
async fn ckanapi_drives_every_write_action(app: &TestApp) {
    let Some(python) = ckanapi_python() else {
        return;
    };
    seed(app).await;
    let city = token_for(app, "kochi-city-admin").await;
    let pref = token_for(app, "pref-admin").await;
    // A viewer cannot make a token on the page; a token of a viewer (e.g. one demoted since) reads only.
    let viewer: (i64, i64) = {
        use sqlx::Row;
        let r = sqlx::query("SELECT id, tenant_id FROM staff WHERE login = 'pref-viewer'")
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
        (r.try_get("id").unwrap(), r.try_get("tenant_id").unwrap())
    };
    let readonly =
        madoguchi_opendata::store::create_token(&app.ctx.db, viewer.1, viewer.0, "閲覧のみ")
            .await
            .unwrap();
    let csv = cp932_aed_file(app);
    let stdout = run_ckanapi(
        &python,
        "ckanapi_writes.py",
        &[&app.addr, &city, &pref, &readonly, &csv],
    )
    .await;
    assert!(stdout.contains("ckanapi writes ok"), "{stdout}");
    // The refused calls left nothing behind: one new organisation, one new group, the writes-test dataset
    // with its three links, and no dataset made by anyone but 高知市.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM tenants WHERE code = '392022'")
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM od_groups WHERE name = 'writes-group'")
            .await,
        1
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM od_resources r JOIN od_datasets d ON d.id = r.dataset_id WHERE d.name = 'writes-test' AND r.state = 'active'").await, 3);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM od_datasets WHERE name = 'writes-private' AND state = 'deleted'"
        )
        .await,
        1
    );
}

/// `/catalog.ttl`, `/catalog.jsonld` and every dataset's `.ttl` and `.jsonld` conform to the DCAT-AP 3.0.1
/// shapes (validated with PyPI pyshacl, `scripts/pyshacl-setup`), carry 地方公共団体コード, 推奨データセット名
/// and 更新頻度, and their publisher and conformsTo IRIs are pages of the site.
async fn dcat_documents_conform_to_dcat_ap_3(app: &TestApp) {
    let python = std::env::var("MADOGUCHI_PYSHACL_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/madoguchi-pyshacl/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    if !std::path::Path::new(&python).exists() {
        assert!(
            std::env::var("MADOGUCHI_REQUIRE_PYSHACL").is_err(),
            "pyshacl venv missing at {python}: run scripts/pyshacl-setup"
        );
        eprintln!(
            "pyshacl is not installed ({python}); run scripts/pyshacl-setup to include this test"
        );
        return;
    }
    seed(app).await;
    let token = token_for(app, "kochi-city-admin").await;
    // A dataset with every optional field, a link without a name and a format without a vocabulary entry.
    let (s, v) = action(
        app,
        "package_create",
        Some(&token),
        json!({
            "name": "dcat-full", "title": "DCAT 確認用", "owner_org": "392014", "notes": "",
            "maintainer": "高知市 デジタル推進課",
            "extras": [{"key": "standard_dataset", "value": "aed"}, {"key": "更新頻度", "value": "毎月"}],
            "resources": [
                {"url": "https://example.jp/aed.csv", "format": "csv"},
                {"url": "https://example.jp/aed.bin", "name": "独自形式", "format": "XYZ"}
            ]
        }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, list) = get_action(app, "package_list").await;
    let dir = app.data_dir.join("dcat");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    let mut paths: Vec<String> = vec!["/catalog.ttl".into(), "/catalog.jsonld".into()];
    for name in list["result"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        paths.push(format!("/opendata/dataset/{name}.ttl"));
        paths.push(format!("/opendata/dataset/{name}.jsonld"));
    }
    assert!(paths.len() > 10, "{paths:?}");
    for (i, path) in paths.iter().enumerate() {
        let (status, body) = app.get_text(path).await;
        assert_eq!(status, 200, "{path}");
        let ext = if path.ends_with(".ttl") {
            "ttl"
        } else {
            "jsonld"
        };
        let file = dir.join(format!("{i}.{ext}"));
        std::fs::write(&file, body).unwrap();
        files.push(file.display().to_string());
    }
    let (_, ttl) = app.get_text("/opendata/dataset/dcat-full.ttl").await;
    for needle in [
        "Z\"^^xsd:dateTime",
        "<http://publications.europa.eu/resource/authority/file-type/CSV>",
        "<https://www.iana.org/assignments/media-types/text/csv>",
        "<http://publications.europa.eu/resource/authority/frequency/MONTHLY>",
        "a vcard:Kind, vcard:Organization",
    ] {
        assert!(ttl.contains(needle), "{needle} missing in\n{ttl}");
    }
    let (_, ttl) = app.get_text("/opendata/dataset/kochi-city-aed.ttl").await;
    assert!(ttl.contains("\"^^xsd:nonNegativeInteger"), "{ttl}");
    let shapes = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dcat-ap-3.0.1");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dcat_validate.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .arg(shapes)
        .arg("http://127.0.0.1:8080")
        .arg(&app.addr)
        .args(&files)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "pyshacl: {stdout}\n{stderr}");
    assert!(stdout.contains("dcat-ap conformance ok"), "{stdout}");
    // An unknown organisation or standard is not a page.
    assert_eq!(app.get_text("/opendata/organization/999999").await.0, 404);
    assert_eq!(app.get_text("/opendata/standards/nope").await.0, 404);
}

/// `madoguchi opendata validate FILE --layout aed` prints the report and exits non-zero on errors only.
#[test]
fn the_validate_command_reports_and_sets_the_exit_code() {
    let dir = std::env::temp_dir().join(format!("madoguchi-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_madoguchi");
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        madoguchi_japanese::encoding::encode_cp932(&aed_csv(&[AED_ROW, AED_ROW2])).unwrap(),
    )
    .unwrap();
    let out = std::process::Command::new(bin)
        .args(["opendata", "validate"])
        .arg(&good)
        .args(["--layout", "aed"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("文字コード: Shift_JIS") && text.contains("エラー 0 件、警告 0 件"),
        "{text}"
    );

    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        aed_csv(&[AED_ROW, &AED_ROW2.replace(",無,", ",なし,")]),
    )
    .unwrap();
    let out = std::process::Command::new(bin)
        .args(["opendata", "validate"])
        .arg(&bad)
        .args(["--layout", "aed"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "エラー\t3行目「小児対応設備の有無」\t「なし」ではなく「有」か「無」で記入してください"
        ),
        "{text}"
    );

    let out = std::process::Command::new(bin)
        .args(["opendata", "validate"])
        .arg(&bad)
        .args(["--layout", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("レイアウト「nope」はありません"));

    // `--json | head`: the reader closes the pipe after the first bytes of a report far larger than the
    // pipe's buffer; the command ends with its exit code instead of a panic.
    let rows: Vec<String> = (0..3000)
        .map(|i| AED_ROW2.replace(",無,", &format!(",なし{i},")))
        .collect();
    let many = dir.join("many.csv");
    std::fs::write(
        &many,
        aed_csv(&rows.iter().map(String::as_str).collect::<Vec<_>>()),
    )
    .unwrap();
    let mut child = std::process::Command::new(bin)
        .args(["opendata", "validate", "--json"])
        .arg(&many)
        .args(["--layout", "aed"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(String::from_utf8_lossy(&first).starts_with('{'));
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The FAQ's language resources for the catalog (IPADIC and the Sudachi synonyms, without the embedding model),
/// from `scripts/faq-setup`'s directory; `None` (said) when absent, a failure when
/// `MADOGUCHI_REQUIRE_FAQ_MODEL=1`.
fn word_resources() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("MADOGUCHI_FAQ_SETUP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/madoguchi-faq")
        });
    if dir.join("ipadic/Noun.csv").is_file()
        && dir.join("sudachi-synonyms-dictionary.json").is_file()
    {
        return Some(dir);
    }
    assert!(
        std::env::var("MADOGUCHI_REQUIRE_FAQ_MODEL").as_deref() != Ok("1"),
        "IPADIC or the Sudachi synonyms are missing in {}: run scripts/faq-setup",
        dir.display()
    );
    eprintln!(
        "skipped: no IPADIC in {} (scripts/faq-setup)",
        dir.display()
    );
    None
}

/// A server whose `data_dir/faq` holds only the word resources (links to them): the catalog and the FAQ
/// analyse words; no embedding model is loaded.
async fn spawn_with_words(backend: common::Backend) -> Option<TestApp> {
    let dir = word_resources()?;
    Some(
        TestApp::spawn_configured(backend, false, move |c| {
            let faq = c.data_dir.join("faq");
            std::fs::create_dir_all(&faq).unwrap();
            for f in [
                "ipadic",
                "ipadic-system.dic",
                "sudachi-synonyms-dictionary.json",
            ] {
                if dir.join(f).exists() {
                    std::os::unix::fs::symlink(dir.join(f), faq.join(f)).unwrap();
                }
            }
        })
        .await,
    )
}

macro_rules! with_and_without_words {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_words() {
                if let Some(app) = spawn_with_words(common::Backend::Sqlite).await {
                    super::$name(&app, true).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_words() {
                if let Some(app) = spawn_with_words(common::Backend::Postgres).await {
                    super::$name(&app, true).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_characters() {
                let app = TestApp::spawn(common::Backend::Sqlite).await;
                super::$name(&app, false).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_characters() {
                let app = TestApp::spawn(common::Backend::Postgres).await;
                super::$name(&app, false).await;
                app.finish().await;
            }
        }
    )*};
}

with_and_without_words!(everyday_words_find_datasets_over_api_and_page);

/// Names of the datasets `package_search` finds for `q` (all of them).
async fn found(app: &TestApp, q: &str) -> Vec<String> {
    let (s, v) = get_action(app, &format!("package_search?rows=1000&q={}", percent(q))).await;
    assert_eq!(s, 200, "q={q}: {v}");
    let names: Vec<String> = v["result"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(v["result"]["count"], names.len(), "q={q}");
    names
}

/// The public search page for `q`: status and HTML.
async fn page_for(app: &TestApp, q: &str) -> (u16, String) {
    app.get_text(&format!("/opendata?q={}", percent(q))).await
}

async fn everyday_words_find_datasets_over_api_and_page(app: &TestApp, words: bool) {
    seed(app).await;
    let token = token_for(app, "kochi-city-admin").await;
    for (name, title, private) in [
        ("koshu-toilet", "公衆トイレ一覧", false),
        ("hinan-naibu", "避難所運営の内部資料（トイレ備蓄）", true),
        ("toilet-old", "公衆トイレ一覧（旧）", false),
    ] {
        let (s, v) = action(
            app,
            "package_create",
            Some(&token),
            json!({"name": name, "title": title, "owner_org": "392014", "private": private,
                "notes": "市内の施設の所在地と利用時間です。", "tags": [{"name": "施設"}]}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, _) = action(
        app,
        "package_delete",
        Some(&token),
        json!({"id": "toilet-old"}),
    )
    .await;
    assert_eq!(s, 200);
    let hidden = ["hinan-naibu", "toilet-old"];

    // 避難所 is how residents say it; the dataset says 指定緊急避難場所. トイレ finds 公衆トイレ一覧.
    for (q, expected) in [("避難所", "nankoku-evacuation"), ("トイレ", "koshu-toilet")] {
        let names = found(app, q).await;
        assert!(
            names.iter().any(|n| n == expected),
            "{q} ({words}): {names:?}"
        );
        assert!(
            !names.iter().any(|n| hidden.contains(&n.as_str())),
            "{q}: {names:?}"
        );
        let (s, html) = page_for(app, q).await;
        assert_eq!(s, 200);
        assert!(
            html.contains(&format!("/opendata/dataset/{expected}\"")),
            "{q}: {html}"
        );
        assert!(
            !html.contains("内部資料") && !html.contains("（旧）"),
            "{q}: {html}"
        );
    }
    // Only the Sudachi synonyms know that お手洗い and 便所 are トイレ: proof of which path ran.
    for q in ["お手洗い", "便所"] {
        let names = found(app, q).await;
        assert_eq!(
            names.contains(&"koshu-toilet".to_string()),
            words,
            "{q}: {names:?}"
        );
    }
    // Half-width kana and full-width / half-width letters find the same as the usual spelling.
    for (a, b) in [
        ("ﾄｲﾚ", "トイレ"),
        ("ＡＥＤ", "AED"),
        ("ｈｉｎａｎ", "hinan"),
        ("避難所　トイレ", "避難所 トイレ"),
    ] {
        let (x, y) = (found(app, a).await, found(app, b).await);
        assert_eq!(x, y, "{a} / {b}");
    }
    assert!(
        found(app, "ＡＥＤ")
            .await
            .contains(&"kochi-city-aed".to_string())
    );
    // Nonsense finds nothing, on the API and on the page.
    for q in ["ぬゑゟゐ", "qzxwvkj", "ﾇｳﾞｪ"] {
        assert_eq!(found(app, q).await, Vec::<String>::new(), "{q}");
        let (s, html) = page_for(app, q).await;
        assert_eq!(s, 200);
        assert!(html.contains(">0件のデータセット<"), "{q}: {html}");
    }
    // Private and deleted datasets never come out of a search, whatever is asked.
    for q in [
        "内部資料",
        "避難所 トイレ",
        "*:*",
        "name:toilet-old",
        "title:\"内部資料\"",
    ] {
        let names = found(app, q).await;
        assert!(
            !names.iter().any(|n| hidden.contains(&n.as_str())),
            "{q}: {names:?}"
        );
    }
    // CKAN's q syntax is kept: fields, quoted phrases (as written), AND / OR.
    assert_eq!(found(app, "name:koshu-toilet").await, vec!["koshu-toilet"]);
    assert_eq!(found(app, "\"公衆トイレ\"").await, vec!["koshu-toilet"]);
    let either = found(app, "避難所 OR トイレ").await;
    assert!(
        either.contains(&"koshu-toilet".into()) && either.contains(&"nankoku-evacuation".into())
    );
    assert!(found(app, "避難所 AND トイレ").await.is_empty());
    assert_eq!(
        found(app, "トイレ -name:koshu-toilet").await,
        Vec::<String>::new()
    );
    // Relevance first by default: the dataset titled with the word comes before the others.
    assert_eq!(
        found(app, "公衆トイレ").await.first().map(String::as_str),
        Some("koshu-toilet")
    );

    // A very long q is refused before any work, in CKAN's error shape (GET and a 50 MB POST); the page says so.
    // (10,000 characters as a URL exceed what an HTTP client sends; 2,000 are refused the same way.)
    let long = "避".repeat(2_000);
    let (s, v) = get_action(app, &format!("package_search?q={}", percent(&long))).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["__type"], "Search Query Error");
    assert_eq!(
        v["error"]["message"],
        "Search Query is invalid: q is longer than 1000 characters"
    );
    for q in ["避".repeat(10_000), "a".repeat(50 * 1024 * 1024)] {
        let (s, v) = action(app, "package_search", None, json!({ "q": q })).await;
        assert_eq!(
            (s, v["error"]["__type"].as_str()),
            (400, Some("Search Query Error"))
        );
    }
    let (s, html) = page_for(app, &long).await;
    assert_eq!(s, 400);
    assert!(
        html.contains("検索語が長すぎます。1000文字以内で入力してください。"),
        "{html}"
    );
}
