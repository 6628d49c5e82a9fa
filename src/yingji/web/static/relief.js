// The dispatch plan's map: lines from depots to places, width by quantity, on the division boundaries;
// places coloured green (all need met) or red (unmet need left).
(function () {
  "use strict";
  var Y = window.YINGJI || {};
  Y.dataMap("plan-map", function (map, data, el) {
    var j = Y.jurisdiction || {};
    if (j.lat !== null && j.lat !== undefined) { map.setView([j.lat, j.lon], 8); } else { map.setView([35, 105], 4); }
    Y.getJSON(data.flows).then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: function (f) {
          return { color: f.properties.colour || "#1f618d", weight: f.properties.width || 3, opacity: 0.8 };
        },
        pointToLayer: function (f, ll) {
          return L.circleMarker(ll, { radius: 6, color: "#fff", weight: 1.5, fillColor: f.properties.colour, fillOpacity: 0.95 });
        },
        onEachFeature: function (f, lyr) {
          var p = f.properties;
          var text = p.label + (p.quantity !== undefined ? " — " + p.quantity : "");
          lyr.bindTooltip(Y.tooltip(text));
          if (Y.showCard) { lyr.on("click", function () { Y.showCard(p); }); }
        }
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds().pad(0.1)); }
      var lines = (fc.features || []).filter(function (f) { return f.geometry.type === "LineString"; });
      el.dataset.flowsDrawn = String(lines.length);
    });
  });
})();
