// A resident saves a half-filled application on the phone, resumes it on a computer through the one-time link
// from the mail (the attached file comes along), signs in and submits; a reviewer returns it for correction
// naming one part; the resident corrects that part on my page and resubmits under the same receipt number;
// the reviewer approves and the resident sees it on my page. axe-core finds nothing on my page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axeClean } from './lib/axe.mjs';
import { mailedLink as mailedLinkIn } from './lib/mail.mjs';
import { startServer } from './lib/server.mjs';
import {
  DESKTOP, FORM_PATH, PHONE, applicant, confirmAndSend, launch, newContext, pdfFile, readReceipt, screenshot,
  staffLogin, submitAndWait,
} from './lib/browser.mjs';

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });

const mailedLink = (to, path) => mailedLinkIn(server.dataDir, to, path);

const statusOf = async (page) => (await page.locator('dl.answers .status').first().textContent()).trim();

async function changeStatus(page, to, message = '', fixes = {}) {
  await page.locator(`input[name="to"][value="${to}"]`).check();
  if (message) await page.locator('#message').fill(message);
  if (Object.keys(fixes).length) {
    await page.locator('details.corrections summary').click();
    for (const [key, text] of Object.entries(fixes)) {
      await page.locator(`#pick-${key}`).check(); // opens the part's comment box
      await page.locator(`#fix-${key}`).fill(text);
    }
  }
  const res = await submitAndWait(page, page.getByRole('button', { name: '状態を変更する' }));
  assert.equal(res.status(), 200, `status change to ${to}`);
}

test('draft → resume elsewhere → submit → return for correction → resubmit → approval on my page', async () => {
  const email = 'hanako@example.jp';
  const a = applicant({ name: '南国 花子', furigana: 'ナンコク ハナコ', email, project: '観光案内' });

  // On the phone: half of the form and the file, then 一時保存.
  const phone = await newContext(browser, { ...PHONE, baseURL: server.baseURL });
  const p = await phone.newPage();
  await p.goto(FORM_PATH);
  await p.locator('#f-applicant-kind').check();
  await p.locator('#f-applicant-name').fill(a.name);
  await p.locator('#f-project_name').fill(a.project);
  await p.locator('#f-application_document').setInputFiles(pdfFile('keikakusho.pdf'));
  await submitAndWait(p, p.getByRole('button', { name: '一時保存する' }));
  const saved = await p.locator('#draft-saved').textContent();
  assert.match(saved, /一時保存しました。.+まで保存され/);
  await p.locator('#resume-email').fill(email);
  await submitAndWait(p, p.getByRole('button', { name: '続きを入力するためのリンクを送る' }));
  assert.match(await p.locator('main').textContent(), /メールを送信しました/);
  await phone.close();
  const resumeLink = await mailedLink(email, '/resume/');

  // On the computer: sign in with a one-time link, then open the resume link.
  const computer = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const page = await computer.newPage();
  await page.goto('/mypage/login');
  await axeClean(page, 'sign-in page');
  await page.locator('#email').fill(email);
  await submitAndWait(page, page.getByRole('button', { name: 'ログイン用のリンクを送る' }));
  await page.goto(await mailedLink(email, '/mypage/login/'));
  await submitAndWait(page, page.getByRole('button', { name: 'ログインする' }));
  assert.equal(new URL(page.url()).pathname, '/mypage');
  await page.goto(resumeLink);
  await submitAndWait(page, page.getByRole('button', { name: '続きを入力する' }));
  assert.equal(await page.locator('#f-applicant-name').inputValue(), a.name);
  assert.equal(await page.locator('#f-project_name').inputValue(), a.project);
  assert.match(await page.locator('main').textContent(), /keikakusho\.pdf/, 'the file came along');
  await page.locator('#f-applicant-furigana').fill(a.furigana);
  await page.locator('#f-postal_code').fill(a.postal);
  await page.locator('#f-address').fill(a.address);
  await page.locator('#f-phone').fill(a.phone);
  await page.locator('#f-email').fill(a.email);
  await page.locator('#f-kind').check();
  await page.locator('#f-amount').fill(a.amount);
  await page.locator('#f-consent').check();
  await confirmAndSend(page);
  await submitAndWait(page, page.getByRole('button', { name: '送信する' }));
  const receipt = await readReceipt(page);
  await page.goto('/mypage');
  assert.match(await page.locator('main .case-list').first().textContent(), new RegExp(receipt));
  await axeClean(page, 'my page');

  // The reviewer takes it up and returns it, naming the project name.
  const office = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const s = await office.newPage();
  await staffLogin(s, 'shoko-reviewer');
  await s.locator('#f-q').fill(receipt);
  await submitAndWait(s, s.getByRole('button', { name: '絞り込む' }));
  await submitAndWait(s, s.getByRole('link', { name: receipt, exact: true }));
  const submissionUrl = s.url();
  await changeStatus(s, 'in_review');
  await changeStatus(s, 'returned', '事業名をより具体的にしてください。', { project_name: '対象地域と内容がわかる事業名にしてください。' });
  assert.equal(await statusOf(s), '差戻し');

  // The resident sees it, corrects only that part and resubmits.
  await page.goto('/mypage');
  assert.match(await page.locator('main .case-list').first().textContent(), /差戻し/);
  await submitAndWait(page, page.getByRole('link', { name: `（受付番号 ${receipt}）` }));
  assert.match(await page.locator('main').textContent(), /対象地域と内容がわかる事業名にしてください。/);
  await axeClean(page, 'my page: returned application');
  await submitAndWait(page, page.getByRole('link', { name: '修正して再提出する' }));
  assert.equal(await page.locator('#f-applicant-name').count(), 0, 'only the named part can be edited');
  await page.locator('#f-project_name').fill('室戸ジオパークの多言語観光案内');
  await axeClean(page, 'my page: correction');
  await submitAndWait(page, page.getByRole('button', { name: '修正して再提出する' }));
  assert.match(await page.locator('[role=status]').textContent(), /再提出しました/);
  assert.equal(await page.locator('h1').textContent(), `受付番号 ${receipt}`, 'the same receipt number');
  const diff = await page.locator('main .change-list').first().textContent();
  assert.match(diff, /観光案内/);
  assert.match(diff, /室戸ジオパークの多言語観光案内/);
  await screenshot(page, 'mypage-resubmitted.png');

  // The reviewer sees the change and approves.
  await s.goto(submissionUrl);
  assert.equal(await statusOf(s), '審査中');
  assert.match(await s.locator('main').textContent(), /室戸ジオパークの多言語観光案内/);
  await changeStatus(s, 'approved');

  await page.goto('/mypage');
  const row = page.locator('main .case-list > li', { hasText: receipt });
  assert.match(await row.textContent(), /承認/);
  await axeClean(page, 'my page: approved');
  await screenshot(page, 'mypage.png');
  await submitAndWait(page, page.getByRole('link', { name: `（受付番号 ${receipt}）` }));
  await axeClean(page, 'my page: application');
  await office.close();
  await computer.close();
});
