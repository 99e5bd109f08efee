# shellcheck shell=bash
# Sourced by eval.sh and latency.sh: the IPADIC sources for the optional kana readings.
# Uses /usr/share/mecab/dic/ipadic when Debian's mecab-ipadic is installed, otherwise downloads that package
# once with `apt-get download` (no installation) into BENCH_IPADIC_CACHE. Prints the directory, or nothing.
IPADIC_CACHE=${BENCH_IPADIC_CACHE:-$HOME/.cache/madoguchi-ipadic}
ipadic_dir() {
    local system=/usr/share/mecab/dic/ipadic cached=$IPADIC_CACHE/x/usr/share/mecab/dic/ipadic
    if [[ -f $system/Noun.csv ]]; then
        echo "$system"
    elif [[ -f $cached/Noun.csv ]]; then
        echo "$cached"
    elif mkdir -p "$IPADIC_CACHE" && (cd "$IPADIC_CACHE" && apt-get download mecab-ipadic >/dev/null 2>&1 &&
        dpkg-deb -x mecab-ipadic_*.deb x) && [[ -f $cached/Noun.csv ]]; then
        echo "$cached"
    fi
}
