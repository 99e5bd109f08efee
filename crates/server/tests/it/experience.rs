//! Issue 24, what new users stumbled on: pages, styles and scripts travel compressed.

use crate::common;

use common::TestApp;

async fn fetch(app: &TestApp, path: &str, encoding: Option<&str>) -> (Option<String>, usize) {
    let mut req = app.client.get(app.url(path));
    if let Some(e) = encoding {
        req = req.header("accept-encoding", e);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let enc = r
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_string());
    (enc, r.bytes().await.unwrap().len())
}

async fn pages_styles_and_scripts_are_compressed_when_the_browser_asks(app: &TestApp) {
    for path in [
        "/static/site.css",
        "/static/form.js",
        "/t/390003/forms/jigyo-suishin-hojokin",
    ] {
        let (plain_enc, plain) = fetch(app, path, None).await;
        assert_eq!(plain_enc, None, "{path}: nothing asked, nothing compressed");
        for (asked, expected) in [("br", "br"), ("gzip", "gzip"), ("br, gzip", "br")] {
            let (enc, size) = fetch(app, path, Some(asked)).await;
            assert_eq!(enc.as_deref(), Some(expected), "{path} with {asked}");
            assert!(
                size * 2 < plain,
                "{path} with {asked}: {size} bytes of {plain}"
            );
        }
    }
}

both!(pages_styles_and_scripts_are_compressed_when_the_browser_asks);
