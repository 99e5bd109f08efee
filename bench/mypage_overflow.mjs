// mypage_360_no_overflow: every my-page screen at 360 px (no JavaScript, as the narrowest phones and the
// strictest case) for a resident with several applications — found by the verified address and added, one
// claimed by receipt number + code, one returned for correction and resubmitted, one with a staff message.
// Prints each screen's result to stderr and, on stdout, 1 when no element overflows 360 px horizontally, else 0.
//
// Run by bench/mypage_overflow.sh (node resolves the browser packages from e2e/node_modules through the e2e
// helpers imported here).
import { startServer } from '../e2e/lib/server.mjs';
import { applicant, launch, newContext, staffLogin, submitAndWait, submitSubsidy, DESKTOP } from '../e2e/lib/browser.mjs';
import { mailCount, mailedCode, mailedLink } from '../e2e/lib/mail.mjs';
import { fits, overflowReport } from '../e2e/lib/overflow.mjs';

const NARROW = {
  viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  locale: 'ja-JP', timezoneId: 'Asia/Tokyo', javaScriptEnabled: false,
};
const EMAIL = 'overflow@example.jp';
const PROJECTS = [
  '土佐和紙を使った新商品の開発',
  '仁淀ブルーを活かした体験型観光商品と多言語案内サイトの開発（中山間地域の事業者と連携）',
  'https://example.jp/very/long/path/without/any/break/opportunity/at/all/0123456789abcdef',
  'ＤＸ推進のための受発注システム導入（ＥＤＩ）ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ',
];

const server = await startServer();
const browser = await launch();
let ok = true;
try {
  const receipts = [];
  for (const project of PROJECTS) {
    receipts.push(await submitSubsidy(browser, server.baseURL, applicant({ email: EMAIL, project })));
  }
  const old = await submitSubsidy(browser, server.baseURL, applicant({ email: 'overflow.old@example.jp' }));

  // The resident, on a 360 px phone.
  const phone = await newContext(browser, { ...NARROW, baseURL: server.baseURL });
  const page = await phone.newPage();
  await page.goto('/mypage/login');
  await page.locator('#email').fill(EMAIL);
  await submitAndWait(page, page.getByRole('button', { name: 'ログイン用のリンクを送る' }));
  await page.goto(await mailedLink(server.dataDir, EMAIL, '/mypage/login/'));
  await submitAndWait(page, page.getByRole('button', { name: 'ログインする' }));

  const screens = [];
  const measure = async (label) => {
    const report = await overflowReport(page);
    const fine = fits(report);
    ok &&= fine;
    screens.push(label);
    console.error(`${fine ? 'ok  ' : 'FAIL'} ${label} (${new URL(page.url()).pathname}): scrollWidth ${report.scrollWidth} of ${report.innerWidth}`);
    for (const o of report.offenders.slice(0, 20)) console.error(`       ${o.what} [${o.left}, ${o.right}]`);
  };
  await measure('my page with applications found by the verified address');
  await submitAndWait(page, page.getByRole('button', { name: '見つかった申請を追加する' }));
  await page.goto('/mypage/claim');
  await measure('claim: receipt number');
  const before = mailCount(server.dataDir);
  await page.locator('#claim-receipt').fill(old);
  await submitAndWait(page, page.getByRole('button', { name: '確認コードを送る' }));
  await measure('claim: code');
  await page.locator('#claim-code').fill('abc');
  await submitAndWait(page, page.getByRole('button', { name: '申請を追加する' }));
  await measure('claim: code refused');
  await page.locator('#claim-code').fill(await mailedCode(server.dataDir, 'overflow.old@example.jp', before));
  await submitAndWait(page, page.getByRole('button', { name: '申請を追加する' }));

  // Now on my page: staff return the first for correction and message the second.
  const office = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const s = await office.newPage();
  await staffLogin(s, 'shoko-reviewer');
  const openAsStaff = async (receipt) => {
    await s.goto(`/staff?q=${receipt}`);
    await submitAndWait(s, s.getByRole('link', { name: receipt, exact: true }));
  };
  const changeStatus = async (to, message = '', fixes = {}) => {
    await s.locator(`input[name="to"][value="${to}"]`).check();
    if (message) await s.locator('#message').fill(message);
    if (Object.keys(fixes).length) {
      await s.locator('details.corrections summary').click();
      for (const [key, text] of Object.entries(fixes)) {
        await s.locator(`#pick-${key}`).check(); // opens the part's comment box
        await s.locator(`#fix-${key}`).fill(text);
      }
    }
    await submitAndWait(s, s.getByRole('button', { name: '状態を変更する' }));
  };
  await openAsStaff(receipts[0]);
  await changeStatus('in_review');
  await changeStatus('returned', '事業名を具体的にしてください。', { project_name: '対象地域と内容がわかる事業名にしてください。' });
  await openAsStaff(receipts[1]);
  await s.locator('#staff-message').fill('交付申請書の2ページ目の押印欄をご確認ください。'.repeat(3));
  await submitAndWait(s, s.getByRole('button', { name: 'メッセージを送る' }));
  await office.close();

  // The returned one: correct and resubmit (the detail page then shows what changed).
  await page.goto('/mypage');
  await submitAndWait(page, page.locator('main .case-list > li', { hasText: receipts[0] }).getByRole('link'));
  await measure('application: returned');
  await submitAndWait(page, page.getByRole('link', { name: '修正して再提出する' }));
  await measure('correction');
  await page.locator('#f-project_name').fill('');
  await submitAndWait(page, page.getByRole('button', { name: '修正して再提出する' }));
  await measure('correction with an error');
  await page.locator('#f-project_name').fill(`${PROJECTS[1]}（室戸ジオパーク）`);
  await submitAndWait(page, page.getByRole('button', { name: '修正して再提出する' }));
  await measure('application: resubmitted, with the changes');

  await page.goto('/mypage');
  await measure('my page with every application');
  const links = await page.locator('main .case-list > li .case-title a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  for (const href of links) {
    await page.goto(href);
    await measure(`application ${href}`);
    await page.goto(`${href}/print`);
    await measure(`print ${href}`);
  }
  for (const path of ['/mypage/profile', '/mypage/notifications']) {
    await page.goto(path);
    await measure(path);
  }
  await page.locator('#notify-email').fill('not an address');
  await submitAndWait(page, page.getByRole('button', { name: '保存する' }));
  await measure('notifications with an error');
  console.error(`${screens.length} screens at 360 px`);
  await phone.close();
} catch (e) {
  // The walk itself broke: nothing was measured, so nothing is recorded (not a 0).
  console.error(e);
  process.exitCode = 2;
} finally {
  await browser.close();
  await server.stop();
}
if (!process.exitCode) console.log(ok ? 1 : 0);
