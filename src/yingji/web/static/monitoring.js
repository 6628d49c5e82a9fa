/* Alarm console: refresh the rows and the unacknowledged count when a live alarm event arrives.
   Warnings pages: the warning map. */
(function () {
  "use strict";
  var Y = window.YINGJI || {};
  var rows = document.getElementById("alarm-rows");
  function refreshCount() {
    var count = document.getElementById("unack-count");
    if (!count) return;
    Y.fetchFragment("/alarms?fragment=count")
      .then(function (html) {  // a signed-out session answers the login page: keep the old count then
        var fresh = Y.fragment(html.trim()).getElementById("unack-count");
        if (fresh) count.replaceWith(fresh);
      }).catch(function () {});
  }
  if ((rows || document.getElementById("unack-count")) && Y.onEvent) {
    Y.onEvent(function (ev) {
      if (ev.entity !== "alarm") return;
      refreshCount();
      if (!rows) return;
      Y.fetchFragment("/alarms?fragment=rows")
        .then(function (html) { rows.replaceChildren(Y.fragment(html)); }).catch(function () {});
    });
  }
  var box = document.getElementById("warning-map");
  if (box && window.L) {
    var map = L.map(box);
    Y.maps.push(map);
    var j = Y.jurisdiction || {};
    if (j.bbox) map.fitBounds([[j.bbox[1], j.bbox[0]], [j.bbox[3], j.bbox[2]]]);
    else map.setView([j.lat || 30, j.lon || 100], 7);
    if (Y.tileUrl) L.tileLayer(Y.tileUrl, { maxZoom: 18 }).addTo(map);
    fetch(Y.url("/api/v1/divisions/boundaries?level=county"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (g) { if (g) L.geoJSON(g, { style: Y.boundaryStyle({ color: "#888", weight: 1, fill: false }) }).addTo(map); });
    var areas = L.geoJSON(Y.data("warnings-data"), {
      style: function (f) { return { color: f.properties.colour, weight: 2, fillOpacity: 0.25 }; },
      onEachFeature: function (f, layer) { layer.bindTooltip(Y.tooltip(f.properties.label)); }
    }).addTo(map);
    // one warning's page: show its area rather than the whole jurisdiction
    if (document.getElementById("warning") && areas.getLayers().length) map.fitBounds(areas.getBounds());
  }
})();
