// Issue 24, item 7: a foreign resident reads ONE language end to end. In English and in やさしい日本語, at
// 360 px and 1280 px, with JavaScript on and off: the subsidy form with its errors, the confirmation and
// completion pages, the receipt mail, sign-in and my page, and the FAQ chat. In English (360 px with
// JavaScript, 1280 px without) the walk goes on through my page after staff return the application: the
// application, its correction with an error, the print view, the profile and the notification settings. The walk fails on any Japanese
// chrome: it collects the visible text (and placeholder, aria-label, title, alt), removes the resident's own
// answers and a short allow-list of proper nouns, and looks for kana or kanji (English) or kanji (やさしい日本語,
// whose texts are written without them). axe-core (WCAG 2.0/2.1 A and AA) on every page.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { axeClean } from './lib/axe.mjs';
import { startServer } from './lib/server.mjs';
import {
  FORM_PATH, RECEIPT, launch, newContext, pdfFile, screenshot, staffLogin, submitAndWait,
} from './lib/browser.mjs';

const CHAT = '/t/392014/faq';
const NARROW = { viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, timezoneId: 'Asia/Tokyo' };
const WIDE = { viewport: { width: 1280, height: 900 }, timezoneId: 'Asia/Tokyo' };

/** Proper nouns from the demo data that stay Japanese on every page (names of places, offices, their hours). */
const PROPER_NOUNS = [
  '高知県 商工労働部 商工政策課', '高知県 商工政策課', '高知市役所 総合案内', '高知県庁 総合案内',
  '平日 8時30分〜17時15分（土日祝日・年末年始を除く）', '平日 8:30〜17:15', '高知県', '高知市',
  // The language switch names each language in itself.
  'やさしい にほんご', '日本語',
];

const JAPANESE = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u;
const KANJI = /\p{sc=Han}/u;

const LANGS = {
  en: {
    script: JAPANESE,
    words: {
      toConfirm: 'Check your answers', send: 'Send', sendLink: 'Send me a sign-in link', signIn: 'Sign in',
      done: 'Your application has been sent', ask: 'Ask', question: 'Question', login: 'Sign in to My page',
      apps: 'Your applications', chat: 'Ask the AI chat', none: 'Sorry, we could not find an answer',
    },
    errors: ['Enter Postcode.', 'Enter Name of the project.', 'Attach Application form (Form No. 1).',
      'Select whether Applicant is an individual or a corporation.'],
    receiptSubject: /^\[Application received\] Application for the Kochi Prefecture Business Promotion Grant/,
    noticeSubject: /^\[Application received\] Receipt number /,
  },
  'ja-easy': {
    script: KANJI,
    words: {
      toConfirm: 'かいた ことを たしかめる', send: 'おくる', sendLink: 'ログインの リンクを おくる', signIn: 'ログインする',
      done: 'おくりました', ask: 'きく', question: 'しつもん', login: 'マイページに ログイン',
      apps: 'もうしこみの いちらん', chat: 'AIチャットで きく', none: 'ごめんなさい。しつもんに あう こたえが みつかりませんでした。',
    },
    errors: ['ゆうびん ばんごうを かいて ください。', 'しごとの なまえを かいて ください。',
      'もうしこみの かみ（ようしき だい1ごう）の ファイルを つけて ください。'],
    receiptSubject: /^【うけつけました】こうちけん じぎょう すいしん ほじょきん/,
    // RFC 2047 drops the space where the mailer splits the subject into encoded words, as mail clients do.
    noticeSubject: /^【うけつけました】うけつけ ばんごう ?\d/,
  },
};

let server, browser;
before(async () => { [server, browser] = await Promise.all([startServer(), launch()]); });
after(async () => { await browser?.close(); await server?.stop(); });


/**
 * The words a person reads or hears on the page: visible text nodes (screen-reader-only text included),
 * the title, and placeholder / aria-label / title / alt attributes — minus the elements `skip` selects.
 */
async function pageWords(page, skip = []) {
  return page.evaluate((skipSel) => {
    const out = [document.title];
    const skipped = (el) => skipSel.some((s) => el.closest(s));
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName) || skipped(el)) continue;
      if (!el.checkVisibility() && el.tagName !== 'OPTION') continue;
      if (n.textContent.trim()) out.push(n.textContent.trim());
    }
    for (const el of document.body.querySelectorAll('[placeholder], [aria-label], [title], [alt]')) {
      if (skipped(el)) continue;
      for (const a of ['placeholder', 'aria-label', 'title', 'alt']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
    return out;
  }, skip);
}

/** Fails when a word the page itself says is in the wrong script, after removing answers and proper nouns. */
async function assertOneLanguage(page, lang, { answers = [], skip = [], label }) {
  const htmlLang = await page.locator('html').getAttribute('lang');
  assert.equal(htmlLang, lang === 'en' ? 'en' : 'ja', `<html lang> on ${label}`);
  const remove = [...answers.filter(Boolean), ...PROPER_NOUNS].sort((a, b) => b.length - a.length);
  const offending = [];
  for (let text of await pageWords(page, skip)) {
    for (const r of remove) text = text.split(r).join('');
    if (LANGS[lang].script.test(text)) offending.push(text);
  }
  assert.deepEqual(offending, [], `${lang} page "${label}" (${page.url()}) says in another script`);
  if (lang === 'en') {
    // Japanese proper nouns on an English page are marked as Japanese.
    const unmarked = await page.evaluate(() => [...document.querySelectorAll('.site-name, .contact dd, .lang-switch li')]
      .filter((el) => /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u.test(el.textContent) && !el.closest('[lang="ja"]')
        && !el.querySelector('[lang="ja"]'))
      .map((el) => el.textContent));
    assert.deepEqual(unmarked, [], `Japanese text without lang="ja" on ${label}`);
  }
}

// ---- The development mail sink (as in mypage.test.mjs) ----

function decodeWords(s) {
  return s.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_, enc, text) => (enc.toLowerCase() === 'b'
    ? Buffer.from(text, 'base64').toString('utf8')
    : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')));
}

function parseMail(eml) {
  const [head, ...rest] = eml.split(/\r?\n\r?\n/);
  let body = rest.join('\n\n');
  if (/content-transfer-encoding:\s*base64/i.test(head)) body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  else if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  }
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const subject = decodeWords((unfolded.match(/^Subject: (.*)$/mi) || [])[1] || '');
  const to = (unfolded.match(/^To: (.*)$/mi) || [])[1] || '';
  return { to, subject, body };
}

function sentMails() {
  const dir = join(server.dataDir, 'mail');
  let files = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.mbox')).sort(); } catch { return []; }
  return files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split(/^From .*\n/m).slice(1))
    .map((m) => parseMail(m.replace(/^>(>*From )/gm, '$1')));
}

async function mailTo(to, subject) {
  for (let i = 0; i < 300; i++) {
    const m = sentMails().reverse().find((x) => x.to.includes(to) && subject.test(x.subject));
    if (m) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seen = sentMails().filter((x) => x.to.includes(to)).map((x) => x.subject);
  throw new Error(`no mail to ${to} with a subject like ${subject} (its mails: ${JSON.stringify(seen)})`);
}

function assertMailInOneLanguage(mail, lang) {
  for (const part of [mail.subject, mail.body]) {
    let text = part;
    for (const r of PROPER_NOUNS) text = text.split(r).join('');
    assert.ok(!LANGS[lang].script.test(text), `${lang} mail in another script:\n${part}`);
  }
}

// ---- The walk ----

// ---- My page after staff return the application (English) ----

/** What the reviewer writes, in Japanese as staff do: shown as written, marked lang="ja". */
const STAFF_MESSAGE = '事業名をより具体的にしてください。';
const STAFF_FIX = '対象地域と内容がわかる事業名にしてください。';

async function changeStatus(page, to, message = '', fixes = {}) {
  await page.locator(`input[name="to"][value="${to}"]`).check();
  if (message) await page.locator('#message').fill(message);
  if (Object.keys(fixes).length) {
    await page.locator('details.corrections summary').click();
    for (const [key, text] of Object.entries(fixes)) {
      await page.locator(`#pick-${key}`).check();
      await page.locator(`#fix-${key}`).fill(text);
    }
  }
  const res = await submitAndWait(page, page.getByRole('button', { name: '状態を変更する' }));
  assert.equal(res.status(), 200, `status change to ${to}`);
}

async function returnForChanges(receipt) {
  const office = await newContext(browser, { ...WIDE, baseURL: server.baseURL });
  try {
    const s = await office.newPage();
    await staffLogin(s, 'shoko-reviewer');
    await s.locator('#f-q').fill(receipt);
    await submitAndWait(s, s.getByRole('button', { name: '絞り込む' }));
    await submitAndWait(s, s.getByRole('link', { name: receipt, exact: true }));
    await changeStatus(s, 'in_review');
    await changeStatus(s, 'returned', STAFF_MESSAGE, { project_name: STAFF_FIX });
  } finally {
    await office.close();
  }
}

async function checked(page, tag, label, answers) {
  await assertOneLanguage(page, 'en', { label, answers });
  await axeClean(page, `${tag} ${label}`);
  await screenshot(page, `experience-language-${tag}-${label.replace(/[^a-z0-9]+/gi, '-')}.png`);
}

/** The English walk through every my page screen of a returned application. */
async function myPageInEnglish(page, tag, receipt, answers) {
  await returnForChanges(receipt);
  const content = [...answers, STAFF_MESSAGE, STAFF_FIX];
  await page.goto('/mypage');
  await submitAndWait(page, page.locator('main .case-list > li', { hasText: receipt }).locator('a').first());
  assert.equal(await page.locator('h1').textContent(), `Receipt number ${receipt}`);
  const main = await page.locator('main').textContent();
  for (const w of ['Please make changes (returned to you)', 'Name of the project', 'Status history and messages',
    'The office: Received → Under review', 'Your answers']) {
    assert.ok(main.includes(w), `${w} on the application page`);
  }
  assert.match(main, /\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}/, 'dates as English writes them');
  await checked(page, tag, 'my page application', content);

  // The correction: an empty answer is named in English; then fixed and sent again.
  await submitAndWait(page, page.getByRole('link', { name: 'Make changes and send again' }));
  assert.equal(await page.locator('h1').textContent(), 'Change your application');
  await checked(page, tag, 'my page correction', content);
  await page.locator('#f-project_name').fill('');
  const res = await submitAndWait(page, page.getByRole('button', { name: 'Make changes and send again' }));
  assert.equal(res.status(), 422);
  assert.ok((await page.locator('#error-summary').textContent()).includes('Enter Name of the project.'));
  await checked(page, tag, 'my page correction with an error', content);
  const project = 'Coffee roastery in Muroto';
  await page.locator('#f-project_name').fill(project);
  await submitAndWait(page, page.getByRole('button', { name: 'Make changes and send again' }));
  assert.ok((await page.locator('[role=status]').textContent()).includes('Your corrected application has been sent.'));
  assert.ok((await page.locator('main .change-list').first().textContent()).includes(project));
  await checked(page, tag, 'my page resubmitted', [...content, project]);

  // The print view.
  await submitAndWait(page, page.getByRole('link', { name: /^Print your application/ }));
  assert.ok((await page.locator('main').textContent()).includes('Version 1'));
  await checked(page, tag, 'my page print', [...content, project]);

  // The profile: saved, said in English.
  await page.goto('/mypage');
  await submitAndWait(page, page.getByRole('link', { name: 'Profile', exact: true }));
  assert.equal(await page.locator('h1').textContent(), 'Profile');
  await page.locator('#profile-address').fill('Kochi-shi Marunouchi 1-2-20');
  await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
  assert.ok((await page.locator('[role=status]').textContent()).includes('Your profile has been saved.'));
  await checked(page, tag, 'my page profile', [...content, 'Kochi-shi Marunouchi 1-2-20']);

  // Notification settings: a bad address is refused in English, naming the field.
  await submitAndWait(page, page.getByRole('link', { name: 'Notification settings', exact: true }));
  await page.locator('#notify-email').fill('not an address');
  const bad = await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
  assert.equal(bad.status(), 422);
  assert.match(await page.locator('#error-summary').textContent(), /e-mail address for notifications/);
  await checked(page, tag, 'my page notifications with an error', [...content, 'not an address']);
  await page.locator('#notify-email').fill('');
  await submitAndWait(page, page.getByRole('button', { name: 'Save', exact: true }));
  assert.ok((await page.locator('[role=status]').textContent()).includes('Your notification settings have been saved.'));
  await checked(page, tag, 'my page notifications', content);
}

async function walk({ lang, size, js, signInFirst, myPage = false }) {
  const L = LANGS[lang];
  const W = L.words;
  const tag = `${lang}-${size === NARROW ? 360 : 1280}-${js ? 'js' : 'nojs'}`;
  const email = `walker-${tag}@example.com`;
  const answers = {
    name: 'Maria Santos', furigana: 'マリア サントス', address: 'Kochi-shi Marunouchi 1-2-20',
    project: 'Coffee roastery', phone: '088-823-1111', amount: '300000',
  };
  const context = await newContext(browser, { ...size, javaScriptEnabled: js, baseURL: server.baseURL });
  const page = await context.newPage();
  try {
    if (signInFirst) await signIn(page, lang, email, tag);

    // The form: switched to the language by its own switch, or already in it when the resident chose it on the
    // sign-in page (one choice for every page).
    await page.goto(FORM_PATH);
    if (signInFirst) {
      assert.equal(await page.locator('.lang-switch [aria-current="true"]').textContent(), lang === 'en' ? 'English' : 'やさしい にほんご');
    } else {
      await submitAndWait(page, page.locator('.lang-switch a', { hasText: lang === 'en' ? 'English' : 'やさしい にほんご' }));
    }
    await screenshot(page, `experience-language-${tag}-form.png`);
    await assertOneLanguage(page, lang, { label: 'form' });
    await axeClean(page, `${tag} form`);

    // Errors, in the language, naming the translated labels.
    await page.locator('#f-kind-1').check();
    const res = await submitAndWait(page, page.getByRole('button', { name: W.toConfirm }));
    assert.equal(res.status(), 422);
    const summary = await page.locator('#error-summary').textContent();
    for (const e of L.errors) assert.ok(summary.includes(e), `${e} in ${summary}`);
    await assertOneLanguage(page, lang, { label: 'form with errors' });
    await axeClean(page, `${tag} form with errors`);
    await screenshot(page, `experience-language-${tag}-errors.png`);

    // Fixed and checked.
    await page.locator('#f-applicant-kind').check();
    await page.locator('#f-applicant-name').fill(answers.name);
    await page.locator('#f-applicant-furigana').fill(answers.furigana);
    await page.locator('#f-postal_code').fill('780-0850');
    if (js) {
      // The lookup (when the postal data is there) fills the address: data, not the page's words.
      await page.locator('#f-postal_code').blur();
      await page.waitForTimeout(500);
      answers.lookedUp = await page.locator('#f-address').inputValue();
    }
    await page.locator('#f-address').fill(answers.address);
    await page.locator('#f-phone').fill(answers.phone);
    await page.locator('#f-email').fill(email);
    await page.locator('#f-kind').check();
    await page.locator('#f-project_name').fill(answers.project);
    await page.locator('#f-amount').fill(answers.amount);
    await page.locator('#f-application_document').setInputFiles(pdfFile('application.pdf'));
    await page.locator('#f-consent').check();
    // What the postcode lookup (with JavaScript) said is the page's own word, in the language.
    await assertOneLanguage(page, lang, { label: 'form filled in', answers: Object.values(answers) });
    const confirm = await submitAndWait(page, page.getByRole('button', { name: W.toConfirm }));
    assert.equal(confirm.status(), 200, await page.locator('#error-summary').textContent().catch(() => ''));
    assert.match(page.url(), /\/confirm\?d=/);
    // The furigana as stored: normalised, with an ideographic space.
    const stored = answers.furigana.replace(' ', '\u3000');
    await assertOneLanguage(page, lang, { label: 'confirmation', answers: [...Object.values(answers), stored, email, 'application.pdf'] });
    await axeClean(page, `${tag} confirmation`);
    await screenshot(page, `experience-language-${tag}-confirm.png`);

    await submitAndWait(page, page.getByRole('button', { name: W.send, exact: true }));
    assert.equal(await page.locator('h1').textContent(), W.done);
    const receipt = (await page.locator('#receipt-number').textContent()).trim();
    assert.match(receipt, RECEIPT);
    await assertOneLanguage(page, lang, { label: 'completion' });
    await axeClean(page, `${tag} completion`);
    await screenshot(page, `experience-language-${tag}-done.png`);

    // The receipt mail, sent later by the worker, in the language.
    const mail = await mailTo(email, signInFirst ? L.noticeSubject : L.receiptSubject);
    assert.ok(mail.subject.includes(receipt) || mail.body.includes(receipt), 'the mail names the receipt number');
    assertMailInOneLanguage(mail, lang);

    // Sign-in and my page in the language (the choice made on the form holds).
    if (!signInFirst) await signIn(page, lang, email, tag);
    await page.goto('/mypage');
    assert.ok((await page.locator('main').textContent()).includes(W.apps));
    if (signInFirst) {
      assert.ok((await page.locator('main').textContent()).includes(receipt), 'the application is on my page');
    }
    if (!signInFirst && myPage) {
      // Sent before signing in with the same address: added from my page in English.
      await submitAndWait(page, page.getByRole('button', { name: 'Add the applications found' }));
      assert.ok((await page.locator('[role=status]').textContent()).includes('The applications found have been added to My page.'));
      assert.ok((await page.locator('main').textContent()).includes(receipt), 'the application is on my page');
    }
    await assertOneLanguage(page, lang, { label: 'my page', answers: [answers.name, email] });
    await axeClean(page, `${tag} my page`);
    await screenshot(page, `experience-language-${tag}-mypage.png`);
    if (myPage) {
      await myPageInEnglish(page, tag, receipt, [...Object.values(answers), stored, email, 'application.pdf']);
    }

    // The FAQ chat: its own words in the language; the answers stay as written.
    await page.goto(CHAT);
    assert.equal(await page.locator('h1').textContent(), W.chat);
    await assertOneLanguage(page, lang, { label: 'FAQ chat' });
    await axeClean(page, `${tag} FAQ chat`);
    await page.getByLabel(W.question, { exact: true }).fill('zzzz qqqq xxxx');
    if (js) {
      await page.getByRole('button', { name: W.ask, exact: true }).click();
      await page.locator('#faq-log .msg-bot').last().waitFor();
    } else {
      await submitAndWait(page, page.getByRole('button', { name: W.ask, exact: true }));
    }
    assert.ok((await page.locator('#faq-log').textContent()).includes(W.none), 'no answer, said in the language');
    await assertOneLanguage(page, lang, {
      label: 'FAQ chat after a question', answers: ['zzzz qqqq xxxx'],
      skip: ['.answer-title', '.answer-body', '.answer-forms ul', '.related'],
    });
    await axeClean(page, `${tag} FAQ chat after a question`);
    await screenshot(page, `experience-language-${tag}-faq.png`);
  } finally {
    await context.close();
  }
}

async function signIn(page, lang, email, tag) {
  const W = LANGS[lang].words;
  // The language switch of the sign-in page (a plain link: it works without JavaScript).
  await page.goto('/mypage/login');
  if ((await page.locator('html').getAttribute('lang')) !== (lang === 'en' ? 'en' : 'ja') || !(await page.locator('h1').textContent()).includes(W.login)) {
    await submitAndWait(page, page.locator('.lang-switch a', { hasText: lang === 'en' ? 'English' : 'やさしい にほんご' }));
  }
  assert.equal(await page.locator('h1').textContent(), W.login);
  await assertOneLanguage(page, lang, { label: 'sign-in' });
  await axeClean(page, `${tag} sign-in`);
  await screenshot(page, `experience-language-${tag}-signin.png`);
  await page.locator('#email').fill('not an address');
  await submitAndWait(page, page.getByRole('button', { name: W.sendLink }));
  await assertOneLanguage(page, lang, { label: 'sign-in with an error', answers: ['not an address'] });
  await page.locator('#email').fill(email);
  await submitAndWait(page, page.getByRole('button', { name: W.sendLink }));
  await assertOneLanguage(page, lang, { label: 'link sent', answers: [email] });
  const mail = await mailTo(email, lang === 'en' ? /^\[Sign in\]/ : /^【ログイン】マイページに ログインする/);
  assertMailInOneLanguage(mail, lang);
  const link = mail.body.match(/https?:\/\/\S+\/mypage\/login\/\S+/)[0];
  await page.goto(new URL(link).pathname + new URL(link).search);
  await assertOneLanguage(page, lang, { label: 'sign-in confirmation' });
  await submitAndWait(page, page.getByRole('button', { name: W.signIn, exact: true }));
  assert.equal(new URL(page.url()).pathname, '/mypage');
}

test('English at 360 px with JavaScript: form, errors, confirmation, receipt mail, sign-in, my page (every screen), FAQ', async () => {
  await walk({ lang: 'en', size: NARROW, js: true, signInFirst: false, myPage: true });
});

test('English at 1280 px without JavaScript, signed in first: the application and every my page screen in English', async () => {
  await walk({ lang: 'en', size: WIDE, js: false, signInFirst: true, myPage: true });
});

test('やさしい日本語 at 360 px without JavaScript: the easy words, no kanji, from the form to the FAQ', async () => {
  await walk({ lang: 'ja-easy', size: NARROW, js: false, signInFirst: false });
});

test('やさしい日本語 at 1280 px with JavaScript, signed in first', async () => {
  await walk({ lang: 'ja-easy', size: WIDE, js: true, signInFirst: true });
});
