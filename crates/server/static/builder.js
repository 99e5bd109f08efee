// Form builder enhancements. Everything works without this script (上へ/下へ buttons, plain forms);
// with it, parts can be dragged into a new order and the condition fields show only what the chosen
// mode needs.
(function () {
  'use strict';

  // Drag and drop: reorder the parts of one list (top level or one group), then post the new order.
  function enableDrag(list) {
    var builder = document.querySelector('ol[data-builder]');
    if (!builder) return;
    var dragged = null;
    var items = function () {
      return Array.prototype.filter.call(list.children, function (el) { return el.matches('li.builder-part'); });
    };
    items().forEach(function (li) {
      li.setAttribute('draggable', 'true');
      var handle = li.querySelector(':scope > .builder-part-head > .drag-handle');
      if (handle) handle.hidden = false;
      li.addEventListener('dragstart', function (e) {
        if (e.target !== li) return;
        dragged = li;
        li.classList.add('dragging');
        e.dataTransfer.effectAllowed = 'move';
        e.dataTransfer.setData('text/plain', li.dataset.path);
        e.stopPropagation();
      });
      li.addEventListener('dragend', function () {
        li.classList.remove('dragging');
        dragged = null;
      });
      li.addEventListener('dragover', function (e) {
        if (!dragged || dragged.parentNode !== list) return;
        e.preventDefault();
        e.stopPropagation();
        if (dragged === li) return;
        var box = li.getBoundingClientRect();
        var after = e.clientY > box.top + box.height / 2;
        list.insertBefore(dragged, after ? li.nextSibling : li);
      });
      li.addEventListener('drop', function (e) {
        if (!dragged || dragged.parentNode !== list) return;
        e.preventDefault();
        e.stopPropagation();
        var order = items().map(function (el) { return el.dataset.index; });
        var body = new URLSearchParams();
        body.set('_csrf', builder.dataset.csrf);
        body.set('rev', builder.dataset.rev);
        body.set('op', 'reorder');
        body.set('parent', list.dataset.parent || '');
        body.set('order', order.join(','));
        fetch(location.pathname, { method: 'POST', body: body, credentials: 'same-origin' })
          .then(function (r) { location.href = r.url || location.pathname; });
      });
    });
  }
  document.querySelectorAll('ol.builder-parts').forEach(enableDrag);

  // Condition editor: show the fields the chosen mode needs.
  document.querySelectorAll('form.builder-part-form').forEach(function (form) {
    var mode = form.querySelector('select[name="cond_mode"]');
    if (!mode) return;
    var show = function () {
      var m = mode.value;
      var toggle = function (name, on) {
        var f = form.querySelector('.setting-' + name);
        if (f) f.hidden = !on;
      };
      toggle('cond_part', m === 'in' || m === 'filled' || m === 'empty');
      toggle('cond_values', m === 'in');
      toggle('cond_json', m === 'json');
    };
    mode.addEventListener('change', show);
    show();
  });
})();
