// Open data catalog in a browser: search → dataset → CSV preview (Shift_JIS original and UTF-8 copy) with the
// point map, on a phone and a desktop, axe-core clean; and a staff upload whose error report is accessible.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { startServer } from './lib/server.mjs';
import { DESKTOP, PHONE, launch, newContext, screenshot, staffLogin, submitAndWait } from './lib/browser.mjs';
import { overflowReport } from './lib/overflow.mjs';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

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

for (const [device, options] of [['phone', PHONE], ['desktop', DESKTOP]]) {
  test(`a data user searches, opens a dataset and previews its CSV (${device})`, async () => {
    const context = await newContext(browser, { ...options, baseURL: server.baseURL });
    const page = await context.newPage();
    try {
      await page.goto('/opendata');
      await axeClean(page, 'catalog search');
      await page.getByLabel('キーワード').fill('公共施設');
      await submitAndWait(page, page.getByRole('button', { name: '検索' }));
      await page.getByRole('heading', { name: /1件のデータセット/ }).waitFor();
      // Facets narrow the results and can be removed again.
      await page.getByRole('link', { name: /^高知県/ }).first().click();
      await page.waitForURL(/organization=390003/);
      await axeClean(page, 'search results with a facet');
      await page.getByRole('link', { name: '公共施設一覧（高知県）' }).click();
      await page.getByRole('heading', { level: 1, name: '公共施設一覧（高知県）' }).waitFor();
      await axeClean(page, 'dataset page');
      if (device === 'desktop') await screenshot(page, 'opendata-dataset.png');

      // A Shift_JIS file is one resource: its UTF-8 copy previews, with the map of its points.
      await page.getByRole('link', { name: /^表で見る/ }).first().click();
      const table = page.getByRole('table', { name: /プレビュー/ });
      await table.waitFor();
      assert.equal(await table.getByRole('columnheader', { name: '名称', exact: true }).count(), 1);
      assert.ok(await table.getByRole('cell', { name: '高知県立牧野植物園' }).isVisible());
      assert.ok(await page.getByRole('img', { name: /地図（5地点）/ }).isVisible());
      await axeClean(page, 'resource preview');
      if (device === 'desktop') await screenshot(page, 'opendata-preview.png');

      // Download of the UTF-8 copy.
      await page.goBack();
      const href = await page.getByRole('link', { name: /^ダウンロード/ }).first().getAttribute('href');
      const res = await page.request.get(href);
      assert.equal(res.status(), 200);
      assert.match(await res.text(), /^都道府県コード又は市区町村コード,NO/);
    } finally {
      await context.close();
    }
  });
}

/** Nothing is wider than the screen, except the table inside its own scrolling region (which itself fits). */
async function assertFits(page) {
  const report = await overflowReport(page);
  const outside = report.offenders.filter((o) => !/^(table|thead|tbody|tr|th|td|caption)\b/.test(o.what));
  assert.ok(report.scrollWidth <= report.innerWidth && outside.length === 0,
    `wider than ${report.innerWidth} px: ${JSON.stringify({ ...report, offenders: outside })}`);
  const wrap = await page.locator('.table-wrap').boundingBox();
  assert.ok(wrap.x >= 0 && wrap.x + wrap.width <= report.innerWidth + 0.5, `table region ${JSON.stringify(wrap)}`);
}

// Issue 17: on a 360 px phone the preview's header (title, publisher · format · size, download) is a compact
// summary, so the table starts within the first screen; nothing is wider than the screen.
test('the CSV preview header is compact on a 360 px phone', async () => {
  const context = await newContext(browser, {
    ...PHONE, viewport: { width: 360, height: 740 }, baseURL: server.baseURL,
  });
  const page = await context.newPage();
  try {
    await page.goto('/opendata/dataset/kochi-pref-public-facility');
    await page.getByRole('link', { name: /^表で見る/ }).first().click();
    await page.getByRole('table', { name: /プレビュー/ }).waitFor();
    const header = page.locator('header.od-res-head');
    const box = await header.boundingBox();
    assert.ok(box, 'the preview has its summary header');
    assert.ok(box.height < 200, `header is ${Math.round(box.height)} px tall at 360 px (limit 200)`);
    assert.ok(await header.getByRole('link', { name: 'ダウンロード' }).isVisible());
    assert.ok(await header.getByRole('heading', { level: 1 }).isVisible());
    // The table's header row reads across (one line a column name), not a character a line.
    const thead = await page.locator('table.od-preview thead').boundingBox();
    assert.ok(thead.height < 60, `table header row is ${Math.round(thead.height)} px tall`);
    console.log(`preview header at 360 px: ${Math.round(box.height)} px; table header row ${Math.round(thead.height)} px`);
    await assertFits(page);
    await axeClean(page, 'resource preview at 360 px');
    // The details stay one tap away.
    await page.getByText('このファイルについて').click();
    await page.getByRole('link', { name: /（Shift_JIS）$/ }).waitFor();
    await assertFits(page);
    await axeClean(page, 'resource preview at 360 px, details open');
    await screenshot(page, 'opendata-preview-360px.png');
  } finally {
    await context.close();
  }
});

test('staff see the validation report of a file with errors, accessibly', async () => {
  const context = await newContext(browser, { ...DESKTOP, baseURL: server.baseURL });
  const page = await context.newPage();
  try {
    await staffLogin(page, 'kochi-city-admin');
    await page.goto('/staff/opendata');
    await axeClean(page, 'staff dataset list');
    await page.getByRole('link', { name: 'AED設置箇所一覧（高知市）' }).click();
    const bad = [
      '都道府県コード又は市区町村コード,NO,都道府県名,市区町村名,名称,名称_カナ,住所,方書,緯度,経度,設置位置,電話番号,内線番号,法人番号,団体名,利用可能曜日,開始時間,終了時間,利用可能日時特記事項,小児対応設備の有無,URL,備考',
      '392015,1,高知県,高知市,テスト,テスト,高知市,,133.5,33.5,1階,,,,,,9時,17:00,,あり,,',
    ].join('\n');
    await page.getByLabel(/^ファイル/).setInputFiles({ name: 'aed.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await submitAndWait(page, page.getByRole('button', { name: '登録する' }));
    await page.getByRole('heading', { name: /件の問題があります/ }).waitFor();
    const report = page.getByRole('table', { name: '検証で見つかった問題' });
    assert.ok(await report.getByRole('cell', { name: '2行目「緯度」' }).isVisible());
    assert.ok(await report.getByRole('cell', { name: /検査数字/ }).isVisible());
    await axeClean(page, 'validation report');
    await screenshot(page, 'opendata-report.png');
  } finally {
    await context.close();
  }
});
