/* 上报 form: a click on the map sets the place (longitude/latitude); the division is then found on the
   server unless one is picked by name. The map shows the jurisdiction's township boundaries. */
(function () {
  "use strict";
  var box = document.getElementById("report-map");
  if (!box || !window.L) return;
  var lon = document.getElementById("report-lon");
  var lat = document.getElementById("report-lat");
  var note = document.getElementById("report-point");
  var picker = document.getElementById("report-division");
  var map = window.YINGJI.newMap(box);
  var bbox = (box.dataset.bbox || "").split(",").map(Number);
  if (bbox.length === 4 && bbox.every(isFinite)) {
    map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]]);
  } else {
    map.setView([Number(box.dataset.lat) || 30, Number(box.dataset.lon) || 100], 9);
  }
  fetch(window.YINGJI.url("/api/v1/divisions/boundaries?level=township"), { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (g) {
      if (g) L.geoJSON(g, { interactive: false, style: window.YINGJI.boundaryStyle({ color: "#667", weight: 1, fillOpacity: 0.04 }) }).addTo(map);
    });
  var marker = null;
  function place(latlng) {
    if (marker) marker.setLatLng(latlng); else marker = L.circleMarker(latlng, { radius: 8, color: "#c0392b" }).addTo(map);
    lon.value = latlng.lng.toFixed(5);
    lat.value = latlng.lat.toFixed(5);
    note.textContent = box.dataset.pointSet + " " + lat.value + ", " + lon.value;
  }
  if (lon.value && lat.value && isFinite(Number(lon.value)) && isFinite(Number(lat.value))) {
    place(L.latLng(Number(lat.value), Number(lon.value)));
  }
  map.on("click", function (e) {
    place(e.latlng);
    if (picker) picker.value = "";  // the township is found from the point
  });
  box.dataset.ready = "1";
})();
