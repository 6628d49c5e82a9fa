// The offline inspection checklist (docs/enforcement.md, "Offline inspection checklists"): what the inspector
// records is chained on the device (SHA-256 over the canonical JSON of each entry and the one before), kept in
// IndexedDB until the server has it, and sent when the browser is online. A conflict (another device changed the
// same item first) is shown with both versions for the inspector to choose; nothing is overwritten unseen.
// Strict CSP: no inline script; every text reaches the DOM through textContent.
(function () {
  "use strict";
  var form = document.getElementById("checklist-form");
  if (!form || !window.crypto || !crypto.subtle || !window.indexedDB || !window.TextEncoder) return;
  var Y = window.YINGJI || {};
  var T = form.dataset;
  var inspection = Number(T.inspection);
  var ALGORITHM = "sha256-checklist-v1";
  var status = document.getElementById("checklist-status");
  var conflictsBox = document.getElementById("checklist-conflicts");
  var serverDevices = JSON.parse(T.devices || "{}");
  var sending = false;

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function sha256(bytes) { return crypto.subtle.digest("SHA-256", bytes).then(hex); }
  function utf8(text) { return new TextEncoder().encode(text); }
  // json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for the values entries hold
  function canonical(value) {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    return "{" + Object.keys(value).sort().map(function (k) { return JSON.stringify(k) + ":" + canonical(value[k]); }).join(",") + "}";
  }
  function randomHex(n) { var a = new Uint8Array(n); crypto.getRandomValues(a); return hex(a.buffer); }
  function pad(n) { return String(n).padStart(2, "0"); }
  function now() {  // the device's clock with its offset (hashed as written)
    var d = new Date(), off = -d.getTimezoneOffset(), a = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + (off >= 0 ? "+" : "-") + pad(Math.floor(a / 60)) + ":" + pad(a % 60);
  }

  var device = localStorage.getItem("yingji-checklist-device");
  if (!device) { device = "web-" + randomHex(12); localStorage.setItem("yingji-checklist-device", device); }
  var storeKey = inspection + ":" + device;

  // -- the queue in IndexedDB: {serverHead, head, entries: [...], heads: {key: hash}}
  var dbReady = new Promise(function (resolve, reject) {
    var open = indexedDB.open("yingji-checklists", 1);
    open.onupgradeneeded = function () { open.result.createObjectStore("queues"); };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });
  function load() {
    return dbReady.then(function (db) {
      return new Promise(function (resolve, reject) {
        var get = db.transaction("queues").objectStore("queues").get(storeKey);
        get.onsuccess = function () { resolve(get.result || null); };
        get.onerror = function () { reject(get.error); };
      });
    });
  }
  function save(queue) {
    return dbReady.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("queues", "readwrite");
        tx.objectStore("queues").put(queue, storeKey);
        tx.oncomplete = function () { resolve(queue); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function pageHeads() {
    var heads = {};
    document.querySelectorAll("[data-head]").forEach(function (el) { if (el.dataset.head) heads[el.dataset.key] = el.dataset.head; });
    return heads;
  }
  function genesis() { return sha256(utf8(ALGORITHM + "\ninspection:" + inspection + "\ndevice:" + device)); }
  var queueReady = load().then(function (queue) {
    if (queue) return queue;
    var known = serverDevices[device];
    return (known ? Promise.resolve(known) : genesis()).then(function (head) {
      return save({ serverHead: head, head: head, entries: [], heads: pageHeads() });
    });
  });
  var chainLock = Promise.resolve();  // entries are chained one after another
  function withQueue(fn) {
    chainLock = chainLock.then(function () { return queueReady; }).then(fn).catch(function (e) { show(T.tError + " " + e); });
    return chainLock;
  }

  function hashOf(entry) {
    return sha256(utf8(canonical({ algorithm: ALGORITHM, client_id: entry.client_id, device_id: device, kind: entry.kind,
      key: entry.key, body: entry.body, recorded_at: entry.recorded_at, base: entry.base, prev: entry.prev })));
  }
  function add(kind, key, body, extra) {
    return withQueue(function (queue) {
      var cid = randomHex(16);
      var entry = { client_id: cid, kind: kind, key: key || kind + ":" + cid, body: body, recorded_at: now(),
        base: kind === "check" || kind === "note" ? (queue.heads[key] || null) : null, prev: queue.head };
      Object.keys(extra || {}).forEach(function (k) { entry[k] = extra[k]; });
      return hashOf(entry).then(function (hash) {
        entry.hash = hash;
        queue.head = hash;
        queue.heads[entry.key] = hash;
        queue.entries.push(entry);
        return save(queue);
      }).then(function () { showQueued(queue); sync(); });
    });
  }
  // After a conflict is resolved: chain the queue again from the server's head (client ids kept). ``moved`` maps
  // a hash that is gone (a dropped or re-hashed entry) to the one an edit made on it now names.
  function rechain(queue, moved) {
    var head = queue.serverHead;
    return queue.entries.reduce(function (done, entry) {
      return done.then(function () {
        if (entry.base && moved[entry.base]) entry.base = moved[entry.base];
        entry.prev = head;
        var old = entry.hash;
        return hashOf(entry).then(function (hash) {
          moved[old] = hash; entry.hash = hash; head = hash; queue.heads[entry.key] = hash;
        });
      });
    }, Promise.resolve()).then(function () { queue.head = head; return save(queue); });
  }

  function show(text) { status.textContent = text; }
  function showQueued(queue) {
    show(queue.entries.length ? T.tQueued.replace("{n}", queue.entries.length) + (navigator.onLine ? "" : " · " + T.tOffline) : T.tSynced);
    form.dataset.queued = String(queue.entries.length);
  }
  function batchOf(entries) {
    var out = [], photos = 0;
    for (var i = 0; i < entries.length && out.length < 500; i++) {
      if (entries[i].photo_base64 && ++photos > 5) break;
      out.push(entries[i]);
    }
    return out;
  }

  function sync() {
    if (sending || !navigator.onLine) return queueReady.then(showQueued);
    sending = true;
    return withQueue(function (queue) {
      if (!queue.entries.length) { sending = false; showQueued(queue); return null; }
      var batch = batchOf(queue.entries);
      return fetch(T.sync, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": Y.csrf || "" },
        body: JSON.stringify({ device_id: device, entries: batch })
      }).then(function (r) {
        return r.json().then(function (body) { return { status: r.status, body: body }; });
      }).then(function (answer) {
        sending = false;
        if (answer.status === 200) {
          var done = {};
          answer.body.accepted.concat(answer.body.duplicates).forEach(function (c) { done[c] = true; });
          queue.entries = queue.entries.filter(function (e) { return !done[e.client_id]; });
          queue.serverHead = answer.body.head;
          return save(queue).then(function () {
            showQueued(queue);
            if (queue.entries.length) setTimeout(sync, 0);  // more than one batch, or added meanwhile
            form.dataset.synced = String(answer.body.sync_id || "");
            return null;
          });
        }
        if (answer.status === 409 && answer.body.conflicts) return showConflicts(queue, answer.body.conflicts);
        show(T.tRefused + " " + (answer.body.detail || answer.status));  // kept in the queue, nothing lost
        return null;
      }, function () { sending = false; showQueued(queue); });
    });
  }

  function showConflicts(queue, conflicts) {
    conflictsBox.textContent = "";
    conflictsBox.hidden = false;
    show(T.tConflict);
    var left = conflicts.length;
    conflicts.forEach(function (c) {
      var mine = queue.entries.find(function (e) { return e.client_id === c.client_id; });
      var li = document.createElement("li");
      var theirs = c.current ? c.current.body : {};
      li.appendChild(Y.text(c.key + " — " + T.tMine + ": " + describe(mine && mine.body) + " · " + T.tTheirs + ": " +
        describe(theirs) + (c.current ? " (" + c.current.device_id + ", " + c.current.recorded_at + ")" : "")));
      [["keep", T.tKeepMine], ["take", T.tTakeTheirs]].forEach(function (choice) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "checklist-" + choice[0];
        button.textContent = choice[1];
        button.addEventListener("click", function () {
          withQueue(function (q) {
            var moved = {}, current = c.current ? c.current.hash : null;
            if (choice[0] === "keep") {
              q.entries.forEach(function (e) { if (e.client_id === c.client_id) e.base = current; });
            } else {
              q.entries = q.entries.filter(function (e) {
                if (e.client_id === c.client_id) { moved[e.hash] = current; return false; }
                return true;
              });
              q.heads[c.key] = current;
            }
            return rechain(q, moved);
          }).then(function () {
            li.remove();
            if (--left === 0) { conflictsBox.hidden = true; sync(); }
          });
        });
        li.appendChild(button);
      });
      conflictsBox.appendChild(li);
    });
    return null;
  }
  function describe(body) {
    if (!body) return "—";
    var parts = [];
    if (body.result) parts.push(T["tResult_" + body.result] || body.result);
    if (body.note) parts.push(body.note);
    if (body.text) parts.push(body.text);
    return parts.join(" · ") || "—";
  }

  // -- what the inspector does
  form.hidden = false;
  document.querySelectorAll(".checklist-input").forEach(function (el) { el.hidden = false; });
  form.addEventListener("submit", function (event) { event.preventDefault(); sync(); });
  document.querySelectorAll("select.checklist-result").forEach(function (select) {
    select.addEventListener("change", function () {
      if (!select.value) return;
      var note = document.querySelector('input.checklist-note[data-key="' + select.dataset.key + '"]');
      var body = { result: select.value };
      if (note && note.value.trim()) body.note = note.value.trim();
      add("check", select.dataset.key, body);
    });
  });
  var summary = document.getElementById("checklist-summary");
  if (summary) summary.addEventListener("change", function () { add("note", "summary", { text: summary.value }); });
  var findingAdd = document.getElementById("checklist-finding-add");
  if (findingAdd) findingAdd.addEventListener("click", function () {
    var text = document.getElementById("checklist-finding-text"), hazard = document.getElementById("checklist-finding-hazard");
    if (!text.value.trim()) { text.focus(); return; }
    var body = { text: text.value.trim(), violation: document.getElementById("checklist-finding-violation").checked };
    if (hazard.value.trim()) body.hazard_title = hazard.value.trim();
    add("finding", null, body);
    text.value = ""; hazard.value = "";
  });
  var photo = document.getElementById("checklist-photo");
  if (photo) photo.addEventListener("change", function () {
    Array.prototype.forEach.call(photo.files, function (file) {
      if (file.type !== "image/jpeg" && file.type !== "image/png") { show(T.tNotImage); return; }
      file.arrayBuffer().then(function (buffer) {
        return sha256(buffer).then(function (digest) {
          var bytes = new Uint8Array(buffer), text = "";
          for (var i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
          return add("photo", null, { sha256: digest, media_type: file.type, size: file.size }, { photo_base64: btoa(text) });
        });
      });
    });
    photo.value = "";
  });
  window.addEventListener("online", sync);
  window.addEventListener("offline", function () { queueReady.then(showQueued); });
  if ("serviceWorker" in navigator && T.worker) {
    navigator.serviceWorker.register(T.worker, { scope: T.workerScope }).catch(function () { /* offline reload unavailable */ });
  }
  queueReady.then(function (queue) { showQueued(queue); sync(); });
})();
