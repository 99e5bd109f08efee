//! Behaviour of the index as the FAQ pages use it: Japanese spelling variants, typos, staff separation,
//! hostile input and the "no good answer" decision.

use std::sync::Arc;

use madoguchi_search::{Document, Index, Readings, SearchOptions, Synonyms};

fn doc(id: i64, question: &str, phrasings: &[&str], answer: &str, category: &str) -> Document {
    Document {
        id,
        question: question.into(),
        phrasings: phrasings.iter().map(|p| p.to_string()).collect(),
        answer: answer.into(),
        category: category.into(),
        staff_only: false,
    }
}

fn base() -> Vec<Document> {
    let mut docs = vec![
        doc(
            1,
            "児童手当の申請方法を教えてください",
            &["子どもが生まれたら手当の手続きは必要ですか"],
            "出生日の翌日から15日以内に、子育て支援課の窓口で認定請求書を提出してください。",
            "子育て",
        ),
        doc(
            2,
            "住民票の写しはどこで取れますか",
            &["住民票をコンビニで取得したい"],
            "市民課の窓口のほか、マイナンバーカードがあればコンビニのマルチコピー機で取得できます。手数料は300円です。",
            "戸籍・住民票",
        ),
        doc(
            3,
            "マイナンバーカードを紛失しました",
            &["マイナカードをなくした", "個人番号カードの再発行"],
            "すぐにマイナンバー総合フリーダイヤルに連絡して一時停止してください。再交付の申請は市民課で受け付けます。",
            "マイナンバー",
        ),
        doc(
            4,
            "粗大ごみの出し方",
            &["大きなごみを捨てたい"],
            "粗大ごみは事前申込制です。粗大ごみ受付センターに電話で申し込み、処理券を貼って指定日に出してください。",
            "ごみ・リサイクル",
        ),
        doc(
            5,
            "国民健康保険に加入する手続き",
            &["会社を辞めたので国保に入りたい"],
            "退職日の翌日から14日以内に保険年金課で加入の届出をしてください。離職票など資格喪失の証明が必要です。",
            "国民健康保険",
        ),
        doc(
            6,
            "転出届の出し方",
            &["市外へ引っ越すときの手続き"],
            "引っ越しの14日前から市民課で転出届を受け付けます。マイナンバーカードがあればオンラインでも届出できます。",
            "転入・転出",
        ),
        doc(
            7,
            "子ども医療費助成の対象年齢",
            &["こどもの医療費は何歳まで無料ですか"],
            "中学校卒業までの子どもの保険診療の自己負担分を助成します。",
            "子育て",
        ),
    ];
    let mut staff = doc(
        100,
        "パソコンのパスワードを忘れた",
        &["PCにログインできない"],
        "情報政策課ヘルプデスク（内線1234）に連絡してください。本人確認のうえ初期化します。",
        "ヘルプデスク",
    );
    staff.staff_only = true;
    docs.push(staff);
    docs
}

fn index() -> Index {
    Index::build(base(), &Synonyms::builtin())
}

fn public() -> SearchOptions {
    SearchOptions {
        include_staff_only: false,
        staff_only: false,
        limit: 5,
        min_coverage_percent: 0,
    }
}

fn top(index: &Index, query: &str) -> Option<i64> {
    index.search(query, &public()).hits.first().map(|h| h.id)
}

#[test]
fn natural_questions_find_their_answer_confidently() {
    let index = index();
    for (query, id) in [
        ("児童手当の申請はどうすればいいですか", 1),
        ("住民票ってどこで取れるの", 2),
        ("粗大ごみを出したい", 4),
        ("会社を辞めたけど国民健康保険の手続きは？", 5),
    ] {
        let answer = index.search(query, &public());
        assert_eq!(answer.hits.first().map(|h| h.id), Some(id), "{query}");
        assert!(answer.confident, "{query}: {answer:?}");
    }
}

#[test]
fn half_width_kana_and_full_width_latin_find_the_same_answer() {
    let index = index();
    assert_eq!(top(&index, "ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞを紛失"), Some(3));
    assert_eq!(top(&index, "ｺﾝﾋﾞﾆで住民票"), Some(2));
    assert_eq!(
        index.search("ｿﾀﾞｲｺﾞﾐ", &public()).hits,
        index.search("ソダイゴミ", &public()).hits
    );
}

#[test]
fn mixed_scripts_match() {
    let index = index();
    // Hiragana for a word the Q&A writes in katakana, and kanji mixed with kana.
    assert_eq!(top(&index, "こんびにで住民票をとりたい"), Some(2));
    assert_eq!(top(&index, "そだいごみの出しかた"), Some(4));
}

#[test]
fn spelling_variants_match_through_synonyms() {
    let index = index();
    // 子供 / こども / 子ども and 個人番号カード / マイナカード / マイナンバーカード
    assert_eq!(top(&index, "子供の医療費の助成"), Some(7));
    assert_eq!(top(&index, "コドモの医療費"), Some(7));
    assert_eq!(top(&index, "個人番号カードをなくしました"), Some(3));
    // 国保 is 国民健康保険.
    assert_eq!(top(&index, "国保に入りたい"), Some(5));
}

#[test]
fn synonyms_apply_only_when_given() {
    let plain = Index::build(base(), &Synonyms::default());
    assert!(
        !plain
            .search("廃棄物", &public())
            .hits
            .iter()
            .any(|h| h.id == 4)
    );
    let custom = Synonyms::parse("ごみ、廃棄物").unwrap();
    let index = Index::build(base(), &custom);
    assert_eq!(top(&index, "大きな廃棄物"), Some(4));
}

#[test]
fn typos_still_find_the_answer() {
    let index = index();
    assert_eq!(top(&index, "住民表の写し"), Some(2)); // 票 → 表
    assert_eq!(top(&index, "児童手宛の申請"), Some(1)); // 当 → 宛
    assert_eq!(top(&index, "マイナンバーカートを紛失"), Some(3)); // ド → ト
    assert_eq!(top(&index, "粗大ごみのだしかた"), Some(4));
}

#[test]
fn questions_without_an_answer_are_not_confident() {
    let index = index();
    for query in [
        "図書館の本の返却期限を延長したい",
        "市営住宅の入居者募集はいつですか",
        "ペットの猫が迷子になった",
    ] {
        let answer = index.search(query, &public());
        assert!(!answer.confident, "{query}: {answer:?}");
    }
}

#[test]
fn empty_and_meaningless_queries_give_nothing() {
    let index = index();
    for query in ["", "   ", "？！。", "ー", "々"] {
        let answer = index.search(query, &public());
        assert!(answer.hits.is_empty(), "{query:?}");
        assert!(!answer.confident);
    }
}

#[test]
fn a_100_kb_query_does_not_break_the_search() {
    let index = index();
    let long = "児童手当の申請について".repeat(10_000);
    assert!(long.len() > 100_000);
    let answer = index.search(&long, &public());
    assert_eq!(answer.hits.first().map(|h| h.id), Some(1));
    let noise: String = (0..100_000u32)
        .map(|i| char::from_u32(0x3041 + i % 0x5000).unwrap_or('あ'))
        .collect();
    let _ = index.search(&noise, &public());
}

#[test]
fn a_100_kb_answer_can_be_indexed() {
    let mut docs = base();
    docs.push(doc(
        50,
        "長い説明",
        &[],
        &"税の説明です。".repeat(15_000),
        "税",
    ));
    let index = Index::build(docs, &Synonyms::builtin());
    assert_eq!(index.len(), 9);
    assert_eq!(top(&index, "長い説明"), Some(50));
}

#[test]
fn staff_only_answers_are_hidden_from_residents() {
    let index = index();
    let q = "パソコンのパスワードを忘れた";
    assert!(index.search(q, &public()).hits.iter().all(|h| h.id != 100));
    let staff = SearchOptions {
        include_staff_only: true,
        staff_only: false,
        limit: 5,
        min_coverage_percent: 0,
    };
    assert_eq!(index.search(q, &staff).hits[0].id, 100);
    let helpdesk = SearchOptions {
        include_staff_only: false,
        staff_only: true,
        limit: 5,
        min_coverage_percent: 0,
    };
    let hits = index.search("PC ログイン", &helpdesk).hits;
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![100]);
    // The helpdesk never lists public Q&As.
    assert!(index.search("住民票", &helpdesk).hits.is_empty());
}

#[test]
fn hits_are_best_first_and_limited() {
    let index = index();
    let answer = index.search(
        "子ども",
        &SearchOptions {
            limit: 2,
            ..public()
        },
    );
    assert!(answer.hits.len() <= 2);
    assert!(answer.hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(
        index
            .search(
                "子ども",
                &SearchOptions {
                    limit: 0,
                    ..public()
                }
            )
            .hits
            .is_empty()
    );
}

#[test]
fn an_empty_index_answers_nothing() {
    let index = Index::build(Vec::new(), &Synonyms::builtin());
    assert!(index.is_empty());
    assert_eq!(index.search("住民票", &public()).hits, vec![]);
}

#[test]
fn the_index_is_shared_across_threads_and_reports_its_size() {
    let index = Arc::new(index());
    assert_eq!(index.len(), 8);
    assert!(index.memory_bytes() > 1_000);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let index = Arc::clone(&index);
            std::thread::spawn(move || {
                index.search("粗大ごみ", &SearchOptions::default()).hits[0].id
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 4);
    }
}

#[test]
fn questions_typed_in_kana_find_kanji_answers_with_a_reading_lexicon() {
    // Lines in the IPADIC CSV format (surface, ids, cost, part of speech …, reading, pronunciation).
    let lexicon = "粗大,1285,1285,3000,名詞,一般,*,*,*,*,粗大,ソダイ,ソダイ\n\
        転出,1283,1283,3000,名詞,サ変接続,*,*,*,*,転出,テンシュツ,テンシュツ\n\
        届,1285,1285,3000,名詞,一般,*,*,*,*,届,トドケ,トドケ\n\
        出し方,1285,1285,3000,名詞,一般,*,*,*,*,出し方,ダシカタ,ダシカタ\n";
    let without = index();
    assert_ne!(top(&without, "てんしゅつとどけ"), Some(6));
    let synonyms = Synonyms::builtin().with_readings(Readings::from_ipadic_csv([lexicon]));
    let with = Index::build(base(), &synonyms);
    assert_eq!(top(&with, "てんしゅつとどけ"), Some(6));
    assert_eq!(top(&with, "ﾃﾝｼｭﾂﾄﾄﾞｹ"), Some(6));
    assert_eq!(top(&with, "そだいごみのだしかた"), Some(4));
    // Kanji questions still work as before.
    assert_eq!(top(&with, "転出届の出し方"), Some(6));
}

#[test]
fn a_qa_written_for_an_unanswered_question_answers_it_next_time() {
    // The staff workflow: a resident's question found no good answer; staff add a Q&A whose question is the
    // resident's text, with a short answer. The same text must now find it first, confidently, even though
    // longer Q&As share more of its words.
    for query in [
        "粗大ごみ 手数料 いくら",
        "住民票 コンビニ 何時まで",
        "マイナンバーカード 更新 どこで",
    ] {
        let mut docs = base();
        docs.push(doc(99, query, &[], "担当課にお問い合わせください。", ""));
        let index = Index::build(docs, &Synonyms::builtin());
        let answer = index.search(query, &public());
        assert_eq!(answer.hits.first().map(|h| h.id), Some(99), "{query}");
        assert!(answer.confident, "{query}: {answer:?}");
    }
}
