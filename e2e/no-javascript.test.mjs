// The subsidy form works end to end in a browser with JavaScript turned off.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from './lib/server.mjs';
import {
  DESKTOP, FORM_PATH, applicant, confirmAndSend, fillSubsidyForm, launch, newContext, readReceipt, submitAndWait,
} from './lib/browser.mjs';

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });

test('the subsidy form works without JavaScript', async () => {
  const context = await newContext(browser, { ...DESKTOP, javaScriptEnabled: false, baseURL: server.baseURL });
  const page = await context.newPage();
  await page.goto(FORM_PATH);
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('js')), false, 'no script ran');

  // Everything is on the page at once: both applicant kinds' boxes and the change reason,
  // each with a note saying when to fill it in; the postal search button posts the form (issue 24).
  for (const id of ['#f-applicant-name', '#f-applicant-corporate_name', '#f-change_reason']) {
    assert.equal(await page.locator(id).isVisible(), true, `${id} shown without JavaScript`);
  }
  assert.equal(await page.getByRole('button', { name: '住所を検索' }).isVisible(), true, 'the postal search posts the form');
  assert.ok(await page.locator('.cond-note').count() >= 3, 'conditional parts say when they apply');

  // A mistake first: the server's error page works without scripts too.
  const a = applicant({ name: '土佐 一郎', furigana: 'トサ イチロウ', amount: '9999999' });
  await fillSubsidyForm(page, a);
  let res = await submitAndWait(page, page.getByRole('button', { name: '入力内容を確認する' }));
  assert.equal(res.status(), 422);
  const links = await page.locator('#error-summary a').evaluateAll((as) => as.map((x) => x.getAttribute('href')));
  assert.deepEqual(links, ['#f-amount']);
  // Without the script, the link is a plain fragment link to the box.
  await page.locator('#error-summary a').first().click();
  assert.equal(new URL(page.url()).hash, '#f-amount');
  assert.equal(await page.locator('#f-applicant-name').inputValue(), a.name);
  assert.match(await page.locator('.files').first().textContent(), /添付済み: shinseisho\.pdf/);

  await page.locator('#f-amount').fill('800000');
  await confirmAndSend(page);
  const answers = await page.locator('main').textContent();
  assert.ok(answers.includes(a.name) && answers.includes('800,000円'), 'confirmation shows the corrected answers');
  // The change reason was left empty for 新規, and is not asked for.
  assert.ok(!answers.includes('変更の内容と理由'), 'no change reason for 新規');

  res = await submitAndWait(page, page.getByRole('button', { name: '送信する' }));
  assert.equal(res.status(), 200);
  console.log(`receipt number (no JavaScript): ${await readReceipt(page)}`);
  await context.close();
});
