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
    var map = Y.newMap(box);
    var j = Y.jurisdiction || {};
    if (j.bbox) map.fitBounds([[j.bbox[1], j.bbox[0]], [j.bbox[3], j.bbox[2]]]);
    else map.setView([j.lat || 30, j.lon || 100], 7);
    fetch(Y.url("/api/v1/divisions/boundaries?level=county"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (g) { if (g) L.geoJSON(g, { style: Y.boundaryStyle({ color: "#888", weight: 1, fill: false }) }).addTo(map); });
    var areas = L.geoJSON(Y.data("warnings-data"), {
      style: function (f) { return { color: f.properties.colour, weight: 2, fillOpacity: 0.25 }; },
      onEachFeature: function (f, layer) { layer.bindTooltip(Y.tooltip(f.properties.label)); }
    }).addTo(map);
    // one warning's page: show its area rather than the whole jurisdiction
    if (document.getElementById("warning") && areas.getLayers().length) map.fitBounds(areas.getBounds());
    var input = document.querySelector("form[data-draw] input[name=polygon]");
    if (input) drawTool(map, input);
  }

  /* The warning area drawn on the map (no plugin): 绘制 starts, each click adds a corner, 撤销 takes the last
     back, 清除 starts over, 完成 ends drawing. The corners go into the form's polygon field as the CAP polygon
     ("lat,lon lat,lon …", closed by the server); a polygon typed there is drawn too. */
  function drawTool(map, input) {
    var M = Y.messages || {};
    var points = [];
    var drawing = false;
    var shape = L.polygon([], { color: "#d00000", weight: 2, dashArray: "6 4", fillOpacity: 0.15 }).addTo(map);
    var corners = L.layerGroup().addTo(map);
    var bar = document.createElement("div");
    bar.className = "draw-tools";
    bar.id = "draw-tools";
    function button(id, key, act) {
      var b = document.createElement("button");
      b.type = "button";
      b.id = id;
      b.className = "small";
      b.textContent = M[key] || key;
      b.addEventListener("click", act);
      bar.appendChild(b);
      return b;
    }
    var count = document.createElement("span");
    count.className = "muted";
    count.id = "draw-count";
    function cap() {
      return points.map(function (p) { return p[0].toFixed(5) + "," + p[1].toFixed(5); }).join(" ");
    }
    function show(write) {
      shape.setLatLngs(points);
      corners.clearLayers();
      points.forEach(function (p) {
        L.circleMarker(p, { radius: 4, color: "#d00000", weight: 2, fillOpacity: 1 }).addTo(corners);
      });
      count.textContent = points.length ? (M["draw.corners"] || "").replace("{n}", String(points.length)) : "";
      if (write) input.value = points.length >= 3 ? cap() : "";
    }
    var start = button("draw-start", "draw.start", function () {
      drawing = !drawing;
      start.textContent = drawing ? (M["draw.finish"] || "") : (M["draw.start"] || "");
      map.getContainer().classList.toggle("drawing", drawing);
    });
    button("draw-undo", "draw.undo", function () { points.pop(); show(true); });
    button("draw-clear", "draw.clear", function () { points = []; show(true); });
    bar.appendChild(count);
    map.getContainer().parentNode.insertBefore(bar, map.getContainer());
    map.on("click", function (e) {
      if (!drawing) return;
      points.push([e.latlng.lat, e.latlng.lng]);
      show(true);
    });
    function typed() {
      var read = [];
      input.value.trim().split(/\s+/).forEach(function (pair) {
        var p = pair.split(",").map(Number);
        if (p.length === 2 && isFinite(p[0]) && isFinite(p[1])) read.push(p);
      });
      if (read.length > 1 && read[0][0] === read[read.length - 1][0] && read[0][1] === read[read.length - 1][1]) read.pop();
      points = read;
      show(false);
    }
    input.addEventListener("change", typed);
    if (input.value.trim()) typed();
  }
})();
