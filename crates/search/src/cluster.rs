//! Grouping of similar questions (the list of questions with no good answer).

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use crate::normalize::units;
use crate::synonyms::Synonyms;
use crate::terms::{Kind, terms};

static BUILTIN: LazyLock<Synonyms> = LazyLock::new(Synonyms::builtin);

/// Clusters of similar texts, as indices into `texts`.
///
/// Two texts are similar when the cosine similarity of their weighted term sets (character bigrams and words of
/// the normalised text, with the built-in 表記ゆれ dictionary applied; bigrams of two hiragana weigh less, and
/// terms shared by many of the texts weigh less, by their idf within `texts`) is at least `threshold` (0.0–1.0; about 0.5 groups rewordings of one question). Similarity is chained (single
/// link): if a~b and b~c, all three form one group. Every index appears in exactly one group; groups are ordered
/// largest first, then by their first index; indices within a group ascend. Empty texts stay alone.
pub fn group_similar(texts: &[String], threshold: f32) -> Vec<Vec<usize>> {
    let threshold = threshold.clamp(0.0, 1.0);
    // Term vectors with the weight of each kind of term.
    let mut buf = Vec::new();
    let mut vectors: Vec<FxHashMap<u64, f32>> = Vec::with_capacity(texts.len());
    let mut doc_freq: FxHashMap<u64, u32> = FxHashMap::default();
    for text in texts {
        buf.clear();
        terms(&BUILTIN.apply(units(text)), &mut buf);
        let mut vector: FxHashMap<u64, f32> = FxHashMap::default();
        for &(key, kind) in &buf {
            let w = match kind {
                Kind::Bigram | Kind::Word | Kind::Base | Kind::Reading => 1.0,
                Kind::KanaBigram => 0.3,
                Kind::Unigram => continue,
            };
            vector.insert(key, w);
        }
        for &key in vector.keys() {
            *doc_freq.entry(key).or_insert(0) += 1;
        }
        vectors.push(vector);
    }
    // Terms most texts share (マイナンバーカード in a list of card questions) say less about which question it is.
    let n = texts.len() as f32;
    for vector in &mut vectors {
        for (key, w) in vector.iter_mut() {
            *w *= (1.0 + n / doc_freq[key] as f32).ln();
        }
    }
    // Cosine similarity through an inverted index over earlier texts.
    let mut postings: FxHashMap<u64, Vec<(u32, f32)>> = FxHashMap::default();
    let mut norms = Vec::with_capacity(texts.len());
    let mut parent: Vec<usize> = (0..texts.len()).collect();
    for (i, vector) in vectors.into_iter().enumerate() {
        let norm = vector.values().map(|w| w * w).sum::<f32>().sqrt();
        norms.push(norm);
        if norm == 0.0 {
            continue;
        }
        let mut dots: FxHashMap<u32, f32> = FxHashMap::default();
        for (&key, &w) in &vector {
            if let Some(list) = postings.get(&key) {
                for &(j, wj) in list {
                    *dots.entry(j).or_insert(0.0) += w * wj;
                }
            }
        }
        for (j, dot) in dots {
            // A small tolerance, so that identical texts meet a threshold of 1.0 despite rounding.
            if dot / (norm * norms[j as usize]) >= threshold - 1e-5 {
                union(&mut parent, i, j as usize);
            }
        }
        for (key, w) in vector {
            postings.entry(key).or_default().push((i as u32, w));
        }
    }
    let mut groups: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    for i in 0..texts.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    groups.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a[0].cmp(&b[0])));
    groups
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rewordings_of_one_question_form_one_group() {
        // A list of unanswered questions as staff would see it.
        let texts = strings(&[
            "粗大ごみの出し方を教えて",
            "犬の登録はどこでしますか",
            "粗大ゴミの出し方がわからない",
            "図書館の開館時間",
            "犬の登録をしたい",
            "児童手当の振込日",
            "住民票をコンビニで取りたい",
            "パスポートの申請場所",
            "市営住宅に申し込みたい",
            "ソファを粗大ごみに出したい",
            "図書館は何時まで開いていますか",
            "選挙の投票所はどこ",
        ]);
        let groups = group_similar(&texts, 0.5);
        assert_eq!(groups[0], vec![0, 2]);
        assert_eq!(groups[1], vec![1, 4]);
        assert!(groups[2..].iter().all(|g| g.len() == 1));
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), texts.len());
        // A lower threshold also takes in the question that shares less wording.
        assert_eq!(group_similar(&texts, 0.2)[0], vec![0, 2, 9]);
    }

    #[test]
    fn a_word_common_to_the_whole_list_does_not_chain_unrelated_questions() {
        let texts = strings(&[
            "マイナンバーカードの受け取りに必要な持ち物",
            "マイナンバーカードの有効期限",
            "マイナンバーカードを落とした",
            "マイナンバーカードの暗証番号を忘れた",
            "マイナンバーカードの写真の撮り方",
            "マイナンバーカードを返したい",
        ]);
        assert!(group_similar(&texts, 0.5).iter().all(|g| g.len() == 1));
    }

    #[test]
    fn synonyms_and_script_differences_do_not_split_groups() {
        let texts = strings(&[
            "子供の医療費助成",
            "こどもの医療費助成について",
            "ｺﾄﾞﾓの医療費助成",
        ]);
        assert_eq!(group_similar(&texts, 0.6), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn threshold_one_keeps_only_identical_texts_together() {
        let texts = strings(&["住民票の写し", "住民票の写し", "住民票の取り方"]);
        assert_eq!(group_similar(&texts, 1.0), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn empty_input_and_empty_texts_are_handled() {
        assert!(group_similar(&[], 0.5).is_empty());
        let texts = strings(&["", "？", ""]);
        assert_eq!(group_similar(&texts, 0.0), vec![vec![0], vec![1], vec![2]]);
    }
}
