//! The no-code form builder over HTTP: a form made from scratch part by part, previewed, published, filled in,
//! changed and published again (earlier submissions keep their parts); the refusals before publishing;
//! translations and the resident's language switch; who may use the builder.

use crate::common;

use common::{TestApp, csrf_of, hidden_value, page_text};

async fn text(r: reqwest::Response) -> (u16, String) {
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Starts a new form in the builder; returns the working copy's id.
async fn start(client: &reqwest::Client, app: &TestApp, title: &str, slug: &str) -> i64 {
    let page = page_text(client, app, "/staff/builder/new").await;
    let r = client
        .post(app.url("/staff/builder/new"))
        .form(&[
            ("_csrf", csrf_of(&page).as_str()),
            ("title", title),
            ("slug", slug),
            ("department", "shoko"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let to = app.location(&r);
    to.rsplit('/').next().unwrap().parse().unwrap()
}

/// One builder change, made from the builder page as it is now (its CSRF value and revision).
async fn change(
    client: &reqwest::Client,
    app: &TestApp,
    id: i64,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let page = page_text(client, app, &format!("/staff/builder/{id}")).await;
    let mut form: Vec<(String, String)> = vec![
        ("_csrf".into(), csrf_of(&page)),
        ("rev".into(), hidden_value(&page, "rev").unwrap()),
    ];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let r = client
        .post(app.url(&format!("/staff/builder/{id}")))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    if status == 303 {
        let to = app.location(&r);
        let (_, body) = text(client.get(to).send().await.unwrap()).await;
        (303, body)
    } else {
        text(r).await
    }
}

async fn builder_page(client: &reqwest::Client, app: &TestApp, id: i64) -> String {
    let r = client
        .get(app.url(&format!("/staff/builder/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.text().await.unwrap()
}

async fn add(client: &reqwest::Client, app: &TestApp, id: i64, t: &str) {
    let (s, page) = change(client, app, id, &[("op", "add"), ("type", t)]).await;
    assert_eq!(s, 303, "{page}");
}

async fn submit(app: &TestApp, slug: &str, answers: serde_json::Value) -> String {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/t/390003/forms/{slug}/submissions")))
        .json(&serde_json::json!({ "answers": answers }))
        .send()
        .await
        .unwrap();
    let (s, body) = text(r).await;
    assert_eq!(s, 201, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["receipt_number"].as_str().unwrap().to_string()
}

/// A seminar sign-up with a conditional part, built from nothing.
async fn build_seminar(editor: &reqwest::Client, app: &TestApp) -> i64 {
    let id = start(editor, app, "防災講座 参加申込", "bousai").await;
    let page = builder_page(editor, app, id).await;
    assert!(page.contains("部品が1つもありません"), "{page}");
    add(editor, app, id, "radio").await;
    let (s, page) = change(
        editor,
        app,
        id,
        &[
            ("op", "update"),
            ("path", "0"),
            ("label", "参加方法"),
            ("key", "method"),
            ("help", ""),
            ("required", "on"),
            ("choices", "1 | 会場\n2 | オンライン"),
            ("cond_mode", "none"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{page}");
    assert!(page.contains("「参加方法」を保存しました"));
    add(editor, app, id, "text").await;
    let (s, page) = change(
        editor,
        app,
        id,
        &[
            ("op", "update"),
            ("path", "1"),
            ("label", "会場での配慮"),
            ("key", "care"),
            ("help", "車いす席など"),
            ("cond_mode", "in"),
            ("cond_part", "method"),
            ("cond_values", "会場"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{page}");
    add(editor, app, id, "name").await;
    let (s, page) = change(
        editor,
        app,
        id,
        &[
            ("op", "update"),
            ("path", "2"),
            ("label", "氏名"),
            ("key", "name"),
            ("required", "on"),
            ("furigana", "on"),
            ("cond_mode", "none"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{page}");
    // The name belongs first: two moves up, as the no-JavaScript buttons do.
    change(editor, app, id, &[("op", "up"), ("path", "2")]).await;
    let (_, page) = change(editor, app, id, &[("op", "up"), ("path", "1")]).await;
    let order: Vec<usize> = ["氏名", "参加方法", "会場での配慮"]
        .iter()
        .map(|l| {
            page.find(&format!("<strong class=\"part-label\">{l}</strong>"))
                .unwrap()
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "order after moves");
    assert!(
        !page.contains("を直してください"),
        "nothing stops publishing: {page}"
    );
    id
}

async fn build_publish_fill_and_change(app: &TestApp) {
    let editor = app.as_staff("pref-editor").await.client;
    let id = build_seminar(&editor, app).await;

    // The preview is the resident's page, framable only by the builder itself, with the condition wired up.
    let r = editor
        .get(app.url(&format!("/staff/builder/{id}/preview")))
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert_eq!(r.headers()["x-frame-options"], "SAMEORIGIN");
    let (s, preview) = text(r).await;
    assert_eq!(s, 200);
    assert!(preview.contains("プレビュー（この画面から申請は送信されません）"));
    assert!(preview.contains("data-show-if="), "{preview}");
    assert!(preview.contains("参加方法"));
    // Trying the preview: a required part left empty is reported as residents would see it.
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf_of(&preview))
        .text("_action", "confirm")
        .text("method", "1");
    let (s, tried) = text(
        editor
            .post(app.url(&format!("/staff/builder/{id}/preview")))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        tried.contains("入力内容に") && tried.contains("氏名"),
        "{tried}"
    );
    // Nothing was published yet: residents do not see the form.
    assert_eq!(
        app.get("/t/390003/forms/bousai").await.status().as_u16(),
        404
    );

    // Publish: version 1, the working copy is gone.
    let (s, page) = change(&editor, app, id, &[("op", "publish")]).await;
    assert_eq!(s, 303, "{page}");
    assert!(page.contains("初版（第1版）として公開しました"), "{page}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM builder_drafts").await, 0);
    let form_id = app
        .scalar("SELECT id FROM forms WHERE slug = 'bousai'")
        .await;

    // A resident applies for the venue and asks for a wheelchair seat; another joins online, and the
    // hidden part is not stored even if sent.
    let first = submit(
        app,
        "bousai",
        serde_json::json!({"name": {"name": "髙橋 﨑子", "furigana": "タカハシ サキコ"}, "method": "1", "care": "車いす席を希望します"}),
    )
    .await;
    submit(
        app,
        "bousai",
        serde_json::json!({"name": {"name": "山田 花子", "furigana": "ヤマダ ハナコ"}, "method": "2", "care": "送られても保存されない"}),
    )
    .await;
    let stored: String =
        sqlx::query_scalar("SELECT answers FROM submissions WHERE receipt_number <> $1")
            .bind(&first)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    assert!(!stored.contains("送られても"), "{stored}");

    // The form changes: the conditional part is removed and a choice renamed (its value kept).
    let r = editor
        .post(app.url(&format!("/staff/forms/{form_id}/edit")))
        .form(&[(
            "_csrf",
            csrf_of(&page_text(&editor, app, "/staff/forms").await),
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let id2: i64 = app
        .location(&r)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = builder_page(&editor, app, id2).await;
    assert!(page.contains("公開中のフォーム"), "{page}");
    let (s, _) = change(&editor, app, id2, &[("op", "delete"), ("path", "2")]).await;
    assert_eq!(s, 303);
    let (s, page) = change(
        &editor,
        app,
        id2,
        &[
            ("op", "update"),
            ("path", "1"),
            ("label", "参加のしかた"),
            ("key", "method"),
            ("required", "on"),
            ("choices", "1 | 会場（高知市）\n2 | オンライン"),
            ("cond_mode", "none"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{page}");
    let (s, page) = change(&editor, app, id2, &[("op", "publish")]).await;
    assert_eq!(s, 303, "{page}");
    assert!(page.contains("第2版として公開しました"));
    // The history shows what changed.
    assert!(
        page.contains("会場での配慮") && page.contains("削除"),
        "{page}"
    );

    // The earlier submission still displays and exports with its original parts.
    app.login("pref-admin").await;
    let sub_id = app
        .scalar(&format!(
            "SELECT id FROM submissions WHERE receipt_number = '{first}'"
        ))
        .await;
    let (s, shown) = app.get_text(&format!("/staff/submissions/{sub_id}")).await;
    assert_eq!(s, 200);
    assert!(
        shown.contains("会場での配慮") && shown.contains("車いす席を希望します"),
        "{shown}"
    );
    assert!(shown.contains("髙橋 﨑子"));
    let (s, csv) = app
        .get_text(&format!("/staff/forms/{form_id}/export.csv"))
        .await;
    assert_eq!(s, 200);
    assert!(csv.contains("車いす席を希望します"), "{csv}");
    assert!(
        csv.contains("会場での配慮"),
        "the removed part keeps its column"
    );
}

async fn builder_refuses_what_cannot_work(app: &TestApp) {
    let editor = app.as_staff("pref-editor").await.client;
    let id = build_seminar(&editor, app).await;
    let rev_before = app.scalar("SELECT revision FROM builder_drafts").await;

    // A choice part without choices, a duplicate key, an invalid pattern, an unknown condition value:
    // each refused with the field named, and nothing saved.
    let (s, page) = change(
        &editor,
        app,
        id,
        &[
            ("op", "update"),
            ("path", "1"),
            ("label", "参加方法"),
            ("key", "name"),
            ("choices", "  \n"),
            ("cond_mode", "none"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("選択肢を1つ以上入力してください。"), "{page}");
    assert!(page.contains("キー「name」はほかの部品が使っています。"));
    assert!(
        page.contains("href=\"#f-1-choices\""),
        "the summary links to the field"
    );
    let (s, page) = change(
        &editor,
        app,
        id,
        &[
            ("op", "update"),
            ("path", "2"),
            ("label", "会場での配慮"),
            ("key", "care"),
            ("pattern", "[0-9"),
            ("cond_mode", "in"),
            ("cond_part", "method"),
            ("cond_values", "屋外"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(page.contains("入力パターンが正しくありません"), "{page}");
    assert!(page.contains("条件の値「屋外」は、条件の部品の選択肢にありません。"));
    // The typed values are kept on the page.
    assert!(page.contains("value=\"[0-9\""));
    assert_eq!(
        app.scalar("SELECT revision FROM builder_drafts").await,
        rev_before
    );

    // Moving the conditional part above the part it depends on: the builder lists the problem and refuses
    // to publish it.
    let (s, page) = change(&editor, app, id, &[("op", "up"), ("path", "2")]).await;
    assert_eq!(s, 303);
    assert!(page.contains("この部品より前にありません"), "{page}");
    let (s, page) = change(&editor, app, id, &[("op", "publish")]).await;
    assert_eq!(s, 422, "{page}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM forms WHERE slug = 'bousai'")
            .await,
        0
    );
    // Drag and drop posts the whole order: put it back.
    let (s, page) = change(
        &editor,
        app,
        id,
        &[("op", "reorder"), ("parent", ""), ("order", "0,2,1")],
    )
    .await;
    assert_eq!(s, 303, "{page}");
    assert!(
        !page.contains("を直してください"),
        "nothing stops publishing"
    );
    let (s, _) = change(
        &editor,
        app,
        id,
        &[("op", "reorder"), ("parent", ""), ("order", "0,0,1")],
    )
    .await;
    assert_eq!(s, 400);

    // A page showing an older revision cannot overwrite a newer change.
    let page = page_text(&editor, app, &format!("/staff/builder/{id}")).await;
    let old_rev = hidden_value(&page, "rev").unwrap();
    add(&editor, app, id, "email").await;
    let r = editor
        .post(app.url(&format!("/staff/builder/{id}")))
        .form(&[
            ("_csrf", csrf_of(&page).as_str()),
            ("rev", old_rev.as_str()),
            ("op", "delete"),
            ("path", "0"),
        ])
        .send()
        .await
        .unwrap();
    let (s, page) = text(r).await;
    assert_eq!(s, 409);
    assert!(page.contains("先に変更しました"));
    assert!(
        page.contains("<strong class=\"part-label\">氏名</strong>"),
        "nothing deleted"
    );

    // Settings: a capacity below what was already received is refused at publishing.
    let (s, _) = change(&editor, app, id, &[("op", "publish")]).await;
    assert_eq!(s, 303);
    for who in ["髙橋 一郎", "山田 花子"] {
        submit(
            app,
            "bousai",
            serde_json::json!({"name": {"name": who, "furigana": "テスト"}, "method": "2"}),
        )
        .await;
    }
    let form_id = app
        .scalar("SELECT id FROM forms WHERE slug = 'bousai'")
        .await;
    let forms = page_text(&editor, app, "/staff/forms").await;
    let r = editor
        .post(app.url(&format!("/staff/forms/{form_id}/edit")))
        .form(&[("_csrf", csrf_of(&forms))])
        .send()
        .await
        .unwrap();
    let id2: i64 = app
        .location(&r)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let settings = [
        ("op", "settings"),
        ("title", "防災講座 参加申込"),
        ("department", "shoko"),
        ("capacity", "１"),
        ("max_total_mb", "10"),
        ("allowed_types", "application/pdf"),
    ];
    let (s, page) = change(&editor, app, id2, &settings).await;
    assert_eq!(s, 303, "{page}");
    let (s, page) = change(&editor, app, id2, &[("op", "publish")]).await;
    assert_eq!(s, 422);
    assert!(
        page.contains("定員（1）が受付済みの申請数（2）を下回っています。"),
        "{page}"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT MAX(version) FROM form_versions WHERE form_id = {form_id}"
        ))
        .await,
        1
    );
    // Bad settings: the fields are named and the typed values kept.
    let (s, page) = change(
        &editor,
        app,
        id2,
        &[
            ("op", "settings"),
            ("title", ""),
            ("department", "shoko"),
            ("opens_at", "来週"),
            ("capacity", "-3"),
            ("max_total_mb", "0"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    for m in [
        "タイトル: 入力してください。",
        "受付開始: 2026-04-01T09:00 の形で入力してください。",
        "定員: 1以上の半角数字",
        "添付ファイルの合計上限",
        "受け付けるファイルの種類: 1つ以上選んでください。",
    ] {
        assert!(page.contains(m), "{m}");
    }
    assert!(page.contains("value=\"来週\""));
}

async fn translations_and_language_switch(app: &TestApp) {
    let editor = app.as_staff("pref-editor").await.client;
    let id = build_seminar(&editor, app).await;
    let page = page_text(
        &editor,
        app,
        &format!("/staff/builder/{id}/translations?lang=en"),
    )
    .await;
    assert!(page.contains("「参加方法」の選択肢"), "{page}");
    let r = editor
        .post(app.url(&format!("/staff/builder/{id}/translations?lang=en")))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("rev", hidden_value(&page, "rev").unwrap()),
            ("title", "Disaster preparedness seminar".into()),
            ("p:method:label", "How will you join?".into()),
            ("p:method:c:1", "At the venue".into()),
            ("p:method:c:2", "Online".into()),
            ("p:care:label", "Help you need at the venue".into()),
            ("p:name:label", "Name".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let page = page_text(
        &editor,
        app,
        &format!("/staff/builder/{id}/translations?lang=ja-easy"),
    )
    .await;
    editor
        .post(app.url(&format!("/staff/builder/{id}/translations?lang=ja-easy")))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("rev", hidden_value(&page, "rev").unwrap()),
            ("p:method:label", "どうやって さんかしますか".into()),
        ])
        .send()
        .await
        .unwrap();
    // The preview in English.
    let (_, preview) = text(
        editor
            .get(app.url(&format!("/staff/builder/{id}/preview?lang=en")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(preview.contains("How will you join?") && preview.contains("At the venue"));
    let (s, _) = change(&editor, app, id, &[("op", "publish")]).await;
    assert_eq!(s, 303);

    // A resident switches language on the form; the choice is remembered for the next pages.
    let resident = app.browser();
    let r = resident
        .get(app.url("/t/390003/forms/bousai?lang=en"))
        .send()
        .await
        .unwrap();
    let cookies: Vec<&str> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("madoguchi_lang=en")),
        "{cookies:?}"
    );
    let (_, page) = text(r).await;
    assert!(page.contains("<html lang=\"en\">"), "{page}");
    assert!(page.contains("Disaster preparedness seminar"));
    assert!(page.contains("How will you join?") && page.contains("Online"));
    assert!(page.contains("<span class=\"req\">Required</span>"));
    assert!(page.contains("Check your answers"));
    // Untranslated texts stay Japanese; the switch offers every language the form has.
    assert!(page.contains("車いす席など"));
    assert!(page.contains("hreflang=\"ja\"") && page.contains("やさしい にほんご"));
    // Same rules whatever the language: a missing answer is refused, with the English label.
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf_of(&page))
        .text("_action", "confirm")
        .text("name.name", "Smith")
        .text("name.furigana", "スミス");
    let (s, page) = text(
        resident
            .post(app.url("/t/390003/forms/bousai"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        page.contains("How will you join?") && page.contains("problems with your answers"),
        "{page}"
    );
    let (_, page) = text(
        resident
            .get(app.url("/t/390003/forms/bousai?lang=ja"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("<html lang=\"ja\">") && page.contains("参加方法"));
    // Translations that name parts that do not exist are refused on import.
    let bad = r#"{"title":"t","department":"shoko","parts":[{"key":"a","type":"text","label":"A"}],
        "translations":{"en":{"parts":{"b":{"label":"B"}}},"fr":{"title":"x"}}}"#;
    let errors = madoguchi_forms::parse_definition(bad).unwrap_err();
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|e| e.contains("翻訳が指す部品「b」がありません")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|e| e.contains("「fr」には対応していません"))
    );
}

async fn only_editors_of_the_tenant_use_the_builder(app: &TestApp) {
    let editor = app.as_staff("pref-editor").await.client;
    let id = start(&editor, app, "アンケート", "survey-x").await;
    let viewer = app.as_staff("pref-viewer").await.client;
    assert_eq!(
        viewer
            .get(app.url("/staff/builder/new"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        viewer
            .get(app.url(&format!("/staff/builder/{id}")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    let city = app.as_staff("kochi-city-admin").await.client;
    for path in [
        format!("/staff/builder/{id}"),
        format!("/staff/builder/{id}/preview"),
        format!("/staff/builder/{id}/translations"),
    ] {
        let s = city
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(s, 404, "{path}");
    }
    let page = page_text(&city, app, "/staff/builder/new").await;
    let r = city
        .post(app.url(&format!("/staff/builder/{id}")))
        .form(&[
            ("_csrf", csrf_of(&page).as_str()),
            ("rev", "1"),
            ("op", "discard"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Without the CSRF value, refused.
    let r = editor
        .post(app.url(&format!("/staff/builder/{id}")))
        .form(&[("rev", "1"), ("op", "discard")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // The same URL name cannot be started twice.
    let page = page_text(&editor, app, "/staff/builder/new").await;
    assert!(
        page.contains("アンケート（survey-x）"),
        "listed as being edited"
    );
    let r = editor
        .post(app.url("/staff/builder/new"))
        .form(&[
            ("_csrf", csrf_of(&page).as_str()),
            ("title", "別のアンケート"),
            ("slug", "survey-x"),
            ("department", "shoko"),
        ])
        .send()
        .await
        .unwrap();
    let (s, page) = text(r).await;
    assert_eq!(s, 422);
    assert!(page.contains("「survey-x」はすでに使われています"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM builder_drafts").await, 1);
}

/// A shared template copied into another tenant opens in the builder to be adapted before publishing.
async fn template_opens_in_the_builder(app: &TestApp) {
    let city = app.as_staff("kochi-city-admin").await.client;
    let id = app
        .scalar("SELECT MIN(id) FROM form_templates WHERE category = 'セミナー・講座'")
        .await;
    let page = page_text(&city, app, &format!("/staff/templates/{id}/use")).await;
    let department: String = sqlx::query_scalar(
        "SELECT d.code FROM departments d JOIN tenants t ON t.id = d.tenant_id WHERE t.code = '392014' ORDER BY d.code",
    )
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap();
    let definition = {
        let marker = "name=\"definition\" rows=\"16\">";
        let start = page.find(marker).unwrap() + marker.len();
        let end = page[start..].find("</textarea>").unwrap() + start;
        page[start..end]
            .replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#38;", "&")
            .replace("&#60;", "<")
            .replace("&#62;", ">")
            .replace("&#39;", "'")
    };
    let r = city
        .post(app.url(&format!("/staff/templates/{id}/use")))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("slug", "city-seminar".into()),
            ("department", department.clone()),
            ("definition", definition),
            ("then", "builder".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let to = app.location(&r);
    assert!(to.contains("/staff/builder/"), "{to}");
    let (_, page) = text(city.get(to).send().await.unwrap()).await;
    assert!(page.contains("を読み込みました"), "{page}");
    assert!(page.contains("まだ公開していません"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM forms WHERE slug = 'city-seminar'")
            .await,
        0,
        "not published until the city says so"
    );
    let copy: i64 = to_id(&page);
    let (s, page) = change(&city, app, copy, &[("op", "publish")]).await;
    assert_eq!(s, 303, "{page}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM forms f JOIN tenants t ON t.id = f.tenant_id WHERE f.slug = 'city-seminar' AND t.code = '392014'").await,
        1
    );
}

fn to_id(builder_page: &str) -> i64 {
    let marker = "data-builder=\"";
    let start = builder_page.find(marker).unwrap() + marker.len();
    let end = builder_page[start..].find('"').unwrap() + start;
    builder_page[start..end].parse().unwrap()
}

both!(
    template_opens_in_the_builder,
    build_publish_fill_and_change,
    builder_refuses_what_cannot_work,
    translations_and_language_switch,
    only_editors_of_the_tenant_use_the_builder,
);
