// The public schedule page: render the schedule JSON as a grid by day and room
// (a list on narrow screens, see schedule.css), stars kept in this browser, the
// personal calendar feed, the time-zone switch, the "now" marker, and live
// updates through the event socket (live.js, loaded before). Everything it needs
// comes from data-* attributes of #schedule; no inline script, no inline handlers.
(() => {
  "use strict";

  const root = document.getElementById("schedule");
  if (!root) return;

  const config = root.dataset;
  const eventId = config.eventId;
  const eventZone = config.eventZone;
  const SLOT_MINUTES = 5;
  const MINUTE = 60 * 1000;
  const NOW_EVERY = 30 * 1000;
  // The resource lists whose changes the schedule shows (the socket names them).
  const WATCHED = ["event", "sessions", "tracks", "microlocations", "speakers"];
  const STARS_KEY = `schedule-stars-${eventId}`;
  const FEED_KEY = `schedule-feed-${eventId}`;
  const ZONE_KEY = "schedule-zone";
  const visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  let data = null;
  let etag = null;
  let zone = eventZone;

  // --- storage -------------------------------------------------------------

  function load(key, fallback) {
    try {
      const value = JSON.parse(window.localStorage.getItem(key));
      return value === null ? fallback : value;
    } catch {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Private mode or a full storage: stars last as long as the page.
    }
  }

  let stars = new Set(load(STARS_KEY, []).filter(Number.isInteger));

  // --- formatting ----------------------------------------------------------

  function timeFormat() {
    return new Intl.DateTimeFormat(undefined, {
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: zone,
    });
  }

  function dayFormat() {
    return new Intl.DateTimeFormat(undefined, {
      weekday: "long",
      day: "numeric",
      month: "long",
      year: "numeric",
      timeZone: eventZone,
    });
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function link(href, text) {
    const node = el("a", "", text);
    node.href = href;
    return node;
  }

  // --- rendering -----------------------------------------------------------

  function starButton(session) {
    const button = el("button", "btn btn-sm btn-link schedule-star p-0");
    button.type = "button";
    button.dataset.sessionId = String(session.id);
    const starred = stars.has(session.id);
    button.setAttribute("aria-pressed", String(starred));
    button.setAttribute("aria-label", `${starred ? "Unstar" : "Star"} ${session.title}`);
    button.textContent = starred ? "★" : "☆";
    return button;
  }

  function sessionCard(session, tracks, rooms, times) {
    const card = el("article", "schedule-session");
    card.dataset.sessionId = String(session.id);
    card.dataset.start = session.starts_at;
    card.dataset.end = session.ends_at;
    if (session.state === "cancelled") card.classList.add("is-cancelled");
    const track = tracks.get(session.track);
    if (track) {
      card.style.borderLeftColor = track.color;
      card.style.backgroundColor = `${track.color}1f`;
    }
    const head = el("div", "d-flex justify-content-between gap-1");
    const time = el("span", "schedule-time small text-body-secondary");
    time.textContent = `${times.format(new Date(session.starts_at))}–${times.format(new Date(session.ends_at))}`;
    head.append(time, starButton(session));
    const title = el("div", "schedule-title fw-semibold");
    title.append(link(session.url, session.title));
    if (session.state === "cancelled") title.append(" ", el("span", "badge text-bg-danger", "Cancelled"));
    const where = [rooms.get(session.room)?.name, track?.name].filter(Boolean).join(" · ");
    card.append(head, title);
    if (where) card.append(el("div", "schedule-where small text-body-secondary", where));
    if (session.speakers.length) {
      const people = el("div", "schedule-speakers small");
      session.speakers.forEach((speaker, index) => {
        if (index) people.append(", ");
        people.append(link(speaker.url, speaker.name));
      });
      card.append(people);
    }
    return card;
  }

  function renderDay(day, sessions, tracks, rooms, times) {
    const section = el("section", "schedule-day mb-4");
    section.dataset.day = day.date;
    section.dataset.start = day.start;
    section.dataset.end = day.end;
    const heading = el("h2", "h5", dayFormat().format(new Date(`${day.date}T12:00:00Z`)));
    section.append(heading);
    if (!sessions.length) {
      section.append(el("p", "text-body-secondary small", "No sessions on this day."));
      return section;
    }
    // Columns: the rooms used this day in the event's order, then sessions without a room.
    const used = new Set(sessions.map((session) => session.room));
    const columns = data.rooms.filter((room) => used.has(room.id)).map((room) => room.id);
    if (used.has(null)) columns.push(null);
    const first = Math.min(...sessions.map((s) => Date.parse(s.starts_at)));
    const last = Math.max(...sessions.map((s) => Date.parse(s.ends_at)));
    const gridStart = first - (first % (60 * MINUTE));
    const slots = Math.ceil((last - gridStart) / (SLOT_MINUTES * MINUTE));
    const row = (time) => 2 + Math.floor((time - gridStart) / (SLOT_MINUTES * MINUTE));

    const grid = el("div", "schedule-grid");
    grid.dataset.gridStart = String(gridStart);
    grid.dataset.gridEnd = String(gridStart + slots * SLOT_MINUTES * MINUTE);
    grid.style.gridTemplateColumns = `4rem repeat(${columns.length}, minmax(9rem, 1fr))`;
    // A slot's row grows when a short session's card needs more than its share (the rows are shared by every
    // room, so sessions that start together still line up).
    grid.style.gridTemplateRows = `auto repeat(${slots}, minmax(var(--schedule-slot), auto))`;
    columns.forEach((room, index) => {
      const header = el("div", "schedule-room", room === null ? "No room" : rooms.get(room).name);
      header.style.gridColumn = String(index + 2);
      header.style.gridRow = "1";
      grid.append(header);
    });
    // Hour marks by elapsed time, labelled in the chosen zone: a day with a clock change shows it.
    for (let mark = gridStart; mark < gridStart + slots * SLOT_MINUTES * MINUTE; mark += 60 * MINUTE) {
      const label = el("div", "schedule-hour small text-body-secondary", times.format(new Date(mark)));
      label.style.gridColumn = "1";
      label.style.gridRow = `${row(mark)} / span ${60 / SLOT_MINUTES}`;
      grid.append(label);
    }
    for (const session of sessions) {
      const card = sessionCard(session, tracks, rooms, times);
      const start = Date.parse(session.starts_at);
      const span = Math.max(1, Math.ceil((Date.parse(session.ends_at) - start) / (SLOT_MINUTES * MINUTE)));
      card.style.gridColumn = String(columns.indexOf(session.room) + 2);
      card.style.gridRow = `${row(start)} / span ${span}`;
      grid.append(card);
    }
    const marker = el("div", "schedule-now");
    marker.hidden = true;
    marker.setAttribute("aria-hidden", "true");
    grid.append(marker);
    section.append(grid);
    return section;
  }

  function render() {
    if (!data) return;
    const times = timeFormat();
    const tracks = new Map(data.tracks.map((track) => [track.id, track]));
    const rooms = new Map(data.rooms.map((room) => [room.id, room]));
    const byDay = new Map(data.days.map((day) => [day.date, []]));
    for (const session of data.sessions) byDay.get(session.day)?.push(session);
    root.replaceChildren(...data.days.map((day) => renderDay(day, byDay.get(day.date), tracks, rooms, times)));
    root.classList.add("is-rendered");
    updateNow();
    updateFeedPanel();
  }

  // --- now -----------------------------------------------------------------

  function updateNow() {
    const now = Date.now();
    for (const grid of root.querySelectorAll(".schedule-grid")) {
      const marker = grid.querySelector(".schedule-now");
      const start = Number(grid.dataset.gridStart);
      const end = Number(grid.dataset.gridEnd);
      const inside = now >= start && now < end;
      marker.hidden = !inside;
      if (inside) {
        marker.style.gridColumn = "1 / -1";
        marker.style.gridRow = String(2 + Math.floor((now - start) / (SLOT_MINUTES * MINUTE)));
        marker.dataset.now = new Date(now).toISOString();
        // In the list (phones) the marker sits before the first session still to come.
        const next = [...grid.querySelectorAll(".schedule-session")].find((card) => Date.parse(card.dataset.start) > now);
        grid.insertBefore(marker, next || null);
      }
      for (const card of grid.querySelectorAll(".schedule-session")) {
        card.classList.toggle("is-now", Date.parse(card.dataset.start) <= now && now < Date.parse(card.dataset.end));
        card.classList.toggle("is-past", Date.parse(card.dataset.end) <= now);
      }
    }
  }

  // --- data and live updates -----------------------------------------------

  async function refresh() {
    const headers = etag ? { "If-None-Match": etag } : {};
    let response;
    try {
      response = await fetch(config.dataUrl, { headers, credentials: "same-origin" });
    } catch (error) {
      console.warn("schedule: cannot load", error);
      return;
    }
    if (response.status === 304) return;
    if (!response.ok) {
      console.warn("schedule: answer", response.status);
      return;
    }
    etag = response.headers.get("ETag");
    data = await response.json();
    render();
  }

  function announce(text) {
    const live = document.getElementById("schedule-live");
    if (live) live.textContent = text;
  }

  function connect() {
    window.OpenEventLive.connect(config.wsPath, {
      onOpen() {
        root.dataset.live = "open";
      },
      onMessage(body) {
        if (body.type === "versions" && (body.changed || []).some((name) => WATCHED.includes(name))) {
          refresh().then(() => announce(`Updated at ${timeFormat().format(new Date())}.`));
        }
      },
      onClose() {
        root.dataset.live = "closed";
      },
    });
  }

  // --- stars and the personal feed -------------------------------------------

  function csrfHeaders() {
    return { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken };
  }

  function showFeed(feed) {
    const result = document.getElementById("personal-feed-result");
    result.hidden = !feed;
    document.getElementById("personal-feed-create").hidden = Boolean(feed);
    if (feed) {
      document.getElementById("personal-feed-url").value = feed.url;
      document.getElementById("personal-feed-webcal").href = feed.webcal_url;
    }
  }

  function showError(text) {
    const error = document.getElementById("personal-feed-error");
    error.hidden = !text;
    error.textContent = text || "";
  }

  function updateFeedPanel() {
    const count = stars.size;
    document.getElementById("personal-feed-count").textContent = count
      ? `${count} starred session${count === 1 ? "" : "s"}, kept in this browser.`
      : "Star sessions (☆) to keep them here, in this browser.";
    document.getElementById("personal-feed-create").disabled = count === 0;
    showFeed(load(FEED_KEY, null));
  }

  async function send(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: csrfHeaders(),
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = response.status === 204 ? {} : await response.json().catch(() => ({}));
    return { response, answer };
  }

  function errorText(answer) {
    return answer.sessions || answer.detail || "Something went wrong; try again.";
  }

  async function createFeed() {
    showError("");
    const { response, answer } = await send("POST", config.personalUrl, { sessions: [...stars] });
    if (response.status !== 201) {
      showError(errorText(answer));
      return;
    }
    save(FEED_KEY, { url: answer.url, webcal_url: answer.webcal_url, manage_url: answer.manage_url });
    updateFeedPanel();
  }

  let syncTimer = null;
  function syncFeed() {
    const feed = load(FEED_KEY, null);
    if (!feed) return;
    window.clearTimeout(syncTimer);
    syncTimer = window.setTimeout(async () => {
      if (!stars.size) return; // an empty feed is refused: keep the last set until a star comes back
      const { response, answer } = await send("PUT", feed.manage_url, { sessions: [...stars] });
      if (response.status === 404) save(FEED_KEY, null);
      showError(response.ok || response.status === 404 ? "" : errorText(answer));
      updateFeedPanel();
    }, 400);
  }

  async function revokeFeed() {
    const feed = load(FEED_KEY, null);
    if (!feed) return;
    const { response, answer } = await send("DELETE", feed.manage_url);
    if (response.status === 204 || response.status === 404) {
      save(FEED_KEY, null);
      showError("");
    } else {
      showError(errorText(answer));
    }
    updateFeedPanel();
  }

  function toggleStar(button) {
    const id = Number(button.dataset.sessionId);
    if (stars.has(id)) stars.delete(id);
    else stars.add(id);
    save(STARS_KEY, [...stars]);
    for (const other of root.querySelectorAll(`.schedule-star[data-session-id="${id}"]`)) {
      const starred = stars.has(id);
      other.setAttribute("aria-pressed", String(starred));
      other.setAttribute("aria-label", other.getAttribute("aria-label").replace(/^(Unstar|Star)/, starred ? "Unstar" : "Star"));
      other.textContent = starred ? "★" : "☆";
    }
    updateFeedPanel();
    syncFeed();
  }

  // --- time zone -------------------------------------------------------------

  function setUpZones() {
    const select = document.getElementById("schedule-zone");
    if (visitorZone && visitorZone !== eventZone) {
      const option = el("option", "", `my time (${visitorZone})`);
      option.value = visitorZone;
      select.append(option);
    }
    const saved = load(ZONE_KEY, eventZone);
    zone = [...select.options].some((option) => option.value === saved) ? saved : eventZone;
    select.value = zone;
    showZone();
    select.addEventListener("change", () => {
      zone = select.value;
      save(ZONE_KEY, zone);
      showZone();
      render();
    });
  }

  function showZone() {
    document.getElementById("schedule-zone-label").textContent = zone;
    document.getElementById("schedule-zone-whose").textContent =
      zone === eventZone ? "the event's time zone" : "your time zone";
  }

  // --- start -----------------------------------------------------------------

  document.getElementById("schedule-tools").hidden = false;
  document.getElementById("personal-feed").hidden = false;
  setUpZones();
  root.addEventListener("click", (event) => {
    const button = event.target.closest(".schedule-star");
    if (button) toggleStar(button);
  });
  document.getElementById("personal-feed-create").addEventListener("click", createFeed);
  document.getElementById("personal-feed-revoke").addEventListener("click", revokeFeed);
  document.getElementById("personal-feed-url").addEventListener("focus", (event) => event.target.select());
  for (const select of document.querySelectorAll("#schedule-filters select")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  updateFeedPanel();
  refresh();
  connect();
  window.setInterval(updateNow, NOW_EVERY);
})();
