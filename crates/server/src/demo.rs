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
