/* Leaflet in the reader's language, and its credit without the flag icon Leaflet 1.9 puts before it (a
   Chinese government unit will not show it): loaded right after leaflet.js, before any map is made. The
   credits of the base layer and the data layers stay (each layer's own attribution). */
(function () {
  "use strict";
  if (!window.L) return;
  var M = (window.YINGJI || {}).messages || {};
  L.Control.Zoom.prototype.options.zoomInTitle = M["map.zoom_in"] || "+";
  L.Control.Zoom.prototype.options.zoomOutTitle = M["map.zoom_out"] || "-";
  // a constant (no data): the library's name linked to its site, nothing else
  L.Control.Attribution.prototype.options.prefix = '<a href="https://leafletjs.com">Leaflet</a>';
})();
