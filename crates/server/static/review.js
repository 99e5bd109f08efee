// Review page enhancements. Without this script every part of the correction picker shows its comment box,
// and a comment typed there counts as picked. With it, a part's box opens when its check box is ticked, and
// closes (and is not sent) when unticked, so a 12-part form no longer shows 12 empty boxes.
(function () {
  'use strict';
  document.querySelectorAll('.fix-pick').forEach(function (pick) {
    var box = pick.querySelector('input[type="checkbox"][name="pick"]');
    var field = pick.querySelector('.fix-comment');
    var text = field && field.querySelector('textarea');
    if (!box || !text) return;
    function sync() {
      field.hidden = !box.checked;
      text.disabled = !box.checked;
    }
    // Text sent back after a refusal stays in view: it was meant.
    if (!box.checked && text.value.trim() !== '') box.checked = true;
    box.addEventListener('change', function () {
      sync();
      if (box.checked) text.focus();
    });
    sync();
  });
})();
