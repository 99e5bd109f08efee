// Issue 24 items 3–5, as a resident meets them at 360 px (JavaScript off) and 1280 px (JavaScript on):
// applications sent before signing in are added to my page by the verified address and by receipt number + the
// code mailed to the application; my page lists them as cards that never overflow the screen; a signed-in form
// starts with the mail address; the procedure list leads to the FAQ, my page and home; the contact box keeps its
// labels on one line. axe-core finds nothing on any page visited.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { axeClean } from './lib/axe.mjs';
import { startServer } from './lib/server.mjs';
import {
  DESKTOP, FORM_PATH, SCREENSHOTS, applicant, launch, newContext, screenshot, submitAndWait, submitSubsidy,
} from './lib/browser.mjs';
import { mailCount, mailedCode, mailedLink } from './lib/mail.mjs';
import { fits, overflowReport } from './lib/overflow.mjs';

const NARROW = {
  viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  locale: 'ja-JP', timezoneId: 'Asia/Tokyo',
};

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });


async function noOverflow(page, label) {
  const report = await overflowReport(page);
  assert.ok(fits(report), `${label} overflows ${report.innerWidth} px: scrollWidth ${report.scrollWidth}, `
    + `${JSON.stringify(report.offenders.slice(0, 10))}`);
}

/** Signs in in this page's browser with the one-time link from the mail sink. */
async function signIn(page, email) {
  await page.goto('/mypage/login');
  await page.locator('#email').fill(email);
  await submitAndWait(page, page.getByRole('button', { name: 'ログイン用のリンクを送る' }));
  await page.goto(await mailedLink(server.dataDir, email, '/mypage/login/'));
  await submitAndWait(page, page.getByRole('button', { name: 'ログインする' }));
  assert.equal(new URL(page.url()).pathname, '/mypage');
}

test('applications sent before signing in are added by the verified address and by receipt number + code', async () => {
  const email = 'aoi@example.jp';
  // Sent without an account: two with the address she signs in with, one with an old address.
  const first = await submitSubsidy(browser, server.baseURL, applicant({ name: '高知 葵', email: 'Aoi@Example.jp' }));
  const second = await submitSubsidy(browser, server.baseURL, applicant({
    name: '高知 葵', email, project: '仁淀ブルーを活かした体験型観光商品と多言語案内サイトの開発（中山間地域の事業者と連携）',
  }));
  const old = await submitSubsidy(browser, server.baseURL, applicant({ name: '高知 葵', email: 'aoi.old@example.jp' }));

  // On the phone without JavaScript.
  const phone = await newContext(browser, { ...NARROW, javaScriptEnabled: false, baseURL: server.baseURL });
  const page = await phone.newPage();
  await signIn(page, email);
  const found = page.locator('section.found');
  assert.match(await found.textContent(), new RegExp(first));
  assert.match(await found.textContent(), new RegExp(second));
  assert.doesNotMatch(await found.textContent(), new RegExp(old), 'another address is not offered');
  await axeClean(page, 'my page with found applications');
  await noOverflow(page, 'my page with found applications at 360 px');
  await screenshot(page, 'experience-mypage-found-360.png');
  await submitAndWait(page, page.getByRole('button', { name: '見つかった申請を追加する' }));
  assert.match(await page.locator('[role=status]').textContent(), /見つかった申請をマイページに追加しました/);
  assert.equal(await page.locator('section.found').count(), 0);
  for (const r of [first, second]) {
    assert.equal(await page.locator('main .case-list > li', { hasText: r }).count(), 1, `${r} is on my page`);
  }

  // By receipt number: the code goes to the address on the application.
  await page.getByRole('link', { name: '受付番号で申請を追加する' }).click();
  await page.waitForURL('**/mypage/claim');
  await axeClean(page, 'claim: receipt number');
  await page.locator('#claim-receipt').fill('javascript:alert(1)');
  await submitAndWait(page, page.getByRole('button', { name: '確認コードを送る' }));
  assert.match(await page.locator('#error-summary').textContent(), /受付番号は「20261203-7KQ4M9XW」のように/);
  assert.equal(await page.locator('#claim-receipt').getAttribute('aria-invalid'), 'true');
  await axeClean(page, 'claim: receipt number refused');
  const before = mailCount(server.dataDir);
  await page.locator('#claim-receipt').fill(old.toLowerCase());
  await submitAndWait(page, page.getByRole('button', { name: '確認コードを送る' }));
  assert.match(await page.locator('main').textContent(), /確認コードを送りました/);
  await axeClean(page, 'claim: code');
  await noOverflow(page, 'claim: code at 360 px');
  await screenshot(page, 'experience-mypage-claim-code-360.png');
  const code = await mailedCode(server.dataDir, 'aoi.old@example.jp', before);
  await page.locator('#claim-code').fill(code === '000000' ? '111111' : '000000');
  await submitAndWait(page, page.getByRole('button', { name: '申請を追加する' }));
  assert.match(await page.locator('#error-summary').textContent(), /確認コードが正しくないか/);
  await axeClean(page, 'claim: wrong code');
  await page.locator('#claim-code').fill(code);
  await submitAndWait(page, page.getByRole('button', { name: '申請を追加する' }));
  assert.match(await page.locator('[role=status]').textContent(), /申請をマイページに追加しました/);
  assert.equal(await page.locator('h1').textContent(), `受付番号 ${old}`);

  // My page as cards at 360 px: every screen fits the width.
  await page.goto('/mypage');
  assert.equal(await page.locator('main .case-list > li.case').count(), 3);
  const card = page.locator('main .case-list > li', { hasText: second });
  for (const label of ['受付番号', '状況', '申請先', '申請日時']) {
    assert.match(await card.locator('dt', { hasText: label }).textContent(), new RegExp(label));
  }
  assert.equal(await page.locator('main table').count(), 0, 'no table left to collapse');
  await noOverflow(page, 'my page at 360 px');
  await axeClean(page, 'my page at 360 px');
  await screenshot(page, 'experience-mypage-cards-360.png');
  await card.getByRole('link').click();
  await page.waitForURL(/\/mypage\/applications\/\d+$/);
  const detail = new URL(page.url()).pathname;
  for (const path of [detail, `${detail}/print`, '/mypage/profile', '/mypage/notifications', '/mypage/claim']) {
    await page.goto(path);
    await noOverflow(page, `${path} at 360 px`);
    await axeClean(page, path);
  }
  await screenshot(page, 'experience-mypage-claim-360.png');
  await phone.close();

  // On a computer with JavaScript: the same list, laid out wide.
  const computer = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const desk = await computer.newPage();
  await signIn(desk, email);
  assert.equal(await desk.locator('main .case-list > li.case').count(), 3);
  await noOverflow(desk, 'my page at 1280 px');
  await axeClean(desk, 'my page at 1280 px');
  const facts = await desk.locator('main .case-list > li .case-facts').first().boundingBox();
  const firstFact = await desk.locator('main .case-list > li .case-facts > div').first().boundingBox();
  assert.ok(firstFact.width < facts.width / 2, 'facts sit side by side on a wide screen');
  await screenshot(desk, 'experience-mypage-cards-1280.png');
  await computer.close();
});

test('a signed-in form starts with the mail address and never overwrites what was typed', async () => {
  for (const [label, options] of [['360 px, no JavaScript', { ...NARROW, javaScriptEnabled: false }], ['1280 px', DESKTOP]]) {
    const context = await newContext(browser, { ...options, baseURL: server.baseURL });
    const page = await context.newPage();
    const email = options === DESKTOP ? 'hinata@example.jp' : 'sora@example.jp';
    await signIn(page, email);
    await page.goto(FORM_PATH);
    assert.equal(await page.locator('#f-email').inputValue(), email, label);
    assert.match(await page.locator('#prefilled').textContent(), /ログインしているアカウントの情報から入力しました/);
    await axeClean(page, `prefilled form, ${label}`);
    await noOverflow(page, `prefilled form, ${label}`);
    await screenshot(page, `experience-mypage-prefill-${options === DESKTOP ? 1280 : 360}.png`);
    await page.locator('#f-email').fill('typed@example.jp');
    await submitAndWait(page, page.getByRole('button', { name: '一時保存する' }));
    const resumed = new URL(page.url());
    const draft = await page.locator('input[name=_draft]').first().inputValue();
    await page.goto(`${FORM_PATH}?d=${draft}`);
    assert.equal(await page.locator('#f-email').inputValue(), 'typed@example.jp', `${label}: the draft keeps what was typed (${resumed})`);
    await context.close();
  }
});

test('the procedure list leads to the FAQ, my page and home, and the contact box keeps its labels on one line', async () => {
  for (const [label, options] of [['360', { ...NARROW, javaScriptEnabled: false }], ['1280', DESKTOP]]) {
    const context = await newContext(browser, { ...options, baseURL: server.baseURL });
    const page = await context.newPage();
    await page.goto('/t/390003');
    const nav = page.getByRole('navigation', { name: 'サイト内の移動' });
    assert.equal(await nav.getByRole('link', { name: '手続きの一覧' }).getAttribute('aria-current'), 'page');
    await axeClean(page, `procedure list at ${label}`);
    await noOverflow(page, `procedure list at ${label}`);
    await screenshot(page, `experience-mypage-procedures-${label}.png`);
    for (const [name, path] of [['よくある質問', '/t/390003/faq'], ['マイページ', '/mypage/login'], ['ホーム', '/']]) {
      await page.goto('/t/390003');
      await submitAndWait(page, page.getByRole('navigation', { name: 'サイト内の移動' }).getByRole('link', { name, exact: true }));
      assert.equal(new URL(page.url()).pathname, path, `${name} at ${label}`);
      await axeClean(page, `${name} from the procedure list at ${label}`);
    }
    // The FAQ leads back to the procedures.
    await page.goto('/t/390003/faq');
    await submitAndWait(page, page.getByRole('navigation', { name: 'サイト内の移動' }).getByRole('link', { name: '手続きの一覧' }));
    assert.equal(new URL(page.url()).pathname, '/t/390003');

    // The contact box of a form.
    await page.goto(FORM_PATH);
    const labels = await page.locator('.contact dt').evaluateAll((dts) => dts.map((dt) => {
      const probe = document.createElement('span');
      probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap;font:inherit';
      probe.textContent = dt.textContent;
      dt.appendChild(probe);
      const single = probe.getBoundingClientRect().width;
      probe.remove();
      const box = dt.getBoundingClientRect();
      return { text: dt.textContent, width: box.width, single, height: box.height, line: parseFloat(getComputedStyle(dt).lineHeight) };
    }));
    assert.deepEqual(labels.map((l) => l.text), ['担当', '電話', 'メール', '受付時間']);
    for (const l of labels) {
      assert.ok(l.width + 0.5 >= l.single, `${l.text} at ${label}: ${l.width} px for ${l.single} px of text`);
      assert.ok(l.height < l.line * 1.5, `${l.text} at ${label} is one line (${l.height} px, line ${l.line} px)`);
    }
    await noOverflow(page, `form at ${label}`);
    await page.locator('.contact').scrollIntoViewIfNeeded();
    await page.locator('.contact').screenshot({ path: join(SCREENSHOTS, `experience-mypage-contact-${label}.png`) });
    await context.close();
  }
});
