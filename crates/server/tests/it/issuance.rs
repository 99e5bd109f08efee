//! Electronic issuance end to end: a template, approval issues a sealed PDF (SoftHSM key over PKCS#11, the
//! built-in TSA), the applicant's mailed link, external validators (pyHanko, poppler's pdfsig, pdftotext) on
//! every issued PDF, tampering, revocation, re-issue, the fee gate, batches, document numbers without gaps
//! (failed issues, two processes, stale template pages) and tenant isolation. Needs `scripts/issuance-setup`.

use crate::common;

use common::{Backend, TestApp, csrf_of};
use madoguchi_issuance::pki::Authority;
use madoguchi_kernel::Config;
use madoguchi_kernel::config::IssuanceConfig;
use std::path::{Path, PathBuf};

fn cache() -> PathBuf {
    PathBuf::from(std::env::var("HOME").unwrap()).join(".cache")
}

fn pyhanko() -> PathBuf {
    std::env::var("MADOGUCHI_PYHANKO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| cache().join("madoguchi-pyhanko"))
        .join("bin/pyhanko")
}

fn hsm_dir() -> PathBuf {
    std::env::var("MADOGUCHI_SOFTHSM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| cache().join("madoguchi-softhsm"))
}

/// A test PKI: a root made for this test, the SoftHSM key certified by it, a built-in TSA key.
fn configure_pki(config: &mut Config) {
    use p256::pkcs8::DecodePublicKey;
    let public = std::fs::read_to_string(hsm_dir().join("seal-public.pem"))
        .expect("SoftHSM token missing: run scripts/issuance-setup");
    let public = p256::ecdsa::VerifyingKey::from_public_key_pem(&public).unwrap();
    let dir = config.data_dir.join("pki");
    std::fs::create_dir_all(&dir).unwrap();
    let root = Authority::new_root("CN=madoguchi テスト用ルート,O=madoguchi,C=JP").unwrap();
    let seal = root
        .issue_seal("CN=高知県知事 電子公印（テスト）,O=高知県,C=JP", &public)
        .unwrap();
    let tsa_key = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    let tsa = root
        .issue_tsa(
            "CN=テスト用タイムスタンプ局,O=madoguchi,C=JP",
            tsa_key.verifying_key(),
        )
        .unwrap();
    let pem = |c| madoguchi_issuance::pki::to_pem(c).unwrap();
    std::fs::write(dir.join("root.pem"), pem(&root.cert)).unwrap();
    std::fs::write(dir.join("seal.pem"), pem(&seal)).unwrap();
    std::fs::write(dir.join("tsa.pem"), pem(&tsa)).unwrap();
    std::fs::write(
        dir.join("tsa.key"),
        madoguchi_issuance::pki::key_to_pem(&tsa_key).unwrap(),
    )
    .unwrap();
    config.issuance = IssuanceConfig {
        key: "pkcs11".into(),
        pkcs11_module: "/usr/lib/softhsm/libsofthsm2.so".into(),
        pkcs11_token: "madoguchi-test".into(),
        pkcs11_pin: "123456".into(),
        pkcs11_key_label: "seal".into(),
        certificate: dir.join("seal.pem"),
        trust_roots: dir.join("root.pem"),
        tsa_key: dir.join("tsa.key"),
        tsa_certificate: dir.join("tsa.pem"),
        ..IssuanceConfig::default()
    };
}

async fn spawn(backend: Backend) -> TestApp {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn,sqlx=error")
        .with_test_writer()
        .try_init();
    TestApp::spawn_configured(backend, false, configure_pki).await
}

/// Runs a scenario on SQLite and on PostgreSQL with a server from `$spawn`, then has the external validators
/// check every PDF the scenario issued ([`external_validators_accept_every_issued_pdf`]).
macro_rules! scenarios {
    ($spawn:ident => $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = super::$spawn($crate::common::Backend::Sqlite).await;
                super::$name(&app).await;
                super::external_validators_accept_every_issued_pdf(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = super::$spawn($crate::common::Backend::Postgres).await;
                super::$name(&app).await;
                super::external_validators_accept_every_issued_pdf(&app).await;
                app.finish().await;
            }
        }
    )*};
}

scenarios!(spawn =>
    approval_issues_a_sealed_permit_that_validators_accept,
    issues_from_two_processes_number_without_gaps_or_repeats,
    saving_a_template_never_reuses_an_issued_number,
    revoked_and_superseded_documents_show_at_verification,
    fee_gate_holds_the_document_until_settled,
    batch_issues_many_with_progress,
    template_errors_name_the_field_and_keep_input,
    staff_of_another_tenant_or_department_cannot_reach_documents,
);

const FORM: &str = "jigyo-suishin-hojokin";

async fn form_id(app: &TestApp) -> i64 {
    app.scalar(&format!("SELECT id FROM forms WHERE slug = '{FORM}'"))
        .await
}

/// Saves a template for the subsidy form as the prefecture's administrator.
async fn make_template(app: &TestApp, client: &reqwest::Client, fee: bool) {
    let id = form_id(app).await;
    let url = app.url(&format!("/staff/issuance/forms/{id}/template"));
    let page = client.get(&url).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    let mut form = vec![
        ("_csrf", csrf.as_str()),
        ("kind", "notice"),
        ("title", "補助金交付決定通知書"),
        ("number_format", "高知県指令8商工第{n}号"),
        ("next_number", "7"),
        (
            "preamble",
            "次のとおり交付することに決定したので通知します。",
        ),
        (
            "fields",
            "事業名=project_name\n交付決定額=amount\n申請者=applicant.name",
        ),
        (
            "conditions",
            "事業が完了したときは実績報告書を提出すること。",
        ),
        ("issuer_title", "高知県知事"),
        ("issuer_name", "窓口 太郎"),
        ("seal_text", "高知県知事之印"),
        ("auto_issue", "1"),
    ];
    if fee {
        form.push(("fee_required", "1"));
    }
    let r = client.post(&url).form(&form).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "template saved");
}

/// Inserts a submission of the subsidy form directly (the public form's upload path is tested elsewhere) with
/// a name that needs 髙, 﨑 and an IVS, and moves it to 審査中.
async fn submission(app: &TestApp, name: &str, project: &str) -> i64 {
    let answers = serde_json::json!({
        "applicant": {"kind": "individual", "name": name, "furigana": "たかさき"},
        "postal_code": "780-8570",
        "address": "高知県高知市丸ノ内1丁目2番20号",
        "phone": "088-823-1111",
        "email": "applicant@example.jp",
        "kind": "new",
        "project_name": project,
        "amount": 1200000,
        "consent": true
    });
    let now = madoguchi_kernel::now_ms();
    let receipt = madoguchi_kernel::ids::new_receipt_number(now);
    let db = &app.ctx.db;
    let published = madoguchi_applications::forms_store::find_published(db, "390003", FORM)
        .await
        .unwrap();
    let (form, tenant, dept, version) = (
        published.form_id,
        published.tenant.id,
        published.department_id,
        published.version_id,
    );
    sqlx::query_scalar(
        "INSERT INTO submissions (tenant_id, department_id, form_id, form_version_id, receipt_number, status, answers,
             applicant_name, search_key, applicant_email, submitted_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'in_review', $6, $7, '', 'applicant@example.jp', $8, $8) RETURNING id",
    )
    .bind(tenant)
    .bind(dept)
    .bind(form)
    .bind(version)
    .bind(receipt)
    .bind(answers.to_string())
    .bind(name)
    .bind(now)
    .fetch_one(&db.write)
    .await
    .unwrap()
}

async fn post_csrf(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    action: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let html = client
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(extra);
    client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn approve(app: &TestApp, client: &reqwest::Client, id: i64) {
    let page = format!("/staff/submissions/{id}");
    let r = post_csrf(
        app,
        client,
        &page,
        &format!("{page}/status"),
        &[("to", "approved")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303, "approved");
}

/// POSTs a batch issue of `ids` from `client` (the form repeats `submission`, as the waiting list's checkboxes do).
async fn post_batch(
    app: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    ids: &[i64],
) -> reqwest::Response {
    let mut form = vec![("_csrf", csrf.to_string())];
    form.extend(ids.iter().map(|id| ("submission", id.to_string())));
    client
        .post(app.url("/staff/issuance/batches"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The download links mailed to the applicant, in the order sent.
fn mailed_links(app: &TestApp) -> Vec<String> {
    let mut links = Vec::new();
    for eml in madoguchi_kernel::mail::read_sink(&app.data_dir.join("mail")) {
        let text = decode_mail(&eml);
        if let Some(p) = text.find("/issuance/d/") {
            let rest = &text[p..];
            let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
            links.push(rest[..end].to_string());
        }
    }
    links
}

/// The body of a mail as text (lettre writes non-ASCII bodies as base64 or quoted-printable).
fn decode_mail(eml: &str) -> String {
    use base64::Engine;
    let body = eml.split("\r\n\r\n").nth(1).unwrap_or(eml);
    if eml.contains("Content-Transfer-Encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .unwrap_or_default(),
        )
        .unwrap_or_default()
    } else {
        body.replace("=\r\n", "")
    }
}

/// What `pyhanko sign validate --pretty-print` must say of every issued PDF.
const PYHANKO_ACCEPTS: [&str; 5] = [
    "The signature is judged VALID.",
    "The signer's certificate is trusted.",
    "The signature covers the entire file.",
    "The timestamp token is cryptographically sound.",
    "The TSA certificate is trusted.",
];

/// The root the test server's documents chain to: the test root of [`configure_pki`], or the development root
/// the server made under its data directory.
fn trust_root(app: &TestApp) -> PathBuf {
    let cfg = &app.ctx.config.issuance;
    if cfg.key == "development" {
        madoguchi_issuance::seal::dev_dir(&app.data_dir).join("root.pem")
    } else {
        cfg.trust_roots.clone()
    }
}

/// Keeps a tampered copy for [`external_validators_accept_every_issued_pdf`], which expects pyHanko and pdfsig
/// to reject it.
fn keep_tampered(app: &TestApp, pdf: &[u8]) {
    let dir = app.data_dir.join("validators/tampered");
    std::fs::create_dir_all(&dir).unwrap();
    let n = std::fs::read_dir(&dir).unwrap().count();
    std::fs::write(dir.join(format!("{n}.pdf")), pdf).unwrap();
}

/// pyHanko's command line on several files in one Python process (`pyhanko_validate_many.py`): for each file,
/// whether the command succeeded and what it printed.
async fn pyhanko_validate_many(root: &Path, files: &[PathBuf]) -> Vec<(bool, String)> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/pyhanko_validate_many.py"
    );
    let out = tokio::process::Command::new(pyhanko().with_file_name("python"))
        .arg(script)
        .arg(root)
        .args(files)
        .output()
        .await
        .expect("pyHanko's venv (scripts/issuance-setup)");
    assert!(
        out.status.success(),
        "pyhanko_validate_many.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), files.len());
    results
        .iter()
        .map(|r| {
            (
                r["exit_code"] == 0,
                r["output"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn tool(program: &str, args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = tokio::process::Command::new(program)
        .args(args)
        .output()
        .await
        .expect("tool present (scripts/issuance-setup)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The external validators on every PDF in this test server's register, however it was issued (on approval,
/// by staff, re-issued, released after the fee, in a batch, with the development key): pyHanko must judge the
/// signature VALID, trusted, covering the whole file, with a sound and trusted timestamp against the test root;
/// poppler's `pdfsig` must say "Signature is Valid" for the whole document; `pdftotext` must give the document
/// number the register holds; the stored file must be the one the register's SHA-256 names. Copies kept with
/// [`keep_tampered`] must be rejected by pyHanko and pdfsig. pyHanko runs once for all the files (starting it
/// costs more than validating one file) while pdfsig and pdftotext run beside it.
/// Every scenario runs it after its end (see `scenarios!`).
async fn external_validators_accept_every_issued_pdf(app: &TestApp) {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT id, document_number, object_key, file_sha256 FROM issued_documents ORDER BY id",
    )
    .fetch_all(&app.ctx.db.read)
    .await
    .unwrap();
    let dir = app.data_dir.join("validators");
    std::fs::create_dir_all(&dir).unwrap();
    let mut issued = Vec::new();
    for r in &rows {
        let (id, number, key, sha): (i64, String, String, String) = (
            r.get("id"),
            r.get("document_number"),
            r.get("object_key"),
            r.get("file_sha256"),
        );
        let pdf = app.ctx.storage.get(&key).await.unwrap();
        assert_eq!(
            madoguchi_kernel::ids::sha256_hex(&pdf),
            sha,
            "{number}: the stored file is the registered one"
        );
        let file = dir.join(format!("{id}.pdf"));
        std::fs::write(&file, &pdf).unwrap();
        issued.push((file, number));
    }
    let tampered: Vec<PathBuf> = std::fs::read_dir(dir.join("tampered"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    let all: Vec<PathBuf> = issued
        .iter()
        .map(|(f, _)| f.clone())
        .chain(tampered.iter().cloned())
        .collect();
    if all.is_empty() {
        return;
    }
    let root = trust_root(app);
    let poppler = async {
        let mut out = Vec::new();
        for f in &all {
            let sig = tool("pdfsig", &[f.as_os_str()]).await.1;
            let text = tool("pdftotext", &[f.as_os_str(), "-".as_ref()]).await.1;
            out.push((sig, text));
        }
        out
    };
    let (pyhanko, poppler) = tokio::join!(pyhanko_validate_many(&root, &all), poppler);
    for (i, (file, number)) in issued.iter().enumerate() {
        let (ok, out) = &pyhanko[i];
        assert!(ok, "pyHanko rejected {number} ({}):\n{out}", file.display());
        for expected in PYHANKO_ACCEPTS {
            assert!(
                out.contains(expected),
                "pyHanko on {number}: no \"{expected}\" in\n{out}"
            );
        }
        let (sig, text) = &poppler[i];
        assert!(
            sig.contains("Signature is Valid"),
            "pdfsig on {number}:\n{sig}"
        );
        assert!(
            sig.contains("Total document signed"),
            "pdfsig on {number}:\n{sig}"
        );
        assert!(
            text.contains(number.as_str()),
            "pdftotext on {number}:\n{text}"
        );
    }
    for (i, file) in tampered.iter().enumerate() {
        let (ok, out) = &pyhanko[issued.len() + i];
        assert!(
            !out.contains("The signature is judged VALID"),
            "pyHanko accepted a tampered copy ({}):\n{out}",
            file.display()
        );
        assert!(
            !ok || out.contains("INVALID"),
            "pyHanko did not report a tampered copy invalid:\n{out}"
        );
        let (sig, _) = &poppler[issued.len() + i];
        assert!(!sig.contains("Signature is Valid"), "{sig}");
        assert!(
            sig.contains("Digest Mismatch") || sig.contains("Invalid"),
            "{sig}"
        );
    }
}

async fn verify_json(app: &TestApp, pdf: &[u8]) -> serde_json::Value {
    app.client
        .post(app.url("/api/v1/verify"))
        .header("content-type", "application/pdf")
        .body(pdf.to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn verify_page(app: &TestApp, pdf: &[u8]) -> String {
    let client = app.browser();
    let page = client
        .get(app.url("/verify"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let form = reqwest::multipart::Form::new().text("_csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(pdf.to_vec())
            .file_name("permit.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let r = client
        .post(app.url("/verify"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.text().await.unwrap()
}

/// A copy with one byte changed inside the signed page content (the original file's first half).
fn tampered(pdf: &[u8]) -> Vec<u8> {
    let mut t = pdf.to_vec();
    // The page content stream of the original rendering: flip a byte of the first stream found.
    let s = t.windows(6).position(|w| w == b"stream").unwrap() + 40;
    t[s] ^= 0x01;
    t
}

async fn approval_issues_a_sealed_permit_that_validators_accept(app: &TestApp) {
    app.login("pref-admin").await;
    make_template(app, &app.client, false).await;
    let reviewer = app.browser();
    common::login_with(&reviewer, app, "shoko-reviewer").await;
    let ivs_name = "髙﨑 辻\u{E0100}子";
    let id = submission(app, ivs_name, "𠮷野川流域の観光振興事業").await;
    approve(app, &reviewer, id).await;
    app.drain_jobs().await;

    // The document is registered, valid and released; the applicant was mailed a link.
    let (status, page) = app
        .get_text(&format!("/staff/issuance/submissions/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("高知県指令8商工第7号"), "issued on approval");
    assert!(page.contains("申請者に送付済み"));
    let links = mailed_links(app);
    assert_eq!(links.len(), 1, "one download link mailed");
    let r = app.browser().get(app.url(&links[0])).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    // A download with its Japanese name, never sniffed or cached on the way.
    let disposition = r.headers()["content-disposition"].to_str().unwrap();
    let name = disposition
        .strip_prefix("attachment; filename*=UTF-8''")
        .expect(disposition);
    let name = percent_encoding::percent_decode_str(name)
        .decode_utf8()
        .unwrap();
    assert!(name.ends_with(".pdf") && !name.is_ascii(), "{name}");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let pdf = r.bytes().await.unwrap().to_vec();
    assert!(pdf.starts_with(b"%PDF-"));

    // pyHanko, pdfsig and pdftotext check it (and every other issued PDF) when the scenario ends: the file the
    // applicant downloaded is the one in the register.
    let registered = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM issued_documents WHERE submission_id = {id} AND file_sha256 = '{}'",
            madoguchi_kernel::ids::sha256_hex(&pdf)
        ))
        .await;
    assert_eq!(registered, 1, "the download is the registered file");
    let file = app.data_dir.join("permit.pdf");
    std::fs::write(&file, &pdf).unwrap();
    // The text is extractable and has the submission's data, rare kanji and the IVS included.
    let (ok, text) = tool("pdftotext", &[file.as_os_str(), "-".as_ref()]).await;
    assert!(ok, "{text}");
    for expected in [
        "補助金交付決定通知書",
        "高知県指令8商工第7号",
        "髙﨑",
        "𠮷野川流域の観光振興事業",
        "1,200,000",
        "高知県知事",
    ] {
        assert!(
            text.contains(expected),
            "pdftotext lacks {expected}:\n{text}"
        );
    }
    assert!(
        text.contains("辻\u{E0100}子"),
        "the IVS name is not extracted intact:\n{text}"
    );

    // The project's own verification: the JSON endpoint and the page.
    let v = verify_json(app, &pdf).await;
    assert_eq!(v["verdict"], "valid", "{v}");
    assert_eq!(v["intact"], true);
    assert_eq!(v["trusted_signer"], true);
    assert!(v["timestamp"].is_string());
    assert_eq!(v["document"]["document_number"], "高知県指令8商工第7号");
    assert!(
        !v.to_string().contains("髙﨑"),
        "no personal data on the public report"
    );
    let html = verify_page(app, &pdf).await;
    assert!(html.contains("有効な交付文書です"), "{html}");

    // A copy with one byte changed: both validators (when the scenario ends) and the verification page reject it.
    let bad = tampered(&pdf);
    keep_tampered(app, &bad);
    let v = verify_json(app, &bad).await;
    assert_eq!(v["verdict"], "altered", "{v}");
    assert_eq!(
        v["document"]["document_number"], "高知県指令8商工第7号",
        "the original is named"
    );
    let html = verify_page(app, &bad).await;
    assert!(html.contains("改ざんされています"), "{html}");

    // The QR code's link shows the register entry.
    let code = v["document"]["verify_code"].as_str().unwrap().to_string();
    let (status, html) = app.get_text(&format!("/verify/{code}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("高知県指令8商工第7号") && html.contains("有効"));
    let (status, _) = app.get_text("/verify/AAAA-BBBB-CCCC-DDDD").await;
    assert_eq!(status, 404);
    let (status, html) = app.get_text("/verify?code=AAAA-BBBB-CCCC-DDDD").await;
    assert_eq!(status, 404);
    assert!(
        html.contains("href=\"#code\"") && html.contains("aria-describedby=\"code-error\""),
        "the unknown code is the field named:\n{html}"
    );
    // A second issue of the same submission is refused: re-issue is the way.
    let r = post_csrf(
        app,
        &app.client,
        &format!("/staff/issuance/submissions/{id}"),
        &format!("/staff/issuance/submissions/{id}/issue"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 409);
    // Not a PDF.
    let r = app
        .client
        .post(app.url("/api/v1/verify"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

async fn revoked_and_superseded_documents_show_at_verification(app: &TestApp) {
    app.login("pref-admin").await;
    make_template(app, &app.client, false).await;
    let id = submission(app, "髙橋 一郎", "地域の事業").await;
    approve(app, &app.client, id).await;
    app.drain_jobs().await;
    let first = app
        .scalar(&format!(
            "SELECT id FROM issued_documents WHERE submission_id = {id}"
        ))
        .await;
    let first_pdf = app
        .client
        .get(app.url(&format!("/staff/issuance/documents/{first}/file.pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    // Re-issue: a new number, the old one superseded.
    let page = format!("/staff/issuance/submissions/{id}");
    let r = post_csrf(
        app,
        &app.client,
        &page,
        &format!("/staff/issuance/documents/{first}/reissue"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let v = verify_json(app, &first_pdf).await;
    assert_eq!(v["verdict"], "superseded", "{v}");
    assert_eq!(v["document"]["superseded_by"], "高知県指令8商工第8号");
    // Re-issuing the superseded one again is refused.
    let r = post_csrf(
        app,
        &app.client,
        &page,
        &format!("/staff/issuance/documents/{first}/reissue"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 409);
    let second = app
        .scalar(&format!(
            "SELECT id FROM issued_documents WHERE submission_id = {id} AND status = 'valid'"
        ))
        .await;
    // Revocation needs a reason; the refusal names the field and keeps the page.
    let r = post_csrf(
        app,
        &app.client,
        &page,
        &format!("/staff/issuance/documents/{second}/revoke"),
        &[("reason", "  ")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("取消しの理由を入力してください"), "{html}");
    assert!(
        html.contains(&format!("href=\"#reason-{second}\""))
            && html.contains(&format!(
                "id=\"reason-{second}\" name=\"reason\" rows=\"2\" aria-invalid=\"true\" aria-describedby=\"reason-{second}-error\""
            )),
        "the refusal leads to and is tied to that document's reason:\n{html}"
    );
    let r = post_csrf(
        app,
        &app.client,
        &page,
        &format!("/staff/issuance/documents/{second}/revoke"),
        &[("reason", "申請内容に誤りがあったため")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let second_pdf = app
        .client
        .get(app.url(&format!("/staff/issuance/documents/{second}/file.pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let v = verify_json(app, &second_pdf).await;
    assert_eq!(v["verdict"], "revoked", "{v}");
    assert_eq!(
        v["document"]["revoked_reason"],
        "申請内容に誤りがあったため"
    );
    let html = verify_page(app, &second_pdf).await;
    assert!(html.contains("取り消されています") && html.contains("申請内容に誤りがあったため"));
    // The mailed links of both documents no longer download.
    for link in mailed_links(app) {
        let r = app.browser().get(app.url(&link)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 410, "{link}");
    }
    // The applicant's view (for my page) lists both, none downloadable.
    let tenant = app
        .scalar("SELECT id FROM tenants WHERE code = '390003'")
        .await;
    let docs = madoguchi_issuance::applicant::documents_for_submission(&app.ctx, tenant, id)
        .await
        .unwrap();
    assert_eq!(docs.len(), 2);
    assert!(docs.iter().all(|d| !d.downloadable));
}

async fn fee_gate_holds_the_document_until_settled(app: &TestApp) {
    app.login("pref-admin").await;
    make_template(app, &app.client, true).await;
    let id = submission(app, "山田 花子", "手数料のある事業").await;
    approve(app, &app.client, id).await;
    app.drain_jobs().await;
    assert!(
        mailed_links(app).is_empty(),
        "nothing is released before the fee"
    );
    let tenant = app
        .scalar("SELECT id FROM tenants WHERE code = '390003'")
        .await;
    let docs = madoguchi_issuance::applicant::documents_for_submission(&app.ctx, tenant, id)
        .await
        .unwrap();
    assert_eq!(docs.len(), 1);
    assert!(!docs[0].downloadable);
    assert!(docs[0].note.contains("手数料"));
    let page = format!("/staff/issuance/submissions/{id}");
    let (_, html) = app.get_text(&page).await;
    assert!(html.contains("手数料の納付待ち"));
    let r = post_csrf(app, &app.client, &page, &format!("{page}/fee"), &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    app.drain_jobs().await;
    let links = mailed_links(app);
    assert_eq!(links.len(), 1, "released after the fee");
    let r = app.browser().get(app.url(&links[0])).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (bytes, _) = {
        let docs = madoguchi_issuance::applicant::documents_for_submission(&app.ctx, tenant, id)
            .await
            .unwrap();
        assert!(docs[0].downloadable);
        let pdf = madoguchi_issuance::applicant::released_pdf(&app.ctx, tenant, id, docs[0].id)
            .await
            .unwrap()
            .unwrap();
        (pdf.1, pdf.0)
    };
    assert!(bytes.starts_with(b"%PDF-"));
    // Settling twice is refused.
    let r = post_csrf(app, &app.client, &page, &format!("{page}/fee"), &[]).await;
    assert_eq!(r.status().as_u16(), 409);
}

async fn batch_issues_many_with_progress(app: &TestApp) {
    app.login("pref-admin").await;
    // Without a template nothing is issued on approval: the submissions wait for staff.
    let mut ids = Vec::new();
    for i in 0..3 {
        let id = submission(app, &format!("申請者{i}"), &format!("事業{i}")).await;
        approve(app, &app.client, id).await;
        ids.push(id);
    }
    app.drain_jobs().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM issued_documents").await, 0);
    make_template(app, &app.client, false).await;
    // Template turned off auto-issue does not matter for a batch.
    let (_, html) = app.get_text("/staff/issuance").await;
    for id in &ids {
        assert!(
            html.contains(&format!("value=\"{id}\"")),
            "waiting list has {id}"
        );
    }
    let csrf = csrf_of(&html);
    let r = post_batch(app, &app.client, &csrf, &ids).await;
    assert_eq!(r.status().as_u16(), 303);
    let batch = app.location(&r);
    let (_, html) = app.get_text(batch.trim_start_matches(&app.addr)).await;
    assert!(html.contains("処理待ち 3件"), "{html}");
    app.drain_jobs().await;
    let (_, html) = app.get_text(batch.trim_start_matches(&app.addr)).await;
    assert!(html.contains("交付済み 3件"), "{html}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM issued_documents WHERE status = 'valid'")
            .await,
        3
    );
    // An empty selection is refused with a message.
    let r = post_csrf(
        app,
        &app.client,
        "/staff/issuance",
        "/staff/issuance/batches",
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("交付する申請を選んでください")
    );
}

async fn template_errors_name_the_field_and_keep_input(app: &TestApp) {
    app.login("pref-admin").await;
    let id = form_id(app).await;
    let url = format!("/staff/issuance/forms/{id}/template");
    let r = post_csrf(
        app,
        &app.client,
        &url,
        &url,
        &[
            ("kind", "permit"),
            ("title", "許可書"),
            ("number_format", "第号"),
            ("next_number", "0"),
            ("fields", "事業名=no_such_part"),
            ("issuer_title", "高知県知事"),
            ("issuer_name", "髙﨑 太郎"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("href=\"#number_format\""));
    assert!(html.contains("href=\"#next_number\""));
    assert!(html.contains("no_such_part"));
    assert!(html.contains("value=\"髙﨑 太郎\""), "input kept");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM issuance_templates").await,
        0
    );
    // The preview of a saved template is a PDF marked 見本 and not signed.
    make_template(app, &app.client, false).await;
    let r = app
        .get(&format!("/staff/issuance/forms/{id}/preview.pdf"))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(madoguchi_issuance::pades::find_signatures(&pdf).is_empty());
    // A seal image that is not a PNG is refused on the template page.
    let (_, page) = app.get_text(&url).await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf_of(&page))
        .part(
            "seal",
            reqwest::multipart::Part::bytes(b"not a png".to_vec()).file_name("seal.png"),
        );
    let r = app
        .client
        .post(app.url(&format!("/staff/issuance/forms/{id}/seal")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("PNG形式"));
}

async fn staff_of_another_tenant_or_department_cannot_reach_documents(app: &TestApp) {
    app.login("pref-admin").await;
    make_template(app, &app.client, false).await;
    let id = submission(app, "髙﨑 次郎", "事業").await;
    approve(app, &app.client, id).await;
    app.drain_jobs().await;
    let doc = app
        .scalar(&format!(
            "SELECT id FROM issued_documents WHERE submission_id = {id}"
        ))
        .await;
    let form = form_id(app).await;
    // A municipality's administrator and another department's reviewer.
    for login in ["kochi-city-admin", "doro-reviewer"] {
        let other = app.browser();
        common::login_with(&other, app, login).await;
        for path in [
            format!("/staff/issuance/submissions/{id}"),
            format!("/staff/issuance/submissions/{id}/preview.pdf"),
            format!("/staff/issuance/documents/{doc}/file.pdf"),
        ] {
            let r = other.get(app.url(&path)).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 404, "{login} {path}");
        }
        let r = other
            .get(app.url(&format!("/staff/issuance/forms/{form}/template")))
            .send()
            .await
            .unwrap();
        assert!(matches!(r.status().as_u16(), 403 | 404), "{login} template");
        let page = other
            .get(app.url("/staff/issuance"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !page.contains("高知県指令8商工第7号"),
            "{login} sees no documents of others"
        );
        let csrf = csrf_of(&page);
        for action in [
            format!("/staff/issuance/documents/{doc}/revoke"),
            format!("/staff/issuance/documents/{doc}/reissue"),
            format!("/staff/issuance/submissions/{id}/issue"),
            format!("/staff/issuance/submissions/{id}/fee"),
        ] {
            let r = other
                .post(app.url(&action))
                .form(&[("_csrf", csrf.as_str()), ("reason", "x")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 404, "{login} {action}");
        }
        let r = post_batch(app, &other, &csrf, &[id]).await;
        assert_eq!(r.status().as_u16(), 404, "{login} batch");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM issued_documents WHERE status = 'valid'")
            .await,
        1
    );
}

// The default configuration, as `madoguchi demo` runs: a development key file and root made under the data
// directory on first use, the built-in TSA in process.
scenarios!(spawn_development => development_key_seals_and_verifies);

async fn spawn_development(backend: Backend) -> TestApp {
    TestApp::spawn(backend).await
}

async fn development_key_seals_and_verifies(app: &TestApp) {
    app.login("pref-admin").await;
    make_template(app, &app.client, false).await;
    let id = submission(app, "髙﨑 三郎", "開発環境の事業").await;
    approve(app, &app.client, id).await;
    app.drain_jobs().await;
    let (_, html) = app.get_text("/staff/issuance").await;
    assert!(
        html.contains("開発用の鍵です"),
        "the development key is flagged to staff"
    );
    let doc = app
        .scalar(&format!(
            "SELECT id FROM issued_documents WHERE submission_id = {id}"
        ))
        .await;
    let pdf = app
        .get(&format!("/staff/issuance/documents/{doc}/file.pdf"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let v = verify_json(app, &pdf).await;
    assert_eq!(v["verdict"], "valid", "{v}");
    // pyHanko and pdfsig check it against the development root when the scenario ends.
}

// Document numbers (高知県指令第N号) do not skip: an issue that fails takes no number.
scenarios!(spawn_with_switchable_tsa =>
    failed_issues_take_no_number,
    a_timestamp_failure_inside_a_batch_leaves_no_gap,
);

/// A timestamp authority the test switches off and on: while up it passes RFC 3161 queries to the test
/// server's built-in TSA (`POST /issuance/tsa`), while down it answers 503. `POST {url}/down` and
/// `POST {url}/up` switch it, `POST {url}/fail/{k}` makes the k-th request from now fail alone, and
/// `GET {url}/failed` counts the requests it failed; the server is configured with it as `[issuance] tsa_url`.
async fn spawn_with_switchable_tsa(backend: Backend) -> TestApp {
    use axum::extract::State;
    use std::sync::atomic::AtomicUsize;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};
    #[derive(Clone, Default)]
    struct Tsa {
        up: Arc<AtomicBool>,
        target: Arc<OnceLock<String>>,
        seen: Arc<AtomicUsize>,
        fail_at: Arc<AtomicUsize>,
        failed: Arc<AtomicUsize>,
    }
    async fn answer(State(t): State<Tsa>, body: axum::body::Bytes) -> axum::response::Response {
        use axum::response::IntoResponse;
        let seen = t.seen.fetch_add(1, Ordering::SeqCst) + 1;
        if !t.up.load(Ordering::SeqCst) || seen == t.fail_at.load(Ordering::SeqCst) {
            t.failed.fetch_add(1, Ordering::SeqCst);
            return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
        }
        let r = reqwest::Client::new()
            .post(t.target.get().expect("server started"))
            .header("content-type", "application/timestamp-query")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = axum::http::StatusCode::from_u16(r.status().as_u16()).unwrap();
        let bytes = r.bytes().await.unwrap();
        (
            status,
            [("content-type", "application/timestamp-reply")],
            bytes,
        )
            .into_response()
    }
    let tsa = Tsa::default();
    tsa.up.store(true, Ordering::SeqCst);
    let (up, down) = (tsa.up.clone(), tsa.up.clone());
    let router = axum::Router::new()
        .route("/", axum::routing::post(answer))
        .route(
            "/up",
            axum::routing::post(move || async move { up.store(true, Ordering::SeqCst) }),
        )
        .route(
            "/down",
            axum::routing::post(move || async move { down.store(false, Ordering::SeqCst) }),
        )
        .route(
            "/fail/{k}",
            axum::routing::post(
                |State(t): State<Tsa>, axum::extract::Path(k): axum::extract::Path<usize>| async move {
                    t.fail_at
                        .store(t.seen.load(Ordering::SeqCst) + k, Ordering::SeqCst)
                },
            ),
        )
        .route(
            "/failed",
            axum::routing::get(|State(t): State<Tsa>| async move {
                t.failed.load(Ordering::SeqCst).to_string()
            }),
        )
        .with_state(tsa.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn,sqlx=error")
        .with_test_writer()
        .try_init();
    let app = TestApp::spawn_configured(backend, false, |c| {
        configure_pki(c);
        c.issuance.tsa_url = url;
    })
    .await;
    tsa.target.set(app.url("/issuance/tsa")).unwrap();
    app
}

async fn switch_tsa(app: &TestApp, state: &str) {
    let url = format!("{}/{state}", app.ctx.config.issuance.tsa_url);
    let r = reqwest::Client::new().post(url).send().await.unwrap();
    assert!(r.status().is_success());
}

/// The template's counter and the numbers in the register, in order of issue.
async fn numbering(app: &TestApp) -> (i64, Vec<String>) {
    let next = app
        .scalar("SELECT next_number FROM issuance_templates")
        .await;
    let numbers = sqlx::query_scalar("SELECT document_number FROM issued_documents ORDER BY id")
        .fetch_all(&app.ctx.db.read)
        .await
        .unwrap();
    (next, numbers)
}

/// Files in the object store under `issuance/` (issued PDFs; seal images live elsewhere).
/// Issued PDFs in the object store, whichever store the test runs on (files or S3).
async fn stored_pdfs(app: &TestApp) -> usize {
    app.ctx
        .storage
        .list("issuance")
        .await
        .unwrap()
        .iter()
        .filter(|k| k.ends_with(".pdf"))
        .count()
}

async fn failed_issues_take_no_number(app: &TestApp) {
    app.login("pref-admin").await;
    make_template(app, &app.client, false).await;
    switch_tsa(app, "down").await;

    // On approval: the job fails (and will be tried again), nothing is registered or stored, no number used.
    let first = submission(app, "髙橋 一郎", "最初に承認された事業").await;
    approve(app, &app.client, first).await;
    app.drain_jobs().await;
    assert_eq!(
        numbering(app).await,
        (7, vec![]),
        "the failed issue took no number"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM jobs WHERE failed_at IS NULL AND last_error IS NOT NULL")
            .await,
        1,
        "the approval's issue waits to be tried again"
    );
    // By staff: the page says it failed, names nothing as issued, and no number is used either.
    let second = submission(app, "山﨑 二郎", "次に承認された事業").await;
    sqlx::query("UPDATE submissions SET status = 'approved' WHERE id = $1")
        .bind(second)
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    let page = format!("/staff/issuance/submissions/{second}");
    let r = post_csrf(app, &app.client, &page, &format!("{page}/issue"), &[]).await;
    assert_eq!(r.status().as_u16(), 503);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("交付文書を作成できませんでした") && html.contains("まだありません"),
        "{html}"
    );
    assert_eq!(numbering(app).await, (7, vec![]));
    assert_eq!(
        stored_pdfs(app).await,
        0,
        "nothing left in the object store"
    );

    // The TSA is back: staff issue the second one, then the first one's job runs again.
    switch_tsa(app, "up").await;
    let r = post_csrf(app, &app.client, &page, &format!("{page}/issue"), &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    sqlx::query("UPDATE jobs SET run_at = 0 WHERE failed_at IS NULL")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    app.drain_jobs().await;
    assert_eq!(
        numbering(app).await,
        (
            9,
            vec![
                "高知県指令8商工第7号".to_string(),
                "高知県指令8商工第8号".to_string()
            ]
        ),
        "the numbers follow on from the last issued one"
    );
    // A failed re-issue leaves the document it would replace valid and the numbering as it was.
    let doc = app
        .scalar(&format!(
            "SELECT id FROM issued_documents WHERE submission_id = {second}"
        ))
        .await;
    switch_tsa(app, "down").await;
    let r = post_csrf(
        app,
        &app.client,
        &page,
        &format!("/staff/issuance/documents/{doc}/reissue"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 503);
    switch_tsa(app, "up").await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM issued_documents WHERE id = {doc} AND status = 'valid'"
        ))
        .await,
        1
    );
    assert_eq!(numbering(app).await.0, 9);
    assert_eq!(stored_pdfs(app).await, 2);
}

async fn issues_from_two_processes_number_without_gaps_or_repeats(app: &TestApp) {
    app.login("pref-admin").await;
    make_template(app, &app.client, false).await;
    let tenant = app
        .scalar("SELECT id FROM tenants WHERE code = '390003'")
        .await;
    let mut ids = Vec::new();
    for i in 0..8 {
        let id = submission(app, &format!("申請者{i}"), &format!("事業{i}")).await;
        sqlx::query("UPDATE submissions SET status = 'approved' WHERE id = $1")
            .bind(id)
            .execute(&app.ctx.db.write)
            .await
            .unwrap();
        ids.push(id);
    }
    // This server issues half of them as a batch (its job runner, several at a time) while another server
    // process on the same database issues the other half.
    let (here, there) = ids.split_at(4);
    let (_, html) = app.get_text("/staff/issuance").await;
    let r = post_batch(app, &app.client, &csrf_of(&html), here).await;
    assert_eq!(r.status().as_u16(), 303);
    let other = madoguchi_issuance::IssuanceState::as_another_process(app.ctx.clone());
    let elsewhere = futures::future::join_all(there.iter().map(|id| {
        madoguchi_issuance::issue::issue(
            &other,
            madoguchi_issuance::issue::Actor::System(None),
            tenant,
            *id,
            None,
        )
    }));
    let (_, issued) = tokio::join!(app.drain_jobs(), elsewhere);
    for d in issued {
        d.expect("issued by the other process");
    }
    // Registered strictly in the order of their numbers, whichever process made them.
    let (next, numbers) = numbering(app).await;
    let expected: Vec<String> = (7..15).map(|n| format!("高知県指令8商工第{n}号")).collect();
    assert_eq!(
        numbers, expected,
        "each number once, none skipped, in order"
    );
    assert_eq!(next, 15);
    assert_eq!(
        stored_pdfs(app).await,
        8,
        "no file left from a number taken first by the other"
    );
}

async fn saving_a_template_never_reuses_an_issued_number(app: &TestApp) {
    app.login("pref-admin").await;
    make_template(app, &app.client, false).await;
    let form = form_id(app).await;
    let url = format!("/staff/issuance/forms/{form}/template");
    // A colleague opens the template page (次の番号 7) …
    let (_, stale) = app.get_text(&url).await;
    assert!(stale.contains("name=\"next_number_shown\" value=\"7\""));
    // … meanwhile two documents are issued …
    for i in 0..2 {
        let id = submission(app, &format!("申請者{i}"), "事業").await;
        approve(app, &app.client, id).await;
    }
    app.drain_jobs().await;
    assert_eq!(numbering(app).await.0, 9);
    // … and the colleague saves a change of wording with the number as it was shown: the counter stays.
    let value = |k: &str| common::hidden_value(&stale, k).unwrap_or_default();
    let mut form: Vec<(&str, String)> = vec![
        ("_csrf", csrf_of(&stale)),
        ("kind", "notice".into()),
        ("title", "補助金交付決定通知書（改）".into()),
        ("number_format", value("number_format")),
        ("next_number", value("next_number")),
        ("next_number_shown", value("next_number_shown")),
        ("preamble", textarea_value(&stale, "preamble")),
        ("fields", textarea_value(&stale, "fields")),
        ("conditions", textarea_value(&stale, "conditions")),
        ("issuer_title", value("issuer_title")),
        ("issuer_name", value("issuer_name")),
        ("seal_text", value("seal_text")),
        ("auto_issue", "1".into()),
    ];
    assert_eq!(form[4].1, "7");
    let r = app
        .client
        .post(app.url(&url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        numbering(app).await.0,
        9,
        "the stale page did not reset the counter"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM issuance_templates WHERE title = '補助金交付決定通知書（改）'"
        )
        .await,
        1,
        "the wording was saved"
    );
    // Setting it back into numbers already issued is refused, naming the field and the first free number.
    form[4].1 = "8".into();
    let r = app
        .client
        .post(app.url(&url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("href=\"#next_number\"")
            && html.contains(
                "次の番号は9以上にしてください（高知県指令8商工第8号まで交付済みです）。"
            )
            && html.contains("aria-describedby=\"next_number-help next_number-error\""),
        "{html}"
    );
    assert_eq!(numbering(app).await.0, 9);
    // Raising it (numbers kept for paper documents, say) is staff's choice; a new series (the next fiscal
    // year's format) may start again from 1.
    form[3].1 = "高知県指令9商工第{n}号".into();
    form[4].1 = "1".into();
    let r = app
        .client
        .post(app.url(&url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let id = submission(app, "申請者2", "事業").await;
    approve(app, &app.client, id).await;
    app.drain_jobs().await;
    let (next, numbers) = numbering(app).await;
    assert_eq!(next, 2);
    assert_eq!(numbers.last().unwrap(), "高知県指令9商工第1号");
}

/// The text of a `<textarea id="…">` as the page shows it (entities as written).
fn textarea_value(html: &str, id: &str) -> String {
    let start = html.find(&format!("<textarea id=\"{id}\"")).unwrap();
    let open = html[start..].find('>').unwrap() + start + 1;
    let close = html[open..].find("</textarea>").unwrap() + open;
    html[open..close].to_string()
}

async fn a_timestamp_failure_inside_a_batch_leaves_no_gap(app: &TestApp) {
    app.login("pref-admin").await;
    make_template(app, &app.client, false).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let id = submission(app, &format!("申請者{i}"), &format!("事業{i}")).await;
        sqlx::query("UPDATE submissions SET status = 'approved' WHERE id = $1")
            .bind(id)
            .execute(&app.ctx.db.write)
            .await
            .unwrap();
        ids.push(id);
    }
    // The batch's documents are made several at a time; the TSA fails the second request alone, so documents
    // with higher numbers are already being made when a lower number is given up.
    switch_tsa(app, "fail/2").await;
    let (_, html) = app.get_text("/staff/issuance").await;
    let r = post_batch(app, &app.client, &csrf_of(&html), &ids).await;
    assert_eq!(r.status().as_u16(), 303);
    let batch = app.location(&r);
    app.drain_jobs().await;
    let failed: String = reqwest::get(format!("{}/failed", app.ctx.config.issuance.tsa_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(failed, "1", "one timestamp request failed");
    let consecutive = |count: usize| -> Vec<String> {
        (7..7 + count as i64)
            .map(|n| format!("高知県指令8商工第{n}号"))
            .collect()
    };
    let (next, numbers) = numbering(app).await;
    assert_eq!(numbers, consecutive(numbers.len()), "no gap, in order");
    assert_eq!(next, 7 + numbers.len() as i64);
    // The failed item is tried again later (its job is due once the clock moves on) and takes the next number.
    sqlx::query("UPDATE jobs SET run_at = 0 WHERE failed_at IS NULL")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    app.drain_jobs().await;
    assert_eq!(numbering(app).await, (13, consecutive(6)));
    let (_, html) = app.get_text(batch.trim_start_matches(&app.addr)).await;
    assert!(html.contains("交付済み 6件"), "{html}");
    assert_eq!(
        stored_pdfs(app).await,
        6,
        "no file left from a document made again"
    );
}
