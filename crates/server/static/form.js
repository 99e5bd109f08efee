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

  function initPostal() {
    for (const button of doc.querySelectorAll('[data-postal-search]')) {
      const input = byId(button.dataset.postalSearch);
      if (!input) continue;
      let last = ''; // the code we last looked up automatically
      button.addEventListener('click', () => lookupPostal(input, true));
      input.addEventListener('input', () => {
        const code = normalisePostal(input.value);
        if (/^\d{7}$/.test(code) && code !== last) { last = code; lookupPostal(input, false); }
      });
    }
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
      const res = await fetch('/api/postal/' + code, {
        headers: { Accept: 'application/json' }, credentials: 'same-origin',
      });
      if (res.ok) data = await res.json();
      else if (res.status !== 404) throw new Error('HTTP ' + res.status);
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
    if (!target) { say(status, '該当する住所: ' + data.address); return; }
    // Only fill an empty box, or one still holding what we filled in before.
    const ours = target.dataset.autofilled;
    if (target.value.trim() === '' || (ours !== undefined && target.value === ours)) {
      target.value = data.address;
      target.dataset.autofilled = data.address;
      changed(target);
      say(status, '住所を入力しました: ' + data.address);
    } else {
      say(status, '該当する住所: ' + data.address + '（入力済みの住所は変更していません）');
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
          say(id + '-geo-status', `現在地を入力しました（緯度 ${lat.value}、経度 ${lon.value}）。`);
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

  function toWareki(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
    if (!m) return '';
    const [y, mo, d] = [+m[1], +m[2], +m[3]];
    const date = new Date(Date.UTC(y, mo - 1, d));
    if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return ''; // no such day
    const era = ERAS.find(([, start]) => iso >= start);
    if (!era) return '';
    const year = y - +era[1].slice(0, 4) + 1;
    return `${era[0]}${year === 1 ? '元' : year}年${mo}月${d}日`;
  }

  function initWareki() {
    for (const input of doc.querySelectorAll('[data-wareki]')) {
      const show = () => {
        const target = byId(input.dataset.wareki);
        if (!target) return;
        const w = toWareki(input.value);
        target.textContent = w ? '和暦: ' + w : '';
      };
      input.addEventListener('input', show);
      input.addEventListener('change', show);
      show();
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
