// Search: places, streets and cameras by name, from the atlas itself (GET /api/places).
// Names come from strangers: they are put on the page as text, never as HTML.
"use strict";

const SEARCH_DELAY_MS = 200;

function setUpSearch(map) {
  const input = document.getElementById("search-input");
  const list = document.getElementById("search-results");
  const status = document.getElementById("search-status");
  let timer = null;
  let asked = 0;
  let marker = null;

  const close = () => { list.replaceChildren(); list.hidden = true; input.setAttribute("aria-expanded", "false"); };
  const go = (place) => {
    close();
    input.value = place.name;
    const point = place.west === place.east && place.south === place.north;
    if (point) {
      map.flyTo({ center: [place.lon, place.lat], zoom: Math.max(map.getZoom(), 18) });
    } else {
      map.fitBounds([[place.west, place.south], [place.east, place.north]], { padding: 60, maxZoom: 18 });
    }
    if (marker) marker.remove();
    marker = new maplibregl.Marker({ color: "#2171b5" }).setLngLat([place.lon, place.lat]).addTo(map);
    status.textContent = `Showing ${place.kind} ${place.name}.`;
  };
  const show = (places) => {
    list.replaceChildren();
    places.forEach((place, i) => {
      const item = el("li", null, "search-result");
      item.id = `search-result-${i}`;
      item.setAttribute("role", "option");
      item.tabIndex = -1;
      item.appendChild(el("span", place.name, "search-name"));
      item.appendChild(el("span", [place.kind, place.detail].filter(Boolean).join(", "), "muted"));
      item.addEventListener("click", () => go(place));
      item.addEventListener("keydown", (event) => {
        if (event.key === "Enter") go(place);
        else if (event.key === "ArrowDown" && item.nextSibling) item.nextSibling.focus();
        else if (event.key === "ArrowUp") (item.previousSibling || input).focus();
        else if (event.key === "Escape") { close(); input.focus(); }
        else return;
        event.preventDefault();
      });
      list.appendChild(item);
    });
    list.hidden = places.length === 0;
    input.setAttribute("aria-expanded", places.length ? "true" : "false");
    status.textContent = places.length ? `${places.length} found.` : "Nothing of that name in this atlas.";
  };
  const search = async () => {
    const query = input.value.trim();
    const ticket = ++asked;
    if (!query) { close(); status.textContent = ""; return; }
    try {
      const answer = await fetchJson(`/api/places?q=${encodeURIComponent(query)}&limit=10`);
      if (ticket === asked) show(answer.places);
    } catch (error) {
      if (ticket === asked) status.textContent = `Search failed: ${error.message}`;
    }
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, SEARCH_DELAY_MS); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && list.firstChild) { list.firstChild.focus(); event.preventDefault(); }
    else if (event.key === "Escape") close();
    else if (event.key === "Enter") { clearTimeout(timer); search(); event.preventDefault(); }
  });
  document.getElementById("search-form").addEventListener("submit", (event) => event.preventDefault());
}

document.addEventListener("camatlas:ready", (event) => setUpSearch(event.detail.map));
