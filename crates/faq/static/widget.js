// madoguchi AI-FAQ widget for __TENANT_NAME__. Put one tag on any page:
//   <script src="https://<this server>/t/__TENANT_CODE__/faq/widget.js" defer></script>
// It adds a button that opens the chat in a frame; nothing else on the page is touched.
(function () {
  'use strict';
  var me = document.currentScript;
  var origin = me && me.src ? new URL(me.src).origin : '';
  var url = origin + '/t/__TENANT_CODE__/faq/embed';
  function start() {
    if (document.getElementById('madoguchi-faq-button')) return;
    var button = document.createElement('button');
    button.type = 'button';
    button.id = 'madoguchi-faq-button';
    button.textContent = 'AIに質問する';
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-controls', 'madoguchi-faq-panel');
    button.style.cssText = 'position:fixed;right:16px;bottom:16px;z-index:2147483646;min-height:48px;padding:8px 20px;' +
      'border:2px solid #0017c1;border-radius:999px;background:#0017c1;color:#fff;font:bold 16px/1.5 sans-serif;cursor:pointer;';
    var panel = document.createElement('div');
    panel.id = 'madoguchi-faq-panel';
    panel.hidden = true;
    panel.style.cssText = 'position:fixed;right:16px;bottom:76px;z-index:2147483647;width:min(420px,calc(100vw - 32px));' +
      'height:min(640px,calc(100vh - 100px));border:1px solid #767676;border-radius:8px;background:#fff;box-shadow:0 4px 16px rgba(0,0,0,.25);';
    var frame = null;
    button.addEventListener('click', function () {
      var open = panel.hidden;
      if (open && !frame) {
        frame = document.createElement('iframe');
        frame.src = url;
        frame.title = '__TENANT_NAME__ よくある質問チャット';
        frame.style.cssText = 'width:100%;height:100%;border:0;border-radius:8px;';
        panel.appendChild(frame);
      }
      panel.hidden = !open;
      button.setAttribute('aria-expanded', String(open));
      button.textContent = open ? 'チャットを閉じる' : 'AIに質問する';
      if (open && frame) frame.focus();
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && !panel.hidden) { button.click(); button.focus(); }
    });
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
