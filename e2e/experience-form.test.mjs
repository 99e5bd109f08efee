// Issue 24 (items 1, 2 and 12): the resident's form page.
// - 住所を検索 works without JavaScript (a round-trip that keeps every answer and the uploaded file) and with it
//   (one request per code, in the page);
// - 780-8570 (高知県庁, a business postal code) fills the office's address;
// - the file button and the date parts speak the page's language even in a browser set to English.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axeClean } from './lib/axe.mjs';
import { chromium } from 'playwright-core';
import { startServer } from './lib/server.mjs';
import {
  CHROMIUM, DESKTOP, FORM_PATH, PHONE, launch, newContext, pdfFile, screenshot, submitAndWait,
} from './lib/browser.mjs';

const VACCINE_PATH = '/t/390003/forms/ton-netsu-vaccine';
const NARROW = { ...PHONE, viewport: { width: 360, height: 800 } };

let server, browser, english;
before(async () => {
  [server, browser, english] = await Promise.all([
    startServer(),
    launch(),
    // A browser whose own strings are English (its file picker would say "Choose File", its date box
    // "mm/dd/yyyy"): the page must not show any of them.
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--lang=en-US'],
      env: { ...process.env, LANGUAGE: 'en' },
    }),
  ]);
});
after(async () => { await english?.close(); await browser?.close(); await server?.stop(); });


async function fillAnswers(page) {
  await page.locator('#f-applicant-kind').check();
  await page.locator('#f-applicant-name').fill('高知 花子');
  await page.locator('#f-applicant-furigana').fill('コウチ ハナコ');
  await page.locator('#f-phone').fill('abc'); // wrong, and not reported by the lookup
  await page.locator('#f-project_name').fill('土佐和紙の新商品');
  await page.locator('#f-application_document').setInputFiles(pdfFile('keikaku.pdf'));
}

for (const [device, options] of [['360px', NARROW], ['1280px', DESKTOP]]) {
  test(`住所を検索 without JavaScript round-trips and fills the address, keeping answers and the file (${device})`, async () => {
    const context = await newContext(browser, { ...options, javaScriptEnabled: false, baseURL: server.baseURL });
    const page = await context.newPage();
    await page.goto(FORM_PATH);
    const button = page.getByRole('button', { name: '住所を検索' });
    assert.equal(await button.isVisible(), true, 'the button is there without JavaScript');
    await fillAnswers(page);
    await page.locator('#f-postal_code').fill('780-8570');
    const res = await submitAndWait(page, button);
    assert.equal(res.status(), 200);
    assert.equal(await page.locator('#f-address').inputValue(), '高知県高知市丸ノ内1丁目2-20');
    assert.match(await page.locator('#f-address-note').textContent(), /住所を入力しました（高知県庁）/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-address', 'the address box has the focus');
    assert.equal(await page.locator('#f-applicant-name').inputValue(), '高知 花子');
    assert.equal(await page.locator('#f-phone').inputValue(), 'abc');
    assert.match(await page.locator('.files').first().textContent(), /添付済み: keikaku\.pdf/);
    assert.equal(await page.locator('#error-summary').count(), 0, 'no errors shown on a lookup');
    await screenshot(page, `experience-form-postal-nojs-${device}.png`);
    await axeClean(page, `postal round-trip without JavaScript (${device})`);

    // An unknown code: an error naming the field, linked from the summary; nothing else is reported.
    await page.locator('#f-postal_code').fill('999-9999');
    await submitAndWait(page, button);
    const summary = await page.locator('#error-summary').textContent();
    assert.match(summary, /郵便番号「999-9999」に該当する住所が見つかりませんでした/);
    assert.doesNotMatch(summary, /電話番号/);
    assert.match(await page.locator('.files').first().textContent(), /添付済み: keikaku\.pdf/, 'the file is still kept');
    await screenshot(page, `experience-form-postal-unknown-nojs-${device}.png`);
    await axeClean(page, `unknown postal code without JavaScript (${device})`);
    await context.close();
  });

  test(`住所を検索 with JavaScript looks up in the page, one request per code (${device})`, async () => {
    const context = await newContext(browser, { ...options, baseURL: server.baseURL });
    const page = await context.newPage();
    const lookups = [];
    page.on('request', (r) => { if (r.url().includes('/api/postal/')) lookups.push(r.url()); });
    let navigations = 0;
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations += 1; });
    await page.goto(FORM_PATH);
    navigations = 0;
    await page.locator('#f-applicant-kind').check();
    await page.locator('#f-applicant-name').fill('高知 花子');
    // Typed digit by digit, as on a phone: the seventh digit looks the code up.
    await page.locator('#f-postal_code').pressSequentially('7808570');
    await page.waitForFunction(() => document.getElementById('f-address').value !== '');
    assert.equal(await page.locator('#f-address').inputValue(), '高知県高知市丸ノ内1丁目2-20');
    // Pressing the button afterwards, as the help text suggests, asks nothing again and does not reload.
    await page.getByRole('button', { name: '住所を検索' }).click();
    await page.waitForFunction(() => /高知県庁/.test(document.getElementById('f-postal_code-status').textContent));
    assert.equal(lookups.length, 1, `one request for one code: ${lookups.join(', ')}`);
    assert.equal(navigations, 0, 'no round-trip with JavaScript');
    assert.equal(await page.locator('#f-applicant-name').inputValue(), '高知 花子');
    // Another code is another request; the first is not asked again.
    await page.locator('#f-postal_code').fill('');
    await page.locator('#f-postal_code').pressSequentially('783-8501');
    await page.waitForFunction(() => /南国市役所/.test(document.getElementById('f-postal_code-status').textContent));
    await page.locator('#f-postal_code').fill('780-8570');
    await page.getByRole('button', { name: '住所を検索' }).click();
    await page.waitForFunction(() => /高知県庁/.test(document.getElementById('f-postal_code-status').textContent));
    assert.equal(lookups.length, 2, `one request per distinct code: ${lookups.join(', ')}`);
    await screenshot(page, `experience-form-postal-js-${device}.png`);
    await axeClean(page, `postal lookup with JavaScript (${device})`);
    await context.close();
  });

  test(`file button and date parts show the page's words in an English browser (${device})`, async () => {
    for (const javaScriptEnabled of [true, false]) {
      const context = await newContext(english, {
        ...options, locale: 'en-US', timezoneId: 'Asia/Tokyo', javaScriptEnabled, baseURL: server.baseURL,
      });
      const page = await context.newPage();
      const js = javaScriptEnabled ? 'js' : 'nojs';
      assert.equal(await page.evaluate(() => navigator.language).catch(() => 'en-US'), 'en-US');

      // The file button (subsidy form).
      await page.goto(FORM_PATH);
      const input = page.locator('#f-application_document');
      assert.equal(await page.locator('input[type=date]').count(), 0);
      if (javaScriptEnabled) {
        const button = page.locator('#f-application_document + .file-button');
        assert.equal(await button.isVisible(), true);
        assert.equal((await button.textContent()).trim(), 'ファイルを選ぶ');
        assert.equal(await page.locator('#f-application_document-names').textContent(), '選択されていません');
        // The native control (and its "Choose File" / "No file chosen") is transparent over the page's button.
        assert.equal(await input.evaluate((el) => getComputedStyle(el).opacity), '0');
        const [a, b] = [await input.boundingBox(), await button.boundingBox()];
        assert.ok(Math.abs(a.x - b.x) < 1 && Math.abs(a.y - b.y) < 1 && Math.abs(a.width - b.width) < 1,
          'a click on the button is a click on the input');
        // Keyboard: the input takes the focus, and the button shows the focus ring.
        await input.focus();
        assert.notEqual(await button.evaluate((el) => getComputedStyle(el).outlineStyle), 'none');
        await input.setInputFiles([pdfFile('mitsumori.pdf')]);
        assert.equal(await page.locator('#f-application_document-names').textContent(), 'mitsumori.pdf');
        const [chooser] = await Promise.all([page.waitForEvent('filechooser'), button.click({ force: true })]);
        assert.ok(chooser, 'clicking the page\'s button opens the file chooser');
      } else {
        // Without JavaScript the browser's own control is the fallback: visible, labelled, usable.
        assert.equal(await input.isVisible(), true);
        assert.equal(await page.locator('.file-button').first().isVisible(), false);
        await input.setInputFiles([pdfFile('mitsumori.pdf')]);
      }
      assert.match(await page.getByLabel(/申請書（様式第1号）/).getAttribute('id'), /f-application_document/);
      await screenshot(page, `experience-form-file-button-en-browser-${js}-${device}.png`);
      await axeClean(page, `file button, English browser, ${js} (${device})`);

      // Date parts (vaccine form): a fieldset with 元号・年・月・日 labelled by the page.
      await page.goto(VACCINE_PATH);
      assert.equal(await page.locator('input[type=date]').count(), 0, 'no browser date control');
      const fieldset = page.getByRole('group', { name: /接種希望日/ });
      assert.equal(await fieldset.isVisible(), true);
      const labels = await fieldset.locator('label').allTextContents();
      assert.deepEqual(labels, ['元号', '年', '月', '日']);
      const eras = await page.locator('#f-preferred_date option').allTextContents();
      assert.deepEqual(eras, ['西暦', '令和', '平成', '昭和', '大正', '明治']);
      for (const id of ['#f-preferred_date-year', '#f-preferred_date-month', '#f-preferred_date-day']) {
        assert.equal(await page.locator(id).getAttribute('inputmode'), 'numeric');
      }
      const visible = await page.locator('main').innerText();
      assert.doesNotMatch(visible, /mm\/dd\/yyyy|Choose File|No file chosen/i);
      await page.locator('#f-preferred_date').selectOption('H');
      await page.locator('#f-preferred_date-year').fill('３１');
      await page.locator('#f-preferred_date-month').fill('4');
      await page.locator('#f-preferred_date-day').fill('30');
      if (javaScriptEnabled) {
        await page.waitForFunction(() => /2019年4月30日/.test(document.getElementById('f-preferred_date-wareki').textContent));
      }
      await screenshot(page, `experience-form-date-parts-en-browser-${js}-${device}.png`);
      await axeClean(page, `date parts, English browser, ${js} (${device})`);

      // A day outside its era is refused naming the field; every part comes back as typed.
      await page.locator('#f-preferred_date-month').fill('5');
      await page.locator('#f-preferred_date-day').fill('1');
      const res = await submitAndWait(page, page.getByRole('button', { name: '入力内容を確認する' }));
      assert.equal(res.status(), 422);
      assert.match(await page.locator('#error-summary').textContent(), /接種希望日: 平成31年5月1日は平成の期間外です/);
      assert.equal(await page.locator('#f-preferred_date').inputValue(), 'H');
      assert.equal(await page.locator('#f-preferred_date-year').inputValue(), '３１');
      assert.equal(await page.locator('#f-preferred_date-day').inputValue(), '1');
      const described = await fieldset.getAttribute('aria-describedby');
      assert.match(described, /f-preferred_date-error/, 'the error is tied to the fieldset');
      await screenshot(page, `experience-form-date-parts-error-${js}-${device}.png`);
      await axeClean(page, `date parts error, ${js} (${device})`);
      await context.close();
    }
  });
}
