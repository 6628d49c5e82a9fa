// yingji pages: live updates (server-sent events) with a visual and sound cue, CSRF header, session keep-alive.
// Strict CSP (script-src 'self'): the page's data arrives as JSON in <script type="application/json"> blocks
// and data-* attributes; every string from data reaches the DOM as text (textContent), never as HTML.
(function () {
  "use strict";
  var config = document.getElementById("yingji-config");
  var Y = window.YINGJI = config ? JSON.parse(config.textContent) : (window.YINGJI || {});
  var M = Y.messages || {};
  Y.maps = [];  // every Leaflet map of the page (for the live refresh and for tests)
  // The deployment's path prefix (YINGJI_ROOT_PATH, e.g. "/yingji"; "" at the root): Y.url("/incidents/5")
  // is where that path of the platform is for this browser. A full URL or an already prefixed path is kept.
  Y.root = (document.body && document.body.dataset.root) || "";
  Y.url = function (path) {
    if (typeof path !== "string" || path.charAt(0) !== "/" || path.charAt(1) === "/") return path;
    return Y.root && (path === Y.root || path.indexOf(Y.root + "/") === 0) ? path : Y.root + path;
  };

  // A text-only element: what Leaflet tooltips, popups and icons get instead of an HTML string.
  Y.text = function (value, tag) {
    var el = document.createElement(tag || "span");
    el.textContent = value === null || value === undefined ? "" : String(value);
    return el;
  };
  // Leaflet calls a tooltip's content function at each opening: a fresh text element every time.
  Y.tooltip = function (value) { return function () { return Y.text(value); }; };
  // JSON data of the page, from a <script type="application/json" id="..."> block.
  Y.data = function (id) {
    var block = document.getElementById(id);
    return block ? JSON.parse(block.textContent) : null;
  };
  // Division boundaries: an approximate area (built from positions where no boundary file was imported,
  // geo/approximate.py) is drawn dashed and named approximate wherever a boundary is shown.
  Y.boundaryStyle = function (base) {
    return function (feature) {
      var style = {};
      Object.keys(base).forEach(function (k) { style[k] = base[k]; });
      if (feature && feature.properties && feature.properties.approximate) style.dashArray = "4 4";
      return style;
    };
  };
  Y.boundaryName = function (props) {
    return (props.name || "") + (props.approximate ? " · " + (M["boundary.approximate"] || "approximate") : "");
  };
  // Same-origin paths only: a link from data can never be javascript: or another site.
  Y.safePath = function (href) { return typeof href === "string" && /^\/(?![\/\\])/.test(href) ? Y.url(href) : null; };
  // A fragment of rows rendered (and escaped) by the server's own templates replaces an element's children.
  // Parsed inert in a <template> (no script runs, nothing loads) and only from an OK same-origin answer.
  Y.fragment = function (html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    return t.content;
  };
  Y.fetchFragment = function (url) {
    return fetch(Y.url(url), { credentials: "same-origin", redirect: "error" }).then(function (r) {
      var type = r.headers.get("content-type") || "";
      if (!r.ok || type.indexOf("text/html") !== 0) throw new Error("no fragment");
      return r.text();
    });
  };
  // Colours and bar heights from data-* attributes (a style="" attribute would need 'unsafe-inline').
  var COLOUR = /^#[0-9a-fA-F]{3,8}$/;
  Y.paint = function (root) {
    (root || document).querySelectorAll("[data-bg]").forEach(function (el) {
      if (COLOUR.test(el.dataset.bg)) el.style.background = el.dataset.bg;
    });
    (root || document).querySelectorAll("[data-height]").forEach(function (el) {
      var h = parseFloat(el.dataset.height);
      if (isFinite(h)) el.style.height = Math.max(0, Math.min(100, h)) + "%";
    });
  };
  Y.paint(document);
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  Y.csrf = csrf;
  Y.listeners = [];
  Y.onEvent = function (fn) { Y.listeners.push(fn); };

  // -- mute switch, remembered per browser
  var muteButton = document.getElementById("mute");
  function muted() { return localStorage.getItem("yingji-muted") === "1"; }
  function showMute() {
    if (!muteButton) return;
    muteButton.textContent = muted() ? M["unmute"] : M["mute"];
    muteButton.setAttribute("aria-pressed", muted() ? "true" : "false");
  }
  if (muteButton) {
    muteButton.addEventListener("click", function () {
      localStorage.setItem("yingji-muted", muted() ? "0" : "1");
      showMute();
    });
    showMute();
  }

  // -- cue: a short two-tone beep made in the browser (no sound file, works offline)
  function beep() {
    if (muted()) return;
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      [880, 660].forEach(function (freq, i) {
        var osc = ctx.createOscillator(), gain = ctx.createGain();
        osc.frequency.value = freq; gain.gain.value = 0.08;
        osc.connect(gain); gain.connect(ctx.destination);
        osc.start(ctx.currentTime + i * 0.18); osc.stop(ctx.currentTime + i * 0.18 + 0.15);
      });
    } catch (e) { /* audio not allowed yet: the visual cue remains */ }
  }

  // Toasts stay out of the way: at most three, newest first, the same message counted rather than
  // repeated, gone after 10 s or on a click.
  var MAX_TOASTS = 3;
  function toast(text, href) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var same = Array.prototype.find.call(box.children, function (el) { return el.dataset.text === text; });
    if (same) {
      same.dataset.count = String(Number(same.dataset.count || "1") + 1);
      box.prepend(same);
      return;
    }
    var el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    el.dataset.text = text;
    if (Y.safePath(href)) {
      var a = document.createElement("a"); a.href = Y.safePath(href); a.textContent = text; el.appendChild(a);
    } else { el.textContent = text; }
    el.addEventListener("click", function (e) { if (e.target === el) el.remove(); });
    box.prepend(el);
    while (box.children.length > MAX_TOASTS) box.lastElementChild.remove();
    setTimeout(function () { el.remove(); }, 10000);
  }
  Y.toast = toast;

  var ENTITY_LINKS = { incident: "/incidents/" };
  function describe(ev) {
    var key = ev.entity + "." + ev.action;
    return (M["event." + key] || M["event." + ev.entity] || M["event.other"] || key) + " #" + ev.id;
  }

  // -- live events: one stream per browser, shared by all its tabs (live.js, live-worker.js)
  Y.resyncers = [];
  Y.onResync = function (fn) { Y.resyncers.push(fn); };
  function handle(ev) {
    var important = ["incident", "notification", "alarm", "warning", "duty_item"].indexOf(ev.entity) >= 0;
    var shownHere = Y.isLiveDetail && Y.isLiveDetail(ev);  // this page updates in place instead
    if (important && !shownHere) {
      toast(describe(ev), ENTITY_LINKS[ev.entity] ? ENTITY_LINKS[ev.entity] + ev.id : null);
      if (ev.action === "create" || ev.entity === "notification" || ev.entity === "alarm") beep();
    }
    Y.listeners.forEach(function (fn) { try { fn(ev); } catch (e) { console.error(e); } });
  }
  function receive(message) {
    if (!message) return;
    if (message.type === "resync") {
      Y.resyncers.forEach(function (fn) { try { fn(); } catch (e) { console.error(e); } });
      return;
    }
    if (message.type !== "event") return;
    var ev;
    try { ev = JSON.parse(message.data); } catch (e) { return; }
    if (ev && typeof ev.entity === "string") handle(ev);
  }
  if (document.body.dataset.lang && window.YINGJI_LIVE) {
    window.YINGJI_LIVE.connect(receive, document.body.dataset.user || "");
  }

  // -- incident list: refresh the rows in place when an incident changes
  var rows = document.getElementById("incident-rows");
  if (rows) {
    Y.onEvent(function (ev) {
      if (ev.entity === "incident") refreshRows();
    });
    Y.onResync(refreshRows);
  }
  function refreshRows() {
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "rows");
    Y.fetchFragment(url.toString()).then(function (html) { rows.replaceChildren(Y.fragment(html)); })
      .catch(function () { /* signed out or offline: keep the rows shown */ });
  }

  // -- duty desk: count down to each escalation
  function tick() {
    document.querySelectorAll(".timer[data-due]").forEach(function (el) {
      var left = Math.round((new Date(el.dataset.due) - new Date()) / 1000);
      var out = el.querySelector(".countdown");
      if (!out || el.dataset.status === "done" || el.dataset.status === "cancelled") return;
      var sign = left < 0 ? "-" : "";
      left = Math.abs(left);
      out.textContent = sign + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (sign) el.classList.add("timer-overdue");
    });
  }
  tick(); setInterval(tick, 1000);

  // -- keep the session alive while a page is open
  setInterval(function () {
    fetch(Y.url("/session/refresh"), { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
  }, 5 * 60 * 1000);
})();
