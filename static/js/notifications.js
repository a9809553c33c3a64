// Live notifications: keep the navbar badge in step with the server and toast
// each new notification. Loaded (deferred) on every page of a signed-in user,
// after live.js (the socket); the socket path comes from the script tag's data-ws-path.
(() => {
  "use strict";

  const script =
    document.currentScript || document.querySelector("script[data-ws-path]");
  const path = (script && script.dataset.wsPath) || "/ws/notifications/";
  const TOAST_DELAY = 8000;

  function setCount(count) {
    const badge = document.getElementById("notification-badge");
    if (!badge || !Number.isInteger(count) || count < 0) return;
    badge.textContent = String(count);
    badge.dataset.count = String(count);
    badge.classList.toggle("d-none", count === 0);
  }

  // Only same-site paths and http(s) addresses become links.
  function safeHref(url) {
    if (typeof url !== "string" || url === "") return null;
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:"
        ? parsed.href
        : null;
    } catch {
      return null;
    }
  }

  // What a toast's link says, by the notification's action ("Open" otherwise).
  const LINK_LABELS = {
    role_invite: "Accept or decline",
    role_changed: "Open the event",
    role_removed: "Open",
    event_published: "See the public page",
    session_changed: "See the session",
  };

  // The notification's message is sanitized HTML; a toast shows its words only (no markup is inserted).
  function plainText(html) {
    if (typeof html !== "string" || html === "") return "";
    const parsed = new DOMParser().parseFromString(html, "text/html");
    return (parsed.body.textContent || "").replace(/\s+/g, " ").trim();
  }

  function showToast(notification) {
    const container = document.getElementById("toasts");
    if (!container || !window.bootstrap) return;

    const toast = document.createElement("div");
    toast.className = "toast";
    toast.setAttribute("role", "status");
    toast.setAttribute("aria-live", "polite");
    toast.setAttribute("aria-atomic", "true");
    toast.dataset.notificationId = String(notification.id);

    const header = document.createElement("div");
    header.className = "toast-header align-items-start";
    const title = document.createElement("strong");
    // The whole title, wrapped over lines if need be: it is what happened.
    title.className = "me-auto text-break toast-title";
    title.textContent = notification.title || "New notification";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close ms-2";
    close.dataset.bsDismiss = "toast";
    close.setAttribute("aria-label", "Close");
    header.append(title, close);
    toast.append(header);

    const text = plainText(notification.message);
    const href = safeHref(notification.url);
    if (text || href) {
      const body = document.createElement("div");
      body.className = "toast-body";
      if (text) {
        const paragraph = document.createElement("p");
        paragraph.className = href ? "mb-1" : "mb-0";
        paragraph.textContent = text;
        body.append(paragraph);
      }
      if (href) {
        const link = document.createElement("a");
        link.href = href;
        link.textContent = LINK_LABELS[notification.action] || "Open";
        body.append(link);
      }
      toast.append(body);
    }

    container.append(toast);
    toast.addEventListener("hidden.bs.toast", () => toast.remove());
    new window.bootstrap.Toast(toast, { delay: TOAST_DELAY }).show();
  }

  // The inbox's first page, when open, follows what arrives (a new notification, some marked read
  // elsewhere): the page is fetched again and its list swapped in, rendered by the server as on a reload.
  let refreshing = false;
  let refreshAgain = false;
  function refreshInbox() {
    const live = document.getElementById("inbox-live");
    if (!live || !live.dataset.liveUrl) return;
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    fetch(live.dataset.liveUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then((response) => (response.ok ? response.text() : null))
      .then((html) => {
        if (html === null) return;
        const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("inbox-live");
        if (fresh) live.replaceChildren(...fresh.childNodes);
      })
      .catch((error) => console.warn("notifications: inbox not refreshed", error))
      .finally(() => {
        refreshing = false;
        if (refreshAgain) {
          refreshAgain = false;
          refreshInbox();
        }
      });
  }

  function handle(message) {
    switch (message.type) {
      case "snapshot": {
        // Sent on each (re)connection: what was missed while the socket was away shows in the count.
        const badge = document.getElementById("notification-badge");
        const before = badge ? badge.dataset.count : undefined;
        setCount(message.unread_count);
        if (badge && before !== undefined && before !== badge.dataset.count) refreshInbox();
        break;
      }
      case "unread_count":
        setCount(message.unread_count);
        refreshInbox();
        break;
      case "notification":
        setCount(message.unread_count);
        if (message.notification) showToast(message.notification);
        refreshInbox();
        break;
      case "error":
        console.warn("notifications:", message.error);
        break;
      default:
        break;
    }
  }

  window.OpenEventLive.connect(path, { onMessage: handle });
})();
