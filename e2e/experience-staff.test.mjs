// Issue 24, what staff stumbled on (items 8–11), walked in Chromium:
// - a reviewer of one department sees no CSV/集計 links to another department's forms, and every link shown opens;
// - the audit log reads Japanese labels in Japan time with the 和暦; an export's file name carries the JST time;
// - the first publish is called 初版, and the builder warns about missing contact details, consent and the
//   legal basis for マイナンバー (warnings, publishing stays possible);
// - 差戻し lets the reviewer pick the fields to comment on (360 px with JavaScript, 1280 px without), and the
//   resident sees exactly the two picked fields on my page.
// axe-core (WCAG 2.0/2.1 A and AA) finds nothing on any of these pages.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axeClean } from './lib/axe.mjs';
import { mailedLink } from './lib/mail.mjs';
import { startServer } from './lib/server.mjs';
import {
  DESKTOP, PHONE, confirmAndSend, launch, newContext, readReceipt, screenshot, staffLogin, submitAndWait,
} from './lib/browser.mjs';

const NARROW = { ...PHONE, viewport: { width: 360, height: 800 } };

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });



/** Japan time now as `R8-12-03_1639`, computed here from UTC + 9 hours. */
function jstStamp(ms = Date.now()) {
  const t = new Date(ms + 9 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `R${t.getUTCFullYear() - 2018}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())}_${p(t.getUTCHours())}${p(t.getUTCMinutes())}`;
}

/** `令和8年12月3日 16:39` for a moment, as the audit log writes it. */
function warekiTime(ms = Date.now()) {
  const t = new Date(ms + 9 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `令和${t.getUTCFullYear() - 2018}年${t.getUTCMonth() + 1}月${t.getUTCDate()}日 ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}`;
}


/** A resident signed in on my page through the mailed one-time link. */
async function residentSignedIn(email) {
  const context = await newContext(browser, { ...NARROW, baseURL: server.baseURL });
  const page = await context.newPage();
  await page.goto('/mypage/login');
  await page.locator('#email').fill(email);
  await submitAndWait(page, page.getByRole('button', { name: 'ログイン用のリンクを送る' }));
  await page.goto(await mailedLink(server.dataDir, email, '/mypage/login/'));
  await submitAndWait(page, page.getByRole('button', { name: 'ログインする' }));
  assert.equal(new URL(page.url()).pathname, '/mypage');
  return { context, page };
}

/** The signed-in resident applies to the DX seminar (商工政策課); returns the receipt number. */
async function applyToSeminar(page, name, email) {
  await page.goto('/t/390003/forms/dx-seminar');
  await page.locator('#f-name-name').fill(name);
  await page.locator('#f-name-furigana').fill('コウチ ハナコ');
  await page.locator('#f-organization').fill('土佐デジタル');
  const mail = page.locator('#f-email');
  if (await mail.isEditable()) await mail.fill(email);
  await page.getByLabel('オンライン').check();
  await page.locator('#f-consent').check();
  await confirmAndSend(page);
  await submitAndWait(page, page.getByRole('button', { name: '送信する' }));
  return readReceipt(page);
}

/** Opens a submission from the inbox by its receipt number. */
async function openSubmission(page, receipt) {
  await page.goto(`/staff?q=${encodeURIComponent(receipt)}`);
  await submitAndWait(page, page.getByRole('link', { name: receipt, exact: true }));
}

async function setStatus(page, to) {
  await page.locator(`input[name="to"][value="${to}"]`).check();
  const res = await submitAndWait(page, page.getByRole('button', { name: '状態を変更する' }));
  assert.equal(res.status(), 200);
}

test('a reviewer of 道路課 sees only what the role can use, and every link shown opens', async () => {
  const context = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const page = await context.newPage();
  await staffLogin(page, 'doro-reviewer');
  await page.goto('/staff/forms');
  const rows = page.locator('table.data tbody tr');
  const n = await rows.count();
  assert.ok(n >= 5, 'the demo forms are listed');
  let ownRows = 0;
  for (let i = 0; i < n; i++) {
    const row = rows.nth(i);
    const department = (await row.locator('td').nth(1).textContent()).trim();
    const ops = await row.locator('.ops a').allTextContents();
    const own = department === '土木部 道路課';
    ownRows += own;
    for (const label of ['集計', 'CSV（UTF-8）', 'CSV（Shift_JIS）']) {
      assert.equal(ops.includes(label), own, `${department}: ${label}`);
    }
    assert.equal(await row.getByRole('button', { name: /を編集/ }).count(), 0, 'a reviewer edits no form');
  }
  assert.equal(ownRows, 1, 'one form of 道路課');
  // Every staff link on the page answers 200 for this reviewer.
  const hrefs = await page.locator('main a[href^="/staff/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.length > 10);
  for (const href of new Set(hrefs)) {
    const res = await page.request.get(href);
    assert.equal(res.status(), 200, `${href} for doro-reviewer`);
  }
  // The inbox filter offers only the forms whose applications this reviewer may read.
  await page.goto('/staff');
  const offered = await page.locator('#f-form option').allTextContents();
  assert.deepEqual(offered, ['すべて', '道路の損傷・危険箇所の通報']);
  await page.goto('/staff/forms');
  await axeClean(page, 'forms list for a reviewer');
  await screenshot(page, 'experience-staff-forms-reviewer.png');
  await context.close();
});

test('an export is named in Japan time, and the audit log reads Japanese with the 和暦', async () => {
  const resident = await residentSignedIn('audit@example.jp');
  const receipt = await applyToSeminar(resident.page, '高知 花子', 'audit@example.jp');
  await resident.context.close();

  const context = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const page = await context.newPage();
  await staffLogin(page, 'shoko-reviewer');
  await openSubmission(page, receipt);
  await setStatus(page, 'in_review');
  const log = page.locator('h2:has-text("閲覧・操作の記録") + ol');
  const entries = await log.textContent();
  assert.match(entries, /閲覧/);
  assert.match(entries, /状態の変更（審査中）/);
  assert.ok([warekiTime(Date.now() - 60_000), warekiTime()].some((w) => entries.includes(w)), entries);
  assert.doesNotMatch(entries, /\bview\b|\bstatus\b|download/);
  await axeClean(page, 'review page');

  // The CSV export: its file name carries the Japan time (the minute may turn while downloading).
  await page.goto('/staff/forms');
  const row = page.locator('table.data tbody tr', { hasText: 'DX推進セミナー' });
  const before = Date.now();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('link', { name: 'CSV（UTF-8）' }).click(),
  ]);
  const name = download.suggestedFilename();
  assert.match(name, /^申請一覧_DX推進セミナー_参加申込（定員50名）_R\d+-\d\d-\d\d_\d{4}\.csv$/);
  assert.ok([jstStamp(before), jstStamp()].some((s) => name.endsWith(`_${s}.csv`)), `${name} is not Japan time`);
  await download.delete();
  await context.close();

  // The administrator's audit log: every entry in Japanese, at Japan time.
  const adminContext = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const admin = await adminContext.newPage();
  await staffLogin(admin, 'pref-admin');
  await admin.goto('/staff/admin');
  await submitAndWait(admin, admin.getByRole('link', { name: '閲覧・操作の記録（監査ログ）' }));
  const table = await admin.locator('main table').textContent();
  for (const label of ['ログイン', '閲覧', '状態の変更', 'CSV出力', '受付一覧の表示']) assert.match(table, new RegExp(label));
  assert.match(table, /接続元/);
  assert.doesNotMatch(table, /\b(view|list|export|login|download|in_review|InboxFilter|submission)\b/);
  assert.match(table, /申請 \d+/);
  assert.match(table, /状態の変更申請 \d+審査中/);
  const actions = await admin.locator('main table tbody tr td:nth-child(3)').allTextContents();
  for (const a of actions) assert.match(a, /[ぁ-んァ-ヶ一-龠]/, `untranslated action ${a}`);
  assert.ok([warekiTime(before), warekiTime()].some((w) => table.includes(w)), 'Japan time with the 和暦');
  await axeClean(admin, 'audit log');
  await screenshot(admin, 'experience-staff-audit-log.png');
  await adminContext.close();
});

test('the builder warns about contact, consent and マイナンバー, and the first publish is called 初版', async () => {
  const context = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const page = await context.newPage();
  await staffLogin(page, 'pref-editor');
  await page.goto('/staff/builder/new');
  await page.locator('#title').fill('空き家の相談');
  await page.locator('#slug').fill('akiya');
  await page.locator('#department').selectOption('shoko');
  await submitAndWait(page, page.getByRole('button', { name: '作成を始める' }));
  // Two parts: a name, and a one-line text asking for the 個人番号.
  for (const [i, type, label, key] of [['0', '氏名・フリガナ', '氏名', 'name'], ['1', '1行テキスト', '個人番号', 'kojin_bango']]) {
    await submitAndWait(page, page.locator('.palette').getByRole('button', { name: type, exact: true }));
    await page.locator(`#f-${i}-label`).fill(label);
    await page.locator(`#f-${i}-key`).fill(key);
    const res = await submitAndWait(page, page.locator(`#part-${i} form.builder-part-form button[type="submit"]`));
    assert.equal(res.status(), 200, await page.locator('#error-summary').textContent().catch(() => ''));
  }
  const check = page.locator('.builder-check');
  const text = await check.textContent();
  assert.doesNotMatch(text, /問題は見つかりません/);
  assert.match(text, /公開はできますが、次の3件を確認してください/);
  assert.match(text, /問い合わせ先の電話番号もメールアドレスもありません/);
  assert.match(text, /個人情報の取扱いへの同意の部品がありません/);
  assert.match(text, /「個人番号」でマイナンバー（個人番号）を集めていますが、利用の根拠（番号法の条項）/);
  await axeClean(page, 'builder with warnings');
  await screenshot(page, 'experience-staff-builder-warnings.png');

  // Warnings do not stop publishing; the first version is 初版, not a comparison with a 第0版.
  await submitAndWait(page, page.getByRole('button', { name: '公開する（新しい版）' }));
  assert.match(await page.locator('.notice').first().textContent(), /空き家の相談 を初版（第1版）として公開しました。/);
  const main = await page.locator('main').textContent();
  assert.match(main, /第1版は初版です/);
  assert.doesNotMatch(main, /第0版|違いはありません/);
  assert.match(main, /公開中の版で確認してほしいこと（3件）/);
  await axeClean(page, 'first version history');
  await screenshot(page, 'experience-staff-first-publish.png');

  // A form with contact details and consent (the demo seminar) has nothing to warn about.
  await page.goto('/staff/forms');
  const row = page.locator('table.data tbody tr', { hasText: 'DX推進セミナー' });
  await submitAndWait(page, row.getByRole('button', { name: /を編集/ }));
  assert.match(await page.locator('.builder-check').textContent(), /問題は見つかりません。このまま公開できます。/);
  await context.close();
});

test('差戻し: the reviewer picks two fields (360 px with JavaScript, 1280 px without) and the resident sees them', async () => {
  const email = 'pick@example.jp';
  const resident = await residentSignedIn(email);
  const first = await applyToSeminar(resident.page, '高知 花子', email);
  const second = await applyToSeminar(resident.page, '高知 花子', email);

  // With JavaScript at 360 px: the boxes open as fields are ticked; an unticked box is not sent.
  const phone = await newContext(browser, { ...NARROW, baseURL: server.baseURL });
  const s = await phone.newPage();
  await staffLogin(s, 'shoko-reviewer');
  await openSubmission(s, first);
  await setStatus(s, 'in_review');
  await s.locator(`input[name="to"][value="returned"]`).check();
  await s.locator('#message').fill('2点ご確認ください。');
  await s.locator('details.corrections summary').click();
  for (const key of ['name', 'organization', 'email', 'attendance', 'support']) {
    assert.equal(await s.locator(`#fix-${key}`).isVisible(), false, `${key} box closed until picked`);
  }
  await s.locator('#pick-organization').check();
  await s.locator('#fix-organization').fill('正式な会社名でご記入ください。');
  await s.locator('#pick-email').check();
  await s.locator('#fix-email').fill('（やはり不要）');
  await s.locator('#pick-email').uncheck();
  assert.equal(await s.locator('#fix-email').isVisible(), false);
  await s.locator('label[for="pick-attendance"]').click(); // the label ticks the box
  assert.equal(await s.locator('#fix-attendance').isVisible(), true);
  await s.locator('#fix-attendance').fill('会場に空きが出ました。');
  const overflow = await s.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the review page overflows 360 px by ${overflow}px`);
  await axeClean(s, 'correction picker (JavaScript, 360 px)');
  await screenshot(s, 'experience-staff-correction-picker-360.png');
  const res = await submitAndWait(s, s.getByRole('button', { name: '状態を変更する' }));
  assert.equal(res.status(), 200);
  const asked = await s.locator('h2:has-text("修正依頼（差戻し）") + ul li').allTextContents();
  assert.deepEqual(asked.map((t) => t.split(':')[0].trim()), ['所属（会社名・団体名）', '参加方法']);
  await phone.close();

  // Without JavaScript at 1280 px: every box shows; a picked field without a comment is named, nothing lost.
  const office = await newContext(browser, { ...DESKTOP, javaScriptEnabled: false, baseURL: server.baseURL });
  const d = await office.newPage();
  await staffLogin(d, 'shoko-reviewer');
  await openSubmission(d, second);
  await setStatus(d, 'in_review');
  await d.locator(`input[name="to"][value="returned"]`).check();
  await d.locator('#message').fill('ご確認ください。');
  await d.locator('details.corrections summary').click();
  assert.equal(await d.locator('#fix-support').isVisible(), true, 'all boxes without JavaScript');
  await d.locator('#pick-phone').check();
  await d.locator('#pick-support').check();
  await d.locator('#fix-support').fill('必要な配慮をお書きください。');
  let r = await submitAndWait(d, d.getByRole('button', { name: '状態を変更する' }));
  assert.equal(r.status(), 400);
  assert.match(await d.locator('#error-summary').textContent(), /「電話番号」への修正依頼を入力してください。/);
  assert.equal(await d.locator('#fix-support').inputValue(), '必要な配慮をお書きください。', 'typed text kept');
  assert.equal(await d.locator('#pick-support').isChecked(), true);
  assert.equal(await d.locator('#message').inputValue(), 'ご確認ください。');
  assert.equal(await d.locator('#fix-phone').getAttribute('aria-invalid'), 'true');
  await axeClean(d, 'correction picker refusal (no JavaScript)');
  await screenshot(d, 'experience-staff-correction-error-nojs.png');
  await d.locator('#fix-phone').fill('日中つながる番号をお書きください。');
  await axeClean(d, 'correction picker (no JavaScript)');
  await screenshot(d, 'experience-staff-correction-picker-nojs.png');
  r = await submitAndWait(d, d.getByRole('button', { name: '状態を変更する' }));
  assert.equal(r.status(), 200);
  const asked2 = await d.locator('h2:has-text("修正依頼（差戻し）") + ul li').allTextContents();
  assert.deepEqual(asked2.map((t) => t.split(':')[0].trim()), ['電話番号', '配慮が必要な事項（車いす、手話通訳など）']);
  await office.close();

  // The resident sees the two requests of the first application, and may correct only those parts.
  const p = resident.page;
  await p.goto('/mypage');
  await submitAndWait(p, p.getByRole('link', { name: first }));
  const detail = await p.locator('main').textContent();
  assert.match(detail, /正式な会社名でご記入ください。/);
  assert.match(detail, /会場に空きが出ました。/);
  assert.doesNotMatch(detail, /やはり不要/);
  await submitAndWait(p, p.getByRole('link', { name: '修正して再提出する' }));
  assert.equal(await p.locator('#f-organization').count(), 1);
  assert.equal(await p.locator('input[name="attendance"]').count(), 2);
  assert.equal(await p.locator('#f-name-name').count(), 0, 'only the picked parts can be edited');
  assert.equal(await p.locator('#f-email').count(), 0, 'the unticked part is not asked for');
  await axeClean(p, 'resident correction page');
  await screenshot(p, 'experience-staff-resident-corrections.png');
  await resident.context.close();
});
