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

/**
 * Beyond axe: on an error page every summary link leads to a control on the page, and every
 * control marked invalid has its message tied to it (its own aria-describedby or its fieldset's).
 */
async function checkErrorWiring(page, label, found) {
  const problems = await page.evaluate(() => {
    const out = [];
    const links = [...document.querySelectorAll('#error-summary a[href^="#"]')];
    if (!links.length) out.push('no links in #error-summary');
    for (const a of links) {
      if (!document.getElementById(decodeURIComponent(a.hash.slice(1)))) out.push(`summary link ${a.hash} leads nowhere`);
    }
    for (const el of document.querySelectorAll('[aria-invalid="true"]')) {
      const ids = [el, el.closest('fieldset')].filter(Boolean)
        .flatMap((x) => (x.getAttribute('aria-describedby') || '').split(/\s+/)).filter(Boolean);
      const tied = ids.some((id) => document.getElementById(id)?.classList.contains('error-text'));
      if (!tied) out.push(`${el.outerHTML.slice(0, 160)} is invalid but no error message describes it`);
    }
    for (const msg of document.querySelectorAll('main .error-text')) {
      const hidden = msg.closest('[hidden]');
      if (!hidden && !msg.querySelector('.visually-hidden')) out.push(`error text without a spoken "エラー:" prefix: ${msg.textContent}`);
    }
    return out;
  });
  if (problems.length) found.push(`[${label}] ${page.url()}\n${problems.map((p) => `  - ${p}`).join('\n')}`);
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
    await checkErrorWiring(page, 'form with errors', found);

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

test('every error on an empty form is announced and tied to its control', async () => {
  const found = [];
  const context = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const page = await context.newPage();
  await page.goto(FORM_PATH);
  let res = await submitAndWait(page, page.getByRole('button', { name: '入力内容を確認する' }));
  assert.equal(res.status(), 422);
  assert.ok(await page.locator('#error-summary a').count() >= 8, 'every required part is reported');
  await check(page, 'empty form', found);
  await checkErrorWiring(page, 'empty form', found);

  // A company without its name or representative, and a change without its reason.
  await page.locator('#f-applicant-kind-1').check();
  await page.locator('#f-kind-1').check();
  res = await submitAndWait(page, page.getByRole('button', { name: '入力内容を確認する' }));
  assert.equal(res.status(), 422);
  const hrefs = await page.locator('#error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  for (const id of ['#f-applicant-corporate_name', '#f-applicant-representative', '#f-change_reason']) {
    assert.ok(hrefs.includes(id), `summary links to ${id}: ${hrefs}`);
  }
  await check(page, 'company form with errors', found);
  await checkErrorWiring(page, 'company form with errors', found);
  await context.close();
  report(found);
});

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

  // The form editor sees the definition import form; the administrator the staff admin page.
  for (const [login, path, label] of [['pref-editor', '/staff/forms', 'forms (editor)'], ['pref-admin', '/staff/admin', 'staff admin']]) {
    const ctx = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
    const p = await ctx.newPage();
    await staffLogin(p, login);
    const offered = await p.locator(`nav a[href="${path}"]`).count();
    if (offered) {
      const res = await p.goto(path);
      assert.equal(res.status(), 200, `${login} opens ${path}`);
      await check(p, label, found);
    }
    await ctx.close();
  }
  report(found);
});
