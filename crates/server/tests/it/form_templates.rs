//! Shared form templates (共同利用・横展開): the prefecture's templates are copied by a city into its own forms,
//! adapted and published; bad input is reported by field and nothing is published; sharing is limited to the
//! forms one may edit.

use crate::common;

use common::{TestApp, csrf_of};

async fn text(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn template_id(list: &str, title: &str) -> i64 {
    // Row of the template: ...<td>{title}</td>...<a href="/staff/templates/{id}/use">
    let row = list
        .split("<tr>")
        .find(|r| r.contains(title))
        .expect("template row");
    row.split("/staff/templates/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .expect("template link")
}

async fn a_city_copies_the_prefectures_template_and_publishes_it(app: &TestApp) {
    let city = app.as_staff("kochi-city-admin").await.client;
    let (status, list) = text(&city, app, "/staff/templates").await;
    assert_eq!(status, 200);
    for category in [
        "セミナー・講座",
        "アンケート",
        "補助金・助成",
        "通報・報告",
        "イベント",
    ] {
        assert!(list.contains(category), "missing {category}");
    }
    assert!(list.contains("高知県"));
    let id = template_id(&list, "地域イベント参加申込");
    let (status, page) = text(&city, app, &format!("/staff/templates/{id}/use")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("市民協働部 市民課"),
        "the city's own departments are offered"
    );
    assert!(
        !page.contains("商工政策課</option>"),
        "not the prefecture's"
    );
    let definition = page
        .split("<textarea id=\"definition\" name=\"definition\" rows=\"16\">")
        .nth(1)
        .and_then(|s| s.split("</textarea>").next())
        .unwrap()
        .replace("&#34;", "\"")
        .replace("&#38;", "&")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#39;", "'");
    // Adapted: the city's own contact.
    let adapted = definition.replace("高知県 地域振興課", "高知市 市民課");
    let forms_before = app.scalar("SELECT COUNT(*) FROM forms").await;

    // Bad input: every problem named by field, nothing published.
    let r = city
        .post(app.url(&format!("/staff/templates/{id}/use")))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("slug", "Yosakoi 体験!".into()),
            ("department", "shoko".into()),
            ("definition", adapted.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("URL名: 半角英小文字・数字・ハイフンで入力してください。"),
        "{html}"
    );
    assert!(html.contains("担当の所属: 選択してください。"));
    assert!(html.contains("高知市 市民課"), "what was typed is kept");
    let r = city
        .post(app.url(&format!("/staff/templates/{id}/use")))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("slug", "yosakoi".into()),
            ("department", "shimin".into()),
            ("definition", adapted.replace("\"parts\"", "\"partz\"")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("フォーム定義:"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM forms").await, forms_before);

    // Published as the city's form, owned by its department.
    let r = city
        .post(app.url(&format!("/staff/templates/{id}/use")))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("slug", "yosakoi".into()),
            ("department", "shimin".into()),
            ("definition", adapted),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (status, form) = app.get_text("/t/392014/forms/yosakoi").await;
    assert_eq!(status, 200);
    assert!(form.contains("地域イベント参加申込"));
    assert!(form.contains("高知市 市民課"));
    // The same URL name again is refused.
    let r = city
        .post(app.url(&format!("/staff/templates/{id}/use")))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("slug", "yosakoi".into()),
            ("department", "shimin".into()),
            ("definition", definition),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("「yosakoi」はすでに使われています")
    );
}

async fn sharing_is_limited_to_forms_one_may_edit(app: &TestApp) {
    let editor = app.as_staff("pref-editor").await.client;
    let (_, list) = text(&editor, app, "/staff/templates").await;
    let seminar = app
        .scalar("SELECT id FROM forms WHERE slug = 'dx-seminar'")
        .await;
    let before = app.scalar("SELECT COUNT(*) FROM form_templates").await;
    // The category is required.
    let r = editor
        .post(app.url("/staff/templates"))
        .form(&[
            ("_csrf", csrf_of(&list)),
            ("form_id", seminar.to_string()),
            ("category", " ".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("分類を入力してください。"));
    let r = editor
        .post(app.url("/staff/templates"))
        .form(&[
            ("_csrf", csrf_of(&list)),
            ("form_id", seminar.to_string()),
            ("category", "研修".into()),
            ("summary", "職員向け研修の申込".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM form_templates").await,
        before + 1
    );
    let (_, list) = text(&editor, app, "/staff/templates").await;
    assert!(list.contains("職員向け研修の申込"));

    // A viewer cannot share; a city administrator cannot share the prefecture's form.
    let viewer = app.as_staff("pref-viewer").await.client;
    let (_, page) = text(&viewer, app, "/staff/templates").await;
    assert!(!page.contains("テンプレートとして共有する"));
    let r = viewer
        .post(app.url("/staff/templates"))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("form_id", seminar.to_string()),
            ("category", "研修".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let city = app.as_staff("kochi-city-admin").await.client;
    let (_, page) = text(&city, app, "/staff/templates").await;
    let r = city
        .post(app.url("/staff/templates"))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("form_id", seminar.to_string()),
            ("category", "研修".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM form_templates").await,
        before + 1
    );
    // An unknown template.
    let (status, _) = text(&city, app, "/staff/templates/999999/use").await;
    assert_eq!(status, 404);
}

both!(
    a_city_copies_the_prefectures_template_and_publishes_it,
    sharing_is_limited_to_forms_one_may_edit,
);
