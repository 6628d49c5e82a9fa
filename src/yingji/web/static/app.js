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
  // A platform path's JSON, with the session cookie: Y.getJSON("/api/v1/…").then(function (body) { … }).
  Y.getJSON = function (path) {
    return fetch(Y.url(path), { credentials: "same-origin" }).then(function (r) { return r.json(); });
  };
  // The map of a record's own data (an assessment, a dispatch plan), where the page has the element of that id:
  // a map on it with the county boundaries as thin lines behind, then draw(map, data, el), data being the
  // element's data-map JSON.
  Y.dataMap = function (id, draw) {
    var el = document.getElementById(id);
    if (!el) return;
    var map = Y.newMap(el, { preferCanvas: true, zoomSnap: 0.25 });
    Y.getJSON("/api/v1/divisions/boundaries?level=county").then(function (fc) {
      L.geoJSON(fc, { style: Y.boundaryStyle({ color: "#4a6785", weight: 1, fill: false }) }).addTo(map).bringToBack();
    });
    draw(map, JSON.parse(el.dataset.map), el);
  };
  Y.boundaryName = function (props) {
    return (props.name || "") + (props.approximate ? " · " + (M["boundary.approximate"] || "approximate") : "");
  };
  // -- the base map. Every map of the pages is made here: on the configured tiles (YINGJI_TILE_URL and its
  // settings, Y.tiles) in their grid — web Mercator; CGCS2000 longitude-latitude (Leaflet's EPSG:4326: the
  // two datums differ by centimetres); GCJ-02, web Mercator on the shifted datum of Chinese map apps, the
  // platform's WGS 84 data moved onto it by the offset geo/coords.py uses — with the provider's subdomains,
  // key and credit. Without tiles the pages draw their own division boundaries (offline).
  var GCJ_A = 6378245.0, GCJ_EE = 0.00669342162296594323;
  function gcjOffset(lng, lat) {
    var x = lng - 105.0, y = lat - 35.0, PI = Math.PI;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dLat += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dLng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dLng += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLng += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dLng += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * PI, magic = 1 - GCJ_EE * Math.sin(rad) * Math.sin(rad), sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtMagic) * PI);
    dLng = (dLng * 180.0) / (GCJ_A / sqrtMagic * Math.cos(rad) * PI);
    return [dLng, dLat];
  }
  function outsideChina(lng, lat) { return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  Y.toGcj = function (lng, lat) {
    if (outsideChina(lng, lat)) return [lng, lat];
    var d = gcjOffset(lng, lat);
    return [lng + d[0], lat + d[1]];
  };
  Y.fromGcj = function (lng, lat) {  // the inverse by fixed-point iteration, as geo/coords.py does
    var w = [lng, lat];
    for (var i = 0; i < 30; i++) {
      var f = Y.toGcj(w[0], w[1]), e0 = f[0] - lng, e1 = f[1] - lat;
      w = [w[0] - e0, w[1] - e1];
      if (Math.max(Math.abs(e0), Math.abs(e1)) < 1e-10) break;
    }
    return w;
  };
  function gcjCrs() {
    var merc = L.Projection.SphericalMercator;
    var projection = {
      R: merc.R,
      MAX_LATITUDE: merc.MAX_LATITUDE,
      bounds: merc.bounds,
      project: function (ll) { var g = Y.toGcj(ll.lng, ll.lat); return merc.project(L.latLng(g[1], g[0])); },
      unproject: function (p) { var g = merc.unproject(p), w = Y.fromGcj(g.lng, g.lat); return L.latLng(w[1], w[0]); }
    };
    return L.extend({}, L.CRS.EPSG3857, { code: "GCJ-02", projection: projection });
  }
  function escapeText(text) {  // the credit is shown as HTML by Leaflet: the configured text, escaped
    return String(text || "").replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  Y.escapeText = escapeText;
  Y.newMap = function (el, options) {
    var t = Y.tiles || {}, opts = {};
    Object.keys(options || {}).forEach(function (k) { opts[k] = options[k]; });
    if (t.url && t.crs === "CGCS2000") opts.crs = L.CRS.EPSG4326;
    if (t.url && t.crs === "GCJ-02") opts.crs = gcjCrs();
    var map = L.map(el, opts);
    if (t.url) {
      var tileOptions = { maxZoom: t.maxZoom || 18, attribution: escapeText(t.attribution) };
      if (t.subdomains) tileOptions.subdomains = t.subdomains;
      if (t.zoomOffset) tileOptions.zoomOffset = t.zoomOffset;
      if (t.key) tileOptions.key = t.key;
      map.tileLayer = L.tileLayer(t.url, tileOptions).addTo(map);
    }
    Y.maps.push(map);
    return map;
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
