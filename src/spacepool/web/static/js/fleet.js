// Fleet map: ground tracks and current positions of the pooled satellites, ground
// stations with their visibility circles, a time slider; a satellite's instruments,
// owner and next passes on click.
//
// One GET /fleet/tracks per time window (3 h): the browser then animates by
// interpolating between the samples in requestAnimationFrame, never re-fetching per
// frame. When the animated time leaves the window, the next window is fetched.

import {
  api, byId, colourScale, errorMessage, facts, fmtNum, fmtTime, h, isoZ,
  itemsOf, legend, paintSwatches, replace, requireRoute, run, table, unavailable,
} from "./common.js";
import { createMap, interpolate, smallCircle, trackPieces } from "./map.js";

const WINDOW_MINUTES = 180;
const LEAD_MINUTES = 30; // each window starts this long before the time it is fetched for
const STEP_S = 30;
const PASS_HOURS = 24;
const UI_UPDATE_MS = 200; // slider and clock refresh (the markers move on every frame)

const state = {
  map: null,
  data: null, // the /fleet/tracks answer of the current window
  startMs: 0, // its start, ms since the epoch
  t: 0, // animated time, seconds since startMs
  playing: true,
  speed: 60,
  lastFrame: null,
  lastUi: 0,
  fetching: false,
  satellites: [], // {sat, marker, tracks: [polyline], button}
  selected: null,
  ownerFilter: "",
  colourOf: () => "#444",
  circles: null,
  stations: [],
  tracksRenderer: null,
  satsRenderer: null,
};

// Diagnostics read by the browser tests (frame count and time spent per frame).
const stats = { frames: 0, meanFrameMs: 0, maxFrameMs: 0, satellites: 0, windows: 0 };
window.spacepool = { ...(window.spacepool || {}), fleet: stats };

async function fetchWindow(aroundMs) {
  const start = new Date(Math.floor((aroundMs - LEAD_MINUTES * 60e3) / 1000) * 1000);
  return api("fleet/tracks", { query: { start: isoZ(start), minutes: WINDOW_MINUTES, step_s: STEP_S } });
}

function trackStyle(selected) {
  return selected
    ? { weight: 2.5, opacity: 0.95 }
    : { weight: 1, opacity: 0.3 };
}

function visible(entry) {
  return !state.ownerFilter || entry.sat.owner === state.ownerFilter;
}

function drawSatellites() {
  for (const entry of state.satellites) {
    entry.marker.remove();
    entry.tracks.forEach((line) => line.remove());
  }
  state.satellites = state.data.satellites.map((sat) => {
    const colour = state.colourOf(sat.owner);
    const tracks = trackPieces(sat.lat_deg, sat.lon_deg).map((piece) =>
      L.polyline(piece, { renderer: state.tracksRenderer, color: colour, interactive: false, ...trackStyle(false) }),
    );
    const marker = L.circleMarker([0, 0], {
      renderer: state.satsRenderer,
      radius: 5,
      color: "#14263d",
      weight: 1,
      fillColor: colour,
      fillOpacity: 1,
      bubblingMouseEvents: false,
    });
    marker.bindTooltip(`${sat.name} (${sat.owner})`, { direction: "top", offset: [0, -4] });
    marker.on("click", () => select(sat.norad_id));
    return { sat, marker, tracks, button: null, point: null };
  });
  stats.satellites = state.satellites.length;
  applyFilter();
}

function applyFilter() {
  for (const entry of state.satellites) {
    const show = visible(entry);
    if (show) {
      entry.marker.addTo(state.map);
      entry.tracks.forEach((line) => line.addTo(state.map));
    } else {
      entry.marker.remove();
      entry.tracks.forEach((line) => line.remove());
    }
    if (entry.button) entry.button.closest("li").hidden = !show;
  }
  placeMarkers(true);
}

function drawStations() {
  if (state.circles) state.circles.remove();
  const group = L.layerGroup();
  for (const station of state.data.stations) {
    const label = `${station.name} (${station.owner}), visibility circle for ${fmtNum(state.data.reference_altitude_km, 0)} km altitude above ${fmtNum(station.min_elevation_deg, 0)} deg elevation`;
    const circle = smallCircle(station.latitude_deg, station.longitude_deg, station.visibility_radius_km);
    for (const area of circle.areas) {
      L.polygon(area, { stroke: false, fillColor: "#1f5fa8", fillOpacity: 0.04, interactive: false }).addTo(group);
    }
    for (const outline of circle.outlines) {
      L.polyline(outline, { color: "#3a4a5e", weight: 1, opacity: 0.6, dashArray: "4 4", interactive: false }).addTo(group);
    }
    L.circleMarker([station.latitude_deg, station.longitude_deg], {
      radius: 4,
      color: "#14263d",
      weight: 2,
      fillColor: "#ffffff",
      fillOpacity: 1,
    })
      .bindTooltip(label)
      .addTo(group);
  }
  state.circles = group;
  if (byId("show-circles").checked) group.addTo(state.map);
}

// Moves each marker to the animated time. A marker is redrawn only when it moved
// by at least MIN_MOVE_PX on screen: at real-time speed a low orbit crosses a
// world-wide map at well under a pixel per frame, and redrawing still markers would
// only spend the frame budget.
const MIN_MOVE_PX = 0.5;

function placeMarkers(force = false) {
  const step = state.data.step_s;
  for (const entry of state.satellites) {
    if (!visible(entry)) continue;
    const position = interpolate(entry.sat.lat_deg, entry.sat.lon_deg, step, state.t);
    if (!position) continue;
    const point = state.map.latLngToLayerPoint(position);
    if (!force && entry.point && Math.abs(point.x - entry.point.x) < MIN_MOVE_PX && Math.abs(point.y - entry.point.y) < MIN_MOVE_PX) continue;
    entry.point = point;
    entry.marker.setLatLng(position);
  }
}

function windowSeconds() {
  return state.data.minutes * 60;
}

function updateUi(force = false) {
  const now = performance.now();
  if (!force && now - state.lastUi < UI_UPDATE_MS) return;
  state.lastUi = now;
  const slider = byId("time");
  const when = fmtTime(new Date(state.startMs + state.t * 1000), { seconds: true });
  slider.value = String(Math.round(state.t));
  slider.setAttribute("aria-valuetext", when);
  byId("clock").textContent = when;
}

async function moveWindow(aroundMs, { keepPlaying = true } = {}) {
  if (state.fetching) return;
  state.fetching = true;
  try {
    const data = await fetchWindow(aroundMs);
    setData(data);
    state.t = Math.max(0, Math.min((aroundMs - state.startMs) / 1000, windowSeconds()));
    state.playing = state.playing && keepPlaying;
    placeMarkers();
    updateUi(true);
  } catch (error) {
    state.playing = false;
    byId("page-status").append(errorMessage(error, "Loading the next hours of the ground tracks failed"));
  } finally {
    state.fetching = false;
  }
}

function frame(timestamp) {
  const begin = performance.now();
  if (state.lastFrame !== null && state.playing && state.data) {
    const dt = Math.min((timestamp - state.lastFrame) / 1000, 0.25);
    state.t += dt * state.speed;
    if (state.t >= windowSeconds() - STEP_S) {
      state.t = Math.min(state.t, windowSeconds());
      moveWindow(state.startMs + state.t * 1000);
    }
    placeMarkers();
    updateUi();
  }
  state.lastFrame = timestamp;
  const spent = performance.now() - begin;
  stats.frames += 1;
  stats.meanFrameMs += (spent - stats.meanFrameMs) / stats.frames;
  stats.maxFrameMs = Math.max(stats.maxFrameMs, spent);
  requestAnimationFrame(frame);
}

function setData(data) {
  state.data = data;
  state.startMs = Date.parse(data.start);
  stats.windows += 1;
  const slider = byId("time");
  slider.max = String(Math.round(data.minutes * 60));
  slider.disabled = false;
  drawSatellites();
  if (state.selected !== null) highlight(state.selected);
}

function setPlaying(playing) {
  state.playing = playing;
  const button = byId("play");
  button.setAttribute("aria-pressed", String(playing));
  button.textContent = playing ? "Pause" : "Play";
}

function highlight(noradId) {
  for (const entry of state.satellites) {
    const chosen = entry.sat.norad_id === noradId;
    entry.tracks.forEach((line) => line.setStyle(trackStyle(chosen)));
    entry.marker.setStyle({ radius: chosen ? 8 : 5, weight: chosen ? 3 : 1 });
    if (chosen) entry.marker.bringToFront();
    if (entry.button) entry.button.setAttribute("aria-pressed", String(chosen));
  }
}

async function select(noradId) {
  state.selected = noradId;
  highlight(noradId);
  const entry = state.satellites.find((e) => e.sat.norad_id === noradId);
  if (!entry) return;
  const sat = entry.sat;
  const panel = byId("details");
  const stationSelect = h(
    "select",
    { id: "pass-station" },
    state.stations.map((s) => h("option", { value: s.id, text: `${s.name} (${s.owner})` })),
  );
  const passes = h("div", { id: "sat-passes" });
  replace(
    panel,
    h("h2", { text: sat.name }),
    facts([
      ["NORAD id", String(sat.norad_id)],
      ["Owner", sat.owner],
      ["Mean altitude", sat.altitude_km === null ? "–" : `${fmtNum(sat.altitude_km, 0)} km`],
      ["Elements", `${sat.element_source}, epoch ${fmtTime(sat.element_epoch)}`],
    ]),
    table(
      "Instruments",
      [
        { label: "Instrument", value: (i) => i.name },
        { label: "Kind", value: (i) => i.kind },
        { label: "Resolution", value: (i) => `${fmtNum(i.resolution_m, 1)} m`, num: true },
        { label: "Swath", value: (i) => `${fmtNum(i.swath_km, 0)} km`, num: true },
        { label: "Owner", value: (i) => i.owner },
      ],
      sat.instruments,
      { empty: "No instruments registered." },
    ),
    h("h3", { text: `Next passes (${PASS_HOURS} h)` }),
    h("label", { for: "pass-station", text: "Over station" }),
    stationSelect,
    passes,
  );
  const show = () => showPasses(sat, stationSelect.value, passes);
  stationSelect.addEventListener("change", show);
  if (state.stations.length) await show();
  else replace(passes, unavailable("The station list", "GET /fleet/tracks stations"));
}

async function showPasses(sat, stationId, container) {
  if (!(await requireRoute(container, "Pass prediction", "GET /passes"))) return;
  replace(container, h("p", { class: "hint", text: "Computing passes…" }));
  const start = new Date(state.startMs + state.t * 1000);
  const end = new Date(start.getTime() + PASS_HOURS * 3.6e6);
  try {
    const data = await api("passes", {
      query: { station: stationId, satellite: sat.norad_id, start: isoZ(start), end: isoZ(end), limit: 20 },
    });
    replace(
      container,
      table(
        `Passes of ${sat.name}`,
        [
          { label: "AOS", value: (p) => fmtTime(p.aos) },
          { label: "LOS", value: (p) => fmtTime(p.los).slice(11) },
          { label: "Max el.", value: (p) => `${fmtNum(p.max_elevation_deg, 1)}°`, num: true },
        ],
        itemsOf(data).slice(0, 20),
        { empty: `No pass in the next ${PASS_HOURS} hours.` },
      ),
    );
  } catch (error) {
    replace(container, errorMessage(error, "Pass prediction failed"));
  }
}

function fillList() {
  const list = byId("satellites");
  const sorted = [...state.satellites].sort((a, b) => a.sat.name.localeCompare(b.sat.name));
  replace(
    list,
    sorted.map((entry) => {
      const button = h(
        "button",
        {
          type: "button",
          "aria-pressed": "false",
          on: {
            click: () => {
              select(entry.sat.norad_id);
              state.map.panTo(entry.marker.getLatLng());
            },
          },
        },
        h("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: state.colourOf(entry.sat.owner) } }),
        entry.sat.name,
        h("span", { class: "meta", text: entry.sat.owner }),
      );
      entry.button = button;
      return h("li", {}, button);
    }),
  );
  paintSwatches(list);
}

function wireControls() {
  const slider = byId("time");
  slider.addEventListener("input", () => {
    state.t = Number(slider.value);
    placeMarkers(true);
    updateUi(true);
  });
  byId("play").addEventListener("click", () => setPlaying(!state.playing));
  byId("speed").addEventListener("change", (event) => {
    state.speed = Number(event.target.value);
  });
  byId("now").addEventListener("click", () => {
    const now = Date.now();
    if (now < state.startMs || now > state.startMs + windowSeconds() * 1000) moveWindow(now);
    else {
      state.t = (now - state.startMs) / 1000;
      placeMarkers();
      updateUi(true);
    }
  });
  byId("owner-filter").addEventListener("change", (event) => {
    state.ownerFilter = event.target.value;
    applyFilter();
  });
  byId("show-circles").addEventListener("change", (event) => {
    if (!state.circles) return;
    if (event.target.checked) state.circles.addTo(state.map);
    else state.circles.remove();
  });
}

// The first window is requested at once, while the page and the basemap load.
const firstNow = Date.now();
const firstWindow = fetchWindow(firstNow);
firstWindow.catch(() => {}); // reported when awaited below

run(async (session) => {
  const mapElement = byId("map");
  state.map = await createMap(mapElement, session, { label: "Map of the pooled satellites and ground stations" });
  state.map.createPane("tracks").style.zIndex = "410";
  state.map.createPane("satellites").style.zIndex = "620";
  state.map.on("zoomend", () => placeMarkers(true));
  state.tracksRenderer = L.canvas({ pane: "tracks" });
  state.satsRenderer = L.canvas({ pane: "satellites", tolerance: 4 });
  wireControls();
  const now = firstNow;
  const data = await firstWindow.catch(() => fetchWindow(firstNow)); // e.g. a refused stored key
  const owners = data.satellites.map((s) => s.owner);
  state.colourOf = colourScale(owners);
  state.stations = data.stations;
  setData(data);
  state.t = (now - state.startMs) / 1000;
  drawStations();
  fillList();
  placeMarkers();
  updateUi(true);
  const source = data.source === "registry" ? "the registry" : "the bundled reference consortium (nominal orbits)";
  byId("fleet-summary").textContent = `${data.satellites.length} satellites and ${data.stations.length} stations from ${source}.`;
  const filter = byId("owner-filter");
  for (const owner of [...new Set(owners)].sort()) filter.append(h("option", { value: owner, text: owner }));
  replace(byId("legend"), legend(owners, state.colourOf, "Colour of each owner"));
  paintSwatches(byId("legend"));
  if (data.failures.length) {
    byId("page-status").append(errorMessage(new Error(data.failures.join("; ")), "Some satellites could not be propagated"));
  }
  // Diagnostics for the browser tests: where a satellite is drawn, in map pixels.
  stats.pointOf = (noradId) => {
    const entry = state.satellites.find((e) => e.sat.norad_id === noradId);
    if (!entry) return null;
    const p = state.map.latLngToContainerPoint(entry.marker.getLatLng());
    return { x: p.x, y: p.y };
  };
  stats.points = () =>
    state.satellites
      .filter((e) => state.map.hasLayer(e.marker))
      .map((e) => ({
        norad: e.sat.norad_id,
        name: e.sat.name,
        owner: e.sat.owner,
        instruments: e.sat.instruments.map((i) => i.name),
        ...stats.pointOf(e.sat.norad_id),
      }));
  stats.setPlaying = setPlaying;
  requestAnimationFrame(frame);
});
