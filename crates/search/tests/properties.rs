//! Properties over arbitrary input: whatever a resident types, nothing panics and personal numbers never leak.

use madoguchi_search::{
    Document, Index, SearchOptions, Synonyms, group_similar, mask_personal_data, normalize,
};
use proptest::prelude::*;

fn index() -> Index {
    let docs = vec![
        Document {
            id: 1,
            question: "住民票の写しを取りたい".into(),
            phrasings: vec!["ｺﾝﾋﾞﾆで住民票".into()],
            answer: "市民課の窓口かコンビニで取れます。".into(),
            category: "戸籍・住民票".into(),
            staff_only: false,
        },
        Document {
            id: 2,
            question: "粗大ごみの出し方".into(),
            phrasings: vec![],
            answer: "粗大ごみ受付センターに申し込んでください。".into(),
            category: "ごみ".into(),
            staff_only: true,
        },
    ];
    Index::build(docs, &Synonyms::builtin())
}

/// Text mixing the scripts and symbols residents type, plus any character at all.
fn japanese_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ぁ-んァ-ヶｦ-ﾟ一-龠ー々ゝゞ０-９0-9a-zA-Z　 、。？！・＠@\\-－ー()（）]{0,80}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn search_never_panics_and_ranks_best_first(query in japanese_text(), limit in 0usize..8) {
        let index = index();
        let opts = SearchOptions { include_staff_only: limit % 2 == 0, staff_only: limit == 3, limit, min_coverage_percent: 0 };
        let answer = index.search(&query, &opts);
        prop_assert!(answer.hits.len() <= limit);
        prop_assert!(answer.hits.windows(2).all(|w| w[0].score >= w[1].score));
        prop_assert!(answer.hits.iter().all(|h| h.score > 0.0 && h.score.is_finite()));
        if answer.confident {
            prop_assert!(!answer.hits.is_empty() || limit == 0);
        }
    }

    #[test]
    fn normalize_is_idempotent(text in japanese_text()) {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once), once.clone());
    }

    #[test]
    fn masking_leaves_no_run_of_twelve_digits(text in japanese_text(), digits in "[0-9０-９]{12,16}") {
        let masked = mask_personal_data(&format!("{text}{digits}{text}"));
        let mut run = 0;
        for c in masked.chars() {
            run = if c.is_ascii_digit() || ('０'..='９').contains(&c) { run + 1 } else { 0 };
            prop_assert!(run < 12, "{masked}");
        }
    }

    #[test]
    fn grouping_puts_every_text_in_exactly_one_group(
        texts in proptest::collection::vec(japanese_text(), 0..12),
        threshold in 0.0f32..1.0,
    ) {
        let groups = group_similar(&texts, threshold);
        let mut seen: Vec<usize> = groups.concat();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..texts.len()).collect::<Vec<_>>());
    }
}
