/* An open record's page (incident, alarm, warning) updates in place when someone else changes it: on a
   live event about the record (or, with data-live-also, about its tasks, calls, …) the page is read again
   and each element marked data-live (by id) is swapped for its new version. A part the user is typing in
   is left alone, but the hidden version/revision fields of its forms are brought up to date, so that a
   form sent afterwards does not fail on a stale version. The new nodes come from the server's own
   escaped HTML, parsed inertly (DOMParser runs no script). */
(function () {
  "use strict";
  var Y = window.YINGJI || {};
  var root = document.querySelector("[data-live-entity]");
  if (!root || !Y.onEvent) return;
  var entity = root.dataset.liveEntity;
  var id = String(root.dataset.liveId || "");
  var also = (root.dataset.liveAlso || "").split(/\s+/).filter(Boolean);
  var timer = null;
  var busyFetch = false;
  var again = false;

  function edited(el) {
    if (el.contains(document.activeElement) && document.activeElement !== document.body &&
        /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) return true;
    var fields = el.querySelectorAll("input:not([type=hidden]), textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.tagName === "SELECT") {
        for (var j = 0; j < f.options.length; j++) {
          if (f.options[j].selected !== f.options[j].defaultSelected) return true;
        }
      } else if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.value !== f.defaultValue) return true;
    }
    return false;
  }

  function syncVersions(doc) {
    document.querySelectorAll("form[action] input[type=hidden][name=version], form[action] input[type=hidden][name=revision]")
      .forEach(function (input) {
        var form = input.form;
        var twin = doc.querySelector('form[action="' + CSS.escape(form.getAttribute("action")) + '"] input[name="' +
          input.name + '"]');
        if (twin) { input.value = twin.value; input.defaultValue = twin.value; }
      });
  }

  function swap(doc) {
    document.querySelectorAll("[data-live][id]").forEach(function (el) {
      var fresh = doc.getElementById(el.id);
      if (!fresh || edited(el)) return;
      var open = el.tagName === "DETAILS" ? el.open : null;
      var node = document.importNode(fresh, true);
      if (open !== null) node.open = open;
      el.replaceWith(node);
    });
    syncVersions(doc);
    root.dataset.liveRefreshed = String(Number(root.dataset.liveRefreshed || "0") + 1);
    document.dispatchEvent(new CustomEvent("yingji:refreshed"));
  }

  function refresh() {
    if (busyFetch) { again = true; return; }
    busyFetch = true;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) {
        var type = r.headers.get("content-type") || "";
        return r.ok && type.indexOf("text/html") === 0 ? r.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-live-entity]");
        if (fresh && fresh.dataset.liveId === id) swap(doc);  // not the login page or an error
      })
      .catch(function () { /* offline for a moment: the next event tries again */ })
      .then(function () {
        busyFetch = false;
        if (again) { again = false; refresh(); }
      });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);  // a burst of events (a commit writes several) reads the page once
  }

  Y.onEvent(function (ev) {
    if ((ev.entity === entity && String(ev.id) === id) || also.indexOf(ev.entity) >= 0) soon();
  });
  if (Y.onResync) Y.onResync(soon);
  Y.isLiveDetail = function (ev) { return ev.entity === entity && String(ev.id) === id; };
})();
