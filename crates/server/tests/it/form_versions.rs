//! Form versions: the history page shows who published which version and what changed between two versions;
//! rollback publishes an older version again as a new one; earlier submissions keep their version.

use crate::common;

use common::{TestApp, csrf_of};

const V1: &str = r#"{"title":"講習会","department":"shoko","contact":{"name":"商工政策課","phone":"088-823-9000"},
  "capacity": 2,
  "parts":[
    {"key":"name","type":"name","label":"氏名","required":true},
    {"key":"course","type":"radio","label":"コース","required":true,"choices":[{"value":"a","label":"午前"},{"value":"b","label":"午後"}]},
    {"key":"memo","type":"textarea","label":"備考"}]}"#;

const V2: &str = r#"{"title":"講習会（第2回）","department":"shoko","contact":{"name":"商工政策課","phone":"088-823-9000"},
  "parts":[
    {"key":"name","type":"name","label":"お名前","required":true},
    {"key":"course","type":"radio","label":"コース","required":true,"choices":[{"value":"a","label":"午前の部"},{"value":"c","label":"夜間"}]}]}"#;

async fn import(client: &reqwest::Client, app: &TestApp, json: &str) -> u16 {
    let page = client
        .get(app.url("/staff/forms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    client
        .post(app.url("/staff/forms/import"))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("slug", "koshukai".into()),
            ("definition", json.into()),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn submit(app: &TestApp, course: &str) {
    let r = app
        .client
        .post(app.url("/api/v1/t/390003/forms/koshukai/submissions"))
        .json(&serde_json::json!({"answers": {"name": {"name": "髙橋 一郎"}, "course": course, "memo": "車いす"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
}

async fn history_diff_and_rollback(app: &TestApp) {
    let editor = app.as_staff("pref-editor").await.client;
    assert_eq!(import(&editor, app, V1).await, 303);
    submit(app, "b").await;
    assert_eq!(import(&editor, app, V2).await, 303);
    let id = app
        .scalar("SELECT id FROM forms WHERE slug = 'koshukai'")
        .await;

    // The history lists both versions; the default comparison is previous → current.
    let page = editor
        .get(app.url(&format!("/staff/forms/{id}/versions")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("公開中は第2版です"), "{page}");
    assert!(page.contains("第1版から第2版への変更"));
    for expected in [
        "タイトル: 「講習会」→「講習会（第2回）」",
        "定員: 2 → なし",
        "項目名: 「氏名」→「お名前」",
        "選択肢の表示名: 「午前」→「午前の部」",
        "選択肢を追加: 「夜間」",
        "選択肢を削除: 「午後」",
        "以前の申請の回答とCSVの列は残ります",
    ] {
        assert!(page.contains(expected), "missing {expected}");
    }

    // Three more submissions on version 2: version 1's capacity of 2 can no longer be restored.
    for _ in 0..3 {
        submit(app, "c").await;
    }
    let r = editor
        .post(app.url(&format!("/staff/forms/{id}/rollback")))
        .form(&[("_csrf", csrf_of(&page)), ("version", "1".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("この版には戻せません"), "{html}");
    assert!(
        html.contains("定員（2）が受付済みの申請数（4）を下回っています"),
        "{html}"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT MAX(version) FROM form_versions WHERE form_id = {id}"
        ))
        .await,
        2
    );

    // Without a capacity problem the rollback publishes version 1's content as version 3.
    sqlx::query("UPDATE form_versions SET definition = REPLACE(definition, '\"capacity\":2', '\"capacity\":10') WHERE form_id = $1 AND version = 1")
        .bind(id)
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    let r = editor
        .post(app.url(&format!("/staff/forms/{id}/rollback")))
        .form(&[("_csrf", csrf_of(&page)), ("version", "1".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let next = app.location(&r);
    let page = editor.get(next).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("第1版の内容を第3版として公開しました"),
        "{page}"
    );
    let def: serde_json::Value = editor
        .get(app.url(&format!("/staff/forms/{id}/definition.json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(def["title"], "講習会");
    assert_eq!(def["parts"][0]["label"], "氏名");
    // The first submission still carries version 1, the others version 2.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM submissions s JOIN form_versions v ON v.id = s.form_version_id WHERE s.form_id = {id} AND v.version = 1"
        ))
        .await,
        1
    );
}

async fn only_editors_of_the_tenant_may_roll_back(app: &TestApp) {
    let editor = app.as_staff("pref-editor").await.client;
    assert_eq!(import(&editor, app, V1).await, 303);
    assert_eq!(import(&editor, app, V2).await, 303);
    let id = app
        .scalar("SELECT id FROM forms WHERE slug = 'koshukai'")
        .await;

    // A viewer sees the history but may not publish.
    let viewer = app.as_staff("pref-viewer").await.client;
    let page = viewer
        .get(app.url(&format!("/staff/forms/{id}/versions")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("の内容で再公開する"));
    let r = viewer
        .post(app.url(&format!("/staff/forms/{id}/rollback")))
        .form(&[("_csrf", csrf_of(&page)), ("version", "1".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Without the CSRF token, refused even for the editor.
    let r = editor
        .post(app.url(&format!("/staff/forms/{id}/rollback")))
        .form(&[("version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Another tenant's administrator cannot see or roll back the prefecture's form.
    let city = app.as_staff("kochi-city-admin").await.client;
    let r = city
        .get(app.url(&format!("/staff/forms/{id}/versions")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let page = city
        .get(app.url("/staff/forms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = city
        .post(app.url(&format!("/staff/forms/{id}/rollback")))
        .form(&[("_csrf", csrf_of(&page)), ("version", "1".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // A version that does not exist.
    let page = editor
        .get(app.url("/staff/forms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = editor
        .post(app.url(&format!("/staff/forms/{id}/rollback")))
        .form(&[("_csrf", csrf_of(&page)), ("version", "9".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(
        app.scalar(&format!(
            "SELECT MAX(version) FROM form_versions WHERE form_id = {id}"
        ))
        .await,
        2
    );
}

both!(
    history_diff_and_rollback,
    only_editors_of_the_tenant_may_roll_back
);
