// The camatlas map: vector tiles of one atlas drawn with MapLibre GL JS.
//
// Every value that comes from the data (tags, names, operators) is put on the
// page with textContent or as DOM nodes, never as HTML.
"use strict";

const DORI_COLOURS = {
  identification: "#b10026",
  recognition: "#fc4e2a",
  observation: "#feb24c",
  detection: "#ffeda0",
};
const HEAT_RAMP = [0, "#ffffcc", 0.25, "#fed976", 0.5, "#fd8d3c", 0.75, "#e31a1c", 1, "#800026"];
const DENSITY_STEPS = [0, "#f7fcf5", 1, "#c7e9c0", 10, "#74c476", 50, "#238b45", 200, "#00441b"];
// Width of a street relative to a residential one, by OSM highway class.
const STREET_WIDTH = ["match", ["get", "highway"],
  ["motorway", "trunk", "primary", "secondary", "tertiary"], 1.4,
  ["footway", "path", "cycleway", "steps", "pedestrian", "track", "service", "bridleway"], 0.45,
  1];
const OSM_ATTRIBUTION_HTML =
  '<a href="https://www.openstreetmap.org/copyright">&copy; OpenStreetMap contributors</a>, ODbL 1.0';
const NATURAL_EARTH_ATTRIBUTION = "Made with Natural Earth (public domain)";
const LABEL_FONT = ["Noto Sans Regular"];
const WATER = "#aad3df";
const LAND = "#f2efe9";
// Natural Earth's 1:50m land and countries draw the world below city zoom, then fade out
// where the atlas's own streets and buildings take over.
const WORLD_FADE = ["interpolate", ["linear"], ["zoom"], 9, 1, 11, 0];
const EMPTY = { type: "FeatureCollection", features: [] };

function escapeHtml(text) {
  const div = document.createElement("div");
  div.textContent = String(text);
  return div.innerHTML;
}

// A element with text content and optional class.
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function formatMetres(m) {
  if (m === null || m === undefined || Number.isNaN(m)) return "–";
  return m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${Math.round(m)} m`;
}

function tileUrl(layer) {
  return `${window.location.origin}/tiles/${layer}/{z}/{x}/{y}.pbf`;
}

// Sources and layers of the map style for the atlas described by `config`.
function buildStyle(config) {
  const results = new Set(config.results);
  const sources = {};
  const layers = [
    // water below city zoom (the land is drawn on it), land above (the atlas's streets on it)
    { id: "background", type: "background",
      paint: { "background-color": ["interpolate", ["linear"], ["zoom"], 9, WATER, 11, LAND] } },
    { id: "world-land", type: "fill", source: "world-land", maxzoom: 11,
      paint: { "fill-color": LAND, "fill-opacity": WORLD_FADE } },
    { id: "world-borders", type: "line", source: "world-borders", maxzoom: 11,
      paint: { "line-color": "#9e9ac8", "line-width": ["interpolate", ["linear"], ["zoom"], 1, 0.5, 8, 1.5],
               "line-opacity": WORLD_FADE } },
  ];
  sources["world-land"] = { type: "geojson", data: EMPTY, attribution: NATURAL_EARTH_ATTRIBUTION };
  sources["world-borders"] = { type: "geojson", data: EMPTY };
  sources["world-countries"] = { type: "geojson", data: EMPTY };
  sources["area-labels"] = { type: "geojson", data: "/api/places/labels" };
  const vector = (name) => {
    sources[name] = {
      type: "vector", tiles: [tileUrl(name)], minzoom: 0, maxzoom: 16,
      attribution: OSM_ATTRIBUTION_HTML,
    };
  };
  if (config.basemap) {
    sources.basemap = {
      type: "raster", tiles: [config.basemap], tileSize: 256, maxzoom: 19,
      attribution: config.basemap_attribution ? escapeHtml(config.basemap_attribution) : "",
    };
    layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  ["cameras", "streets", "buildings", "areas"].forEach(vector);
  layers.push(
    { id: "areas-line", type: "line", source: "areas", "source-layer": "areas",
      paint: { "line-color": "#8c6bb1", "line-width": 1, "line-dasharray": [3, 2] } },
    { id: "buildings-fill", type: "fill", source: "buildings", "source-layer": "buildings",
      minzoom: config.layers.buildings.minzoom,
      paint: { "fill-color": "#d9d0c9", "fill-outline-color": "#c4b8ae" } },
    { id: "streets-casing", type: "line", source: "streets", "source-layer": "streets",
      minzoom: 14,
      layout: { "line-cap": "round", "line-join": "round" },
      paint: {
        "line-color": "#cfc8bd",
        "line-width": ["interpolate", ["exponential", 1.6], ["zoom"],
          14, ["+", 1, ["*", 3, STREET_WIDTH]], 16, ["+", 1.5, ["*", 6, STREET_WIDTH]],
          19, ["+", 2, ["*", 18, STREET_WIDTH]]],
      } },
    { id: "streets-line", type: "line", source: "streets", "source-layer": "streets",
      minzoom: config.layers.streets.minzoom,
      layout: { "line-cap": "round", "line-join": "round" },
      paint: {
        "line-color": "#ffffff",
        "line-width": ["interpolate", ["exponential", 1.6], ["zoom"],
          11, ["*", 0.5, STREET_WIDTH], 16, ["*", 6, STREET_WIDTH], 19, ["*", 18, STREET_WIDTH]],
      } },
  );
  layers.push(
    { id: "street-labels", type: "symbol", source: "streets", "source-layer": "streets",
      minzoom: 15, filter: ["has", "name"],
      layout: { "symbol-placement": "line", "text-field": ["get", "name"], "text-font": LABEL_FONT,
                "text-size": ["interpolate", ["linear"], ["zoom"], 15, 11, 18, 14],
                "text-max-angle": 30, "symbol-spacing": 300 },
      paint: { "text-color": "#444444", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } },
  );
  if (results.has("measure_by_area")) {
    vector("measure_by_area");
    layers.push({
      id: "density-fill", type: "fill", source: "measure_by_area", "source-layer": "measure_by_area",
      layout: { visibility: "none" },
      paint: {
        "fill-color": ["interpolate", ["linear"],
          ["to-number", ["coalesce", ["get", "cameras_per_km2"], ["get", "density"], 0]],
          ...DENSITY_STEPS],
        "fill-opacity": 0.55, "fill-outline-color": "#238b45",
      },
    });
  }
  if (results.has("measure_by_area")) {
    // the areas of the last measure, invisible: a click on one shows its figures
    layers.push(
      { id: "area-hit", type: "fill", source: "measure_by_area", "source-layer": "measure_by_area",
        paint: { "fill-color": "#000000", "fill-opacity": 0 } },
      { id: "area-selected", type: "line", source: "measure_by_area", "source-layer": "measure_by_area",
        filter: ["==", ["get", "id"], ""], paint: { "line-color": "#54278f", "line-width": 3 } },
    );
  }
  if (results.has("street_coverage")) {
    vector("street_coverage");
    const share = ["coalesce", ["get", "watched_share"],
      ["/", ["coalesce", ["get", "watched_m"], 0], ["max", ["coalesce", ["get", "length_m"], 1], 0.001]]];
    layers.push({
      id: "coverage-line", type: "line", source: "street_coverage", "source-layer": "street_coverage",
      minzoom: config.layers.street_coverage.minzoom,
      filter: [">", share, 0], // unwatched streets keep their base colour
      layout: { "line-cap": "round", "line-join": "round" },
      paint: {
        "line-color": ["interpolate", ["linear"], share, ...HEAT_RAMP],
        "line-width": ["interpolate", ["exponential", 1.6], ["zoom"], 11, 1, 16, 4, 19, 12],
        "line-opacity": 0.85,
      },
    });
  }
  if (results.has("blind_spots")) {
    vector("blind_spots");
    layers.push({
      id: "blind-spots", type: "line", source: "blind_spots", "source-layer": "blind_spots",
      minzoom: config.layers.blind_spots.minzoom,
      layout: { visibility: "none", "line-cap": "round" },
      paint: { "line-color": "#1a9850", "line-width": 4, "line-dasharray": [1, 1] },
    });
  }
  if (results.has("views")) {
    vector("views");
    const colour = ["match", ["get", "surveillance"], "public", CAMATLAS_COLOURS.public,
      "outdoor", CAMATLAS_COLOURS.outdoor, "indoor", CAMATLAS_COLOURS.indoor, CAMATLAS_COLOURS.unknown];
    layers.push(
      { id: "views-fill", type: "fill", source: "views", "source-layer": "views",
        minzoom: config.layers.views.minzoom, paint: { "fill-color": colour, "fill-opacity": 0.18 } },
      { id: "views-line", type: "line", source: "views", "source-layer": "views",
        minzoom: config.layers.views.minzoom,
        paint: { "line-color": colour, "line-width": 0.8, "line-opacity": 0.6 } },
    );
  }
  if (results.has("view_zones")) {
    vector("view_zones");
    layers.push({
      id: "zones-fill", type: "fill", source: "view_zones", "source-layer": "view_zones",
      minzoom: config.layers.view_zones.minzoom, layout: { visibility: "none" },
      paint: {
        "fill-color": ["match", ["get", "level"],
          "identification", DORI_COLOURS.identification, "recognition", DORI_COLOURS.recognition,
          "observation", DORI_COLOURS.observation, DORI_COLOURS.detection],
        "fill-opacity": 0.45,
      },
    });
  }
  const count = ["get", "count"];
  layers.push(
    { id: "cameras-heat", type: "heatmap", source: "cameras", "source-layer": "cameras",
      layout: { visibility: "none" },
      paint: {
        "heatmap-weight": ["coalesce", count, 1],
        "heatmap-intensity": ["interpolate", ["linear"], ["zoom"], 0, 0.05, 14, 1],
        "heatmap-radius": ["interpolate", ["linear"], ["zoom"], 0, 8, 14, 30],
        "heatmap-opacity": 0.75,
      } },
    { id: "camera-clusters", type: "circle", source: "cameras", "source-layer": "cameras",
      filter: ["has", "count"],
      paint: {
        "circle-color": ["case",
          [">=", ["get", "public"], ["max", ["get", "outdoor"], ["get", "indoor"], ["get", "unknown"]]],
          CAMATLAS_COLOURS.public,
          [">=", ["get", "outdoor"], ["max", ["get", "indoor"], ["get", "unknown"]]], CAMATLAS_COLOURS.outdoor,
          [">=", ["get", "indoor"], ["get", "unknown"]], CAMATLAS_COLOURS.indoor,
          CAMATLAS_COLOURS.unknown],
        "circle-radius": ["interpolate", ["linear"], ["log10", count], 0, 9, 2, 13, 4, 18, 6, 24],
        "circle-opacity": 0.85, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5,
      } },
    { id: "camera-cluster-counts", type: "symbol", source: "cameras", "source-layer": "cameras",
      filter: ["has", "count"],
      layout: {
        "icon-image": ["concat", "count/",
          ["case",
            [">=", count, 1e6], ["concat", ["to-string", ["/", ["round", ["/", count, 1e5]], 10]], "M"],
            [">=", count, 1e4], ["concat", ["to-string", ["round", ["/", count, 1e3]]], "k"],
            [">=", count, 1e3], ["concat", ["to-string", ["/", ["round", ["/", count, 100]], 10]], "k"],
            ["to-string", count]]],
        "icon-allow-overlap": true, "icon-ignore-placement": true,
      } },
    { id: "cameras", type: "symbol", source: "cameras", "source-layer": "cameras",
      filter: ["!", ["has", "count"]],
      layout: {
        "icon-image": ["concat", "cam/", ["coalesce", ["get", "kind"], "other"], "/",
          ["coalesce", ["get", "camera_type"], "unknown"], "/",
          ["coalesce", ["get", "surveillance"], "unknown"]],
        "icon-rotate": ["case",
          ["all", ["==", ["get", "camera_type"], "fixed"], ["has", "bearing"]], ["get", "bearing"], 0],
        "icon-rotation-alignment": "map",
        "icon-allow-overlap": true, "icon-ignore-placement": true,
        "icon-size": ["interpolate", ["linear"], ["zoom"], 10, 0.7, 16, 1],
      } },
  );
  layers.push(
    // one label per area, at a point inside it; the most detailed level first
    { id: "area-labels", type: "symbol", source: "area-labels", minzoom: 11, maxzoom: 17,
      layout: { "text-field": ["get", "name"], "text-font": LABEL_FONT, "text-size": 13,
                "symbol-sort-key": ["-", 0, ["coalesce", ["get", "admin_level"], 0]],
                "text-transform": "uppercase", "text-letter-spacing": 0.08, "text-max-width": 8 },
      paint: { "text-color": "#54278f", "text-halo-color": "#ffffff", "text-halo-width": 2,
               "text-opacity": 0.85 } },
    // below city zoom, the towns and cities of the atlas (admin levels 6 to 8)
    { id: "place-labels", type: "symbol", source: "area-labels", minzoom: 6, maxzoom: 11,
      filter: ["all", [">=", ["coalesce", ["get", "admin_level"], 0], 6],
        ["<=", ["coalesce", ["get", "admin_level"], 99], 8]],
      layout: { "text-field": ["get", "name"], "text-font": LABEL_FONT, "text-size": 13,
                "symbol-sort-key": ["coalesce", ["get", "admin_level"], 99] },
      paint: { "text-color": "#222222", "text-halo-color": "#ffffff", "text-halo-width": 2 } },
    { id: "country-labels", type: "symbol", source: "world-countries", maxzoom: 7,
      filter: ["has", "name"],
      layout: { "text-field": ["get", "name"], "text-font": LABEL_FONT,
                "text-size": ["interpolate", ["linear"], ["zoom"], 1, 10, 6, 15], "text-max-width": 7 },
      paint: { "text-color": "#333333", "text-halo-color": LAND, "text-halo-width": 1.5 } },
  );
  sources.routes = { type: "geojson", data: { type: "FeatureCollection", features: [] } };
  sources["route-points"] = { type: "geojson", data: { type: "FeatureCollection", features: [] } };
  sources.exposure = { type: "geojson", data: { type: "FeatureCollection", features: [] } };
  layers.push(
    { id: "routes", type: "line", source: "routes",
      layout: { "line-cap": "round", "line-join": "round", "line-sort-key": ["get", "selected"] },
      paint: {
        "line-color": ["get", "colour"],
        "line-width": ["case", ["==", ["get", "selected"], 1], 7, 4],
        "line-opacity": ["case", ["==", ["get", "selected"], 1], 0.95, 0.55],
      } },
    { id: "exposure-line", type: "line", source: "exposure",
      paint: { "line-color": "#e31a1c", "line-width": 5, "line-opacity": 0.8 } },
    { id: "route-points", type: "circle", source: "route-points",
      paint: { "circle-radius": 7, "circle-color": ["get", "colour"],
               "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } },
  );
  return {
    version: 8, sources, layers,
    glyphs: `${window.location.origin}/glyphs/{fontstack}/{range}.pbf`,
  };
}

// Natural Earth's land, borders and countries (vendored TopoJSON of the npm package
// world-atlas), loaded once the map runs; nothing is fetched from another site.
async function loadWorld(map) {
  const base = "/static/vendor/world-atlas";
  const [land, countries] = await Promise.all([
    fetchJson(`${base}/land-50m.json`), fetchJson(`${base}/countries-50m.json`),
  ]);
  map.getSource("world-land").setData(topojson.feature(land, land.objects.land));
  map.getSource("world-borders").setData(
    topojson.mesh(countries, countries.objects.countries, (a, b) => a !== b));
  const named = topojson.feature(countries, countries.objects.countries).features
    .filter((f) => f.properties && f.properties.name);
  map.getSource("world-countries").setData({
    type: "FeatureCollection",
    features: named.map((f) => ({
      type: "Feature", properties: { name: f.properties.name },
      geometry: { type: "Point", coordinates: labelPoint(f.geometry) },
    })),
  });
}

// Where to write a country's name: the centre of its largest polygon's outer ring.
function labelPoint(geometry) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  let bestArea = -1;
  for (const polygon of polygons) {
    const ring = polygon[0];
    let area = 0; let cx = 0; let cy = 0;
    for (let i = 0; i < ring.length - 1; i++) {
      const [x0, y0] = ring[i]; const [x1, y1] = ring[i + 1];
      const cross = x0 * y1 - x1 * y0;
      area += cross; cx += (x0 + x1) * cross; cy += (y0 + y1) * cross;
    }
    if (Math.abs(area) > bestArea && area !== 0) {
      bestArea = Math.abs(area);
      best = [cx / (3 * area), cy / (3 * area)];
    }
  }
  return best || polygons[0][0][0];
}

// A definition list of (label, value) pairs, values as text.
function detailsTable(pairs) {
  const table = el("table", null, "details");
  for (const [label, value] of pairs) {
    if (value === null || value === undefined || value === "") continue;
    const row = table.insertRow();
    row.appendChild(el("th", label));
    row.appendChild(el("td", typeof value === "object" ? JSON.stringify(value) : value));
  }
  return table;
}

function cameraPopup(record) {
  const box = el("div", null, "camera-popup");
  const title = record.name || `${CAMATLAS_KINDS[record.kind] || record.kind || "device"}`;
  box.appendChild(el("h3", title, "popup-title"));
  box.appendChild(detailsTable([
    ["kind", record.kind], ["type", record.camera_type], ["mount", record.mount],
    ["watches", record.surveillance], ["zone", record.zone],
    ["directions", record.direction_known ? record.directions : "unknown"],
    ["width of view", record.width_deg !== null && record.width_deg !== undefined ? `${record.width_deg}°` : null],
    ["range", record.range_m !== null && record.range_m !== undefined ? formatMetres(record.range_m) : null],
    ["height", record.height_m !== null && record.height_m !== undefined ? formatMetres(record.height_m) : null],
    ["operator", record.operator], ["manufacturer", record.manufacturer],
    ["source", record.source], ["record", record.id],
    ["as of", record.source_timestamp],
  ]));
  const osm = /^osm:(node|way|relation)\/(\d+)$/.exec(record.id || "");
  if (osm) {
    const link = el("a", "Open in OpenStreetMap", "osm-link");
    link.href = `https://www.openstreetmap.org/${osm[1]}/${osm[2]}`;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    box.appendChild(link);
  }
  const tags = record.tags || {};
  const keys = Object.keys(tags).sort();
  if (keys.length) {
    const details = el("details");
    details.appendChild(el("summary", `${keys.length} tags`));
    details.appendChild(detailsTable(keys.map((k) => [k, tags[k]])));
    box.appendChild(details);
  }
  return box;
}

// A value with its unit, from the column's name: metres (_m), degrees (_deg), shares.
function humanValue(key, value) {
  if (typeof value !== "number") return value;
  if (key.endsWith("_m")) return formatMetres(value);
  if (key.endsWith("_deg")) return `${Math.round(value)}°`;
  if (key.includes("share")) return `${(100 * value).toFixed(1)} %`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function humanLabel(key) {
  return key.replace(/_(m|deg)$/, "").replace(/_/g, " ");
}

function propertiesPopup(title, properties) {
  const box = el("div", null, "camera-popup");
  box.appendChild(el("h3", title, "popup-title"));
  box.appendChild(detailsTable(Object.entries(properties)
    .map(([key, value]) => [humanLabel(key), humanValue(key, value)])));
  return box;
}

async function fetchJson(url, options) {
  const response = await fetch(url, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  }
  return body;
}

const DOUBLE_CLICK_MS = 260;
const STACK_PX = 6;

function setUpInteractions(map) {
  // (a click on an area shows its figures in the panel: see figures.js)
  const clickable = ["cameras", "camera-clusters", "views-fill"].filter((id) => map.getLayer(id));
  for (const id of clickable) {
    map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
  }
  // A click opens a popup only once it is clear it is no double-click (which zooms).
  let pending = null;
  map.on("dblclick", () => { clearTimeout(pending); pending = null; });
  map.on("click", (event) => {
    if (window.camatlas.picking) return; // the route planner takes the click
    clearTimeout(pending);
    pending = setTimeout(() => { pending = null; openPopup(map, event, clickable); }, DOUBLE_CLICK_MS);
  });
}

function openPopup(map, event, clickable) {
  const { x, y } = event.point;
  const around = [[x - STACK_PX, y - STACK_PX], [x + STACK_PX, y + STACK_PX]];
  const features = map.queryRenderedFeatures(around, { layers: clickable });
  if (!features.length) return;
  const feature = features[0];
  const layer = feature.layer.id;
  if (layer === "camera-clusters") {
    map.easeTo({ center: feature.geometry.coordinates, zoom: Math.min(map.getZoom() + 2, 18) });
    return;
  }
  const popup = new maplibregl.Popup({ maxWidth: "340px" }).setLngLat(event.lngLat);
  if (layer !== "cameras") {
    popup.setDOMContent(propertiesPopup("Field of view", feature.properties)).addTo(map);
    return;
  }
  // every camera at this spot (several are often mapped on one pole or wall)
  const ids = [...new Set(features.filter((f) => f.layer.id === "cameras").map((f) => f.properties.id))];
  popup.setDOMContent(el("p", "Loading…")).addTo(map);
  Promise.all(ids.slice(0, 12).map((id) => fetchJson(`/api/cameras/${encodeURIComponent(id)}`)))
    .then((records) => {
      const box = el("div", null, "camera-popup");
      if (records.length > 1) box.appendChild(el("p", `${ids.length} cameras here`, "popup-count"));
      records.forEach((record) => box.appendChild(cameraPopup(record)));
      if (ids.length > records.length) box.appendChild(el("p", `and ${ids.length - records.length} more: zoom in`, "muted"));
      popup.setDOMContent(box);
    })
    .catch((error) => popup.setDOMContent(el("p", `Could not load the camera: ${error.message}`)));
}

async function startMap() {
  const config = await fetchJson("/api/config");
  const options = {
    container: "map",
    style: buildStyle(config),
    attributionControl: false,
    maxZoom: 20,
    hash: "map", // the URL keeps the view: #map=zoom/lat/lon (see panel.js for the layers)
    dragRotate: false,
  };
  const opening = config.focus || config.bounds;
  if (opening) {
    const [w, s, e, n] = opening;
    options.bounds = [[w, s], [e, n]];
    options.fitBoundsOptions = { padding: 40, maxZoom: 16 };
  } else {
    options.center = [0, 20];
    options.zoom = 1;
  }
  const map = new maplibregl.Map(options);
  window.camatlasMap = map; // for tests and for the curious, from the console
  window.camatlas = { map, config, picking: false };
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.addControl(new maplibregl.AttributionControl({
    compact: false,
    customAttribution: config.basemap ? [] : [OSM_ATTRIBUTION_HTML, NATURAL_EARTH_ATTRIBUTION],
  }), "bottom-right");
  map.on("styleimagemissing", (event) => {
    const image = camatlasImage(event.id);
    if (image && !map.hasImage(event.id)) map.addImage(event.id, image, { pixelRatio: CAMATLAS_ICON_RATIO });
  });
  map.on("load", () => {
    loadWorld(map).catch((error) => console.warn(`No world base map: ${error.message}`));
    setUpInteractions(map);
    document.dispatchEvent(new CustomEvent("camatlas:ready", { detail: window.camatlas }));
  });
}

window.addEventListener("DOMContentLoaded", () => {
  startMap().catch((error) => {
    const summary = document.getElementById("summary");
    summary.textContent = `The map could not start: ${error.message}`;
    summary.className = "error";
  });
});
