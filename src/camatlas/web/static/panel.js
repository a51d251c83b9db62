// The side panel: summary, layer switches with their legend, route planner, exposure.
"use strict";

// Each group has a short key: the URL names the groups shown (#...&layers=cameras,views).
const LAYER_GROUPS = [
  { key: "cameras", name: "Cameras", layers: ["camera-clusters", "camera-cluster-counts", "cameras"], on: true },
  { key: "heat", name: "Camera density (heat)", layers: ["cameras-heat"], on: false },
  { key: "views", name: "Fields of view", layers: ["views-fill", "views-line"], on: true },
  { key: "dori", name: "DORI zones (what a camera can make out)", layers: ["zones-fill"], on: false },
  { key: "watched", name: "Watched streets (share of length)", layers: ["coverage-line"], on: true },
  { key: "density", name: "Cameras per km² by area", layers: ["density-fill"], on: false },
  { key: "blind", name: "Blind spots", layers: ["blind-spots"], on: false },
  { key: "areas", name: "Areas", layers: ["areas-line"], on: true },
  { key: "streets", name: "Streets and buildings", layers: ["streets-casing", "streets-line", "buildings-fill"], on: true },
  { key: "names", name: "Names of streets, areas and countries", layers: ["street-labels", "area-labels", "place-labels", "country-labels"], on: true },
  { key: "world", name: "World: land and borders (Natural Earth)", layers: ["world-land", "world-borders"], on: true },
  { key: "raster", name: "Raster base map", layers: ["basemap"], on: true },
];

// The hash parameters of the page (#map=...&layers=...) as a URLSearchParams.
function hashParams() {
  return new URLSearchParams(window.location.hash.replace(/^#/, ""));
}

// Write one hash parameter, keeping the others (the map's own "map" view among them);
// the route's end points are never written there.
function setHashParam(name, value) {
  const params = hashParams();
  params.set(name, value);
  const hash = `#${params.toString().replace(/%2F/g, "/").replace(/%2C/g, ",")}`;
  window.history.replaceState(window.history.state, "", hash);
}

// Shortest in grey, least watched in green, the others in distinct hues between; each at
// least 3:1 against the land colour (WCAG 1.4.11, non-text contrast).
const ROUTE_COLOURS = ["#525252", "#2171b5", "#d95f02", "#7570b3", "#e7298a", "#a6761d", "#0e7c5e", "#8a6d00"];
const LEAST_WATCHED_COLOUR = "#1a9850";

function routeColour(i, count) {
  return i === count - 1 && count > 1 ? LEAST_WATCHED_COLOUR : ROUTE_COLOURS[i % ROUTE_COLOURS.length];
}

// A route as a GPX 1.1 file (a track of its points, lat/lon in degrees).
function routeGpx(option, name) {
  const coords = option.geometry.type === "MultiLineString"
    ? option.geometry.coordinates.flat() : option.geometry.coordinates;
  const points = coords.map(([lon, lat]) => `<trkpt lat="${lat.toFixed(7)}" lon="${lon.toFixed(7)}"/>`);
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + '<gpx version="1.1" creator="camatlas" xmlns="http://www.topografix.com/GPX/1/1">\n'
    + `<trk><name>${escapeHtml(name)}</name><trkseg>${points.join("")}</trkseg></trk>\n</gpx>\n`;
}

function gpxLink(option, name) {
  const link = el("a", "GPX", "gpx-link");
  link.href = URL.createObjectURL(new Blob([routeGpx(option, name)], { type: "application/gpx+xml" }));
  link.download = `camatlas-route-${name.replace(/\s+/g, "-")}.gpx`;
  link.setAttribute("aria-label", `Download the ${name} route as GPX`);
  link.addEventListener("click", (event) => event.stopPropagation());
  return link;
}

function swatch(colour, shape) {
  const span = el("span", null, `swatch ${shape || ""}`);
  span.style.background = colour;
  return span;
}

function legendRow(graphic, text) {
  const row = el("div", null, "legend-row");
  row.appendChild(graphic);
  row.appendChild(el("span", text));
  return row;
}

function iconGraphic(kind, type, surveillance) {
  const canvas = camatlasCameraCanvas(kind, type, surveillance, 18);
  canvas.style.width = "18px";
  canvas.style.height = "18px";
  canvas.className = "legend-icon";
  return canvas;
}

function rampGraphic(stops) {
  const colours = stops.filter((_, i) => i % 2 === 1);
  const span = el("span", null, "ramp");
  span.style.background = `linear-gradient(to right, ${colours.join(", ")})`;
  return span;
}

function buildLegend(map) {
  const legend = document.getElementById("legend");
  const block = (title) => { const d = el("div", null, "legend-block"); d.appendChild(el("h3", title)); legend.appendChild(d); return d; };
  const colours = block("Colour: what a camera watches");
  colours.appendChild(legendRow(iconGraphic("camera", "unknown", "public"), "public space"));
  colours.appendChild(legendRow(iconGraphic("camera", "unknown", "outdoor"), "outdoor, private ground"));
  colours.appendChild(legendRow(iconGraphic("camera", "unknown", "indoor"), "indoor"));
  colours.appendChild(legendRow(iconGraphic("camera", "unknown", "unknown"), "not tagged"));
  const kinds = block("Shape: kind of device");
  for (const [kind, label] of Object.entries(CAMATLAS_KINDS)) {
    kinds.appendChild(legendRow(iconGraphic(kind, "unknown", "unknown"), label));
  }
  const types = block("Mark: camera type");
  for (const [type, label] of Object.entries(CAMATLAS_TYPES)) {
    types.appendChild(legendRow(iconGraphic("camera", type, "unknown"), label));
  }
  const clusters = block("Clusters");
  clusters.appendChild(legendRow(swatch(CAMATLAS_COLOURS.public, "round"),
    "many cameras (the number on it); coloured by what most of them watch; click to zoom in"));
  if (map.getLayer("zones-fill")) {
    const zones = block("DORI zones (IEC EN 62676-4)");
    for (const [level, colour] of Object.entries(DORI_COLOURS)) zones.appendChild(legendRow(swatch(colour), level));
  }
  if (map.getLayer("coverage-line")) {
    block("Watched streets").appendChild(legendRow(rampGraphic(HEAT_RAMP), "0 % … 100 % of a street's length in view"));
  }
  if (map.getLayer("blind-spots")) {
    const line = swatch("#1a9850");
    line.style.height = "4px";
    block("Blind spots").appendChild(legendRow(line, "streets no known camera sees"));
  }
  if (map.getLayer("density-fill")) {
    block("Cameras per km²").appendChild(legendRow(rampGraphic(DENSITY_STEPS), "0 … 200 and more"));
  }
}

function buildLayerSwitches(map) {
  const list = document.getElementById("layer-list");
  const asked = hashParams().get("layers");
  const shown = asked === null ? null : new Set(asked.split(",").filter(Boolean));
  const boxes = [];
  const remember = () => setHashParam("layers", boxes.filter((b) => b.checked).map((b) => b.dataset.key).join(","));
  for (const group of LAYER_GROUPS) {
    const present = group.layers.filter((id) => map.getLayer(id));
    if (!present.length) continue;
    const label = el("label", null, "layer-switch");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.key = group.key;
    box.checked = shown === null ? group.on : shown.has(group.key);
    const apply = () => present.forEach((id) => map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none"));
    box.addEventListener("change", () => { apply(); remember(); });
    apply();
    boxes.push(box);
    label.appendChild(box);
    label.appendChild(el("span", group.name));
    list.appendChild(label);
  }
}

function showSummary(config) {
  const summary = document.getElementById("summary");
  const analyses = config.results.length ? `; analyses: ${config.results.join(", ")}` : "";
  summary.textContent = `${config.cameras.toLocaleString("en")} camera records${analyses}.`;
  summary.className = "muted";
}

// --- route planner ---------------------------------------------------------------

function setUpRoutes(map, config) {
  const pick = document.getElementById("route-pick");
  const clear = document.getElementById("route-clear");
  const status = document.getElementById("route-status");
  const table = document.getElementById("route-table");
  const body = table.querySelector("tbody");
  let points = [];
  let options = [];
  if (!config.route) {
    pick.disabled = true;
    status.textContent = "Route planning is not available on this server.";
  }
  const drawPoints = () => map.getSource("route-points").setData({
    type: "FeatureCollection",
    features: points.map((p, i) => ({ type: "Feature", geometry: { type: "Point", coordinates: p },
      properties: { colour: i === 0 ? "#1a9850" : "#d7301f" } })),
  });
  const drawRoutes = (selected) => map.getSource("routes").setData({
    type: "FeatureCollection",
    features: options.map((o, i) => ({ type: "Feature", geometry: o.geometry,
      properties: { colour: routeColour(i, options.length), selected: i === selected ? 1 : 0 } })),
  });
  const reset = () => {
    points = []; options = [];
    drawPoints(); drawRoutes(-1);
    body.replaceChildren(); table.hidden = true;
  };
  const showOptions = () => {
    body.replaceChildren();
    options.forEach((o, i) => {
      const row = body.insertRow();
      row.className = "route-option";
      row.dataset.index = String(i);
      const name = i === 0 ? "shortest" : i === options.length - 1 ? "least watched" : `option ${i + 1}`;
      row.tabIndex = 0; // chosen from the keyboard too (Enter)
      const cell = row.insertCell();
      cell.appendChild(swatch(routeColour(i, options.length)));
      cell.appendChild(el("span", name));
      if (o.streets && o.streets.length) {
        cell.appendChild(el("div", `via ${o.streets.map((st) => st.name).join(", ")}`, "route-streets"));
      }
      row.insertCell().textContent = formatMetres(o.length_m);
      row.insertCell().textContent = i === 0 ? "–" : `+${formatMetres(o.detour_m)} (${Math.round(100 * o.detour_ratio)} %)`;
      const share = o.length_m > 0 ? Math.round((100 * o.watched_m) / o.length_m) : 0;
      row.insertCell().textContent = `${formatMetres(o.watched_m)} (${share} %)`;
      row.insertCell().textContent = String(o.cameras);
      row.insertCell().appendChild(gpxLink(o, name));
      const choose = () => {
        body.querySelectorAll("tr").forEach((r) => r.classList.remove("selected"));
        row.classList.add("selected");
        drawRoutes(i);
      };
      row.addEventListener("click", choose);
      row.addEventListener("keydown", (event) => { if (event.key === "Enter") choose(); });
    });
    table.hidden = options.length === 0;
    drawRoutes(options.length - 1);
  };
  const plan = async () => {
    status.textContent = "Finding routes…";
    const [origin, destination] = points.map(([lon, lat]) => [lat, lon]);
    try {
      const answer = await fetchJson("/api/route", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ origin, destination, profile: document.getElementById("route-profile").value }),
      });
      options = answer.options;
      status.textContent = options.length
        ? `${options.length} route${options.length > 1 ? "s" : ""}, from the shortest to the least watched. ${answer.note}`
        : "No route found between these points.";
      showOptions();
    } catch (error) {
      status.textContent = `No route: ${error.message}`;
    }
  };
  pick.addEventListener("click", () => {
    reset();
    window.camatlas.picking = true;
    map.getCanvas().style.cursor = "crosshair";
    status.textContent = "Click the start on the map.";
  });
  clear.addEventListener("click", () => { reset(); status.textContent = ""; window.camatlas.picking = false; });
  // From the keyboard: a start and an end typed as "lat, lon" or as a name the search finds.
  const resolve = async (text, what) => {
    const match = text.trim().match(/^(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)$/);
    if (match) return [Number(match[2]), Number(match[1])];
    if (!text.trim()) throw new Error(`give the ${what}`);
    const answer = await fetchJson(`/api/places?q=${encodeURIComponent(text)}&limit=1`);
    if (!answer.places.length) throw new Error(`nothing called ${JSON.stringify(text.trim())} for the ${what}`);
    return [answer.places[0].lon, answer.places[0].lat];
  };
  document.getElementById("route-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    reset();
    window.camatlas.picking = false;
    try {
      points = [await resolve(document.getElementById("route-from").value, "start"),
        await resolve(document.getElementById("route-to").value, "end")];
    } catch (error) {
      status.textContent = `No route: ${error.message}.`;
      return;
    }
    drawPoints();
    plan();
  });
  map.on("click", (event) => {
    if (!window.camatlas.picking) return;
    points.push([event.lngLat.lng, event.lngLat.lat]);
    drawPoints();
    if (points.length === 1) {
      status.textContent = "Now click the end.";
    } else {
      window.camatlas.picking = false;
      map.getCanvas().style.cursor = "";
      plan();
    }
  });
}

// --- exposure of an uploaded track ---------------------------------------------------

function setUpExposure(map, config) {
  const input = document.getElementById("exposure-file");
  const out = document.getElementById("exposure-result");
  if (!config.route) {
    input.disabled = true;
    out.textContent = "Exposure is not available on this server.";
    return;
  }
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    out.textContent = "Measuring…";
    const type = /\.gpx$/i.test(file.name) ? "application/gpx+xml" : "application/geo+json";
    try {
      const result = await fetchJson("/api/exposure", { method: "POST", headers: { "Content-Type": type }, body: await file.text() });
      const share = result.length_m > 0 ? ` (${Math.round((100 * result.watched_m) / result.length_m)} %)` : "";
      out.replaceChildren(detailsTable([
        ["length", formatMetres(result.length_m)],
        ["in view of cameras", `${formatMetres(result.watched_m)}${share}`],
        ["time in view", `${Math.round(result.seconds_in_view)} s`],
        ["distinct cameras", result.cameras],
      ]));
      for (const [title, groups] of [["In view, by operator", result.by_operator],
        ["In view, by what the cameras watch", result.by_surveillance],
        ["In view, by best DORI level", result.by_level]]) {
        const entries = Object.entries(groups || {});
        if (!entries.length) continue;
        out.appendChild(el("h3", title));
        out.appendChild(detailsTable(entries.map(([name, g]) => [name,
          `${formatMetres(g.watched_m)}, ${Math.round(g.seconds_in_view)} s`
          + (g.cameras === undefined ? "" : `, ${g.cameras} camera${g.cameras === 1 ? "" : "s"}`)])));
      }
      out.appendChild(el("p", result.note, "muted"));
      if (result.stretches) map.getSource("exposure").setData(result.stretches);
    } catch (error) {
      out.textContent = `Could not measure the track: ${error.message}`;
    }
  });
}

document.addEventListener("camatlas:ready", (event) => {
  const { map, config } = event.detail;
  showSummary(config);
  buildLayerSwitches(map);
  buildLegend(map);
  setUpRoutes(map, config);
  setUpExposure(map, config);
});
