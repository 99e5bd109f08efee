// A reviewer finds a new application in the inbox, takes it up, returns it to the applicant
// with a message, and downloads the CSV export.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from './lib/server.mjs';
import {
  DESKTOP, FORM_TITLE, applicant, launch, newContext, screenshot, staffLogin, submitAndWait, submitSubsidy,
} from './lib/browser.mjs';

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });

const statusOf = async (page) => (await page.locator('dl.answers .status').first().textContent()).trim();

async function changeStatus(page, to, message = '') {
  await page.locator(`input[name="to"][value="${to}"]`).check();
  if (message) await page.locator('#message').fill(message);
  const res = await submitAndWait(page, page.getByRole('button', { name: '状態を変更する' }));
  return res;
}

test('a reviewer takes up, returns and exports an application', async () => {
  const name = '四万十 花子';
  const receipt = await submitSubsidy(browser, server.baseURL, applicant({
    name, furigana: 'シマント ハナコ', email: 'hanako@example.jp', project: '四万十川流域の観光案内事業',
  }));

  const context = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const page = await context.newPage();
  await staffLogin(page, 'shoko-reviewer');

  // Search the inbox by receipt number.
  await page.locator('#f-q').fill(receipt);
  await submitAndWait(page, page.getByRole('button', { name: '絞り込む' }));
  assert.equal(new URL(page.url()).searchParams.get('q'), receipt);
  const rows = page.locator('table.data tbody tr');
  assert.equal(await rows.count(), 1, 'exactly one application matches the receipt number');
  assert.match(await rows.first().textContent(), new RegExp(name));
  assert.match(await rows.first().textContent(), /受付/);
  await screenshot(page, 'inbox.png');

  // ... and by the applicant's name.
  await page.locator('#f-q').fill('四万十');
  await submitAndWait(page, page.getByRole('button', { name: '絞り込む' }));
  assert.ok(await page.getByRole('link', { name: receipt, exact: true }).count() === 1, 'name search finds it');

  await submitAndWait(page, page.getByRole('link', { name: receipt, exact: true }));
  assert.match(new URL(page.url()).pathname, /^\/staff\/submissions\/[^/]+$/);
  assert.equal(await page.locator('h1').textContent(), `受付番号 ${receipt}`);
  const content = await page.locator('main').textContent();
  for (const text of [FORM_TITLE, name, '四万十川流域の観光案内事業', 'shinseisho.pdf']) {
    assert.ok(content.includes(text), `submission page shows ${text}`);
  }
  assert.equal(await statusOf(page), '受付');

  // From 受付 the only next step is 審査中.
  const choices = await page.locator('input[name="to"]').evaluateAll((xs) => xs.map((x) => x.value));
  assert.equal(choices.length, 1, `next statuses from 受付: ${choices}`);
  await changeStatus(page, choices[0]);
  assert.equal(await statusOf(page), '審査中');
  const next = await page.locator('input[name="to"]').evaluateAll((xs) => xs.map((x) => x.value));
  assert.ok(next.includes('returned'), `差戻し offered from 審査中: ${next}`);
  assert.equal(next.length, 3, `差戻し・承認・却下 from 審査中: ${next}`);

  // 差戻し needs a message; without one the server refuses and nothing changes.
  const submissionUrl = page.url();
  const refused = await changeStatus(page, 'returned');
  assert.equal(refused.status(), 400);
  assert.match(await page.locator('main [role=alert]').textContent(), /差戻しの理由/);
  await page.goto(submissionUrl);
  assert.equal(await statusOf(page), '審査中', 'no 差戻し without a message');

  const message = '事業計画書の経費内訳が添付されていません。追加のうえ再提出してください。';
  await changeStatus(page, 'returned', message);
  assert.equal(await statusOf(page), '差戻し');
  const history = await page.locator('ol.timeline').first().textContent();
  for (const text of ['審査中', '差戻し', message]) {
    assert.ok(history.includes(text), `history shows ${text}:\n${history}`);
  }
  await screenshot(page, 'submission.png');

  // CSV export, with the reviewer's session.
  await page.goto('/staff/forms');
  const row = page.locator('table.data tbody tr', { hasText: FORM_TITLE });
  const href = await row.getByRole('link', { name: 'CSV（UTF-8）' }).getAttribute('href');
  assert.match(href, /^\/staff\/forms\/[^/]+\/export\.csv$/);

  const utf8 = await page.request.get(href);
  assert.equal(utf8.status(), 200);
  assert.match(utf8.headers()['content-type'], /text\/csv/);
  const bytes = await utf8.body();
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 CSV starts with a BOM');
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(3));
  assert.ok(text.includes(receipt), 'CSV has the receipt number');
  assert.ok(text.includes(name), 'CSV has the applicant name intact');
  assert.ok(text.includes('差戻し') || text.includes('returned'), 'CSV has the status');

  const sjis = await page.request.get(`${href}?encoding=sjis`);
  assert.equal(sjis.status(), 200);
  const sjisBytes = await sjis.body();
  assert.notDeepEqual([...sjisBytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'no BOM in Shift_JIS');
  const sjisText = new TextDecoder('shift_jis', { fatal: true }).decode(sjisBytes);
  assert.ok(sjisText.includes(receipt) && sjisText.includes(name), 'Shift_JIS CSV decodes to the same name');

  // Another context without a session gets no CSV.
  const anonymous = await newContext(browser, { baseURL: server.baseURL });
  const denied = await anonymous.request.get(href, { maxRedirects: 0 });
  assert.ok([302, 303, 401, 403].includes(denied.status()), `anonymous export: HTTP ${denied.status()}`);
  assert.ok(!(await denied.text()).includes(receipt));
  await anonymous.close();
  await context.close();
});
