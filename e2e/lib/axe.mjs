// axe-core (WCAG 2.0/2.1 A and AA) on a page, the one check every browser test uses.
// axe needs JavaScript in the page: a page whose context has JavaScript off (made with `newContext(…,
// { javaScriptEnabled: false })`) is checked as its HTML, loaded at the same origin in a context whose
// scripts are blocked, so the DOM stays as the visitor without JavaScript had it (axe hangs otherwise).
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import { withoutJavaScript } from './browser.mjs';

export const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

async function analyze(page, label) {
  const { violations, passes } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  assert.ok(passes.length > 5, `axe ran on ${label}`);
  const found = violations.map((v) => `${v.id}: ${v.help}\n${v.nodes.map((n) => '  ' + n.target.join(' ')).join('\n')}`);
  assert.deepEqual(found, [], `axe violations on ${label} (${page.url()})`);
}

/** Fails the test with every axe violation on `page`, named by `label`. */
export async function axeClean(page, label) {
  if (!withoutJavaScript(page.context())) return analyze(page, label);
  const html = await page.content();
  const origin = new URL(page.url()).origin;
  const checker = await page.context().browser().newContext({ baseURL: origin });
  try {
    await checker.route('**/*.js', (r) => r.abort());
    const copy = await checker.newPage();
    await copy.goto('/healthz');
    await copy.setContent(html, { waitUntil: 'load' });
    await analyze(copy, `${label} (as served without JavaScript)`);
  } finally {
    await checker.close();
  }
}
