// Shared browser set-up and page helpers for the e2e tests.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');

export const FORM_PATH = '/t/390003/forms/jigyo-suishin-hojokin';
export const FORM_TITLE = '令和8年度高知県事業推進補助金 交付申請';
export const STAFF_PASSWORD = 'madoguchi-demo';
export const RECEIPT = /^\d{8}-[0-9A-Z]{8}$/;

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      '--lang=ja'],
    // The browser's own strings (file picker, date fields) as a Japanese resident sees them:
    // on Linux Chromium takes its UI language from the environment (needs chromium-l10n).
    env: { ...process.env, LANGUAGE: 'ja' },
  });
}

export const PHONE = {
  viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  locale: 'ja-JP', timezoneId: 'Asia/Tokyo',
};
export const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' };

const noJavaScript = new WeakSet();

/** A new context whose pages time out quickly rather than hang the run. */
export async function newContext(browser, options) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  if (options?.javaScriptEnabled === false) noJavaScript.add(context);
  return context;
}

/** Whether `context` was made by [`newContext`] with JavaScript off. */
export function withoutJavaScript(context) {
  return noJavaScript.has(context);
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true, animations: 'disabled' });
}

/** A tiny but well-formed one-page PDF, detected as application/pdf by its content. */
export function tinyPdf() {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((o, i) => { offsets.push(body.length); body += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

export const pdfFile = (name = 'shinseisho.pdf') => ({ name, mimeType: 'application/pdf', buffer: tinyPdf() });

/** What a resident types into the subsidy form; tests override a field or two. */
export function applicant(overrides = {}) {
  return {
    name: '高知 太郎',
    furigana: 'コウチ タロウ',
    postal: '780-0850',
    address: '高知県高知市丸ノ内1丁目2番20号',
    phone: '088-823-1111',
    email: 'taro@example.jp',
    kind: 'new',
    changeReason: '',
    project: '土佐和紙を使った新商品の開発',
    amount: '1500000',
    consent: true,
    ...overrides,
  };
}

/**
 * Fills the subsidy form as a person would, top to bottom. Works with and without JavaScript
 * (with it, the name boxes appear only once 個人 is chosen).
 */
export async function fillSubsidyForm(page, a, { file = pdfFile(), afterPostal } = {}) {
  await page.locator('#f-applicant-kind').check(); // 個人
  await page.locator('#f-applicant-name').fill(a.name);
  await page.locator('#f-applicant-furigana').fill(a.furigana);
  await page.locator('#f-postal_code').fill(a.postal);
  if (afterPostal) await afterPostal();
  await page.locator('#f-address').fill(a.address);
  await page.locator('#f-phone').fill(a.phone);
  await page.locator('#f-email').fill(a.email);
  await page.locator(a.kind === 'change' ? '#f-kind-1' : '#f-kind').check();
  if (a.changeReason) await page.locator('#f-change_reason').fill(a.changeReason);
  await page.locator('#f-project_name').fill(a.project);
  await page.locator('#f-amount').fill(a.amount);
  if (file) await page.locator('#f-application_document').setInputFiles(file);
  if (a.consent) await page.locator('#f-consent').check();
}

/** Clicks a submit button and returns the response of the navigation it causes. */
export async function submitAndWait(page, button) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    button.click(),
  ]);
  return response;
}

export async function confirmAndSend(page) {
  const res = await submitAndWait(page, page.getByRole('button', { name: '入力内容を確認する' }));
  if (res.status() !== 200) {
    const errors = await page.locator('#error-summary').textContent({ timeout: 1000 }).catch(() => '');
    assert.fail(`expected the confirmation page, got HTTP ${res.status()} ${page.url()}\n${errors}`);
  }
  assert.match(page.url(), /\/confirm\?d=/);
  assert.equal(await page.locator('h1').textContent(), '入力内容の確認');
  return res;
}

export async function readReceipt(page) {
  const receipt = (await page.locator('#receipt-number').textContent()).trim();
  assert.match(receipt, RECEIPT);
  return receipt;
}

/** Submits the whole subsidy form in a fresh context; returns the receipt number. */
export async function submitSubsidy(browser, baseURL, a = applicant(), contextOptions = DESKTOP) {
  const context = await newContext(browser, { ...contextOptions, baseURL });
  try {
    const page = await context.newPage();
    await page.goto(FORM_PATH);
    await fillSubsidyForm(page, a);
    await confirmAndSend(page);
    await submitAndWait(page, page.getByRole('button', { name: '送信する' }));
    return await readReceipt(page);
  } finally {
    await context.close();
  }
}

export async function staffLogin(page, login = 'shoko-reviewer') {
  await page.goto('/staff/login');
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(STAFF_PASSWORD);
  await submitAndWait(page, page.getByRole('button', { name: 'ログイン' }));
  assert.equal(new URL(page.url()).pathname, '/staff', `login as ${login} did not reach the inbox: ${page.url()}`);
}
