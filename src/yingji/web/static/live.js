/* yingji live events, one connection per browser: the tabs share one server-sent event stream so that
   they never use up the browser's six connections per server (HTTP/1.1), which froze navigation.
   - SharedWorker (live-worker.js) where the browser has one: the worker holds the stream;
   - otherwise a leader tab elected through Web Locks holds it and relays on a BroadcastChannel;
   - otherwise (old browsers) each visible tab holds its own.
   In every case the stream is open only while some tab of the browser is visible, and every tab gets
   every event. receive(message) gets {type: "event", data: "<json>"} or {type: "resync"} (the stream
   opened again after a gap: refresh what may have been missed).
   window.YINGJI_LIVE.connect(receive, user) starts it; mode() says which way was taken (for tests). */
(function () {
  "use strict";
  var mode = "none";

  function visible() { return document.visibilityState === "visible"; }
  // the deployment's path prefix (YINGJI_ROOT_PATH): this file runs before app.js defines YINGJI.url
  function root() { return (document.body && document.body.dataset.root) || ""; }

  function openSource(deliver) {
    var source = new EventSource(root() + "/api/v1/events");
    var opened = false;
    source.addEventListener("open", function () {
      if (opened) deliver({ type: "resync" });
      opened = true;
    });
    source.addEventListener("message", function (msg) { deliver({ type: "event", data: msg.data }); });
    return source;
  }

  function viaSharedWorker(receive, user) {
    var worker;
    try {
      worker = new SharedWorker(root() + "/static/live-worker.js", { name: "yingji-live" });
    } catch (e) {
      return false;  // e.g. blocked by policy: fall back
    }
    var port = worker.port;
    port.addEventListener("message", function (m) { receive(m.data); });
    port.start();
    function say(type) { port.postMessage({ type: type, user: user, visible: visible() }); }
    say("hello");
    document.addEventListener("visibilitychange", function () { say("visible"); });
    window.addEventListener("pagehide", function () { say("bye"); });
    window.addEventListener("pageshow", function (e) { if (e.persisted) say("hello"); });
    setInterval(function () { if (visible()) say("alive"); }, 30000);
    return true;
  }

  function viaLeaderTab(receive) {
    var channel = new BroadcastChannel("yingji-live");
    channel.addEventListener("message", function (m) { receive(m.data); });
    var waiting = null;  // AbortController of a pending lock request
    var release = null;  // ends this tab's leadership
    var hadLeader = false;
    function lead() {
      if (waiting || release || !visible()) return;
      waiting = new AbortController();
      navigator.locks.request("yingji-live-leader", { signal: waiting.signal }, function () {
        waiting = null;
        return new Promise(function (resolve) {
          var source = openSource(function (message) { channel.postMessage(message); receive(message); });
          if (hadLeader) { channel.postMessage({ type: "resync" }); receive({ type: "resync" }); }
          hadLeader = true;
          release = function () { source.close(); release = null; resolve(); };
        });
      }).catch(function () { /* aborted while waiting */ });
    }
    function stepDown() {
      if (waiting) { waiting.abort(); waiting = null; }
      if (release) release();
    }
    document.addEventListener("visibilitychange", function () { if (visible()) lead(); else stepDown(); });
    window.addEventListener("pagehide", stepDown);
    window.addEventListener("pageshow", function (e) { if (e.persisted) lead(); });
    lead();
  }

  function perTab(receive) {
    var source = null;
    function sync() {
      if (visible() && !source) source = openSource(receive);
      else if (!visible() && source) { source.close(); source = null; }
    }
    document.addEventListener("visibilitychange", sync);
    window.addEventListener("pagehide", function () { if (source) { source.close(); source = null; } });
    window.addEventListener("pageshow", sync);
    sync();
  }

  function connect(receive, user) {
    if (!window.EventSource) return;
    if (window.SharedWorker && viaSharedWorker(receive, user)) { mode = "shared-worker"; return; }
    if (window.BroadcastChannel && navigator.locks && window.AbortController) {
      mode = "leader-tab";
      viaLeaderTab(receive);
      return;
    }
    mode = "per-tab";
    perTab(receive);
  }

  window.YINGJI_LIVE = { connect: connect, mode: function () { return mode; } };
})();
