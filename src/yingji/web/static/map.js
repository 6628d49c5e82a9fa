// The map ("一张图"): offline base layer from the platform's own division boundaries, switchable layers,
// grid clustering of dense point layers, a card for a clicked feature, and live refresh.
(function () {
  "use strict";
  var Y = window.YINGJI, M = Y.messages;
  var el = document.getElementById("map");
  var map = L.map(el, { preferCanvas: true, zoomControl: true });
  Y.map = map;
  if (Y.tileUrl) { L.tileLayer(Y.tileUrl, { maxZoom: 18 }).addTo(map); }
  var j = Y.jurisdiction;
  if (j.bbox) { map.fitBounds([[j.bbox[1], j.bbox[0]], [j.bbox[3], j.bbox[2]]]); }
  else if (j.lat !== null && j.lon !== null) { map.setView([j.lat, j.lon], j.level === "country" ? 4 : 8); }
  else { map.setView([35, 105], 4); }

  var overlays = {};
  var card = document.getElementById("card");

  function showCard(props) {
    card.hidden = false;
    card.innerHTML = "";
    var title = document.createElement("h3");
    title.textContent = props.label || "";
    card.appendChild(title);
    var table = document.createElement("table");
    Object.keys(props).forEach(function (k) {
      if (["label", "colour", "href", "id"].indexOf(k) >= 0 || props[k] === null || typeof props[k] === "object") return;
      var tr = document.createElement("tr"), th = document.createElement("td"), td = document.createElement("td");
      th.textContent = M["prop." + k] || k; td.textContent = String(props[k]);
      tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
    });
    card.appendChild(table);
    if (props.href) {
      var a = document.createElement("a"); a.href = props.href; a.textContent = M["open"] || "open";
      card.appendChild(a);
    }
  }
  Y.showCard = showCard;

  // -- base layer: the division boundaries of the jurisdiction (two levels down at most)
  var boundaryStyle = { color: "#4a6785", weight: 1, fillColor: "#eef3f7", fillOpacity: 0.6 };
  var base = L.layerGroup().addTo(map);
  overlays.boundaries = base;
  function childLevel(level) {
    return { country: "province", province: "prefecture", prefecture: "county", county: "township", township: "village" }[level] || "village";
  }
  function loadBoundaries(level, parent, style) {
    var url = "/api/v1/divisions/boundaries?level=" + level + (parent ? "&parent=" + parent : "");
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: style,
        onEachFeature: function (f, lyr) {
          lyr.on("click", function () { showCard({ label: f.properties.name, code: f.properties.code, population: f.properties.population }); });
          lyr.bindTooltip(f.properties.name, { sticky: true });
        }
      });
      base.addLayer(layer);
      return layer;
    });
  }
  if (j.level !== "country") {
    loadBoundaries(j.level, null, { color: "#13273f", weight: 2, fill: false }).then(function () {
      return loadBoundaries(childLevel(j.level), j.code, boundaryStyle);
    });
  } else {
    loadBoundaries("province", null, boundaryStyle);
  }

  // -- clustered point layers
  function ClusterLayer(features) {
    this.features = features;
    this.group = L.layerGroup();
  }
  ClusterLayer.prototype.draw = function () {
    var group = this.group, cell = 56, buckets = {};
    group.clearLayers();
    var bounds = map.getBounds().pad(0.2);
    this.features.forEach(function (f) {
      var c = f.geometry && f.geometry.coordinates;
      if (!c) return;
      var ll = L.latLng(c[1], c[0]);
      if (!bounds.contains(ll)) return;
      var p = map.latLngToLayerPoint(ll);
      var key = Math.floor(p.x / cell) + ":" + Math.floor(p.y / cell);
      (buckets[key] = buckets[key] || []).push([f, ll]);
    });
    Object.keys(buckets).forEach(function (key) {
      var members = buckets[key];
      if (members.length === 1) {
        var f = members[0][0];
        var m = L.circleMarker(members[0][1], { radius: 7, color: "#fff", weight: 1.5,
          fillColor: f.properties.colour || "#1f5fa8", fillOpacity: 0.95 });
        m.on("click", function () { showCard(f.properties); });
        if (f.properties.label) m.bindTooltip(f.properties.label);
        group.addLayer(m);
      } else {
        var lat = 0, lng = 0;
        members.forEach(function (x) { lat += x[1].lat; lng += x[1].lng; });
        var centre = L.latLng(lat / members.length, lng / members.length);
        var size = 26 + Math.min(24, Math.log(members.length) * 5);
        var icon = L.divIcon({ className: "cluster", html: String(members.length), iconSize: [size, size] });
        var marker = L.marker(centre, { icon: icon });
        marker.on("click", function () { map.setView(centre, Math.min(map.getZoom() + 2, 18)); });
        group.addLayer(marker);
      }
    });
  };

  var pointLayers = {};
  function loadLayer(spec) {
    return fetch(spec.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      var existing = pointLayers[spec.id];
      if (spec.kind === "areas") {
        var areas = L.geoJSON(fc, {
          style: function (f) { return { color: f.properties.colour || "#c0392b", weight: 1, fillOpacity: 0.25 }; },
          onEachFeature: function (f, lyr) { lyr.on("click", function () { showCard(f.properties); }); }
        });
        if (existing && map.hasLayer(existing.group)) { map.removeLayer(existing.group); areas.addTo(map); }
        pointLayers[spec.id] = { group: areas, draw: function () {} };
      } else {
        var layer = existing || new ClusterLayer([]);
        layer.features = fc.features || [];
        pointLayers[spec.id] = layer;
        layer.draw();
      }
      overlays[spec.id] = pointLayers[spec.id].group;
      el.dataset["count_" + spec.id] = String((fc.features || []).length);
      return pointLayers[spec.id];
    });
  }
  var specs = JSON.parse(el.dataset.layers || "[]");
  Y.layerSpecs = specs;
  // Layers switched on at start load now; the others load the first time they are switched on.
  specs.forEach(function (spec) {
    if (spec.visible) { loadLayer(spec).then(function (layer) { layer.group.addTo(map); }); }
  });
  map.on("zoomend moveend", function () {
    Object.keys(pointLayers).forEach(function (id) { pointLayers[id].draw(); });
  });

  document.querySelectorAll("input[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      var layer = overlays[box.dataset.layer];
      var spec = specs.find(function (s) { return s.id === box.dataset.layer; });
      if (!layer && spec && box.checked) {
        loadLayer(spec).then(function (loaded) { if (box.checked) loaded.group.addTo(map); });
        return;
      }
      if (!layer) return;
      if (box.checked) { layer.addTo(map); } else { map.removeLayer(layer); }
    });
  });

  // -- live: refresh the layer an event touches
  Y.onEvent(function (ev) {
    specs.forEach(function (spec) {
      var loaded = pointLayers[spec.id];
      if (loaded && (spec.id === ev.entity + "s" || spec.id === ev.entity)) { loadLayer(spec); }
    });
  });
  Y.loadLayer = loadLayer;
})();
