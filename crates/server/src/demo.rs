//! Demo data: 高知県 with 高知市 and 南国市, their departments, staff accounts and the sample forms from the
//! seed documents. Seeding is idempotent: an installation that already has 高知県 is left as it is.

use madoguchi_japanese::local_gov::LocalGovCode;
use madoguchi_kernel::Db;
use madoguchi_kernel::staff::{Role, StaffScope, insert_staff};
use madoguchi_kernel::tenants::{find_tenant_by_code, insert_department, insert_tenant};

/// Demo forms: (slug, JSON definition), all owned by 高知県.
pub const DEMO_FORMS: [(&str, &str); 5] = [
    (
        "jigyo-suishin-hojokin",
        include_str!("../demo/forms/subsidy.json"),
    ),
    ("dx-seminar", include_str!("../demo/forms/seminar.json")),
    ("kenmin-survey", include_str!("../demo/forms/survey.json")),
    (
        "road-damage",
        include_str!("../demo/forms/road-damage.json"),
    ),
    (
        "ton-netsu-vaccine",
        include_str!("../demo/forms/swine-fever.json"),
    ),
];

/// Demo templates shared by 高知県: (slug of a demo form, or `@event` for the template of its own; category;
/// summary).
pub const DEMO_TEMPLATES: [(&str, &str, &str); 5] = [
    (
        "dx-seminar",
        "セミナー・講座",
        "定員付きの参加申込。会場/オンラインの選択と配慮事項の欄があります。",
    ),
    (
        "kenmin-survey",
        "アンケート",
        "回答に応じて質問が変わる県民・市民向けアンケート。",
    ),
    (
        "jigyo-suishin-hojokin",
        "補助金・助成",
        "個人/法人の申請者情報、申請金額、申請書類の添付、同意。",
    ),
    (
        "road-damage",
        "通報・報告",
        "写真と位置情報（写真のGPS、端末の位置、または住所入力）付きの通報。",
    ),
    (
        "@event",
        "イベント",
        "家族での参加人数と参加日の選択がある、地域イベントの参加申込。",
    ),
];

/// The event participation template, which is not a demo form of its own.
const EVENT_TEMPLATE: &str = include_str!("../demo/templates/event.json");

/// The demo password of every demo account (printed at start; never use it in production).
pub const DEMO_PASSWORD: &str = "madoguchi-demo";

/// Demo accounts: (login, name, role, tenant code, department codes).
pub const DEMO_STAFF: [(&str, &str, Role, &str, &[&str]); 7] = [
    ("pref-admin", "県 管理者", Role::Admin, "390003", &[]),
    (
        "pref-editor",
        "県 フォーム作成者",
        Role::Editor,
        "390003",
        &["shoko", "kikaku", "doro", "chikusan"],
    ),
    (
        "shoko-reviewer",
        "商工政策課 審査担当",
        Role::Reviewer,
        "390003",
        &["shoko"],
    ),
    (
        "doro-reviewer",
        "道路課 審査担当",
        Role::Reviewer,
        "390003",
        &["doro"],
    ),
    (
        "pref-viewer",
        "県 閲覧者",
        Role::Viewer,
        "390003",
        &["kikaku"],
    ),
    (
        "kochi-city-admin",
        "高知市 管理者",
        Role::Admin,
        "392014",
        &[],
    ),
    (
        "kochi-city-reviewer",
        "高知市 市民課 審査担当",
        Role::Reviewer,
        "392014",
        &["shimin"],
    ),
];

/// Seeds the demo data if 高知県 is not there yet. Returns whether anything was added.
pub async fn seed(db: &Db) -> anyhow::Result<bool> {
    if find_tenant_by_code(db, "390003").await?.is_some() {
        return Ok(false);
    }
    let pref = insert_tenant(db, &LocalGovCode::parse("390003")?, "高知県", None).await?;
    let city = insert_tenant(db, &LocalGovCode::parse("392014")?, "高知市", Some(pref.id)).await?;
    let nankoku = insert_tenant(
        db,
        &LocalGovCode::from_five("39204")?,
        "南国市",
        Some(pref.id),
    )
    .await?;
    let mut depts = std::collections::HashMap::new();
    for (tenant, code, name) in [
        (pref.id, "shoko", "商工労働部 商工政策課"),
        (pref.id, "kikaku", "総務部 デジタル政策課"),
        (pref.id, "doro", "土木部 道路課"),
        (pref.id, "chikusan", "農業振興部 畜産振興課"),
        (city.id, "shimin", "市民協働部 市民課"),
        (nankoku.id, "somu", "総務課"),
    ] {
        let d = insert_department(db, tenant, code, name).await?;
        depts.insert((tenant, code), d.id);
    }
    for (login, name, role, tenant_code, dept_codes) in DEMO_STAFF {
        let tenant = if tenant_code == "390003" {
            &pref
        } else {
            &city
        };
        let ids: Vec<i64> = dept_codes.iter().map(|c| depts[&(tenant.id, *c)]).collect();
        insert_staff(db, tenant.id, login, name, role, DEMO_PASSWORD, &ids).await?;
    }
    // Forms are published as the prefecture's administrator would.
    let admin = StaffScope {
        staff_id: 1,
        name: "県 管理者".into(),
        tenant_id: pref.id,
        tenant_name: pref.name.clone(),
        role: Role::Admin,
        department_ids: vec![],
    };
    for (slug, json) in DEMO_FORMS {
        let def = madoguchi_forms::parse_definition(json).map_err(|e| {
            anyhow::anyhow!(
                "demo form {slug}: {}",
                e.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
        madoguchi_applications::forms_store::publish(db, &admin, slug, &def)
            .await
            .map_err(|e| anyhow::anyhow!("publishing demo form {slug}: {e:?}"))?;
    }
    for (source, category, summary) in DEMO_TEMPLATES {
        let (def, form_id) = if source == "@event" {
            let def = madoguchi_forms::parse_definition(EVENT_TEMPLATE)
                .map_err(|e| anyhow::anyhow!("event template: {e:?}"))?;
            (def, None)
        } else {
            let form = madoguchi_applications::forms_store::find_published(db, "390003", source)
                .await
                .map_err(|e| anyhow::anyhow!("demo form {source}: {e}"))?;
            ((*form.definition).clone(), Some(form.form_id))
        };
        madoguchi_applications::form_templates::insert(
            db, pref.id, &def, category, summary, form_id, None,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo template {source}: {e}"))?;
    }
    Ok(true)
}

/// The demo Q&A base (the evaluation data of `bench/faq`): JSON Lines, one Q&A per line.
pub const DEMO_FAQ: &str = include_str!("../demo/faq/qa.jsonl");

/// Categories of 高知市's Q&As published to the shared pool in the demo (procedures set by national law).
const DEMO_SHARED_CATEGORIES: [&str; 2] = ["国民年金", "マイナンバーカード"];

#[derive(serde::Deserialize)]
struct DemoQa {
    category: String,
    department: String,
    audience: String,
    question: String,
    #[serde(default)]
    phrasings: Vec<String>,
    answer: String,
    #[serde(default)]
    forms: Vec<String>,
    #[serde(default)]
    review_date: String,
}

/// Seeds the demo Q&A base if 高知市 has none yet: public Q&As into 高知市 (those of a 高知県 department
/// into 高知県), staff helpdesk Q&As into 高知県, contacts, and a few 高知市 Q&As published to the shared
/// pool. Departments named in the data are created on the way. Returns whether anything was added.
pub async fn seed_faq(db: &Db) -> anyhow::Result<bool> {
    use madoguchi_faq::store::{self, Audience, Contact, EntryInput, Origin};
    let (Some(pref), Some(city)) = (
        find_tenant_by_code(db, "390003").await?,
        find_tenant_by_code(db, "392014").await?,
    ) else {
        anyhow::bail!("seed the demo tenants first");
    };
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM faq_entries WHERE tenant_id = $1")
        .bind(city.id)
        .fetch_one(&db.read)
        .await?;
    if existing > 0 {
        return Ok(false);
    }
    let mut departments: std::collections::HashMap<(i64, String), i64> = Default::default();
    for t in [&pref, &city] {
        for d in madoguchi_kernel::tenants::list_departments(db, t.id).await? {
            // Data names departments briefly (市民課); the demo tenant has 市民協働部 市民課.
            let short = d.name.rsplit(' ').next().unwrap_or(&d.name).to_string();
            departments.insert((t.id, short), d.id);
            departments.insert((t.id, d.name), d.id);
        }
    }
    let mut planned = Vec::new();
    for (n, line) in DEMO_FAQ.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let qa: DemoQa = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("demo/faq/qa.jsonl line {}: {e}", n + 1))?;
        let audience = if qa.audience == "staff" {
            Audience::Staff
        } else {
            Audience::Public
        };
        let (tenant, dept_name) = match qa.department.strip_prefix("高知県 ") {
            Some(rest) => (&pref, rest.to_string()),
            None if audience == Audience::Staff => (&pref, qa.department.clone()),
            None => (&city, qa.department.clone()),
        };
        let key = (tenant.id, dept_name.clone());
        let department_id = match departments.get(&key) {
            Some(id) => *id,
            None => {
                let code = format!("faq{:02}", departments.len() + 1);
                let d = insert_department(db, tenant.id, &code, &dept_name).await?;
                departments.insert(key, d.id);
                d.id
            }
        };
        // Forms named by title in the data are not forms of this installation; keep slugs only.
        let forms = qa
            .forms
            .into_iter()
            .filter(|s| {
                s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
            .collect();
        let review_date = qa.review_date;
        planned.push((
            tenant.id,
            EntryInput {
                department_id,
                category: qa.category,
                question: qa.question,
                phrasings: qa.phrasings,
                answer: qa.answer,
                forms,
                audience,
                review_date,
            },
        ));
    }
    // Each department's phone as its answers give it (「（電話 088-000-1101）」), for the contact shown.
    let mut phones: std::collections::HashMap<i64, String> = Default::default();
    for (_, input) in &planned {
        if let Some(at) = input.answer.find("電話 ") {
            let number: String = input.answer[at + "電話 ".len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '-')
                .collect();
            if number.len() >= 10 {
                phones.entry(input.department_id).or_insert(number);
            }
        }
    }
    let mut tx = db.write.begin().await?;
    let mut shared = Vec::new();
    for (tenant_id, input) in &planned {
        let (id, _) = store::save_entry_tx(
            &mut tx,
            *tenant_id,
            None,
            None,
            input,
            "デモデータ",
            Origin::default(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo Q&A {}: {e}", input.question))?;
        if *tenant_id == city.id
            && DEMO_SHARED_CATEGORIES.contains(&input.category.as_str())
            && shared
                .iter()
                .filter(|(_, c): &&(i64, String)| *c == input.category)
                .count()
                < 3
        {
            shared.push((id, input.category.clone()));
        }
    }
    let now = madoguchi_kernel::now_ms();
    for (id, _) in &shared {
        sqlx::query(
            "INSERT INTO faq_shared (source_tenant_id, source_entry_id, category, question, phrasings, answer, forms,
               version, published_at, updated_at)
             SELECT tenant_id, id, category, question, phrasings, answer, forms, 1, $1, $1 FROM faq_entries WHERE id = $2",
        )
        .bind(now)
        .bind(*id)
        .execute(&mut *tx)
        .await?;
    }
    for (department_id, phone) in &phones {
        sqlx::query(
            "INSERT INTO faq_department_contacts (department_id, tenant_id, phone, hours)
             SELECT id, tenant_id, $1, $2 FROM departments WHERE id = $3",
        )
        .bind(phone)
        .bind("平日 8時30分〜17時15分")
        .bind(*department_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    for (tenant, name, phone) in [
        (&city, "高知市役所 総合案内", "088-000-1000"),
        (&pref, "高知県庁 総合案内", "088-000-2000"),
    ] {
        store::save_tenant_contact(
            db,
            tenant.id,
            &Contact {
                name: name.into(),
                phone: phone.into(),
                hours: "平日 8時30分〜17時15分（土日祝日・年末年始を除く）".into(),
            },
        )
        .await?;
    }
    Ok(true)
}

/// (organisation code, URL name, title, standard layout, file name, content, group).
pub type DemoDataset = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [u8],
    &'static str,
);

/// Demo open data: sample files of standard datasets (marked as sample data in every row and description).
/// (organisation code, URL name, title, standard layout, file name, content, group).
pub const DEMO_DATASETS: [DemoDataset; 5] = [
    (
        "392014",
        "kochi-city-aed",
        "AED設置箇所一覧（高知市）",
        Some("aed"),
        "aed_kochi_city.csv",
        include_bytes!("../demo/opendata/aed_kochi_city.csv"),
        "bousai",
    ),
    (
        "392014",
        "kochi-city-tourism",
        "観光施設一覧（高知市）",
        Some("tourism"),
        "tourism_kochi_city.csv",
        include_bytes!("../demo/opendata/tourism_kochi_city.csv"),
        "kanko",
    ),
    (
        "392049",
        "nankoku-evacuation",
        "指定緊急避難場所一覧（南国市）",
        Some("evacuation"),
        "evacuation_nankoku.csv",
        include_bytes!("../demo/opendata/evacuation_nankoku.csv"),
        "bousai",
    ),
    (
        "390003",
        "kochi-pref-public-facility",
        "公共施設一覧（高知県）",
        Some("public_facility"),
        "public_facility_kochi_pref.csv",
        include_bytes!("../demo/opendata/public_facility_kochi_pref.csv"),
        "",
    ),
    (
        "390003",
        "kochi-pref-population",
        "市町村別人口（高知県・サンプル）",
        None,
        "population.csv",
        "市区町村コード,市区町村名,人口,世帯数\r\n392014,高知市,318000,160000\r\n392049,南国市,46000,21000\r\n".as_bytes(),
        "",
    ),
];

/// Seeds the demo catalog (groups, datasets, sample files) if it is empty. Returns whether anything was added.
pub async fn seed_opendata(ctx: &madoguchi_kernel::Ctx) -> anyhow::Result<bool> {
    use madoguchi_opendata::{index, ingest, store};
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM od_datasets")
        .fetch_one(&ctx.db.read)
        .await?;
    if n > 0 {
        return Ok(false);
    }
    let err = |e: store::OdError| anyhow::anyhow!("demo open data: {e:?}");
    store::create_group(
        &ctx.db,
        "bousai",
        "防災",
        "避難場所・AEDなど防災に関するデータ",
    )
    .await
    .map_err(err)?;
    store::create_group(&ctx.db, "kanko", "観光", "観光施設・イベントのデータ")
        .await
        .map_err(err)?;
    let idx = index::Index::default();
    for (code, name, title, standard, file, bytes, group) in DEMO_DATASETS {
        let tenant = find_tenant_by_code(&ctx.db, code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo tenant {code} missing"))?;
        let input = store::DatasetInput {
            name: name.into(),
            title: title.into(),
            notes: format!(
                "{title}です。\n※ デモ用のサンプルデータです。実在の施設・設置情報ではありません。"
            ),
            license_id: "cc-by-4.0".into(),
            standard_type: standard.map(str::to_string),
            tags: vec!["サンプルデータ".into()],
            groups: if group.is_empty() {
                vec![]
            } else {
                vec![group.into()]
            },
            maintainer: format!("{} オープンデータ担当", tenant.name),
            ..Default::default()
        };
        let id = store::create_dataset(&ctx.db, tenant.id, None, input)
            .await
            .map_err(err)?;
        let cat = idx.get(&ctx.db).await?;
        let doc = cat
            .dataset(&id)
            .ok_or_else(|| anyhow::anyhow!("demo dataset {name} not found"))?;
        let up = ingest::Upload {
            file_name: file.into(),
            bytes: bytes::Bytes::from_static(bytes),
            name: title.into(),
            description: "サンプルデータ".into(),
            format: String::new(),
        };
        match ingest::ingest(ctx, tenant.id, doc, up, true)
            .await
            .map_err(err)?
        {
            ingest::Ingested::Stored { .. } => {}
            ingest::Ingested::Refused(r) => {
                anyhow::bail!("demo file {file} does not validate:\n{}", r.to_text())
            }
        }
    }
    Ok(true)
}

/// The demo's document template: the subsidy form issues a notice of decision (交付決定通知書) on approval.
/// Idempotent.
pub async fn seed_issuance(db: &Db) -> anyhow::Result<bool> {
    let Some(pref) = find_tenant_by_code(db, "390003").await? else {
        return Ok(false);
    };
    let form_id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM forms WHERE tenant_id = $1 AND slug = $2")
            .bind(pref.id)
            .bind("jigyo-suishin-hojokin")
            .fetch_optional(&db.read)
            .await?;
    let Some(form_id) = form_id else {
        return Ok(false);
    };
    if madoguchi_issuance::store::template_for_form(db, pref.id, form_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_some()
    {
        return Ok(false);
    }
    let scope = StaffScope {
        staff_id: 1,
        name: "県 管理者".into(),
        tenant_id: pref.id,
        tenant_name: pref.name.clone(),
        role: Role::Admin,
        department_ids: vec![],
    };
    let field = |label: &str, source: &str| madoguchi_issuance::store::FieldSpec {
        label: label.into(),
        source: source.into(),
    };
    let input = madoguchi_issuance::store::TemplateInput {
        kind: "notice".into(),
        title: "補助金交付決定通知書".into(),
        number_format: "高知県指令8商工第{n}号".into(),
        next_number: 1,
        preamble: "申請のあった令和8年度高知県事業推進補助金について、高知県補助金等交付規則に基づき、次のとおり交付することに決定したので通知します。".into(),
        fields: vec![
            field("事業名", "project_name"),
            field("交付決定額", "amount"),
            field("申請区分", "kind"),
            field("補助事業の期間", "=交付決定の日から令和9年3月31日まで"),
        ],
        conditions: "1 補助事業の内容を変更するときは、あらかじめ知事の承認を受けること。\n2 補助事業が完了したときは、完了の日から30日以内に実績報告書を提出すること。".into(),
        issuer_title: "高知県知事".into(),
        issuer_name: "窓口 太郎".into(),
        seal_text: "高知県知事之印".into(),
        fee_required: false,
        auto_issue: true,
        keep_next_number: false,
    };
    madoguchi_issuance::store::save_template(db, &scope, form_id, &input)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(true)
}
