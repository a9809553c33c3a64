// The tickets step of the event wizard: add, remove and expand ticket rows of
// the Django inline formset in #tickets-table. No dependencies.
//
// Each ticket is one <tbody class="ticket" data-index="N"> whose inputs are
// named "<prefix>-N-<field>". New rows are clones of the formset's empty form
// (<template id="ticket-empty-form">, "__prefix__" replaced by the next index).
// Removing a saved row ticks its DELETE box and hides it (the server deletes
// it); removing a new row takes it out and moves the later new rows up one
// index, so indexes stay 0..TOTAL_FORMS-1 without gaps.
(function () {
  "use strict";

  const table = document.getElementById("tickets-table");
  const template = document.getElementById("ticket-empty-form");
  if (!table || !template) {
    return;
  }
  const prefix = table.dataset.prefix;
  const totalInput = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const maxNum = Number(document.getElementById(`id_${prefix}-MAX_NUM_FORMS`).value);
  const emptyState = document.getElementById("tickets-empty");
  const addButtons = document.querySelectorAll("[data-add-ticket]");
  const limitNote = document.getElementById("tickets-limit");

  function shownTickets() {
    return table.querySelectorAll("tbody.ticket:not([hidden])");
  }

  function refresh() {
    const shown = shownTickets().length;
    emptyState.hidden = shown > 0;
    const full = shown >= maxNum;
    addButtons.forEach((button) => {
      button.disabled = full;
    });
    if (limitNote) {
      limitNote.hidden = !full;
    }
  }

  function addTicket(type) {
    const index = Number(totalInput.value);
    const holder = document.createElement("template");
    holder.innerHTML = template.innerHTML.replaceAll("__prefix__", String(index)).trim();
    const body = holder.content.querySelector("tbody.ticket");
    body.dataset.ticketType = type;
    body.querySelector(`[name="${prefix}-${index}-type"]`).value = type;
    table.append(body);
    totalInput.value = String(index + 1);
    refresh();
    body.querySelector(`[name="${prefix}-${index}-name"]`).focus();
    return body;
  }

  const RENUMBERED = ["name", "id", "for", "aria-controls", "aria-describedby"];

  function renumber(body, from, to) {
    const old = `${prefix}-${from}-`;
    const now = `${prefix}-${to}-`;
    const elements = [body, ...body.querySelectorAll("*")];
    for (const element of elements) {
      for (const attribute of RENUMBERED) {
        const value = element.getAttribute(attribute);
        if (value && value.includes(old)) {
          element.setAttribute(attribute, value.replaceAll(old, now));
        }
      }
    }
    body.dataset.index = String(to);
  }

  function removeTicket(body) {
    const name = body.querySelector(`[name$="-name"]`).value.trim();
    const question = name ? `Remove the ticket “${name}”?` : "Remove this ticket?";
    if (!window.confirm(question)) {
      return;
    }
    const deleteBox = body.querySelector(`input[name$="-DELETE"]`);
    if (deleteBox) {
      deleteBox.checked = true;
      body.hidden = true;
    } else {
      const index = Number(body.dataset.index);
      body.remove();
      for (const other of table.querySelectorAll("tbody.ticket")) {
        const otherIndex = Number(other.dataset.index);
        if (otherIndex > index) {
          renumber(other, otherIndex, otherIndex - 1);
        }
      }
      totalInput.value = String(Number(totalInput.value) - 1);
    }
    refresh();
  }

  function toggleDetails(body, button) {
    const details = body.querySelector(".ticket-details");
    details.hidden = !details.hidden;
    button.setAttribute("aria-expanded", String(!details.hidden));
  }

  // The secret link of a saved ticket (the only way to buy it while hidden): select it, copy it if allowed.
  function copyLink(body, button) {
    const input = body.querySelector("input.secret-link");
    input.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(input.value).then(
        () => {
          button.textContent = "Copied";
        },
        () => {},
      );
    }
  }

  table.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) {
      return;
    }
    const body = button.closest("tbody.ticket");
    if (button.dataset.action === "remove") {
      removeTicket(body);
    } else if (button.dataset.action === "details") {
      toggleDetails(body, button);
    } else if (button.dataset.action === "copy-link") {
      copyLink(body, button);
    }
  });

  addButtons.forEach((button) => {
    button.addEventListener("click", () => addTicket(button.dataset.addTicket));
  });

  refresh();
})();
