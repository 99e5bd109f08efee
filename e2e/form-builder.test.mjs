// A form editor builds a form with a conditional part from scratch in the browser (keyboard for the
// palette, drag and drop for the order), tries the condition in the live preview, publishes it; a resident
// fills it in on a phone; the editor then removes the conditional part and publishes again, and the earlier
// application still displays and exports with its original parts. axe-core checks the builder pages.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { startServer } from './lib/server.mjs';
import {
  DESKTOP, PHONE, confirmAndSend, launch, newContext, readReceipt, screenshot, staffLogin, submitAndWait,
} from './lib/browser.mjs';

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
async function axeClean(page, label) {
  const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  assert.deepEqual(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [],
    `axe violations on ${label}`);
}

const SLUG = 'bousai-kouza';
const labels = (page) => page.locator('ol[data-builder] > li.builder-part > .builder-part-head .part-label').allTextContents();

/** Saves the open edit form of the part at `anchor` (e.g. "1"). */
async function savePart(page, anchor) {
  const res = await submitAndWait(page, page.locator(`#part-${anchor} form.builder-part-form button[type="submit"]`));
  assert.equal(res.status(), 200, await page.locator('#error-summary').textContent().catch(() => ''));
}

/** Adds a part from the palette with the keyboard. */
async function addWithKeyboard(page, name) {
  const button = page.locator('.palette').getByRole('button', { name, exact: true });
  await button.focus();
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
}

test('build a conditional form, publish, apply, change it, and the earlier application keeps its parts', async () => {
  const context = await newContext(browser, { ...DESKTOP, viewport: { width: 1440, height: 1000 }, baseURL: server.baseURL });
  const page = await context.newPage();
  await staffLogin(page, 'pref-editor');

  await page.goto('/staff/forms');
  await submitAndWait(page, page.getByRole("link", { name: "新しいフォームを作る" }));
  assert.equal(new URL(page.url()).pathname, "/staff/builder/new", await page.locator("main").textContent());
  await page.locator("#title").fill("防災講座 参加申込");
  await page.locator('#slug').fill(SLUG);
  await page.locator('#department').selectOption('shoko');
  await submitAndWait(page, page.getByRole('button', { name: '作成を始める' }));
  assert.match(new URL(page.url()).pathname, /^\/staff\/builder\/\d+$/);
  assert.match(await page.locator('.builder-check').textContent(), /部品が1つもありません/);
  await axeClean(page, 'empty builder');

  // Part 1: the choice the condition depends on.
  await addWithKeyboard(page, 'ラジオボタン（1つ選択）');
  await page.locator('#f-0-label').fill('参加方法');
  await page.locator('#f-0-key').fill('method');
  await page.locator('#f-0-required').check();
  await page.locator('#f-0-choices').fill('会場\nオンライン');
  await savePart(page, '0');

  // Part 2: shown only for the venue.
  await addWithKeyboard(page, '1行テキスト');
  await page.locator('#f-1-label').fill('会場での配慮');
  await page.locator('#f-1-key').fill('care');
  assert.equal(await page.locator('#f-1-cond_values').isVisible(), false, 'values hidden until a mode needs them');
  await page.locator('#f-1-cond_mode').selectOption('in');
  await page.locator('#f-1-cond_part').selectOption('method');
  await page.locator('#f-1-cond_values').fill('会場');
  await savePart(page, '1');

  // Part 3: the name, then dragged to the top.
  await addWithKeyboard(page, '氏名・フリガナ');
  await page.locator('#f-2-label').fill('氏名');
  await page.locator('#f-2-key').fill('name');
  await page.locator('#f-2-required').check();
  await savePart(page, '2');
  assert.deepEqual(await labels(page), ['参加方法', '会場での配慮', '氏名']);
  // Drag the name above the first part (HTML5 drag and drop events, as a mouse drag sends them).
  assert.equal(await page.locator('#part-2').getAttribute('draggable'), 'true');
  const dt = await page.evaluateHandle(() => new DataTransfer());
  const top = await page.locator('#part-0').boundingBox();
  await page.dispatchEvent('#part-2', 'dragstart', { dataTransfer: dt });
  await page.dispatchEvent('#part-0', 'dragover', { dataTransfer: dt, clientX: top.x + 10, clientY: top.y + 2 });
  await page.dispatchEvent('#part-2', 'drop', { dataTransfer: dt, clientX: top.x + 10, clientY: top.y + 2 });
  await page.locator('.notice', { hasText: '部品を並べ替えました' }).waitFor();
  assert.deepEqual(await labels(page), ['氏名', '参加方法', '会場での配慮']);
  // Without a mouse: the 下へ/上へ buttons, from the keyboard.
  const down = page.getByRole('button', { name: '「氏名」を下へ' });
  await down.focus();
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  assert.deepEqual(await labels(page), ['参加方法', '氏名', '会場での配慮']);
  await submitAndWait(page, page.getByRole('button', { name: '「氏名」を上へ' }));
  assert.deepEqual(await labels(page), ['氏名', '参加方法', '会場での配慮']);
  assert.doesNotMatch(await page.locator('.builder-check').textContent(), /を直してください/, 'nothing stops publishing');

  // The live preview: the resident's page in the phone frame; choosing 会場 shows the conditional part.
  const phone = page.frameLocator('iframe[title="プレビュー: スマートフォンでの表示"]');
  await phone.locator('h1').waitFor();
  assert.equal(await phone.locator('h1').textContent(), '防災講座 参加申込');
  const care = phone.locator('#f-care');
  assert.equal(await care.isVisible(), false, 'hidden until 会場 is chosen');
  await phone.getByLabel('会場', { exact: true }).check();
  await care.waitFor({ state: 'visible' });
  await phone.getByLabel('オンライン', { exact: true }).check();
  await care.waitFor({ state: 'hidden' });
  await axeClean(page, 'builder with parts');
  await screenshot(page, 'form-builder.png');

  // The builder refuses what cannot work: a choice part without choices.
  await page.locator('#part-1 summary').click();
  await page.locator('#f-1-choices').fill('');
  const refused = await submitAndWait(page, page.locator('#part-1 form.builder-part-form button[type="submit"]'));
  assert.equal(refused.status(), 422);
  assert.match(await page.locator('#error-summary').textContent(), /選択肢を1つ以上入力してください/);
  await axeClean(page, 'builder with an error');

  // Translations page is accessible too.
  await page.goto(new URL(page.url()).pathname.replace(/\?.*$/, '') + '/translations?lang=en');
  await page.getByLabel('「参加方法」の項目名のEnglish訳').fill('How will you join?');
  await submitAndWait(page, page.getByRole('button', { name: 'Englishの翻訳を保存' }));
  await axeClean(page, 'translations');
  await submitAndWait(page, page.getByRole('link', { name: 'フォームの編集に戻る' }));

  await submitAndWait(page, page.getByRole('button', { name: '公開する（新しい版）' }));
  assert.match(new URL(page.url()).pathname, /\/versions$/);
  assert.match(await page.locator('.notice').textContent(), /初版（第1版）として公開しました/);

  // A resident applies on a phone, in English, with the wheelchair request.
  const resident = await newContext(browser, { ...PHONE, baseURL: server.baseURL });
  const rp = await resident.newPage();
  await rp.goto(`/t/390003/forms/${SLUG}`);
  await rp.getByRole('link', { name: 'English' }).click();
  await rp.waitForLoadState('load');
  assert.equal(await rp.locator('html').getAttribute('lang'), 'en');
  await rp.locator('#f-name-name').fill('髙橋 﨑子');
  await rp.locator('#f-name-furigana').fill('たかはし さきこ');
  await rp.getByLabel('会場', { exact: true }).check();
  await rp.locator('#f-care').fill('車いす席を希望します');
  await submitAndWait(rp, rp.getByRole('button', { name: 'Check your answers' }));
  assert.match(rp.url(), /\/confirm\?d=/);
  await submitAndWait(rp, rp.getByRole('button', { name: 'Send' }));
  const receipt = await readReceipt(rp);
  await resident.close();

  // The form changes: the conditional part goes, and version 2 is published.
  await page.goto('/staff/forms');
  await submitAndWait(page, page.getByRole('button', { name: '「防災講座 参加申込」を編集' }));
  await submitAndWait(page, page.getByRole('button', { name: '「会場での配慮」を削除' }));
  assert.deepEqual(await labels(page), ['氏名', '参加方法']);
  await submitAndWait(page, page.getByRole('button', { name: '公開する（新しい版）' }));
  assert.match(await page.locator('.notice').textContent(), /第2版として公開しました/);
  assert.match(await page.locator('main').textContent(), /会場での配慮/);
  await context.close();

  // The earlier application still shows and exports the removed part.
  const staff = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const sp = await staff.newPage();
  await staffLogin(sp, 'shoko-reviewer');
  await sp.locator('#f-q').fill(receipt);
  await submitAndWait(sp, sp.getByRole('button', { name: '絞り込む' }));
  await submitAndWait(sp, sp.getByRole('link', { name: receipt, exact: true }));
  const answers = await sp.locator('dl.answers').nth(1).textContent();
  assert.match(answers, /会場での配慮/);
  assert.match(answers, /車いす席を希望します/);
  assert.match(answers, /髙橋 﨑子/);
  await sp.goto('/staff/forms');
  const row = sp.locator('table.data tbody tr', { hasText: '防災講座 参加申込' });
  const href = await row.getByRole('link', { name: 'CSV（UTF-8）' }).getAttribute('href');
  const csv = new TextDecoder('utf-8').decode((await (await sp.request.get(href)).body()).subarray(3));
  assert.ok(csv.includes('会場での配慮') && csv.includes('車いす席を希望します'), csv);
  await staff.close();
});
