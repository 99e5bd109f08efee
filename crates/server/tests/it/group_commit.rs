//! Group commit of submissions (ADR 0007): a batch is written in one transaction, a bad submission does not take
//! its batch down, capacity is counted inside a batch, and a rush of concurrent applicants each get their own
//! receipt number with their own history entry and mail.

use crate::common;

use common::TestApp;
use madoguchi_applications::forms_store::{PublishedForm, find_published};
use madoguchi_applications::submissions::{
    Admitted, Channel, NewSubmission, SubmitOutcome, admit, store_submissions,
};
use madoguchi_kernel::AppError;
use std::collections::HashSet;

/// Answers admitted by the submission policy, as every channel gets them.
fn admitted(form: &PublishedForm, json: serde_json::Value) -> Admitted {
    let mut raw = madoguchi_forms::RawInput::from_answers_json(json.as_object().unwrap()).unwrap();
    admit(
        form,
        madoguchi_kernel::Lang::Ja,
        &mut raw,
        None,
        Channel::Api,
        madoguchi_kernel::now_ms(),
    )
    .expect("valid answers")
}

fn seminar_answers(form: &PublishedForm, name: &str) -> Admitted {
    let json = serde_json::json!({
        "name": {"name": name, "furigana": "やまだ はなこ"},
        "email": "hanako@example.jp", "attendance": "online", "consent": true});
    admitted(form, json)
}

fn item(
    form: &PublishedForm,
    name: &str,
    attachment: Option<&str>,
) -> (PublishedForm, NewSubmission) {
    (
        form.clone(),
        NewSubmission {
            admitted: seminar_answers(form, name)
                .with_attachment_ids_for_tests(attachment.into_iter().map(String::from).collect()),
            draft_token_hash: None,
            applicant: None,
        },
    )
}

fn receipt(outcome: &Result<SubmitOutcome, AppError>) -> String {
    match outcome {
        Ok(SubmitOutcome::Accepted { receipt_number }) => receipt_number.clone(),
        other => panic!("expected a receipt, got {other:?}"),
    }
}

async fn seminar(app: &TestApp) -> PublishedForm {
    find_published(&app.ctx.db, "390003", "dx-seminar")
        .await
        .unwrap()
}

async fn a_batch_writes_every_submission_with_its_history_and_mail(app: &TestApp) {
    let form = seminar(app).await;
    let names = [
        "髙橋 一郎",
        "山﨑 花子",
        "渡辺 葛󠄀子",
        "佐藤 〜",
        "鈴木 次郎",
    ];
    let items: Vec<_> = names.iter().map(|n| item(&form, n, None)).collect();
    let answers: Vec<_> = items
        .iter()
        .map(|(_, new)| new.admitted.answers().clone())
        .collect();
    let outcomes = store_submissions(&app.ctx.db, "http://x", items).await;
    let receipts: Vec<String> = outcomes.iter().map(receipt).collect();
    assert_eq!(receipts.iter().collect::<HashSet<_>>().len(), names.len());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, 5);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM submission_events e JOIN submissions s ON s.id = e.submission_id
             WHERE e.to_status = 'received'"
        )
        .await,
        5
    );
    // One receipt mail each (the seminar's contact has no mail address), all in the batch's one job.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs").await, 1);
    let payload: String = sqlx::query_scalar("SELECT payload FROM jobs")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let job: madoguchi_kernel::mail::SendMails = serde_json::from_str(&payload).unwrap();
    for r in &receipts {
        let with_receipt = job.mails.iter().filter(|m| m.subject.contains(r.as_str()));
        assert_eq!(with_receipt.count(), 1, "{r}");
    }
    // Each receipt number belongs to the answers it was given for, names stored exactly as typed.
    for ((r, n), a) in receipts.iter().zip(names).zip(&answers) {
        let (name, stored): (String, String) = sqlx::query_as(
            "SELECT applicant_name, answers FROM submissions WHERE receipt_number = $1",
        )
        .bind(r)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
        assert_eq!(name, n);
        assert_eq!(
            &serde_json::from_str::<madoguchi_forms::Answers>(&stored).unwrap(),
            a
        );
    }
    assert_eq!(app.drain_jobs().await, 1);
    assert_eq!(
        madoguchi_kernel::mail::read_sink(&app.data_dir.join("mail")).len(),
        5
    );
}

async fn one_bad_submission_does_not_take_its_batch_down(app: &TestApp) {
    let form = seminar(app).await;
    let items = vec![
        item(&form, "一番 目", None),
        item(&form, "二番 目", Some("no-such-attachment")),
        item(&form, "三番 目", None),
    ];
    let outcomes = store_submissions(&app.ctx.db, "http://x", items).await;
    receipt(&outcomes[0]);
    match &outcomes[1] {
        Err(AppError::BadRequest(m)) => assert!(m.contains("添付ファイルが見つかりません"), "{m}"),
        other => panic!("expected the attachment error, got {other:?}"),
    }
    receipt(&outcomes[2]);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, 2);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM submission_events").await,
        2
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs").await, 2);
}

async fn capacity_is_counted_inside_a_batch(app: &TestApp) {
    let mut form = seminar(app).await;
    sqlx::query("UPDATE forms SET capacity = 2 WHERE id = $1")
        .bind(form.form_id)
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    let mut def = (*form.definition).clone();
    def.capacity = Some(2);
    form.definition = std::sync::Arc::new(def);
    let items = (0..4)
        .map(|i| item(&form, &format!("申込 {i}"), None))
        .collect();
    let outcomes = store_submissions(&app.ctx.db, "http://x", items).await;
    receipt(&outcomes[0]);
    receipt(&outcomes[1]);
    assert!(
        matches!(outcomes[2], Ok(SubmitOutcome::Full)),
        "{:?}",
        outcomes[2]
    );
    assert!(
        matches!(outcomes[3], Ok(SubmitOutcome::Full)),
        "{:?}",
        outcomes[3]
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, 2);
    assert_eq!(
        app.scalar("SELECT accepted_count FROM forms WHERE slug = 'dx-seminar'")
            .await,
        2
    );
}

async fn answers_checked_against_an_outdated_version_are_checked_again(app: &TestApp) {
    let api = app.url("/api/v1/t/390003/forms/dx-seminar/submissions");
    let body = serde_json::json!({"answers": {
        "name": {"name": "山﨑 太郎", "furigana": "やまさき たろう"},
        "email": "taro@example.jp", "attendance": "online", "consent": true}});
    // This instance now holds version 1 in its recent copy.
    let r = app.client.post(&api).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let v1 = seminar(app).await;

    // Another instance (the same database, caches of its own) publishes version 2, where 所属 is required.
    let other = madoguchi_kernel::Db {
        instance: u64::MAX,
        ..app.ctx.db.clone()
    };
    let (staff_id, tenant_id): (i64, i64) = sqlx::query_as(
        "SELECT s.id, t.id FROM staff s JOIN tenants t ON t.id = s.tenant_id
         WHERE t.code = '390003' AND s.role = 'admin' ORDER BY s.id LIMIT 1",
    )
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap();
    let scope = madoguchi_kernel::StaffScope {
        staff_id,
        name: "別の窓口サーバー".into(),
        tenant_id,
        tenant_name: "高知県".into(),
        role: madoguchi_kernel::staff::Role::Admin,
        department_ids: vec![],
    };
    let mut def = serde_json::to_value(&*v1.definition).unwrap();
    for part in def["parts"].as_array_mut().unwrap() {
        if part["key"] == "organization" {
            part["required"] = true.into();
        }
    }
    let def = madoguchi_forms::FormDefinition::from_json(&def.to_string()).unwrap();
    madoguchi_applications::forms_store::publish(&other, &scope, "dx-seminar", &def)
        .await
        .unwrap();

    // The writer refuses answers checked against version 1: nothing is stored, no mail is queued.
    let (submissions, jobs) = (
        app.scalar("SELECT COUNT(*) FROM submissions").await,
        app.scalar("SELECT COUNT(*) FROM jobs").await,
    );
    let outcomes =
        store_submissions(&app.ctx.db, "http://x", vec![item(&v1, "古い 版", None)]).await;
    assert!(
        matches!(outcomes[..], [Ok(SubmitOutcome::FormChanged)]),
        "{outcomes:?}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM submissions").await,
        submissions
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs").await, jobs);

    // In a batch with a submission checked against version 2, only the outdated one is refused; the other is
    // stored with its mail.
    let v2 = seminar(app).await;
    let current = serde_json::json!({
        "name": {"name": "髙田 新", "furigana": "たかだ しん"}, "organization": "高知県庁",
        "email": "shin@example.jp", "attendance": "online", "consent": true});
    let fresh = NewSubmission {
        admitted: admitted(&v2, current),
        draft_token_hash: None,
        applicant: None,
    };
    let outcomes = store_submissions(
        &app.ctx.db,
        "http://x",
        vec![item(&v1, "古い 版", None), (v2.clone(), fresh)],
    )
    .await;
    assert!(
        matches!(outcomes[0], Ok(SubmitOutcome::FormChanged)),
        "{outcomes:?}"
    );
    let stored = receipt(&outcomes[1]);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM submissions").await,
        submissions + 1
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs").await, jobs + 1);
    let payload: String = sqlx::query_scalar("SELECT payload FROM jobs ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    assert!(
        payload.contains(&stored) && !payload.contains("古い"),
        "{payload}"
    );

    // Through the API (whose copy may still be version 1) the same answers meet version 2's rule.
    let r = app.client.post(&api).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["fields"][0]["field"], "organization", "{v}");
    let mut body = body;
    body["answers"]["organization"] = "高知県庁".into();
    let r = app.client.post(&api).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let version: i64 = sqlx::query_scalar(
        "SELECT v.version FROM submissions s JOIN form_versions v ON v.id = s.form_version_id
         ORDER BY s.id DESC LIMIT 1",
    )
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap();
    assert_eq!(version, 2);
}

/// The export reads submissions a page (1,000) at a time, a page ahead of the writer: every row comes once, in
/// the order received, across page boundaries, in both encodings; the CP932 check counts rows across pages.
async fn an_export_over_several_pages_has_every_row_once_in_order(app: &TestApp) {
    let survey = find_published(&app.ctx.db, "390003", "kenmin-survey")
        .await
        .unwrap();
    let answers = |i: usize| {
        // Quotes, commas, a line break and a leading "=" in the free text; 髙 and 﨑 fit CP932.
        let comment = if i.is_multiple_of(2) {
            format!("髙﨑より「{i}」, \"引用\"\n改行あり")
        } else {
            format!("=1+{i}")
        };
        let json = serde_json::json!({"age": "30s", "used_online": "yes", "satisfaction": "4",
            "wanted": ["tax", "childcare"], "comment": comment});
        admitted(&survey, json)
    };
    const N: usize = 2_345;
    for start in (0..N).step_by(64) {
        let items = (start..(start + 64).min(N))
            .map(|i| {
                let new = NewSubmission {
                    admitted: answers(i),
                    draft_token_hash: None,
                    applicant: None,
                };
                (survey.clone(), new)
            })
            .collect();
        for outcome in store_submissions(&app.ctx.db, "http://x", items).await {
            receipt(&outcome);
        }
    }
    let expected: Vec<String> =
        sqlx::query_scalar("SELECT receipt_number FROM submissions WHERE form_id = $1 ORDER BY id")
            .bind(survey.form_id)
            .fetch_all(&app.ctx.db.read)
            .await
            .unwrap();
    assert_eq!(expected.len(), N);

    app.login("pref-admin").await;
    let export = |sjis: bool| {
        let path = format!(
            "/staff/forms/{}/export.csv{}",
            survey.form_id,
            if sjis { "?encoding=sjis" } else { "" }
        );
        async move {
            let r = app.get(&path).await;
            assert_eq!(r.status().as_u16(), 200, "{path}");
            let bytes = r.bytes().await.unwrap();
            let text = if sjis {
                let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
                assert!(!bad);
                text.into_owned()
            } else {
                String::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap().to_vec()).unwrap()
            };
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header = reader.headers().unwrap().clone();
            let comment = header
                .iter()
                .position(|h| h.contains("ご意見"))
                .unwrap_or(header.len() - 1);
            let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
            (rows, comment)
        }
    };
    for sjis in [false, true] {
        let (rows, comment) = export(sjis).await;
        let receipts: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
        assert_eq!(
            receipts, expected,
            "every row once, in order (sjis: {sjis})"
        );
        assert_eq!(&rows[1001][comment], "'=1+1001");
        assert_eq!(&rows[2000][comment], "髙﨑より「2000」, \"引用\"\n改行あり");
    }

    // One more, on the third page, with characters CP932 cannot hold: reported with its row number.
    let last = admitted(
        &survey,
        serde_json::json!({"age": "30s", "used_online": "yes", "satisfaction": "4",
            "wanted": ["tax", "childcare"], "comment": "𠮷野家〜"}),
    );
    let outcome = store_submissions(
        &app.ctx.db,
        "http://x",
        vec![(
            survey.clone(),
            NewSubmission {
                admitted: last,
                draft_token_hash: None,
                applicant: None,
            },
        )],
    )
    .await;
    receipt(&outcome[0]);
    let r = app
        .get(&format!(
            "/staff/forms/{}/export.csv?encoding=sjis",
            survey.form_id
        ))
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("<td>{}</td>", N + 2)),
        "header is row 1"
    );
    assert!(html.contains("「𠮷」") && html.contains("「〜」"));
    app.drain_jobs().await;
}

async fn a_rush_of_applicants_each_get_their_own_receipt(app: &TestApp) {
    // 40 at once, below the demo seminar's capacity of 50.
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let client = app.browser();
            let url = app.url("/api/v1/t/390003/forms/dx-seminar/submissions");
            let body = serde_json::json!({"answers": {
                "name": {"name": format!("申請者 {i}"), "furigana": "しんせいしゃ"},
                "email": format!("a{i}@example.jp"), "attendance": "venue", "consent": true}});
            tokio::spawn(async move {
                let r = client.post(url).json(&body).send().await.unwrap();
                assert_eq!(r.status().as_u16(), 201);
                let v: serde_json::Value = r.json().await.unwrap();
                (i, v["receipt_number"].as_str().unwrap().to_string())
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for t in tasks {
        let (i, r) = t.await.unwrap();
        assert!(seen.insert(r.clone()), "receipt {r} given twice");
        let (name, events): (String, i64) = sqlx::query_as(
            "SELECT s.applicant_name, (SELECT COUNT(*) FROM submission_events e WHERE e.submission_id = s.id)
             FROM submissions s WHERE s.receipt_number = $1",
        )
        .bind(&r)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
        assert_eq!((name, events), (format!("申請者 {i}"), 1));
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, 40);
    // One mail job per batch written.
    assert!((1..=40).contains(&app.drain_jobs().await));
    let mails = madoguchi_kernel::mail::read_sink(&app.data_dir.join("mail"));
    assert_eq!(mails.len(), 40);
}

both!(
    a_batch_writes_every_submission_with_its_history_and_mail,
    one_bad_submission_does_not_take_its_batch_down,
    capacity_is_counted_inside_a_batch,
    a_rush_of_applicants_each_get_their_own_receipt,
    answers_checked_against_an_outdated_version_are_checked_again,
    an_export_over_several_pages_has_every_row_once_in_order,
);
