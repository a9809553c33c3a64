// The one reconnecting WebSocket of the pages (the notifications badge, the
// event page's live availability, the schedule's live updates):
//
//   window.OpenEventLive.connect(path, {
//     onMessage(message) {},  // each message that parses as a JSON object
//     onOpen() {}, onClose(event) {},  // optional
//     stopOn: [4403],  // optional: close codes after which it stays closed
//   });
//
// It reconnects after a close, waiting 1 s and doubling the wait up to 30 s
// while connecting fails; an open socket starts the wait at 1 s again.
// Loaded (deferred) before the scripts that use it; no inline script.
(() => {
  "use strict";

  const MIN_DELAY = 1000;
  const MAX_DELAY = 30000;

  function socketUrl(path) {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}${path}`;
  }

  function connect(path, { onMessage, onOpen, onClose, stopOn = [] } = {}) {
    if (!path || !("WebSocket" in window)) return;
    let delay = MIN_DELAY;
    let retryTimer = null;

    function scheduleReconnect() {
      if (retryTimer !== null) return;
      const wait = delay;
      delay = Math.min(delay * 2, MAX_DELAY);
      retryTimer = window.setTimeout(() => {
        retryTimer = null;
        open();
      }, wait);
    }

    function open() {
      let socket;
      try {
        socket = new WebSocket(socketUrl(path));
      } catch (error) {
        // A malformed address: the same on every try, so none is made.
        console.warn("live: cannot open the socket", error);
        return;
      }
      socket.addEventListener("open", () => {
        delay = MIN_DELAY;
        if (onOpen) onOpen();
      });
      socket.addEventListener("message", (event) => {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        if (message && typeof message === "object") onMessage(message);
      });
      // A refused or dropped socket fires "close" (after "error"); retry from there.
      socket.addEventListener("close", (event) => {
        if (onClose) onClose(event);
        if (!stopOn.includes(event.code)) scheduleReconnect();
      });
    }

    open();
  }

  window.OpenEventLive = { connect };
})();
