//! Benchmark of issuing: render + seal (SoftHSM P-256 key over PKCS#11) + timestamp (built-in TSA), in one
//! process, N documents one after another. Prints `issue_per_s`. Run through `bench/issuance.sh`.

use madoguchi_issuance::fonts::FontSet;
use madoguchi_issuance::pades::SigInfo;
use madoguchi_issuance::pki::{self, Authority};
use madoguchi_issuance::render::{self, Content, Seal};
use madoguchi_issuance::seal::Sealer;
use madoguchi_kernel::config::IssuanceConfig;
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use p256::pkcs8::DecodePublicKey;
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let home = std::path::PathBuf::from(std::env::var("HOME")?);
    let public = std::fs::read_to_string(home.join(".cache/madoguchi-softhsm/seal-public.pem"))?;
    let public = p256::ecdsa::VerifyingKey::from_public_key_pem(&public)?;
    let dir = std::env::temp_dir().join(format!("madoguchi-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let root = Authority::new_root("CN=bench root,O=madoguchi,C=JP")?;
    let seal = root.issue_seal("CN=高知県知事 電子公印（計測）,O=高知県,C=JP", &public)?;
    let tsa_key = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    let tsa = root.issue_tsa("CN=bench TSA,O=madoguchi,C=JP", tsa_key.verifying_key())?;
    std::fs::write(dir.join("root.pem"), pki::to_pem(&root.cert)?)?;
    std::fs::write(dir.join("seal.pem"), pki::to_pem(&seal)?)?;
    std::fs::write(dir.join("tsa.pem"), pki::to_pem(&tsa)?)?;
    std::fs::write(dir.join("tsa.key"), pki::key_to_pem(&tsa_key)?)?;
    let cfg = IssuanceConfig {
        key: "pkcs11".into(),
        pkcs11_module: "/usr/lib/softhsm/libsofthsm2.so".into(),
        pkcs11_token: "madoguchi-test".into(),
        pkcs11_pin: "123456".into(),
        certificate: dir.join("seal.pem"),
        trust_roots: dir.join("root.pem"),
        tsa_key: dir.join("tsa.key"),
        tsa_certificate: dir.join("tsa.pem"),
        ..IssuanceConfig::default()
    };
    let sealer = Arc::new(Sealer::load(&cfg, &dir)?);
    let fonts = FontSet::load(&FontSet::candidates(&[], &dir)).expect("a Japanese font");
    let content = |i: usize| Content {
        title: "補助金交付決定通知書".into(),
        number: format!("高知県指令8商工第{i}号"),
        date: "令和8年11月23日".into(),
        recipient: vec![
            "高知県高知市丸ノ内1丁目2番20号".into(),
            "髙﨑 辻\u{E0100}子".into(),
        ],
        preamble: "次のとおり交付することに決定したので通知します。".into(),
        fields: vec![
            ("事業名".into(), "𠮷野川流域の観光振興事業".into()),
            ("交付決定額".into(), "1,200,000円".into()),
        ],
        conditions: "事業が完了したときは実績報告書を提出すること。".into(),
        issuer_title: "高知県知事".into(),
        issuer_name: "窓口 太郎".into(),
        seal: Seal::Drawn("高知県知事之印".into()),
        verify_url: "https://example.lg.jp/verify/ABCD-EFGH-JKMN-PQRS".into(),
        verify_code: "ABCD-EFGH-JKMN-PQRS".into(),
        content_hash: "0".repeat(64),
        sample: false,
    };
    // Warm-up: fonts parsed, session open.
    let pdf = render::render(&content(0), &fonts)?;
    let info = SigInfo {
        name: "bench".into(),
        reason: "計測".into(),
        location: "高知県".into(),
        time: "D:20261123000000+09'00'".into(),
    };
    sealer.seal(pdf, info.clone()).await?;
    let start = std::time::Instant::now();
    for i in 0..n {
        let pdf = render::render(&content(i), &fonts)?;
        sealer.seal(pdf, info.clone()).await?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!("issue_per_s {:.2}", n as f64 / secs);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
