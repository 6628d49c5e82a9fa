// The map ("一张图"): offline base layer from the platform's own division boundaries, switchable layers,
// grid clustering of dense point layers, a card for a clicked feature, and live refresh.
(function () {
  "use strict";
  var Y = window.YINGJI, M = Y.messages;
  var el = document.getElementById("map");
  var map = Y.newMap(el, { preferCanvas: true, zoomControl: true });
  Y.map = map;
  var j = Y.jurisdiction;
  if (j.bbox) { map.fitBounds([[j.bbox[1], j.bbox[0]], [j.bbox[3], j.bbox[2]]]); }
  else if (j.lat !== null && j.lon !== null) { map.setView([j.lat, j.lon], j.level === "country" ? 4 : 8); }
  else { map.setView([35, 105], 4); }

  var overlays = {};
  var card = document.getElementById("card");

  function showCard(props) {
    card.hidden = false;
    card.replaceChildren(Y.text(props.label || "", "h3"));
    var table = document.createElement("table");
    Object.keys(props).forEach(function (k) {
      if (["label", "colour", "href", "id"].indexOf(k) >= 0 || props[k] === null || typeof props[k] === "object") return;
      var tr = document.createElement("tr"), th = document.createElement("td"), td = document.createElement("td");
      th.textContent = M["prop." + k] || k; td.textContent = String(props[k]);
      tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
    });
    card.appendChild(table);
    if (Y.safePath(props.href)) {
      var a = document.createElement("a"); a.href = Y.safePath(props.href); a.textContent = M["open"] || "open";
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
  function loadBoundaries(level, parent, style, labelZooms) {
    var url = "/api/v1/divisions/boundaries?level=" + level + (parent ? "&parent=" + parent : "");
    return fetch(Y.url(url), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: typeof style === "function" ? style : Y.boundaryStyle(style),
        onEachFeature: function (f, lyr) {
          lyr.on("click", function () {
            showCard({ label: f.properties.name, code: f.properties.code, population: f.properties.population,
                       boundary: f.properties.approximate ? M["boundary.approximate"] || "approximate" : null });
          });
          lyr.bindTooltip(Y.tooltip(Y.boundaryName(f.properties)), { sticky: true });
        }
      });
      base.addLayer(layer);
      if (labelZooms) labelDivisions(fc, labelZooms[0], labelZooms[1]);
      // Markers share the boundaries' canvas, which draws (and hit-tests) the last added on top: put them
      // back above the boundaries that arrived after them, or a click on a marker opens the township.
      Object.keys(pointLayers).forEach(function (id) { pointLayers[id].draw(); });
      return layer;
    });
  }
  // Division names as labels, by zoom: each level's names show from the zoom its boundaries were first
  // seen at (the jurisdiction's own name from its overview, its sub-divisions' once they have room) and
  // hide when zoomed out past it, so names never pile up.
  var labelGroups = [];
  function labelDivisions(fc, minZoom, maxZoom) {
    var group = L.layerGroup();
    (fc.features || []).forEach(function (f) {
      var p = f.properties || {};
      if (!p.name || !f.geometry) return;
      var at = p.label_point || null;
      if (!at) {
        var bounds = L.geoJSON(f).getBounds();
        if (!bounds.isValid()) return;
        at = bounds.getCenter();
      } else {
        at = L.latLng(at[1], at[0]);
      }
      var icon = L.divIcon({ className: "division-label", html: Y.text(p.name), iconSize: null });
      group.addLayer(L.marker(at, { icon: icon, interactive: false, keyboard: false }));
    });
    labelGroups.push({ group: group, minZoom: minZoom, maxZoom: maxZoom, count: group.getLayers().length });
    showLabels();
  }
  function showLabels() {
    var zoom = map.getZoom(), shown = 0;
    labelGroups.forEach(function (l) {
      var on = zoom >= l.minZoom && zoom <= l.maxZoom && l.count <= 400;
      if (on && !map.hasLayer(l.group)) l.group.addTo(map);
      if (!on && map.hasLayer(l.group)) map.removeLayer(l.group);
      if (on) shown += l.count;
    });
    el.dataset.labels = String(shown);
  }
  map.on("zoomend", showLabels);
  // The jurisdiction's own name shows when zoomed out beyond its overview; its sub-divisions' names from
  // the overview inwards.
  var overview = map.getZoom();
  if (j.level !== "country") {
    loadBoundaries(j.level, null, { color: "#13273f", weight: 2, fill: false }, [0, overview - 1]).then(function () {
      return loadBoundaries(childLevel(j.level), j.code, boundaryStyle, [overview, 30]);
    });
  } else {
    loadBoundaries("province", null, boundaryStyle, [overview, 30]);
  }

  // -- clustered point layers. A layer answers GeoJSON, or (dense layers) the compact form of layers.py:
  // {points: [[id, lon, lat, style]], styles: [colour, ...], card: "/…/{id}"}, its cards read on a click.
  // Each point is projected once, at zoom 0: at zoom z its pixel position is that times 2^z, so a redraw is
  // arithmetic per point, not a projection.
  function point(id, lng, lat, style, colour, props) {
    var p0 = map.project([lat, lng], 0);
    return { id: id, lng: lng, lat: lat, x0: p0.x, y0: p0.y, style: style, colour: colour, props: props };
  }
  function pointsOf(data) {
    if (data.points) {
      var styles = data.styles || [];
      return data.points.map(function (p) { return point(p[0], p[1], p[2], p[3], styles[p[3]], null); });
    }
    return (data.features || []).filter(function (f) { return f.geometry && f.geometry.coordinates; })
      .map(function (f) {
        var c = f.geometry.coordinates;
        return point(f.id, c[0], c[1], null, f.properties.colour, f.properties);
      });
  }
  var COLOUR = /^#[0-9a-fA-F]{3,8}$/;
  function ClusterLayer() {
    this.points = [];
    this.styles = [];
    this.card = null;
    this.group = L.layerGroup();
  }
  ClusterLayer.prototype.openCard = function (pt) {
    if (pt.props) { showCard(pt.props); return; }
    if (!this.card) return;
    fetch(Y.url(this.card.replace("{id}", encodeURIComponent(pt.id))), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (props) { if (props) showCard(props); });
  };
  ClusterLayer.prototype.draw = function () {
    var self = this, group = this.group, cell = 56, buckets = new Map();
    group.clearLayers();
    // Cells of a fixed grid in absolute pixels at this zoom (a pan keeps the clusters), over the view and a
    // fifth of it around.
    var scale = map.getZoomScale(map.getZoom(), 0), view = map.getPixelBounds();
    var padX = (view.max.x - view.min.x) * 0.2, padY = (view.max.y - view.min.y) * 0.2;
    var minX = view.min.x - padX, maxX = view.max.x + padX, minY = view.min.y - padY, maxY = view.max.y + padY;
    var columns = Math.ceil(scale * 256 / cell) + 1;
    this.points.forEach(function (pt) {
      var x = pt.x0 * scale, y = pt.y0 * scale;
      if (x < minX || x > maxX || y < minY || y > maxY) return;
      var key = Math.floor(y / cell) * columns + Math.floor(x / cell);
      var members = buckets.get(key);
      if (members) { members.push(pt); } else { buckets.set(key, [pt]); }
    });
    buckets.forEach(function (members) {
      if (members.length === 1) {
        var pt = members[0];
        var m = L.circleMarker([pt.lat, pt.lng], { radius: 7, color: "#fff", weight: 1.5,
          fillColor: pt.colour || "#1f5fa8", fillOpacity: 0.95 });
        m.on("click", function () { self.openCard(pt); });
        if (pt.props && pt.props.label) m.bindTooltip(Y.tooltip(pt.props.label));
        group.addLayer(m);
      } else {
        // A cluster sits at its members' centre and takes the colour of its most serious member (the lowest
        // style) when the layer ranks its styles.
        var lat = 0, lng = 0, worst = null;
        members.forEach(function (x) {
          lat += x.lat; lng += x.lng;
          if (x.style !== null && (worst === null || x.style < worst)) worst = x.style;
        });
        var centre = L.latLng(lat / members.length, lng / members.length);
        var size = 26 + Math.min(24, Math.log(members.length) * 5);
        var colour = worst !== null ? self.styles[worst] : null;
        var label = Y.text(members.length);
        if (colour && COLOUR.test(colour)) label.style.background = colour;  // CSSOM: allowed by the CSP
        var icon = L.divIcon({ className: "cluster", html: label, iconSize: [size, size] });
        var marker = L.marker(centre, { icon: icon });
        marker.on("click", function () { map.setView(centre, Math.min(map.getZoom() + 2, 18)); });
        group.addLayer(marker);
      }
    });
  };

  var pointLayers = {};
  function loadLayer(spec) {
    return fetch(Y.url(spec.url), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      var existing = pointLayers[spec.id];
      var count;
      if (spec.kind === "areas") {
        var areas = L.geoJSON(fc, {
          // the data shown keeps its credit (the intensity zones' people and faults)
          attribution: spec.id === "intensity" && (fc.features || []).length ? Y.escapeText(M["credit.quake"]) : undefined,
          style: function (f) { return { color: f.properties.colour || "#c0392b", weight: 1, fillOpacity: 0.25 }; },
          onEachFeature: function (f, lyr) { lyr.on("click", function () { showCard(f.properties); }); }
        });
        if (existing && map.hasLayer(existing.group)) { map.removeLayer(existing.group); areas.addTo(map); }
        pointLayers[spec.id] = { group: areas, draw: function () {} };
        count = (fc.features || []).length;
      } else {
        var layer = existing || new ClusterLayer();
        layer.points = pointsOf(fc);
        var notice = document.getElementById("truncated");
        if (notice && fc.truncated !== undefined) { notice.hidden = !fc.truncated; }
        layer.styles = fc.styles || [];
        layer.card = fc.card || null;
        pointLayers[spec.id] = layer;
        layer.draw();
        count = layer.points.length;
      }
      overlays[spec.id] = pointLayers[spec.id].group;
      el.dataset["count_" + spec.id] = String(count);
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
  Y.pointLayers = pointLayers;
})();
