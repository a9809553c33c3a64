// Forms that ask before they submit: <form data-confirm="Remove this role?">.
// One listener for the whole page, so no inline handler is needed (the
// Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
