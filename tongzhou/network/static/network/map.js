// The service network on the islands' own outlines (no online tiles): islands by tier,
// villages by coverage, facilities, canteens and 15-minute circles, each a layer to toggle.
(function () {
  "use strict";
  var TIER_COLOURS = { circle: "#cfe3f5", yijia: "#f6d7a7", compact: "#f3e3b5", mobile: "#e8d5ef", none: "#eeeeee" };
  var KIND_COLOURS = { yijia: "#8e44ad", yijia_compact: "#a569bd", home_care: "#0b5cad", complex: "#16a085",
    living_room: "#2980b9", institution: "#6d4c41", social_work: "#7f8c8d", alliance: "#34495e", mobile: "#d35400" };

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function shareColour(share) {
    if (share == null) return "#999999";
    if (share >= 0.8) return "#2e9e5b";
    if (share >= 0.5) return "#d98a00";
    return "#c0392b";
  }

  function draw(box, data) {
    var w = box.dataset;
    var map = L.map(box, { zoomSnap: 0.25, attributionControl: false });
    var islands = L.geoJSON(data.islands, {
      style: function (f) {
        var p = f.properties;
        return { color: p.missing ? "#c0392b" : "#5d6d7e", weight: p.missing ? 2 : 1,
                 fillColor: TIER_COLOURS[p.tier] || "#eeeeee", fillOpacity: 0.9 };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup("<strong>" + esc(p.name) + "</strong><br>" + esc(p.tier_name) + "（" + esc(p.reason) + "）<br>" +
          esc(w.wElders) + " " + esc(p.elders) + (p.missing ? "<br><strong>" + esc(w.wLacks) + "：" + esc(p.missing) + "</strong>" : ""));
      }
    });
    var circles = L.geoJSON(data.circles, {
      style: { color: "#2e9e5b", weight: 1, fillColor: "#2e9e5b", fillOpacity: 0.15 },
      interactive: false
    });
    var villages = L.geoJSON(data.villages, {
      pointToLayer: function (f, at) {
        var p = f.properties;
        return L.circleMarker(at, { radius: Math.max(5, Math.min(14, 4 + Math.sqrt(p.elders || 0))),
          color: "#ffffff", weight: 1, fillColor: shareColour(p.share), fillOpacity: 0.95 });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        var share = p.share == null ? "—" : Math.round(p.share * 100) + "%";
        var here = p.facilities.length ? p.facilities.map(esc).join("<br>") : esc(w.wNone);
        layer.bindPopup("<strong>" + esc(p.name) + "</strong> · " + esc(p.town) + "<br>" +
          esc(w.wElders) + " " + esc(p.elders) + " · " + esc(w.wCovered) + " " + esc(p.covered) + "（" + share + "）<br>" +
          "<em>" + esc(w.wFacilities) + "</em><br>" + here +
          '<br><a href="' + esc(p.elders_url) + '">' + esc(w.wList) + "</a>");
      }
    });
    var facilities = L.geoJSON(data.facilities, {
      pointToLayer: function (f, at) {
        var p = f.properties;
        var colour = KIND_COLOURS[p.kind] || "#333333";
        var working = p.status === "operating";
        return L.circleMarker(at, { radius: 7, color: colour, weight: 3, fillColor: colour, fillOpacity: working ? 0.9 : 0 });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup("<strong>" + esc(p.name) + "</strong><br>" + esc(p.kind_name) + " · " + esc(p.status_name) +
          (p.services ? "<br>" + esc(p.services) : ""));
      }
    });
    var canteens = L.geoJSON(data.canteens, {
      pointToLayer: function (f, at) {
        return L.circleMarker(at, { radius: 6, color: "#b03a2e", weight: 2, fillColor: "#ffffff", fillOpacity: 1 });
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup("<strong>" + esc(f.properties.name) + "</strong><br>" + esc(f.properties.status_name));
      }
    });
    var rota = L.geoJSON(data.rota, {
      style: { color: "#d35400", weight: 3, dashArray: "6 6" },
      onEachFeature: function (f, layer) {
        layer.bindPopup(esc(f.properties.county) + "<br>" + esc(f.properties.route));
      }
    });
    // Drawn bottom to top: the villages' coverage stays visible above the places serving them.
    islands.addTo(map);
    circles.addTo(map);
    facilities.addTo(map);
    canteens.addTo(map);
    rota.addTo(map);
    villages.addTo(map);
    var overlays = {};
    overlays[w.lIslands] = islands;
    overlays[w.lCircles] = circles;
    overlays[w.lVillages] = villages;
    overlays[w.lFacilities] = facilities;
    overlays[w.lCanteens] = canteens;
    overlays[w.lRota] = rota;
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    var bounds = villages.getLayers().length ? villages.getBounds() : islands.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.05)); else map.setView([30.0, 122.2], 9);
    box.dataset.drawn = "1";
    return map;
  }

  document.querySelectorAll("[data-network-map]").forEach(function (box) {
    var status = box.parentNode.querySelector("[data-map-status]");
    if (status) status.textContent = box.dataset.wLoading;
    fetch(box.dataset.source, { credentials: "same-origin" }).then(function (answer) {
      if (!answer.ok) throw new Error(answer.status);
      return answer.json();
    }).then(function (data) {
      if (status) status.textContent = data.method;
      draw(box, data);
    }).catch(function () {
      if (status) status.textContent = box.dataset.wFailed;
    });
  });
})();
