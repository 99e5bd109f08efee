// Electronic issuance in a browser: an administrator defines the document template of the DX seminar's form (a mistake is
// refused with the field named and the typed text kept, then corrected) and previews it; a reviewer approves an
// application and finds the sealed permit on the submission's issuance page; anyone checks it on the public
// /verify page by following the QR code printed on it (decoded from the rendered page) and by uploading the
// PDF — a copy with one byte changed is reported altered. axe-core (WCAG 2.1 AA) on every page on the way.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { startServer } from './lib/server.mjs';
import {
  DESKTOP, PHONE, confirmAndSend, launch, newContext, readReceipt, screenshot, staffLogin, submitAndWait,
} from './lib/browser.mjs';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const JSQR = createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js');
const NUMBER = '高知県指令第1号';

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });

async function axeClean(page, label) {
  const { violations, passes } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  assert.ok(passes.length > 5, `axe ran on ${label}`);
  assert.deepEqual(
    violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `axe violations on ${label} (${page.url()})`,
  );
}

/** Every error summary link leads to a control, and every invalid control has its message tied to it. */
async function errorsWired(page) {
  const problems = await page.evaluate(() => {
    const out = [];
    const links = [...document.querySelectorAll('#error-summary a[href^="#"]')];
    if (!links.length) out.push('no links in #error-summary');
    for (const a of links) {
      const target = document.getElementById(decodeURIComponent(a.hash.slice(1)));
      if (!target) out.push(`summary link ${a.hash} leads nowhere`);
      else if (!target.matches('input, textarea, select, fieldset')) out.push(`summary link ${a.hash} leads to a ${target.tagName}`);
    }
    for (const el of document.querySelectorAll('[aria-invalid="true"]')) {
      const described = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent || '').join(' ');
      if (!described.includes('エラー')) out.push(`#${el.id} is invalid but its message is not tied to it`);
    }
    return out;
  });
  assert.deepEqual(problems, []);
}

/** A file written to a fresh temporary directory, given to `fn`, and removed again. */
function withTempFile(name, bytes, fn) {
  const dir = mkdtempSync(join(tmpdir(), 'madoguchi-issuance-'));
  try {
    writeFileSync(join(dir, name), bytes);
    return fn(join(dir, name), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pdfText = (pdf) => withTempFile('doc.pdf', pdf, (file) => execFileSync('pdftotext', [file, '-']).toString());

/**
 * What a phone's camera reads from the QR code printed on the permit: the page rendered by poppler
 * (`pdftoppm`), then decoded with jsQR in the browser.
 */
async function scanQr(context, pdf) {
  const png = withTempFile('permit.pdf', pdf, (file, dir) => {
    execFileSync('pdftoppm', ['-png', '-r', '150', '-singlefile', file, join(dir, 'page')]);
    return readFileSync(join(dir, 'page.png'));
  });
  const page = await context.newPage();
  try {
    await page.setContent('<!doctype html><html lang="ja"><title>QR</title></html>');
    await page.addScriptTag({ path: JSQR });
    return await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [img.width, img.height];
      const g = canvas.getContext('2d');
      g.drawImage(img, 0, 0);
      const { data, width, height } = g.getImageData(0, 0, img.width, img.height);
      return globalThis.jsQR(data, width, height)?.data ?? null;
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}

/** A copy with one byte of the signed page content changed. */
function tampered(pdf) {
  const copy = Buffer.from(pdf);
  copy[copy.indexOf('stream') + 40] ^= 0x01;
  return copy;
}

/** Reloads the issuance page until the background job has issued the document (or fails after 30 s). */
async function waitForDocument(page, url) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.goto(url);
    if (await page.getByRole('heading', { level: 3, name: new RegExp(NUMBER) }).count()) return;
    assert.ok(Date.now() < deadline, `no document issued within 30 s:\n${await page.locator('main').textContent()}`);
    await page.waitForTimeout(200);
  }
}

async function uploadForVerification(page, name, buffer) {
  await page.goto('/verify');
  await page.getByLabel(/交付されたPDFファイル/).setInputFiles({ name, mimeType: 'application/pdf', buffer });
  const res = await submitAndWait(page, page.locator('form[enctype="multipart/form-data"]').getByRole('button', { name: '確かめる' }));
  assert.equal(res.status(), 200);
  return (await page.locator('#verdict').textContent()).trim();
}

const SEMINAR = 'DX推進セミナー 参加申込（定員50名）';

/** A resident applies to the DX seminar (a form without a document template in the demo); returns the receipt. */
async function applyToSeminar(name) {
  const context = await newContext(browser, { ...PHONE, baseURL: server.baseURL });
  try {
    const page = await context.newPage();
    await page.goto('/t/390003/forms/dx-seminar');
    await page.locator('#f-name-name').fill(name);
    await page.locator('#f-name-furigana').fill('タカサキ ハナコ');
    await page.locator('#f-organization').fill('株式会社土佐デジタル');
    await page.locator('#f-email').fill('hanako@example.jp');
    await page.getByLabel('オンライン').check();
    await page.locator('#f-consent').check();
    await confirmAndSend(page);
    await submitAndWait(page, page.getByRole('button', { name: '送信する' }));
    return await readReceipt(page);
  } finally {
    await context.close();
  }
}

test('staff define a template, approval issues the permit, anyone verifies it by QR code and upload', async () => {
  // A resident applies; the name needs 髙 and 﨑.
  const name = '髙﨑 花子';
  const receipt = await applyToSeminar(name);

  // The administrator defines the document template of the seminar's form.
  const admin = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const page = await admin.newPage();
  await staffLogin(page, 'pref-admin');
  await page.goto('/staff/issuance');
  await axeClean(page, 'issuance overview');
  const row = page.getByRole('row', { name: new RegExp(SEMINAR.replace(/[()（）]/g, '.')) });
  await submitAndWait(page, row.getByRole('link', { name: '作成する' }));
  assert.match(new URL(page.url()).pathname, /^\/staff\/issuance\/forms\/\d+\/template$/);
  await axeClean(page, 'new template');
  assert.equal(await page.locator('#number_format').inputValue(), '高知県指令第{n}号');
  assert.equal(await page.locator('#next_number').inputValue(), '1');
  await page.locator('#title').fill('セミナー参加決定通知書');
  await page.getByLabel('決定通知書').check();
  await page.locator('#preamble').fill('DX推進セミナーへの参加申込みについて、次のとおり参加を決定したので通知します。');
  // A table row that names no part of the form, and no issuer's name.
  const rows = '参加者=name.name\n所属=organization\n参加方法=attend';
  await page.locator('#fields').fill(rows);
  await page.locator('#conditions').fill('オンライン参加の方には、開催の3日前までに参加用のURLをお送りします。');
  let res = await submitAndWait(page, page.getByRole('button', { name: '保存する' }));
  assert.equal(res.status(), 422);
  const summary = page.locator('#error-summary');
  assert.match(await summary.textContent(), /参照先「attend」はこのフォームにありません/);
  assert.match(await summary.textContent(), /発行者の氏名を入力してください/);
  assert.equal(await page.locator('#fields').inputValue(), rows, 'the typed rows are kept');
  assert.equal(await page.locator('#title').inputValue(), 'セミナー参加決定通知書');
  await errorsWired(page);
  await axeClean(page, 'template with errors');
  await screenshot(page, 'issuance-template-errors.png');
  // The summary link takes the keyboard to the field.
  await summary.getByRole('link', { name: /参照先/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'fields');
  await page.locator('#fields').fill(rows.replace('=attend', '=attendance'));
  await page.locator('#issuer_name').fill('濵田 省司');
  res = await submitAndWait(page, page.getByRole('button', { name: '保存する' }));
  assert.equal(res.status(), 200);
  assert.match(await page.getByRole('status').textContent(), /テンプレートを保存しました/);
  await axeClean(page, 'saved template');

  // The preview: a PDF marked 見本, not signed.
  const previewHref = await page.getByRole('link', { name: '見本PDFを表示する' }).getAttribute('href');
  const preview = await page.request.get(previewHref);
  assert.equal(preview.status(), 200);
  assert.equal(preview.headers()['content-type'], 'application/pdf');
  const previewPdf = await preview.body();
  assert.ok(!previewPdf.includes('/ByteRange'), 'the preview is not signed');
  const previewText = pdfText(previewPdf);
  // The sample shows the layout with a placeholder verification code and 見本 across the page.
  for (const text of ['セミナー参加決定通知書', '高知県指令第1号', '高知県知事 濵田 省司', '参加方法', 'XXXX-XXXX-XXXX-XXXX']) {
    assert.ok(previewText.includes(text), `preview shows ${text}:\n${previewText}`);
  }
  await admin.close();

  // A reviewer approves the application: the permit is issued in the background.
  const staff = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const reviewer = await staff.newPage();
  await staffLogin(reviewer, 'shoko-reviewer');
  await reviewer.locator('#f-q').fill(receipt);
  await submitAndWait(reviewer, reviewer.getByRole('button', { name: '絞り込む' }));
  await submitAndWait(reviewer, reviewer.getByRole('link', { name: receipt, exact: true }));
  for (const to of ['in_review', 'approved']) {
    await reviewer.locator(`#to-${to}`).check();
    res = await submitAndWait(reviewer, reviewer.getByRole('button', { name: '状態を変更する' }));
    assert.ok(res.ok(), `status ${to}: HTTP ${res.status()}`);
  }
  await submitAndWait(reviewer, reviewer.getByRole('link', { name: '電子交付の画面を開く' }));
  const issuancePage = reviewer.url();
  await waitForDocument(reviewer, issuancePage);
  const main = await reviewer.locator('main').textContent();
  assert.match(main, /状態: 有効（申請者に送付済み）/);
  assert.ok(main.includes('セミナー参加決定通知書'));
  await axeClean(reviewer, 'submission issuance page');
  await screenshot(reviewer, 'issuance-submission.png');
  const href = await reviewer.getByRole('link', { name: `PDFをダウンロード（${NUMBER}）` }).getAttribute('href');
  const download = await reviewer.request.get(href);
  assert.equal(download.status(), 200);
  const pdf = await download.body();
  assert.ok(pdf.subarray(0, 5).equals(Buffer.from('%PDF-')));
  const text = pdfText(pdf);
  for (const t of [NUMBER, name, '株式会社土佐デジタル', 'オンライン', '濵田 省司']) {
    assert.ok(text.includes(t), `the permit shows ${t}:\n${text}`);
  }
  await staff.close();

  // Anyone, on a phone, without an account: the QR code printed on the permit leads to its register entry.
  const pub = await newContext(browser, { ...PHONE, baseURL: server.baseURL });
  const phone = await pub.newPage();
  const link = await scanQr(pub, pdf);
  assert.ok(link, 'the QR code on the permit decodes');
  assert.match(link, new RegExp(`^${server.baseURL}/verify/[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){3}$`));
  assert.ok(text.includes(link), 'the link is also printed under the QR code');
  res = await phone.goto(link);
  assert.equal(res.status(), 200);
  assert.match(await phone.locator('#verdict').textContent(), /有効/);
  const entry = await phone.locator('main').textContent();
  assert.ok(entry.includes(NUMBER) && entry.includes('セミナー参加決定通知書'), entry);
  assert.ok(!entry.includes(name), 'no personal data on the public page');
  await axeClean(phone, 'verification by QR code');
  await screenshot(phone, 'verify-qr.png');

  // Upload of the PDF: valid; of a copy with one byte changed: altered, and the original is named.
  assert.match(await uploadForVerification(phone, 'permit.pdf', pdf), /有効な交付文書です/);
  assert.ok((await phone.locator('main').textContent()).includes(NUMBER));
  await axeClean(phone, 'verification of the uploaded PDF');
  await screenshot(phone, 'verify-valid.png');
  assert.match(await uploadForVerification(phone, 'permit-copy.pdf', tampered(pdf)), /改ざんされています/);
  assert.ok((await phone.locator('main').textContent()).includes(NUMBER), 'the altered document is named');
  await axeClean(phone, 'verification of an altered copy');
  await screenshot(phone, 'verify-altered.png');
  await pub.close();
});
