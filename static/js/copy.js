// Copy buttons: <button data-copy="#input-id"> copies the input's value and says so in the nearest
// [data-copy-status] of its card. Where the clipboard is refused (no HTTPS, no permission) the text
// stays selected, so Ctrl+C still works. No inline handler: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-copy]");
    if (!button) {
      return;
    }
    const input = document.querySelector(button.dataset.copy);
    const status = button.closest(".card, section, form, body").querySelector("[data-copy-status]");
    if (!input) {
      return;
    }
    input.select();
    const say = function (text) {
      if (status) {
        status.textContent = text;
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () {
          say("Copied.");
        },
        function () {
          say("Selected: press Ctrl+C (⌘C) to copy.");
        },
      );
    } else {
      say("Selected: press Ctrl+C (⌘C) to copy.");
    }
  });
})();
