// AI-FAQ in the browser: a resident asks in the chat (with JavaScript), gets the answer, says it did not
// help; the same page without JavaScript; the widget on another site; axe-core on every state; and staff
// find the question in the unanswered list and write the missing Q&A from it.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { startServer } from './lib/server.mjs';
import { DESKTOP, PHONE, launch, newContext, screenshot, staffLogin, submitAndWait } from './lib/browser.mjs';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const CHAT = '/t/392014/faq';

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });

async function axe(page, label) {
  const { violations, passes } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  assert.ok(passes.length > 5, `axe ran on ${label}`);
  const text = violations.map((v) => `${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(' ')} ${n.failureSummary}`).join('\n')}`).join('\n');
  assert.equal(violations.length, 0, `[${label}] ${page.url()}\n${text}`);
}

async function axeAt(url, label) {
  const context = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await axe(page, label);
  } finally {
    await context.close();
  }
}

test('a resident chats on a phone, gets the answer and says it did not help', async () => {
  const context = await newContext(browser, { ...PHONE, baseURL: server.baseURL });
  const page = await context.newPage();
  await page.goto(CHAT);
  await axe(page, 'empty chat');
  const log = page.getByRole('log', { name: '質問と回答' });
  await page.getByLabel('質問', { exact: true }).fill('児童手当は一人いくらもらえる');
  await page.getByRole('button', { name: '質問する' }).click();
  // The answer appears in the live region without a page load.
  await assert.doesNotReject(log.locator('.answer-title', { hasText: '児童手当の支給額はいくらですか' }).waitFor());
  assert.equal(new URL(page.url()).search, '', 'no navigation: the chat stayed on the page');
  assert.ok(await log.getByRole('button', { name: '解決しなかった' }).isVisible());
  await axe(page, 'chat with an answer');
  await screenshot(page, 'faq-chat-phone.png');
  // A related question is one tap away and continues the conversation.
  const related = log.locator('.related-buttons button').first();
  const relatedText = await related.textContent();
  await related.click();
  await log.locator('.answer-title', { hasText: relatedText }).waitFor();
  // 解決しなかった on the first answer: the contact is offered.
  await log.getByRole('button', { name: '解決しなかった' }).first().click();
  await log.getByText('お役に立てず申し訳ありません').waitFor();
  assert.ok(await log.getByText('088-000-1000').first().isVisible());
  await axe(page, 'chat after feedback');
  // A question with no answer says so honestly.
  await page.getByLabel('質問', { exact: true }).fill('近所でおいしいラーメン屋さんを教えてください');
  await page.getByRole('button', { name: '質問する' }).click();
  await log.getByText('ご質問に合う回答が見つかりませんでした').waitFor();
  await axe(page, 'chat without an answer');
  await screenshot(page, 'faq-chat-no-answer.png');
  await context.close();

  // Staff see the unresolved question and write the Q&A from it in one click.
  const staff = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const sp = await staff.newPage();
  await staffLogin(sp, 'kochi-city-admin');
  await sp.goto('/staff/faq/unanswered');
  await axe(sp, 'unanswered list');
  const card = sp.locator('#unanswered li', { hasText: '近所でおいしいラーメン屋さんを教えてください' });
  await submitAndWait(sp, card.getByRole('link', { name: /この質問からQ&Aを作成/ }));
  assert.equal(await sp.locator('#f-question').inputValue(), '近所でおいしいラーメン屋さんを教えてください');
  await sp.locator('#f-answer').fill('市では飲食店のご紹介はしていません。');
  await sp.locator('#f-category').fill('施設予約・イベント');
  await axe(sp, 'new Q&A form');
  await submitAndWait(sp, sp.getByRole('button', { name: '保存する' }));
  await sp.getByText('第1版を保存しました').waitFor();
  await axe(sp, 'Q&A with its version history');
  for (const [path, label] of [
    ['/staff/faq/analytics', 'analytics'],
    ['/staff/faq?q=児童手当', 'Q&A list'],
    ['/staff/faq/import', 'import and export'],
    ['/staff/faq/synonyms', 'synonyms'],
    ['/staff/faq/shared', 'shared pool'],
    ['/staff/faq/contacts', 'contacts'],
  ]) {
    await sp.goto(path);
    await axe(sp, label);
  }
  await staff.close();

  // The helpdesk, as a prefecture staff member.
  const desk = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const dp = await desk.newPage();
  await staffLogin(dp, 'pref-viewer');
  await dp.goto('/staff/faq/helpdesk');
  await dp.getByLabel('質問', { exact: true }).fill('パソコンのパスワードを忘れた');
  await submitAndWait(dp, dp.getByRole('button', { name: '検索する' }));
  await dp.locator('#faq-answer').waitFor();
  await axe(dp, 'helpdesk');
  await desk.close();

  const again = await newContext(browser, { ...PHONE, baseURL: server.baseURL });
  const p2 = await again.newPage();
  await p2.goto(CHAT);
  await p2.getByLabel('質問', { exact: true }).fill('近所でおいしいラーメン屋さんを教えてください');
  await p2.getByRole('button', { name: '質問する' }).click();
  await p2.locator('.answer-title', { hasText: '近所でおいしいラーメン屋さんを教えてください' }).waitFor();
  await again.close();
});

test('without JavaScript the chat is a search form with feedback buttons', async () => {
  const context = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(CHAT);
  await page.getByLabel('質問', { exact: true }).fill('住民票の写しを取りたい');
  await submitAndWait(page, page.getByRole('button', { name: '質問する' }));
  assert.match(page.url(), /\?c=.*&q=/);
  assert.ok(await page.locator('#faq-answer .answer-title').isVisible());
  const related = await page.locator('.related li').count();
  assert.ok(related >= 2 && related <= 4, `${related} related questions`);
  // axe needs JavaScript in the page: check the same server-rendered answer page in a context that has it.
  await axeAt(page.url(), 'server-rendered answer');
  await submitAndWait(page, page.getByRole('button', { name: '解決した' }));
  await page.getByText('ご利用ありがとうございました').waitFor();
  // An empty question names the field.
  await submitAndWait(page, page.getByRole('button', { name: '質問する' }));
  await page.locator('#error-summary').getByText('質問を入力してください').waitFor();
  await axeAt(page.url(), 'empty question');
  await context.close();
});

test('one script tag on another site opens the chat in a frame', async () => {
  const site = createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!DOCTYPE html><html lang="ja"><head><title>高知市ホームページ</title></head><body><main><h1>高知市</h1>
      <script src="${server.baseURL}/t/392014/faq/widget.js" defer></script></main></body></html>`);
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  const context = await newContext(browser, { ...PHONE });
  try {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${site.address().port}/`);
    await page.getByRole('button', { name: 'AIに質問する' }).click();
    const button = page.locator('#madoguchi-faq-button');
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    assert.equal(await button.textContent(), 'チャットを閉じる');
    const frame = page.frameLocator('iframe[title*="よくある質問"]');
    await frame.getByLabel('質問', { exact: true }).fill('マイナンバーカードを作りたい');
    await frame.getByRole('button', { name: '質問する' }).click();
    await frame.locator('.answer-title').first().waitFor();
    await screenshot(page, 'faq-widget.png');
  } finally {
    await context.close();
    site.close();
  }
});
