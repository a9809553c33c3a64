// Forms that ask before they submit: <form data-confirm="Remove this role?">.
// One listener for the whole page, so no inline handler is needed (the
// Content-Security-Policy allows no inline script). A confirmed form carries
// confirmed=1, so a view can tell an answered question from a browser without
// script (which gets the view's own confirmation page instead).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (!form) {
      return;
    }
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (!form.querySelector('input[name="confirmed"]')) {
      const field = document.createElement("input");
      field.type = "hidden";
      field.name = "confirmed";
      field.value = "1";
      form.append(field);
    }
  });
})();
