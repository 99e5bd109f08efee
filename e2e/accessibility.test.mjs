// axe-core finds no WCAG 2.1 A/AA violations on the pages residents and reviewers use.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { startServer } from './lib/server.mjs';
import {
  DESKTOP, FORM_PATH, PHONE, applicant, confirmAndSend, fillSubsidyForm, launch, newContext, pdfFile, readReceipt,
  staffLogin, submitAndWait, submitSubsidy,
} from './lib/browser.mjs';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });

function describe(violations) {
  return violations.map((v) => [
    `${v.id} (${v.impact}): ${v.help}`,
    `  ${v.helpUrl}`,
    ...v.nodes.map((n) => [
      `  - ${n.target.join(' ')}`,
      `    ${n.html.replace(/\s+/g, ' ').slice(0, 300)}`,
      ...n.failureSummary.split('\n').map((l) => `    ${l}`),
    ].join('\n')),
  ].join('\n')).join('\n');
}

/** Runs axe on the page as it is now; records what it finds under `label`. */
async function check(page, label, found) {
  const { violations, passes } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  assert.ok(passes.length > 5, `axe ran its checks on ${label} (${passes.length} passed)`);
  if (violations.length) found.push(`[${label}] ${page.url()}\n${describe(violations)}`);
  return violations;
}

function report(found) {
  if (found.length) {
    const text = found.join('\n\n');
    console.error(text);
    assert.fail(`axe found accessibility violations:\n${text}`);
  }
}

for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`public pages have no axe violations (${device})`, async () => {
    const found = [];
    const context = await newContext(browser, { ...options, baseURL: server.baseURL });
    const page = await context.newPage();

    await page.goto(FORM_PATH);
    await check(page, 'form', found);

    // Error state: a few mistakes, then the server's error page.
    await fillSubsidyForm(page, applicant({ phone: 'abc', email: 'not-an-address', consent: false, kind: 'change' }), { file: null });
    const res = await submitAndWait(page, page.getByRole('button', { name: '入力内容を確認する' }));
    assert.equal(res.status(), 422);
    await check(page, 'form with errors', found);

    await page.locator('#f-phone').fill('088-823-1111');
    await page.locator('#f-email').fill('taro@example.jp');
    await page.locator('#f-change_reason').fill('対象経費の見直しのため。');
    await page.locator('#f-application_document').setInputFiles(pdfFile('申請書.pdf'));
    await page.locator('#f-consent').check();
    await confirmAndSend(page);
    await check(page, 'confirmation', found);

    await submitAndWait(page, page.getByRole('button', { name: '送信する' }));
    await readReceipt(page);
    await check(page, 'completion', found);

    await context.close();
    report(found);
  });
}

test('staff pages have no axe violations', async () => {
  const found = [];
  const receipt = await submitSubsidy(browser, server.baseURL);
  const context = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const page = await context.newPage();

  await page.goto('/staff/login');
  await check(page, 'login', found);

  // A wrong password shows the login page's error summary.
  await page.locator('#login').fill('shoko-reviewer');
  await page.locator('#password').fill('wrong-password');
  await submitAndWait(page, page.getByRole('button', { name: 'ログイン' }));
  assert.equal(await page.locator('#error-summary').isVisible(), true);
  await check(page, 'login with error', found);

  await staffLogin(page, 'shoko-reviewer');
  await check(page, 'inbox', found);

  await page.locator('#f-q').fill(receipt);
  await submitAndWait(page, page.getByRole('button', { name: '絞り込む' }));
  await check(page, 'inbox filtered', found);

  await submitAndWait(page, page.getByRole('link', { name: receipt, exact: true }));
  await check(page, 'submission', found);

  await page.goto('/staff/forms');
  await check(page, 'forms', found);

  await context.close();
  report(found);
});
