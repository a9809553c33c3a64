// The team page: a person's "Limit to tracks" boxes show only while the chosen role is one that
// tracks can limit (the form's data-track-scoped lists them). No inline handler: the CSP forbids them.
(function () {
  "use strict";
  document.querySelectorAll("form.team-change").forEach(function (form) {
    const select = form.querySelector("[data-role-select]");
    const tracks = form.querySelector("[data-tracks]");
    if (!select || !tracks) {
      return;
    }
    const scoped = (form.dataset.trackScoped || "").split(" ");
    const follow = function () {
      // Disabled too: a hidden box that stays ticked would still be sent.
      tracks.hidden = tracks.disabled = !scoped.includes(select.value);
    };
    select.addEventListener("change", follow);
    follow();
  });
})();
