//! Printed flyers (チラシ): every published form has a short URL and a QR code of it, as PNG and SVG.

use crate::common;

use common::TestApp;

fn decode_png_qr(bytes: &[u8]) -> String {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let w = info.width as usize;
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(w, info.height as usize, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

async fn a_form_has_a_short_url_and_a_printable_qr_code(app: &TestApp) {
    // The staff forms page shows the short URL and links to both images.
    app.login("pref-editor").await;
    let (_, page) = app.get_text("/staff/forms").await;
    let short = page
        .split("<code>/f/")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("short URL on the forms page")
        .to_string();
    assert!(page.contains("qr.png") && page.contains("qr.svg"));

    // The short URL leads to the form, also typed in lower case.
    let r = app.get(&format!("/f/{short}")).await;
    assert_eq!(r.status().as_u16(), 303);
    let form_path = r.headers()["location"].to_str().unwrap().to_string();
    assert!(form_path.starts_with("/t/390003/forms/"), "{form_path}");
    let r = app.get(&format!("/f/{}", short.to_lowercase())).await;
    assert_eq!(r.headers()["location"].to_str().unwrap(), form_path);
    let (status, html) = app.get_text(&form_path).await;
    assert_eq!(status, 200);
    assert!(html.contains("<form"));

    // The PNG is a real QR code of the absolute short URL.
    let r = app.get(&format!("{form_path}/qr.png")).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(
        decode_png_qr(&bytes),
        format!("{}/f/{short}", app.ctx.config.public_url)
    );
    // The SVG is a vector image for print.
    let r = app.get(&format!("{form_path}/qr.svg")).await;
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let svg = r.text().await.unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("<path"),
        "{}",
        &svg[..200.min(svg.len())]
    );
}

async fn wrong_short_codes_and_unknown_forms_are_not_found(app: &TestApp) {
    // A mistyped code is refused by its check character rather than opening another form.
    let good = madoguchi_applications::qr::short_code(1);
    let mut typo = good.clone().into_bytes();
    typo[0] = if typo[0] == b'2' { b'3' } else { b'2' };
    let typo = String::from_utf8(typo).unwrap();
    for path in [
        format!("/f/{typo}"),
        "/f/!!".to_string(),
        "/f/".to_string(),
        format!("/f/{}", madoguchi_applications::qr::short_code(999_999)),
        "/t/390003/forms/no-such-form/qr.png".to_string(),
        "/t/390003/forms/no-such-form/qr.svg".to_string(),
    ] {
        let (status, body) = app.get_text(&path).await;
        assert_eq!(status, 404, "{path}");
        if path.starts_with("/f/") && path.len() > 3 {
            assert!(body.contains("見つかりません"), "{path}");
        }
    }
}

both!(
    a_form_has_a_short_url_and_a_printable_qr_code,
    wrong_short_codes_and_unknown_forms_are_not_found,
);
