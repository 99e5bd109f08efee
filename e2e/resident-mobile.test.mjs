// A resident on a phone applies for the subsidy: a first attempt with mistakes, the error
// summary, corrections, the confirmation page and the receipt number.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from './lib/server.mjs';
import {
  FORM_PATH, FORM_TITLE, PHONE, applicant, confirmAndSend, fillSubsidyForm, launch, newContext,
  readReceipt, screenshot, submitAndWait,
} from './lib/browser.mjs';

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });

test('a resident completes the subsidy form on a phone', async () => {
  const context = await newContext(browser, { ...PHONE, baseURL: server.baseURL });
  const page = await context.newPage();
  const scriptErrors = [];
  page.on('pageerror', (e) => scriptErrors.push(e.message));

  await page.goto(FORM_PATH);
  assert.equal(await page.locator('h1').textContent(), FORM_TITLE);
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains('js')), 'form.js ran');

  // Conditional parts: the name boxes appear once 個人 is chosen; 変更 brings in its reason.
  assert.equal(await page.locator('#f-applicant-name').isVisible(), false, 'name hidden before 個人/法人 is chosen');
  assert.equal(await page.locator('#f-change_reason').isVisible(), false, 'change reason hidden at first');

  const a = applicant({
    phone: 'abc', consent: false, kind: 'change',
    changeReason: '事業計画の一部を変更し、対象経費を見直したため。',
    address: '',
  });
  await fillSubsidyForm(page, a, {
    afterPostal: async () => {
      // form.js looks the code up at /api/postal and fills 住所.
      await page.waitForFunction(() => document.getElementById('f-address').value !== '');
      assert.equal(await page.locator('#f-address').inputValue(), '高知県高知市丸ノ内');
      assert.match(await page.locator('#f-postal_code-status').textContent(), /高知県高知市丸ノ内/);
    },
  });
  assert.equal(await page.locator('#f-applicant-name').isVisible(), true, 'name shown for 個人');
  assert.equal(await page.locator('#f-applicant-corporate_name').isVisible(), false, 'corporate name hidden for 個人');
  // The resident adds the block number after the autofilled part.
  await page.locator('#f-address').fill('高知県高知市丸ノ内1丁目2番20号');
  assert.equal(await page.locator('#f-change_reason').isVisible(), true, 'change reason shown for 変更');
  await page.locator('#f-kind').check();
  assert.equal(await page.locator('#f-change_reason').isVisible(), false, 'change reason hidden again for 新規');
  await page.locator('#f-kind-1').check();
  assert.equal(await page.locator('#f-change_reason').isVisible(), true);
  await screenshot(page, 'form-mobile.png');

  // First attempt: phone "abc" and no consent.
  const res = await submitAndWait(page, page.getByRole('button', { name: '入力内容を確認する' }));
  assert.equal(res.status(), 422);
  assert.match(await page.title(), /^エラー: /);
  const summary = page.locator('#error-summary');
  assert.equal(await summary.isVisible(), true);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary', 'error summary has focus');
  assert.equal(await summary.getAttribute('role'), 'alert');
  const links = await summary.locator('a').evaluateAll((as) => as.map((x) => [x.getAttribute('href'), x.textContent]));
  assert.deepEqual(links.map(([href]) => href), ['#f-phone', '#f-consent'], `summary links: ${JSON.stringify(links)}`);
  assert.match(await summary.locator('h2').textContent(), /2件/);

  // Messages beside the fields, tied to them.
  assert.match(await page.locator('#f-phone-error').textContent(), /電話番号/);
  assert.equal(await page.locator('#f-phone').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#f-phone').getAttribute('aria-describedby'), /\bf-phone-error\b/);
  assert.match(await page.locator('#f-consent-error').textContent(), /同意/);
  assert.match(await page.locator('#f-consent').getAttribute('aria-describedby'), /\bf-consent-error\b/);

  // Everything typed is still there, and the uploaded file is kept.
  assert.equal(await page.locator('#f-applicant-kind').isChecked(), true);
  assert.equal(await page.locator('#f-applicant-name').inputValue(), a.name);
  assert.equal(await page.locator('#f-applicant-furigana').inputValue(), a.furigana);
  assert.equal(await page.locator('#f-postal_code').inputValue(), a.postal);
  assert.equal(await page.locator('#f-address').inputValue(), '高知県高知市丸ノ内1丁目2番20号');
  assert.equal(await page.locator('#f-phone').inputValue(), 'abc');
  assert.equal(await page.locator('#f-email').inputValue(), a.email);
  assert.equal(await page.locator('#f-kind-1').isChecked(), true);
  assert.equal(await page.locator('#f-change_reason').inputValue(), a.changeReason);
  assert.equal(await page.locator('#f-change_reason').isVisible(), true);
  assert.equal(await page.locator('#f-project_name').inputValue(), a.project);
  assert.equal(await page.locator('#f-amount').inputValue(), a.amount);
  assert.match(await page.locator('.part:has(#f-application_document) .files').textContent(), /添付済み: shinseisho\.pdf/);
  assert.equal(await page.locator('#f-consent').isChecked(), false);
  await screenshot(page, 'form-errors.png');

  // The summary's links take the resident to the field.
  await summary.getByRole('link', { name: /電話番号/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-phone');
  await page.locator('#f-phone').fill('088-823-1111');
  await summary.getByRole('link', { name: /同意/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-consent');
  await page.locator('#f-consent').check();

  // Second attempt: no need to upload the application again.
  await confirmAndSend(page);
  const answers = await page.locator('main').textContent();
  for (const text of [a.name, 'コウチ', '高知県高知市丸ノ内1丁目2番20号', '088-823-1111', a.email,
    '変更', a.changeReason, a.project, 'shinseisho.pdf']) {
    assert.ok(answers.includes(text), `confirmation page shows ${text}:\n${answers}`);
  }
  assert.match(answers, /1,500,000円/);
  await screenshot(page, 'confirm.png');

  await submitAndWait(page, page.getByRole('button', { name: '送信する' }));
  assert.equal(await page.locator('h1').textContent(), '送信が完了しました');
  const receipt = await readReceipt(page);
  // The number is read out over the phone: on one line even on a phone.
  const lines = await page.locator('#receipt-number').evaluate((el) => {
    const style = getComputedStyle(el);
    return Math.round(el.getBoundingClientRect().height / parseFloat(style.lineHeight));
  });
  assert.equal(lines, 1, 'receipt number fits on one line');
  await screenshot(page, 'done.png');
  console.log(`receipt number: ${receipt}`);

  assert.deepEqual(scriptErrors, [], 'no script errors');
  await context.close();
});
