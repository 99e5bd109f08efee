// AI-FAQ chat: with JavaScript the search form becomes a chat. Questions go to the JSON API, answers are
// appended to the conversation (a live region), feedback buttons post JSON. Without JavaScript the page
// is a plain search form and everything below is skipped.
(function () {
  'use strict';
  var root = document.getElementById('faq');
  var form = document.getElementById('faq-form');
  var log = document.getElementById('faq-log');
  if (!root || !form || !log || !window.fetch) return;
  var api = root.getAttribute('data-api');
  // The page's words in the resident's language (see crates/faq/src/words.rs); answers stay as written.
  var W = JSON.parse(root.getAttribute('data-words') || '{}');
  var input = document.getElementById('faq-q');
  var conv = form.querySelector('input[name=c]');
  var busy = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function contactBox(c) {
    var box = el('div', 'contact faq-contact');
    box.appendChild(el('h3', null, W.contact[0]));
    var dl = el('dl');
    function row(k, v, href) {
      if (!v) return;
      dl.appendChild(el('dt', null, k));
      var dd = el('dd');
      if (!href) dd.lang = 'ja';
      if (href) { var a = el('a', null, v); a.href = href; dd.appendChild(a); } else dd.textContent = v;
      dl.appendChild(dd);
    }
    row(W.contact[1], c.name);
    row(W.contact[2], c.phone, c.phone ? 'tel:' + c.phone.replace(/[^0-9+]/g, '') : null);
    row(W.contact[3], c.hours);
    box.appendChild(dl);
    return box;
  }

  function feedbackButtons(reply, choices, legend) {
    var wrap = el('div', 'feedback');
    var fs = el('fieldset');
    if (legend) fs.appendChild(el('legend', null, legend));
    choices.forEach(function (c) {
      var b = el('button', 'button button-secondary', c[1]);
      b.type = 'button';
      b.addEventListener('click', function () { sendFeedback(reply, c[0], wrap); });
      fs.appendChild(b);
    });
    wrap.appendChild(fs);
    return wrap;
  }

  function sendFeedback(reply, result, wrap) {
    Array.prototype.forEach.call(wrap.querySelectorAll('button'), function (b) { b.disabled = true; });
    fetch(api + '/feedback', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ question_id: reply.question_id, conversation: reply.conversation, result: result }),
    }).then(function (r) { return r.json(); }).then(function (body) {
      var msg = el('div', 'msg msg-bot');
      if (result === 'resolved') {
        msg.appendChild(el('p', null, W.done[0]));
      } else if (result === 'unresolved') {
        msg.appendChild(el('p', null, W.done[1]));
        msg.appendChild(el('p', null, W.done[2]));
        if (body.contact) msg.appendChild(contactBox(body.contact));
      } else {
        msg.appendChild(el('p', null, W.done[3]));
        if (body.contact) msg.appendChild(contactBox(body.contact));
      }
      log.appendChild(msg);
    }).catch(function () {
      log.appendChild(el('div', 'msg msg-bot', W.failures[0]));
    });
  }

  function render(reply) {
    var msg = el('div', 'msg msg-bot');
    msg.appendChild(el('p', 'msg-who', W.answer));
    if (reply.answer) {
      var a = reply.answer;
      var title = el('h2', 'answer-title', a.question);
      title.lang = 'ja';
      msg.appendChild(title);
      if (reply.source) msg.appendChild(el('p', 'answer-source', W.from_pref[0] + reply.source.name + W.from_pref[1]));
      var body = el('div', 'answer-body');
      body.lang = 'ja';
      body.innerHTML = a.answer_html; // rendered and escaped by the server
      msg.appendChild(body);
      if (a.forms.length) {
        var fbox = el('div', 'answer-forms');
        fbox.appendChild(el('h3', null, W.online));
        var ul = el('ul');
        a.forms.forEach(function (f) { var li = el('li'); var l = el('a', null, f.title); l.href = f.url; l.lang = 'ja'; li.appendChild(l); ul.appendChild(li); });
        fbox.appendChild(ul);
        msg.appendChild(fbox);
      }
      var who = el('p', 'answer-contact', W.contact[1] + ': ');
      var office = el('span', null, a.contact.name);
      office.lang = 'ja';
      who.appendChild(office);
      if (a.contact.phone) who.appendChild(document.createTextNode(' (' + W.contact[2] + ' ' + a.contact.phone + ')'));
      msg.appendChild(who);
      msg.appendChild(feedbackButtons(reply, [['resolved', W.feedback[1]], ['unresolved', W.feedback[2]]], W.feedback[0]));
    } else {
      msg.className += ' msg-none';
      var p = el('p'); p.appendChild(el('strong', null, W.none[0]));
      msg.appendChild(p);
      msg.appendChild(el('p', null, W.none[1]));
      msg.appendChild(contactBox(reply.contact));
      msg.appendChild(feedbackButtons(reply, [['contacted', W.none[2]]], null));
    }
    if (reply.related.length) {
      var rel = el('div', 'related');
      rel.appendChild(el('p', 'msg-who', reply.answer ? W.related[0] : W.related[1]));
      var list = el('div', 'related-buttons');
      reply.related.forEach(function (r) {
        var b = el('button', 'link-button', r.question);
        b.type = 'button';
        b.lang = 'ja';
        b.addEventListener('click', function () { ask(r.question); });
        list.appendChild(b);
      });
      rel.appendChild(list);
      msg.appendChild(rel);
    }
    log.appendChild(msg);
  }

  function ask(q) {
    if (busy) return;
    busy = true;
    var user = el('div', 'msg msg-user');
    user.appendChild(el('p', 'msg-who', W.you));
    user.appendChild(el('p', null, q));
    log.appendChild(user);
    var url = api + '/ask?q=' + encodeURIComponent(q) + '&c=' + encodeURIComponent(conv.value);
    fetch(url, { headers: { Accept: 'application/json' } }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) {
        log.appendChild(el('div', 'msg msg-bot', res.body.error ? res.body.error.message : W.failures[1]));
        return;
      }
      conv.value = res.body.conversation;
      render(res.body);
    }).catch(function () {
      log.appendChild(el('div', 'msg msg-bot', W.failures[2]));
    }).then(function () {
      busy = false;
      user.scrollIntoView({ block: 'start' });
    });
  }

  // Server-rendered related links and answers stay as they are; new questions become chat messages.
  var staticRelated = document.querySelector('.related');
  form.addEventListener('submit', function (ev) {
    var q = input.value.trim();
    if (!q || q.length > 400) return; // let the server explain the problem
    ev.preventDefault();
    if (staticRelated) { staticRelated.remove(); staticRelated = null; }
    var summary = document.getElementById('error-summary');
    if (summary) summary.remove();
    input.removeAttribute('aria-invalid');
    ask(q);
    input.value = '';
    input.focus();
  });
})();
