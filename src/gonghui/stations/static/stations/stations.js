/* Service stations: the one map component (Leaflet from npm) and "near me" from the phone's location.
 *
 * A map: <div class="gh-map" data-markers="ID-of-json" data-tiles="URL template or empty"
 *   data-attribution="…" [data-here-lat data-here-lon]>. Markers: [{id, name, lat, lon, kind, url?, metres?}].
 * With no tile URL (tests, screenshots, offline) the map draws on a plain background: no request leaves the site.
 * Near me: a button [data-locate] asks the browser for the position and reloads the page with ?lat=&lon=,
 * keeping the filters; a refusal shows [data-locate-refused] (the district picker stays available). */
(function () {
  "use strict";

  function drawMap(el) {
    if (typeof L === "undefined") return;
    var data = [];
    var source = document.getElementById(el.dataset.markers);
    if (source) data = JSON.parse(source.textContent);
    var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
    } else {
      el.classList.add("gh-map-blank");
    }
    var points = [];
    data.forEach(function (m) {
      var mk = L.circleMarker([m.lat, m.lon], { radius: 8, color: "#9b0b22", weight: 2, fillColor: "#c8102e",
        fillOpacity: m.status === "open" || !m.status ? 0.85 : 0.3 }).addTo(map);
      var label = document.createElement("div");
      var title = document.createElement(m.url ? "a" : "strong");
      title.textContent = m.name;
      if (m.url) title.href = m.url;
      label.appendChild(title);
      var sub = document.createElement("div");
      sub.className = "small text-body-secondary";
      sub.textContent = m.kind + (m.metres !== undefined ? " · " + m.metres + " m" : "");
      label.appendChild(sub);
      mk.bindPopup(label);
      mk.getElement && mk.getElement() && mk.getElement().setAttribute("data-station", m.id);
      points.push([m.lat, m.lon]);
    });
    if (el.dataset.hereLat) {
      var here = [parseFloat(el.dataset.hereLat), parseFloat(el.dataset.hereLon)];
      L.circleMarker(here, { radius: 7, color: "#1d4ed8", weight: 3, fillColor: "#3b82f6", fillOpacity: 1 })
        .addTo(map).bindTooltip(el.dataset.hereLabel || "");
      points.push(here);
    }
    if (points.length > 1) map.fitBounds(points, { padding: [24, 24], maxZoom: 16 });
    else if (points.length === 1) map.setView(points[0], 15);
    else map.setView([29.87, 121.55], 10);
    el.dataset.ready = "1";
  }

  function locate(button) {
    var refused = document.querySelector("[data-locate-refused]");
    if (!navigator.geolocation) { if (refused) refused.hidden = false; return; }
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var params = new URLSearchParams(window.location.search);
      params.delete("district");
      params.set("lat", pos.coords.latitude.toFixed(6));
      params.set("lon", pos.coords.longitude.toFixed(6));
      window.location.search = params.toString();
    }, function () {
      button.disabled = false;
      if (refused) refused.hidden = false;
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".gh-map").forEach(drawMap);
    document.querySelectorAll("[data-locate]").forEach(function (b) {
      b.addEventListener("click", function () { locate(b); });
      if (b.dataset.locate === "auto") locate(b);
    });
  });
})();
