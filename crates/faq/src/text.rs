//! Answer text to HTML: escaped, paragraphs and line breaks kept, `[label](https://…)` and bare `https://`
//! URLs (or site paths like `/t/392014/forms/…`) made into links. Nothing else of HTML gets through.

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Links in answers follow the one rule of `kernel::safe_url`: http(s), or a path of this site that starts
/// with a single `/` not followed by `/` or `\` (`/\evil.example` goes to another site in browsers).
fn safe_url(url: &str) -> bool {
    madoguchi_kernel::safe_url::is_safe_link(url)
}

fn link(url: &str, label: &str) -> String {
    format!("<a href=\"{}\">{}</a>", escape(url), escape(label))
}

fn url_end(s: &str) -> usize {
    s.find(|c: char| {
        c.is_whitespace() || !c.is_ascii() || matches!(c, '<' | '>' | '"' | ')' | '（' | '）')
    })
    .unwrap_or(s.len())
}

fn render_line(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        let md = rest.find('[');
        let bare = ["https://", "http://"]
            .iter()
            .filter_map(|p| rest.find(p))
            .min();
        match (md, bare) {
            (Some(i), b) if b.is_none_or(|b| i < b) => {
                let after = &rest[i + 1..];
                if let Some(close) = after.find("](")
                    && let Some(end) = after[close + 2..].find(')')
                {
                    let label = &after[..close];
                    let url = &after[close + 2..close + 2 + end];
                    if safe_url(url) && !label.is_empty() {
                        out.push_str(&escape(&rest[..i]));
                        out.push_str(&link(url, label));
                        rest = &after[close + 2 + end + 1..];
                        continue;
                    }
                }
                out.push_str(&escape(&rest[..=i]));
                rest = &rest[i + 1..];
            }
            (_, Some(b)) => {
                out.push_str(&escape(&rest[..b]));
                let end = b + url_end(&rest[b..]);
                let url = &rest[b..end];
                if safe_url(url) {
                    out.push_str(&link(url, url));
                } else {
                    out.push_str(&escape(url));
                }
                rest = &rest[end..];
            }
            _ => {
                out.push_str(&escape(rest));
                break;
            }
        }
    }
    out
}

/// Renders an answer as HTML paragraphs.
pub fn render_answer(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let lines: Vec<String> = p.trim().lines().map(render_line).collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect()
}

/// The answer as plain text (links reduced to their label and URL), for CSV and JSON.
pub fn plain_answer(text: &str) -> String {
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_escaping() {
        let html = render_answer(
            "詳しくは[市のページ](https://example.jp/a?b=1&c=2)へ。<script>\n次の行 https://x.jp/y です\n\n段落2",
        );
        assert_eq!(
            html,
            "<p>詳しくは<a href=\"https://example.jp/a?b=1&amp;c=2\">市のページ</a>へ。&lt;script&gt;<br>次の行 <a href=\"https://x.jp/y\">https://x.jp/y</a> です</p><p>段落2</p>"
        );
    }

    #[test]
    fn javascript_urls_are_not_links() {
        let html = render_answer("[押して](javascript:alert(1))");
        assert!(!html.contains("<a"), "{html}");
    }

    #[test]
    fn links_to_other_sites_disguised_as_paths_are_not_links() {
        for url in ["/\\evil.example", "//evil.example", "/\\/evil.example"] {
            let html = render_answer(&format!("[押して]({url})"));
            assert!(!html.contains("<a"), "{url}: {html}");
        }
        let html = render_answer("[申請](/t/392014/forms/a)");
        assert!(html.contains("<a href=\"/t/392014/forms/a\">"), "{html}");
    }
}
