// The assessment page's map: the intensity zones (from the zones GeoJSON), the epicentre and the
// geohazard sites to inspect, on the platform's own division boundaries (no tiles needed).
(function () {
  "use strict";
  var Y = window.YINGJI || {};
  Y.dataMap("quake-map", function (map, data, el) {
    var epicentre = L.latLng(data.epicentre[1], data.epicentre[0]);
    map.setView(epicentre, 8);
    Y.getJSON(data.zones).then(function (fc) {
      var zones = L.geoJSON(fc, {
        attribution: Y.escapeText((Y.messages || {})["credit.quake"]),
        style: function (f) {
          return { color: "#7a5c00", weight: 0.8, fillColor: data.colours[String(f.properties.intensity)] || "#6a040f", fillOpacity: 0.55 };
        },
        onEachFeature: function (f, layer) { layer.bindTooltip(Y.tooltip(f.properties.intensity)); }
      }).addTo(map);
      if (zones.getLayers().length) { map.fitBounds(zones.getBounds().pad(0.05)); }
      L.geoJSON(data.sites, {
        pointToLayer: function (f, ll) {
          return L.circleMarker(ll, { radius: 5, color: "#fff", weight: 1, fillColor: "#6d4c41", fillOpacity: 0.95 });
        },
        onEachFeature: function (f, layer) { layer.bindTooltip(Y.tooltip(f.properties.label)); }
      }).addTo(map);
      L.circleMarker(epicentre, { radius: 8, color: "#fff", weight: 2, fillColor: "#d00000", fillOpacity: 1 }).addTo(map);
      el.dataset.zonesDrawn = String((fc.features || []).length);
    });
  });
})();
