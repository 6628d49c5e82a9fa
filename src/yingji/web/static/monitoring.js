/* Alarm console: refresh the rows when a live alarm event arrives. Warnings page: the warning map. */
(function () {
  "use strict";
  var Y = window.YINGJI || {};
  var rows = document.getElementById("alarm-rows");
  if (rows && Y.onEvent) {
    Y.onEvent(function (ev) {
      if (ev.entity !== "alarm") return;
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
    L.geoJSON(window.YINGJI_WARNINGS, {
      style: function (f) { return { color: f.properties.colour, weight: 2, fillOpacity: 0.25 }; },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.label); }
    }).addTo(map);
  }
})();
