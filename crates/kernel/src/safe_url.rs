//! Links we store from someone and give to others (open data resources and dataset pages, links in FAQ
//! answers): only `http://` and `https://` URLs and paths of this site, so a stored `javascript:`, `data:` or
//! `vbscript:` link can never run in a visitor's browser or reach a harvester.
//!
//! The rule is one function, [`is_safe_link`], used both when a link is stored (refused with a message naming
//! the field) and when it is given out (a row stored before the rule existed is left out, never emitted).

/// Why a link is refused, in Japanese, for the field it was typed in.
pub const UNSAFE_LINK_MESSAGE: &str = "リンクは http:// または https:// で始まるURLか、このサイトのパス（/ で始まるもの）にしてください";

/// Whether `url` may be stored and shown as a link:
///
/// - an absolute `http://` or `https://` URL with a host (the scheme in any case: `HTTPS://` is the same);
/// - a path of this site: a single `/` not followed by `/` or `\` (`//evil.example` and `/\evil.example` are
///   links to another site in every browser, so they are refused unless written with an explicit scheme).
///
/// Anything else is refused: other schemes (`javascript:`, `JaVaScRiPt:`, `data:`, `vbscript:`), relative
/// links without a leading `/`, and any link holding whitespace, control characters (browsers drop tabs and
/// newlines inside URLs, which would turn `/\t/evil.example` into `//evil.example`), a backslash, or `"<>`.
/// A leading space is refused rather than trimmed, so what is stored is what was checked.
pub fn is_safe_link(url: &str) -> bool {
    if url.is_empty()
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '\\' | '"' | '<' | '>'))
    {
        return false;
    }
    if let Some(path) = url.strip_prefix('/') {
        return !path.starts_with('/');
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    // `https:///host` parses as `https://host/`: what is shown would not be what is followed.
    if rest.starts_with('/') {
        return false;
    }
    url::Url::parse(url).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// `url` when it is safe to give out as a link (see [`is_safe_link`]), `None` otherwise: for output of links
/// stored before they were checked.
pub fn safe_link(url: &str) -> Option<&str> {
    is_safe_link(url).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_links_and_site_paths_are_accepted() {
        for u in [
            "https://www.pref.kochi.lg.jp/data.csv",
            "http://example.jp/a?b=1&c=2#x",
            "HTTPS://EXAMPLE.JP/",
            "/opendata/dataset/aed/resource/1/download/a.csv",
            "/",
            "/t/392014/forms/a?x=1",
        ] {
            assert!(is_safe_link(u), "{u}");
        }
    }

    #[test]
    fn scripts_and_other_sites_in_disguise_are_refused() {
        for u in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\tjavascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "\\\\evil.example",
            "https:evil.example",
            "https:///path",
            "http://",
            "ftp://example.jp/a",
            "file:///etc/passwd",
            "a.csv",
            "",
            " https://example.jp/",
            "https://example.jp/\"onmouseover=\"x",
        ] {
            assert!(!is_safe_link(u), "{u:?}");
        }
    }
}
