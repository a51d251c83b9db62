// The answer first: the headline figures of the last `camatlas measure`, for the whole
// atlas or for the area clicked; and which stored results the map shows, with their
// parameters and times (a newer result on the server is announced, never swapped in).
"use strict";

const RESULT_LABELS = {
  views: "Fields of view",
  view_zones: "DORI zones",
  street_coverage: "Watched streets",
  measure_by_area: "Figures by area",
  blind_spots: "Blind spots",
};
const RESULTS_POLL_MS = 30000;

function percent(share, digits = 1) {
  return share === null || share === undefined || Number.isNaN(share) ? "–" : `${(100 * share).toFixed(digits)} %`;
}

function number(value, digits = 2) {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : Number(value).toFixed(digits);
}

function when(stamp) {
  return stamp ? stamp.replace("T", " ").replace("Z", " UTC") : "an unknown time";
}

// Rows of a figures table for a summary (the whole atlas) or an area's properties.
function figureRows(f, range) {
  const rows = [
    ["street-facing cameras", f.cameras === undefined ? "–" : String(f.cameras)
      + (f.cameras_indoor ? ` (and ${f.cameras_indoor} tagged indoor, not counted)` : "")],
    ["per km of street", number(f.cameras_per_street_km, 3)],
    ["per km of drivable road", number(f.cameras_per_drivable_km, 3)],
    ["streets watched", `${percent(f.watched_share)}${range ? ` (5–95 %: ${percent(range.p5)} – ${percent(range.p95)})` : ""}`
      + ` of ${formatMetres(f.street_length_m)}`],
  ];
  for (const level of Object.keys(DORI_COLOURS)) {
    const metres = f[`watched_m_${level}`];
    if (metres !== undefined) rows.push([`  best in view: ${level}`, formatMetres(metres)]);
  }
  return rows;
}

function showFigures(measured, area) {
  const title = document.getElementById("figures-title");
  const box = document.getElementById("figures");
  box.replaceChildren();
  const summary = measured && measured.summary;
  if (!summary) {
    title.textContent = "Figures";
    box.appendChild(el("p", "Not measured yet: run `camatlas measure --atlas ATLAS` to see how much "
      + "of the streets known cameras watch, then reload.", "muted"));
    return;
  }
  const u = measured.uncertainty && measured.uncertainty.watched_share;
  if (area) {
    title.textContent = `Figures: ${area.name || area.id}`;
    const range = area.watched_share_p5 !== undefined
      ? { p5: area.watched_share_p5, p95: area.watched_share_p95 } : null;
    box.appendChild(detailsTable(figureRows(area, range)));
    if (area.partial === true || area.partial === 1 || area.partial === "true") {
      box.appendChild(el("p", "Partial area: cut by the edge of the imported file; the figures are "
        + "of its part inside it.", "muted"));
    }
    const back = el("button", "Whole atlas");
    back.type = "button";
    back.addEventListener("click", () => {
      showFigures(measured, null);
      if (window.camatlasMap.getLayer("area-selected")) window.camatlasMap.setFilter("area-selected", ["==", ["get", "id"], ""]);
    });
    box.appendChild(back);
  } else {
    title.textContent = "Figures: the whole atlas";
    box.appendChild(detailsTable(figureRows(summary, u && u.p5 !== undefined ? u : null)));
    if (u && u.point_in_range === false) {
      box.appendChild(el("p", `The share at the defaults lies outside its range: ${measured.uncertainty.why}`, "muted"));
    }
    const outside = summary.cameras_in_no_area;
    if (outside !== null && outside !== undefined) {
      box.appendChild(el("p", `In no area: ${outside} camera${outside === 1 ? "" : "s"}, `
        + `${formatMetres(summary.street_length_m_in_no_area)} of street. Click an area for its figures.`,
        "muted"));
    }
  }
  const more = el("details");
  more.appendChild(el("summary", "Known cameras only, and the assumptions"));
  more.appendChild(el("p", summary.note));
  const a = summary.assumptions || {};
  more.appendChild(el("p", `Range from defaults for ${a.range_from_default} of ${a.cameras_with_views} `
    + `cameras, width for ${a.width_from_default}; ${a.full_circle} seen as full circles; occlusion by `
    + `buildings ${a.occlusion_by_buildings ? "on" : "off"}. ${summary.counted || ""}.`));
  more.appendChild(el("p", summary.area_definition || ""));
  box.appendChild(more);
}

function resultSummary(name, parameters) {
  const p = parameters || {};
  if (name === "views" || name === "view_zones") {
    return `${p.cameras ?? "?"} cameras, occlusion ${p.occlusion ? "on" : "off"}`
      + `${p.range_m ? `, range ${p.range_m} m` : ""}${p.width_deg ? `, width ${p.width_deg}°` : ""}`;
  }
  const by = p.by ? `by ${p.by}` : "whole atlas";
  return `${by}${p.samples ? `, ${p.samples} draws` : ""}${p.surveillance ? `, surveillance ${p.surveillance.join(", ")}` : ""}`;
}

function showResults(results) {
  const list = document.getElementById("results-list");
  list.replaceChildren();
  if (!results.length) {
    list.appendChild(el("li", "None: run camatlas sight and camatlas measure.", "muted"));
    return;
  }
  for (const r of results) {
    const item = el("li");
    item.appendChild(el("strong", RESULT_LABELS[r.name] || r.name));
    item.appendChild(el("span", ` (${r.name}): ${resultSummary(r.name, r.parameters)}; computed ${when(r.created_at)}.`));
    list.appendChild(item);
  }
}

async function setUpFigures(map) {
  let measured = null;
  let shown = {};
  const notice = document.getElementById("results-notice");
  try {
    measured = await fetchJson("/api/measure"); // its results: the stored ones, by name
    const results = Object.entries(measured.results).map(([name, r]) => ({ name, ...r }));
    showResults(results);
    shown = Object.fromEntries(results.map((r) => [r.name, r.created_at]));
  } catch (error) {
    document.getElementById("figures").textContent = `No figures: ${error.message}`;
    return;
  }
  showFigures(measured, null);
  map.on("click", (event) => {
    if (window.camatlas.picking || !map.getLayer("area-hit")) return;
    const hits = map.queryRenderedFeatures(event.point, { layers: ["cameras", "camera-clusters", "area-hit"].filter((id) => map.getLayer(id)) });
    if (!hits.length || hits[0].layer.id !== "area-hit") return;
    showFigures(measured, hits[0].properties);
    map.setFilter("area-selected", ["==", ["get", "id"], String(hits[0].properties.id)]);
  });
  // Asked every RESULTS_POLL_MS (and by tests through window.camatlas.checkResults).
  const check = async () => {
    try {
      const results = await fetchJson("/api/results");
      const changed = results.filter((r) => shown[r.name] !== r.created_at).map((r) => RESULT_LABELS[r.name] || r.name);
      const gone = Object.keys(shown).filter((name) => !results.some((r) => r.name === name));
      if (changed.length || gone.length) {
        notice.hidden = false;
        notice.textContent = `The atlas's results changed on the server (${[...changed, ...gone].join(", ")}). `
          + "The figures above are those listed here; reload the page to see the new ones.";
      }
    } catch (error) { /* the server may be restarting: try again later */ }
  };
  window.camatlas.checkResults = check;
  setInterval(check, RESULTS_POLL_MS);
}

document.addEventListener("camatlas:ready", (event) => setUpFigures(event.detail.map));
