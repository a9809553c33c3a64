// The public checkout, made nicer where JavaScript runs (it works without):
// - a form marked data-submit-once is sent once: a second click does nothing;
// - the event page's ticket form shows its running total;
// - the event page's tickets follow the stock live: the event socket says when
//   "availability" (the public's word for orders) or "tickets" changed, and the
//   availability JSON (ETag, 304) says how (the socket: live.js, loaded before).
(() => {
  "use strict";

  const WATCHED = ["availability", "orders", "tickets", "event"];

  // --- one submit per form -------------------------------------------------
  for (const form of document.querySelectorAll("form[data-submit-once]")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.submitted === "true") {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = "true";
      for (const button of form.querySelectorAll("button[type=submit]")) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        button.textContent = "Placing your order…";
      }
    });
  }
  // Back to a page kept in the browser's cache: it may be sent again (the server finds the same order).
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    for (const form of document.querySelectorAll("form[data-submit-once]")) {
      form.dataset.submitted = "false";
      for (const button of form.querySelectorAll("button[type=submit]")) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        button.textContent = "Place order";
      }
    }
  });

  const ticketForm = document.getElementById("ticket-form");
  if (!ticketForm) return;

  // --- running total ---------------------------------------------------------
  function rowTotal(row) {
    const quantity = row.querySelector("select.quantity");
    const count = quantity ? Number.parseInt(quantity.value, 10) || 0 : 0;
    if (!count) return 0;
    if (row.dataset.type === "donation") {
      // An amount below the ticket's minimum (a negative one too) is refused on Continue: no total counts it.
      const amount = row.querySelector("input.amount");
      const value = Number.parseFloat(amount && amount.value);
      return value >= (Number.parseFloat(amount && amount.min) || 0) ? count * value : Number.NaN;
    }
    return count * (Number.parseFloat(row.dataset.price) || 0);
  }

  function showTotal() {
    const output = document.getElementById("ticket-total");
    if (!output) return;
    let total = 0;
    let chosen = 0;
    for (const row of ticketForm.querySelectorAll(".ticket-offer")) {
      const quantity = row.querySelector("select.quantity");
      chosen += quantity ? Number.parseInt(quantity.value, 10) || 0 : 0;
      total += rowTotal(row);
    }
    const tickets = `${chosen} ticket${chosen === 1 ? "" : "s"}`;
    if (!chosen) output.textContent = "";
    else if (Number.isNaN(total)) output.textContent = `${tickets}; enter an amount of at least the minimum`;
    else output.textContent = `${tickets}, total ${total.toFixed(2)} ${output.dataset.currency || ""}`.trim();
  }

  ticketForm.addEventListener("input", showTotal);
  ticketForm.addEventListener("change", showTotal);
  showTotal();

  // --- live availability -------------------------------------------------------
  const BADGES = {
    on_sale: "text-bg-success",
    sold_out: "text-bg-danger",
    not_yet: "text-bg-secondary",
    ended: "text-bg-secondary",
  };
  let etag = null;

  function setChoices(select, ticket) {
    const current = Number.parseInt(select.value, 10) || 0;
    const values = [0];
    for (let n = ticket.min_quantity; n <= ticket.max_quantity; n += 1) values.push(n);
    select.replaceChildren(
      ...values.map((value) => {
        const option = document.createElement("option");
        option.value = String(value);
        option.textContent = String(value);
        return option;
      }),
    );
    select.value = String(values.includes(current) ? current : 0);
  }

  function apply(tickets) {
    for (const ticket of tickets) {
      const row = ticketForm.querySelector(`.ticket-offer[data-ticket="${Number(ticket.id)}"]`);
      if (!row) continue;
      row.dataset.state = ticket.state;
      const badge = row.querySelector(".offer-state");
      if (badge) {
        badge.textContent = ticket.label;
        badge.classList.remove(...Object.values(BADGES));
        badge.classList.add(BADGES[ticket.state] || "text-bg-secondary");
      }
      const hint = row.querySelector(".few-left");
      if (hint) hint.textContent = ticket.few_left ? `Only ${ticket.few_left} left` : "";
      const choice = row.querySelector(".offer-choice");
      if (choice) choice.hidden = ticket.state !== "on_sale";
      const select = row.querySelector("select.quantity");
      if (select) setChoices(select, ticket);
    }
    showTotal();
  }

  async function refresh() {
    const headers = etag ? { "If-None-Match": etag } : {};
    try {
      const response = await fetch(ticketForm.dataset.availabilityUrl, { headers, credentials: "same-origin" });
      if (response.status === 304) return;
      if (!response.ok) return;
      etag = response.headers.get("ETag");
      const body = await response.json();
      if (body && Array.isArray(body.tickets)) apply(body.tickets);
    } catch {
      // Offline for a moment: the next change, or reconnect, tries again.
    }
  }

  window.OpenEventLive.connect(ticketForm.dataset.wsPath, {
    onMessage(message) {
      if (message.type !== "versions" || !Array.isArray(message.changed)) return;
      // The first message after (re)connecting lists nothing: refetch in case we missed something.
      if (message.changed.length === 0 || message.changed.some((name) => WATCHED.includes(name))) refresh();
    },
    stopOn: [4403], // the event is no longer visible to us
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) refresh();
  });
})();
