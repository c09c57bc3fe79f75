// The public cases on a map (Leaflet with clustering): an enhancement of the list on /cases,
// which shows the same cases; without script the map stays hidden and nothing is lost.
(function () {
  "use strict";
  var section = document.getElementById("case-map");
  if (!section || !window.L || !section.dataset.tiles) return;
  section.hidden = false;
  var canvas = section.querySelector(".map-canvas");
  var count = section.querySelector(".map-count");
  var map = L.map(canvas, { keyboard: true }).setView([35, 105], 4);
  L.tileLayer(section.dataset.tiles, { attribution: section.dataset.attribution, maxZoom: 19 }).addTo(map);
  var clusters = L.markerClusterGroup();
  map.addLayer(clusters);
  var shown = null;

  function marker(feature) {
    var place = feature.geometry.coordinates;
    var properties = feature.properties;
    var label = properties.number + " " + properties.title;
    // Markers take the keyboard's focus (Tab) and open their popup with Enter.
    var item = L.marker([place[1], place[0]], { title: label, alt: label, keyboard: true });
    var link = document.createElement("a");
    link.href = properties.url;
    link.textContent = label;
    var status = document.createElement("p");
    status.textContent = properties.status;
    var popup = document.createElement("div");
    popup.append(link, status);
    item.bindPopup(popup);
    return item;
  }

  function load() {
    var results = document.getElementById("case-results");
    var url = results && results.dataset.mapUrl;
    if (!url || url === shown) return;
    shown = url;
    fetch(url, { headers: { accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : { features: [] }; })
      .then(function (data) {
        if (url !== shown) return;  // a newer filter is loading
        clusters.clearLayers();
        var markers = data.features.map(marker);
        clusters.addLayers(markers);
        count.textContent = count.dataset.template.replace("{num}", String(markers.length));
        if (markers.length) map.fitBounds(clusters.getBounds(), { maxZoom: 16, padding: [24, 24] });
      });
  }

  load();
  // The filters changed the results (htmx): the map follows.
  document.addEventListener("htmx:afterSettle", load);
})();
