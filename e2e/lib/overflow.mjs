// Horizontal overflow of a page: the document wider than the viewport, or any visible element whose box
// reaches past its left or right edge (also inside scrolling containers, which hide it from scrollWidth).
// Shared by e2e/experience-mypage.test.mjs and bench/mypage_overflow.mjs.

/** { scrollWidth, innerWidth, offenders: [{ what, left, right }] } for the page as it is now. */
export function overflowReport(page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const describe = (el) => {
      let what = el.tagName.toLowerCase();
      if (el.id) what += `#${el.id}`;
      if (el.classList.length) what += `.${[...el.classList].join('.')}`;
      const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return text ? `${what} "${text}"` : what;
    };
    const offenders = [];
    for (const el of document.querySelectorAll('body *')) {
      // Visually hidden text (1px, clipped) and the skip link parked off screen are not seen.
      if (el.closest('.visually-hidden, .skip, [hidden]')) continue;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > width + 0.5 || r.left < -0.5) {
        offenders.push({ what: describe(el), left: Math.round(r.left), right: Math.round(r.right) });
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: width, offenders };
  });
}

/** Whether nothing overflows, per {@link overflowReport}. */
export function fits(report) {
  return report.scrollWidth <= report.innerWidth && report.offenders.length === 0;
}
