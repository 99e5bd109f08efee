// madoguchi — progressive enhancement for application forms.
// The page works fully without this script; everything here is a convenience.
(() => {
  'use strict';

  const doc = document;
  const byId = (id) => (id ? doc.getElementById(id) : null);
  // Messages are written here in Japanese; a page in another language gives their translations (the part
  // before ": " is looked up, what follows — an address — is kept), see `Words::script` in languages.rs.
  const WORDS = (() => {
    try { return JSON.parse(doc.querySelector('[data-script-words]')?.dataset.scriptWords || '{}'); } catch { return {}; }
  })();
  const tr = (text) => {
    const i = text.indexOf(': ');
    const [key, rest] = i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i)];
    return (WORDS[key] ?? key) + rest;
  };
  const say = (id, text) => { const el = byId(id); if (el) el.textContent = tr(text); };
  // Tell other listeners (conditions) that a value changed under script control.
  const changed = (el) => el.dispatchEvent(new Event('input', { bubbles: true }));

  doc.documentElement.classList.add('js');

  function init() {
    // 1. Controls that only make sense with JavaScript.
    for (const el of doc.querySelectorAll('.js-only')) el.hidden = false;
    initConditions();
    initPostal();
    initGeolocation();
    initWareki();
    initFiles();
    initErrorSummary();
  }

  // ---- 2. Conditional display (data-show-if) ----
  // Mirrors the server: parts inside a hidden part count as empty, values are trimmed.
  function initConditions() {
    const items = [];
    for (const el of doc.querySelectorAll('[data-show-if]')) {
      try { items.push([el, JSON.parse(el.dataset.showIf)]); } catch { /* leave it shown */ }
    }
    if (!items.length) return;

    const visible = (c) => !c.closest('[data-show-if][hidden]');
    const controls = (match) => [...doc.querySelectorAll('input[name], select[name], textarea[name]')]
      .filter((c) => !c.disabled && match(c.name) && visible(c));
    const valuesOf = (c) => {
      if (c.type === 'radio' || c.type === 'checkbox') return c.checked ? [c.value.trim()] : [];
      if (c.type === 'file') {
        // Files attached on an earlier visit are listed beside the input.
        return c.files.length || c.closest('.field')?.querySelector('.files li') ? ['file'] : [];
      }
      if (c.multiple && c.options) return [...c.selectedOptions].map((o) => o.value.trim());
      return [c.value.trim()];
    };

    const holds = (cond) => {
      if (!cond || typeof cond !== 'object') return true;
      if (Array.isArray(cond.all)) return cond.all.every(holds);
      if (Array.isArray(cond.any)) return cond.any.some(holds);
      if ('not' in cond) return !holds(cond.not);
      const field = cond.field;
      if (Array.isArray(cond.in)) {
        const values = controls((n) => n === field).flatMap(valuesOf);
        return values.some((v) => cond.in.includes(v));
      }
      if ('filled' in cond) {
        const filled = controls((n) => n === field || n.startsWith(field + '.'))
          .flatMap(valuesOf).some((v) => v !== '');
        return filled === Boolean(cond.filled);
      }
      return true;
    };

    // Document order, so a part hidden above is already hidden when later parts look at it.
    const update = () => { for (const [el, cond] of items) el.hidden = !holds(cond); };
    for (const form of doc.forms) {
      form.addEventListener('input', update);
      form.addEventListener('change', update);
    }
    update();
  }

  // ---- 3. Postal code → address ----
  const normalisePostal = (s) => s
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[\s\-‐‑–—−－ーｰ〒]/g, '');

  // The button also works without this script (it posts the form, and the server fills the address); here
  // it looks up in the page instead.
  function initPostal() {
    for (const button of doc.querySelectorAll('[data-postal-search]')) {
      const input = byId(button.dataset.postalSearch);
      if (!input) continue;
      let last = ''; // the code we last looked up automatically
      button.addEventListener('click', (e) => { e.preventDefault(); lookupPostal(input, true); });
      input.addEventListener('input', () => {
        const code = normalisePostal(input.value);
        if (/^\d{7}$/.test(code) && code !== last) { last = code; lookupPostal(input, false); }
      });
    }
  }

  // One request per distinct code: typing the seventh digit looks the code up, and pressing the button
  // afterwards (as the help text says) reuses that answer instead of asking again.
  const postalAnswers = new Map();
  function fetchPostal(code) {
    if (!postalAnswers.has(code)) {
      const answer = fetch('/api/postal/' + code, {
        headers: { Accept: 'application/json' }, credentials: 'same-origin',
      }).then((res) => {
        if (res.ok) return res.json();
        if (res.status === 404) return null;
        throw new Error('HTTP ' + res.status);
      });
      answer.catch(() => postalAnswers.delete(code)); // a failure may be retried
      postalAnswers.set(code, answer);
    }
    return postalAnswers.get(code);
  }

  async function lookupPostal(input, explicit) {
    const status = input.id + '-status';
    const code = normalisePostal(input.value);
    if (!/^\d{7}$/.test(code)) {
      if (explicit) say(status, '郵便番号を7桁の数字で入力してください。');
      return;
    }
    let data = null;
    try {
      data = await fetchPostal(code);
    } catch {
      say(status, '住所を検索できませんでした。住所を直接入力してください。');
      return;
    }
    if (normalisePostal(input.value) !== code) return; // the user moved on meanwhile
    if (!data || !data.address) {
      say(status, '郵便番号に該当する住所が見つかりませんでした');
      return;
    }
    const target = byId(input.dataset.addressTarget);
    const office = data.office ? '（' + data.office + '）' : '';
    if (!target) { say(status, '該当する住所: ' + data.address + office); return; }
    // Only fill an empty box, or one still holding what we filled in before.
    const ours = target.dataset.autofilled;
    if (target.value.trim() === '' || (ours !== undefined && target.value === ours)) {
      target.value = data.address;
      target.dataset.autofilled = data.address;
      changed(target);
      say(status, '住所を入力しました: ' + data.address + office);
    } else {
      say(status, '該当する住所（入力済みの住所は変更していません）: ' + data.address + office);
    }
  }

  // ---- 4. Photo location from the device ----
  function initGeolocation() {
    for (const button of doc.querySelectorAll('[data-geolocate]')) {
      const id = button.dataset.geolocate;
      const lat = byId(id + '-lat'), lon = byId(id + '-lon'), source = byId(id + '-source');
      if (!navigator.geolocation || !lat || !lon) { button.hidden = true; continue; }
      const failed = () => say(id + '-geo-status', '位置情報を取得できませんでした。緯度・経度を入力してください。');
      button.addEventListener('click', () => {
        say(id + '-geo-status', '現在地を取得しています…');
        navigator.geolocation.getCurrentPosition((pos) => {
          lat.value = pos.coords.latitude.toFixed(6);
          lon.value = pos.coords.longitude.toFixed(6);
          if (source) source.value = 'browser';
          changed(lat);
          say(id + '-geo-status', `現在地を入力しました: ${lat.value}, ${lon.value}`);
        }, failed, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
      });
      // Typing over the coordinates makes them the user's own again.
      for (const el of [lat, lon]) {
        el.addEventListener('input', (e) => { if (e.isTrusted && source) source.value = ''; });
      }
    }
  }

  // ---- 5. 和暦 beside dates ----
  const ERAS = [ // newest first
    ['令和', '2019-05-01'], ['平成', '1989-01-08'], ['昭和', '1926-12-25'],
    ['大正', '1912-07-30'], ['明治', '1868-01-25'],
  ];

  const pad = (n) => String(n).padStart(2, '0');
  const num = (s) => (/^\d{1,4}$/.test(s = normalisePostal(s)) ? +s : NaN);

  // The date the parts name (ISO), or '' — the same rules as the server, which decides.
  function partsToIso(era, yText, mo, d) {
    const y = yText.trim() === '元' ? 1 : num(yText);
    [mo, d] = [num(mo), num(d)];
    if (!(y > 0 && mo >= 1 && mo <= 12 && d >= 1)) return '';
    const i = 'RHSTM'.indexOf(era);
    const start = i < 0 ? null : ERAS[i][1];
    const year = start ? +start.slice(0, 4) + y - 1 : y;
    if (!start && year < 1000) return '';
    const iso = `${year}-${pad(mo)}-${pad(d)}`;
    const date = new Date(Date.UTC(year, mo - 1, d));
    if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return ''; // no such day
    if (start && (iso < start || (i > 0 && iso >= ERAS[i - 1][1]))) return ''; // outside the era
    return iso;
  }

  function toWareki(iso) {
    const era = ERAS.find(([, start]) => iso >= start);
    if (!era) return '';
    const [y, mo, d] = iso.split('-').map(Number);
    const year = y - +era[1].slice(0, 4) + 1;
    return `${era[0]}${year === 1 ? '元' : year}年${mo}月${d}日`;
  }

  // Beside a date typed in one calendar, the same day in the other (Japanese pages only: the era names are
  // Japanese words).
  function initWareki() {
    if (doc.documentElement.lang !== 'ja') return;
    for (const set of doc.querySelectorAll('[data-date]')) {
      const id = set.dataset.date;
      const parts = [byId(id), byId(id + '-year'), byId(id + '-month'), byId(id + '-day')];
      if (parts.some((p) => !p)) continue;
      const show = () => {
        const [era, y, mo, d] = parts.map((p) => p.value);
        const iso = partsToIso(era, y, mo, d);
        const [yy, mm, dd] = iso.split('-').map(Number);
        say(id + '-wareki', !iso ? '' : era ? `西暦: ${yy}年${mm}月${dd}日` : `和暦: ${toWareki(iso)}`);
      };
      set.addEventListener('input', show);
      set.addEventListener('change', show);
      show();
    }
  }

  // ---- 5b. File buttons: the page's own words, and the chosen names shown by the page ----
  function initFiles() {
    for (const input of doc.querySelectorAll('.file-input')) {
      const names = byId(input.id + '-names');
      if (!names) continue;
      const none = names.textContent;
      input.addEventListener('change', () => {
        names.textContent = [...input.files].map((f) => f.name).join(tr('、')) || none;
      });
    }
  }

  // ---- 6. Error summary ----
  function initErrorSummary() {
    const summary = byId('error-summary');
    if (!summary) return;
    summary.focus();
    summary.addEventListener('click', (e) => {
      const link = e.target.closest('a[href^="#"]');
      if (!link) return;
      let target = byId(decodeURIComponent(link.hash.slice(1)));
      if (!target) return;
      // An anchor may name a message or a wrapper; focus the first control of its part.
      if (!target.matches('input, select, textarea, button')) {
        target = (target.closest('.part') || target)
          .querySelector('input:not([type=hidden]), select, textarea') || target;
      }
      e.preventDefault();
      // Scroll so that the question (legend or label) is in view, not just the box.
      const label = target.id && doc.querySelector(`label[for="${CSS.escape(target.id)}"]`);
      const legend = /^(radio|checkbox)$/.test(target.type) && target.closest('fieldset')?.querySelector('legend');
      const question = legend || label || target;
      question.scrollIntoView({ block: 'start' });
      target.focus({ preventScroll: true });
    });
  }

  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', init);
  else init();
})();
