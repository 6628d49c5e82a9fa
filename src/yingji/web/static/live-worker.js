/* yingji live hub (a SharedWorker): one server-sent event stream per browser, shared by all its tabs.
   A stream per tab used up the browser's six HTTP/1.1 connections per server, and the seventh click
   waited a minute. Tabs say hello (with their user and whether they are visible), say when their
   visibility changes, say alive every 30 s while visible, and say bye when they are left. The stream is
   open while at least one tab is visible and closed when none is; every event goes to every tab, visible
   or not. When a stream opens again after a gap, the tabs are told to resync (they may have missed
   events). */
"use strict";

var STALE_MS = 90000;  // a visible tab not heard from in this long (crashed) no longer holds the stream open
var tabs = [];
var source = null;
var sourceUser = null;
var everOpened = false;

function broadcast(message) {
  tabs.forEach(function (tab) {
    try { tab.port.postMessage(message); } catch (e) { /* the tab is gone */ }
  });
}

// The deployment's path prefix (YINGJI_ROOT_PATH): where this worker's own script was served from.
var ROOT = self.location.pathname.replace(/\/static\/live-worker\.js$/, "");

function relay(msg) { broadcast({ type: "event", data: msg.data }); }

function openStream(user) {
  source = new EventSource(ROOT + "/api/v1/events");
  sourceUser = user;
  source.addEventListener("open", function () {
    if (everOpened) broadcast({ type: "resync" });
    everOpened = true;
  });
  source.addEventListener("message", relay);
}

function reconcile() {
  var now = Date.now();
  var visible = tabs.filter(function (tab) { return tab.visible && now - tab.seen < STALE_MS; });
  var user = visible.length ? visible[visible.length - 1].user : null;
  // a stream the server ended for good (signed out: it answers 401 and the browser gives up) is reopened
  // when a tab says hello again after signing in
  if (source && source.readyState === EventSource.CLOSED) { source = null; sourceUser = null; }
  if (source && user !== sourceUser) {  // nobody looking, or another user signed in: this stream ends
    source.close();
    source = null;
    sourceUser = null;
  }
  if (!source && user !== null) openStream(user);
}

self.addEventListener("connect", function (e) {
  var tab = { port: e.ports[0], visible: false, user: null, seen: Date.now() };
  tab.port.addEventListener("message", function (m) {
    var d = m.data || {};
    tab.seen = Date.now();
    if (d.type === "bye") {
      tabs = tabs.filter(function (other) { return other !== tab; });
    } else {
      if (tabs.indexOf(tab) < 0) tabs.push(tab);  // first hello, or back from the page cache
      tab.visible = !!d.visible;
      if (typeof d.user === "string") tab.user = d.user;
    }
    reconcile();
  });
  tab.port.start();
});

setInterval(reconcile, 30000);
