// yingji pages: live updates (server-sent events) with a visual and sound cue, CSRF header, session keep-alive.
(function () {
  "use strict";
  var Y = window.YINGJI || {};
  var M = Y.messages || {};
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
    if (href) {
      var a = document.createElement("a"); a.href = href; a.textContent = text; el.appendChild(a);
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
    fetch(url.toString(), { credentials: "same-origin" }).then(function (r) { return r.text(); })
      .then(function (html) { rows.innerHTML = html; });
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
    fetch("/session/refresh", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
  }, 5 * 60 * 1000);
})();
