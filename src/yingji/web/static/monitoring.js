/* Alarm console: refresh the rows and the unacknowledged count when a live alarm event arrives.
   Warnings pages: the warning map. */
(function () {
  "use strict";
  var Y = window.YINGJI || {};
  var rows = document.getElementById("alarm-rows");
  function refreshCount() {
    var count = document.getElementById("unack-count");
    if (!count) return;
    fetch("/alarms?fragment=count", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {  // a signed-out session answers the login page: keep the old count then
        if (html && html.indexOf('id="unack-count"') >= 0) count.outerHTML = html.trim();
      });
  }
  if ((rows || document.getElementById("unack-count")) && Y.onEvent) {
    Y.onEvent(function (ev) {
      if (ev.entity !== "alarm") return;
      refreshCount();
      if (!rows) return;
      fetch("/alarms?fragment=rows", { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) { rows.innerHTML = html; });
    });
  }
  var box = document.getElementById("warning-map");
  if (box && window.L) {
    var map = L.map(box);
    var j = Y.jurisdiction || {};
    if (j.bbox) map.fitBounds([[j.bbox[1], j.bbox[0]], [j.bbox[3], j.bbox[2]]]);
    else map.setView([j.lat || 30, j.lon || 100], 7);
    if (Y.tileUrl) L.tileLayer(Y.tileUrl, { maxZoom: 18 }).addTo(map);
    fetch("/api/v1/divisions/boundaries?level=county", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (g) { if (g) L.geoJSON(g, { style: { color: "#888", weight: 1, fill: false } }).addTo(map); });
    var areas = L.geoJSON(window.YINGJI_WARNINGS, {
      style: function (f) { return { color: f.properties.colour, weight: 2, fillOpacity: 0.25 }; },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.label); }
    }).addTo(map);
    // one warning's page: show its area rather than the whole jurisdiction
    if (document.getElementById("warning") && areas.getLayers().length) map.fitBounds(areas.getBounds());
  }
})();
