//! Word analysis, query expansion from the Sudachi thesaurus and the one-idf ranking, on a tiny hand-made
//! IPADIC-format dictionary (so the tests need no installed dictionary).

use madoguchi_search::{Analyzer, Document, Index, Params, SearchOptions, Synonyms, Thesaurus};

/// surface,left,right,cost,pos1,pos2,pos3,pos4,conjugation type,conjugated form,base,reading,pronunciation
const LEXICON: &str = "\
鳩,0,0,1000,名詞,一般,*,*,*,*,鳩,ハト,ハト
ハト,0,0,1000,名詞,一般,*,*,*,*,ハト,ハト,ハト
が,0,0,300,助詞,格助詞,一般,*,*,*,が,ガ,ガ
の,0,0,300,助詞,連体化,*,*,*,*,の,ノ,ノ
を,0,0,300,助詞,格助詞,一般,*,*,*,を,ヲ,ヲ
に,0,0,300,助詞,格助詞,一般,*,*,*,に,ニ,ニ
は,0,0,300,助詞,係助詞,*,*,*,*,は,ハ,ハ
引っ越し,0,0,1200,名詞,サ変接続,*,*,*,*,引っ越し,ヒッコシ,ヒッコシ
引っ越し,0,0,900,動詞,自立,*,*,五段・サ行,連用形,引っ越す,ヒッコシ,ヒッコシ
引っ越す,0,0,900,動詞,自立,*,*,五段・サ行,基本形,引っ越す,ヒッコス,ヒッコス
転居,0,0,1000,名詞,サ変接続,*,*,*,*,転居,テンキョ,テンキョ
届,0,0,1000,名詞,接尾,一般,*,*,*,届,トドケ,トドケ
た,0,0,300,助動詞,*,*,*,特殊・タ,基本形,た,タ,タ
教え,0,0,900,動詞,自立,*,*,一段,連用形,教える,オシエ,オシエ
て,0,0,300,助詞,接続助詞,*,*,*,*,て,テ,テ
ください,0,0,300,動詞,非自立,*,*,五段・ラ行特殊,命令ｉ,くださる,クダサイ,クダサイ
方法,0,0,1000,名詞,一般,*,*,*,*,方法,ホウホウ,ホーホー
健診,0,0,1000,名詞,一般,*,*,*,*,健診,ケンシン,ケンシン
検診,0,0,1000,名詞,サ変接続,*,*,*,*,検診,ケンシン,ケンシン
健康,0,0,1000,名詞,一般,*,*,*,*,健康,ケンコウ,ケンコー
診断,0,0,1000,名詞,サ変接続,*,*,*,*,診断,シンダン,シンダン
高田,0,0,1000,名詞,固有名詞,人名,姓,*,*,高田,タカダ,タカダ
さん,0,0,300,名詞,接尾,人名,*,*,*,さん,サン,サン
ごみ,0,0,1000,名詞,一般,*,*,*,*,ごみ,ゴミ,ゴミ
出し,0,0,900,動詞,自立,*,*,五段・サ行,連用形,出す,ダシ,ダシ
方,0,0,800,名詞,接尾,特殊,*,*,*,方,カタ,カタ
巣,0,0,1000,名詞,一般,*,*,*,*,巣,ス,ス
作っ,0,0,900,動詞,自立,*,*,五段・ラ行,連用タ接続,作る,ツクッ,ツクッ
市役所,0,0,1000,名詞,一般,*,*,*,*,市役所,シヤクショ,シヤクショ
住民票,0,0,1000,名詞,一般,*,*,*,*,住民票,ジュウミンヒョウ,ジューミンヒョー
窓口,0,0,1000,名詞,一般,*,*,*,*,窓口,マドグチ,マドグチ
";
const MATRIX: &str = "1 1\n0 0 0\n";
const CHAR_DEF: &str = "DEFAULT 0 1 0\nSPACE 0 1 0\n0x0020 SPACE\n";
const UNK_DEF: &str =
    "DEFAULT,0,0,10000,名詞,一般,*,*,*,*,*\nSPACE,0,0,10000,記号,空白,*,*,*,*,*\n";

fn analyzer() -> Analyzer {
    let bytes = Analyzer::compile_ipadic(LEXICON, MATRIX, CHAR_DEF, UNK_DEF).unwrap();
    Analyzer::from_compiled(&bytes).unwrap()
}

fn doc(id: i64, question: &str, answer: &str) -> Document {
    Document {
        id,
        question: question.into(),
        answer: answer.into(),
        ..Document::default()
    }
}

fn top(index: &Index, query: &str) -> Option<i64> {
    index
        .search(query, &SearchOptions::default())
        .hits
        .first()
        .map(|h| h.id)
}

#[test]
fn euc_jp_sources_compile_like_utf8_ones() {
    let enc = |s: &str| encoding_rs::EUC_JP.encode(s).0.into_owned();
    let (lex, m, c, u) = (enc(LEXICON), enc(MATRIX), enc(CHAR_DEF), enc(UNK_DEF));
    let a = Analyzer::compile_ipadic_euc_jp([lex.as_slice()], &m, &c, &u).unwrap();
    let b = Analyzer::compile_ipadic(LEXICON, MATRIX, CHAR_DEF, UNK_DEF).unwrap();
    assert_eq!(a, b);
    assert!(Analyzer::from_compiled(b"not a dictionary").is_err());
}

#[test]
fn a_word_in_kanji_finds_the_same_word_in_katakana_by_its_reading() {
    let synonyms = Synonyms::default().with_analyzer(analyzer());
    let docs = vec![
        doc(1, "ハトが巣を作った", "巣は撤去できます。"),
        doc(2, "ごみの出し方", "ごみは朝に出してください。"),
    ];
    let index = Index::build(docs.clone(), &synonyms);
    assert_eq!(top(&index, "鳩"), Some(1));
    // Half-width katakana reaches the same word.
    assert_eq!(top(&index, "ﾊﾄ"), Some(1));
    // Without the analyzer, 鳩 shares no character with ハト.
    let plain = Index::build(docs, &Synonyms::default());
    assert_eq!(top(&plain, "鳩"), None);
    assert_eq!(top(&plain, "ハト"), Some(1));
}

#[test]
fn homophones_share_a_reading_and_kana_finds_both() {
    let synonyms = Synonyms::default().with_analyzer(analyzer());
    let index = Index::build(
        vec![
            doc(1, "健診", "年に一度受けられます。"),
            doc(2, "住民票", "窓口で取れます。"),
        ],
        &synonyms,
    );
    assert_eq!(top(&index, "検診"), Some(1));
    assert_eq!(top(&index, "けんしん"), Some(1));
}

#[test]
fn base_forms_match_conjugated_verbs() {
    let synonyms = Synonyms::default().with_analyzer(analyzer());
    let index = Index::build(
        vec![
            doc(1, "引っ越す", "転居届を出してください。"),
            doc(2, "ごみの出し方", "朝に出してください。"),
        ],
        &synonyms,
    );
    assert_eq!(top(&index, "引っ越した"), Some(1));
}

#[test]
fn phrasing_is_not_part_of_the_topic() {
    // 教えてください and 方法 phrase the question: a Q&A that only shares them does not answer it.
    let synonyms = Synonyms::default().with_analyzer(analyzer());
    let index = Index::build(
        vec![doc(1, "住民票の方法を教えてください", "窓口で。")],
        &synonyms,
    );
    let answer = index.search("ごみの方法を教えてください", &SearchOptions::default());
    let (_, signals) =
        index.search_explained("ごみの方法を教えてください", &SearchOptions::default());
    assert!(!answer.confident);
    assert!(signals.coverage < 0.5, "{signals:?}");
}

#[test]
fn variant_kanji_of_names_find_the_common_form() {
    let synonyms = Synonyms::default().with_analyzer(analyzer());
    let index = Index::build(
        vec![
            doc(1, "高田さんの窓口", "2階です。"),
            doc(2, "ごみの出し方", "朝に。"),
        ],
        &synonyms,
    );
    assert_eq!(top(&index, "髙田"), Some(1));
}

const THESAURUS: &str = r#"[
 {"id": "1", "items": [
   {"midashi": "引っ越し", "vocabularyNumber": 1, "expandControl": 0},
   {"midashi": "引っ越す", "vocabularyNumber": 1, "expandControl": 0},
   {"midashi": "転居", "vocabularyNumber": 2, "expandControl": 0}]},
 {"id": "2", "items": [
   {"midashi": "住民票", "vocabularyNumber": 1, "expandControl": 0},
   {"midashi": "窓口", "vocabularyNumber": 2, "expandControl": 1},
   {"midashi": "巣", "vocabularyNumber": 3, "expandControl": 2}]}
]"#;

#[test]
fn the_query_is_expanded_with_its_words_synonyms() {
    let thesaurus = Thesaurus::from_sudachi_json(THESAURUS).unwrap();
    assert_eq!(thesaurus.len(), 2);
    let docs = vec![
        doc(1, "転居届", "14日以内に出してください。"),
        doc(2, "ごみの出し方", "朝に。"),
    ];
    let without = Synonyms::default().with_analyzer(analyzer());
    let with = without.clone().with_thesaurus(thesaurus);
    assert_eq!(
        top(&Index::build(docs.clone(), &without), "引っ越した"),
        None
    );
    let index = Index::build(docs, &with);
    assert_eq!(top(&index, "引っ越した"), Some(1));
    // A synonym weighs less than the word typed.
    let by_synonym = index.search("引っ越した", &SearchOptions::default()).hits[0].score;
    let typed = index.search("転居", &SearchOptions::default()).hits[0].score;
    assert!(by_synonym < typed, "{by_synonym} < {typed}");
}

#[test]
fn expand_control_is_respected() {
    let thesaurus = Thesaurus::from_sudachi_json(THESAURUS).unwrap();
    let synonyms = Synonyms::default()
        .with_analyzer(analyzer())
        .with_thesaurus(thesaurus);
    let index = Index::build(
        vec![
            doc(1, "住民票", "写しを取れます。"),
            doc(2, "窓口", "2階です。"),
            doc(3, "巣", "撤去します。"),
        ],
        &synonyms,
    );
    let ids = |q: &str| -> Vec<i64> {
        let mut v: Vec<i64> = index
            .search(q, &SearchOptions::default())
            .hits
            .iter()
            .map(|h| h.id)
            .collect();
        v.sort_unstable();
        v
    };
    // 住民票 (0: expands both ways) reaches 窓口 (1: only a target), never 巣 (2: never used).
    assert_eq!(ids("住民票"), vec![1, 2]);
    // 窓口 is not expanded from.
    assert_eq!(ids("窓口"), vec![2]);
    assert_eq!(ids("巣"), vec![3]);
}

#[test]
fn one_idf_keeps_a_word_common_in_answers_from_deciding_the_question_field() {
    // 市役所 is in one question but in every answer: it says little about which Q&A is meant.
    let docs = vec![
        doc(1, "市役所の窓口", "市役所の1階です。"),
        doc(2, "住民票", "市役所で取れます。"),
        doc(3, "ごみの出し方", "市役所に聞いてください。"),
    ];
    let own = Params {
        one_idf: false,
        ..Params::default()
    };
    let by_field = Index::build_with(docs.clone(), &Synonyms::default(), own);
    let one = Index::build(docs, &Synonyms::default());
    let margin = |index: &Index| {
        let hits = index
            .search("市役所 住民票", &SearchOptions::default())
            .hits;
        assert_eq!(hits[0].id, 2);
        hits[0].score - hits.iter().find(|h| h.id == 1).map_or(0.0, |h| h.score)
    };
    assert!(margin(&one) > margin(&by_field));
}

#[test]
fn without_a_dictionary_the_staff_synonyms_still_expand_the_query() {
    let docs = vec![
        doc(1, "子どもの医療費", "中学生まで無料です。"),
        doc(2, "ごみの出し方", "朝に。"),
    ];
    let index = Index::build(docs, &Synonyms::builtin());
    assert_eq!(top(&index, "子供の病院代"), Some(1));
    assert_eq!(top(&index, "こどもの医療費"), Some(1));
}
