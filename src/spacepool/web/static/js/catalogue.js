// Catalogue: search the STAC API (area, time, collection) on a map and a list; an
// item's details with its footprint. Every request carries the viewer's key, so the
// results are what that key may see (anonymous: open data only).

import {
  ApiError, api, byId, errorMessage, facts, fmtTime, h, message, replace, run,
} from "./common.js";
import { createMap, drawRectangle } from "./map.js";

const PAGE_SIZE = 50;
// A thick outline keeps a scene-sized footprint visible on a world-wide view.
const FOOTPRINT = { color: "#1f5fa8", weight: 3, fillOpacity: 0.15 };
const CHOSEN = { color: "#d62728", weight: 3, fillOpacity: 0.25 };
const AREA = { color: "#14263d", weight: 2, dashArray: "6 4", fill: false, interactive: false };

const state = {
  map: null,
  footprints: null, // L.featureGroup of result footprints
  area: null, // the search box drawn on the map
  next: null, // the next page's link
  results: [], // [{feature, layer, button}]
  chosen: null,
  cancelDraw: null,
};

function parseBbox(text) {
  const parts = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length !== 4 || parts.some((p) => !Number.isFinite(Number(p)))) {
    throw new Error("the area needs four numbers: min lon, min lat, max lon, max lat (degrees)");
  }
  const [w, s, e, n] = parts.map(Number);
  if (w < -180 || e > 180 || s < -90 || n > 90 || s > n) {
    throw new Error("the area is outside the world: longitudes in -180..180, latitudes in -90..90, min lat <= max lat");
  }
  return [w, s, e, n];
}

function fmtBbox(bounds) {
  const round = (v) => Math.round(v * 1000) / 1000;
  const west = Math.max(-180, round(bounds.getWest()));
  const east = Math.min(180, round(bounds.getEast()));
  return [west, Math.max(-90, round(bounds.getSouth())), east, Math.min(90, round(bounds.getNorth()))].join(",");
}

function showArea(bbox) {
  if (state.area) state.area.remove();
  state.area = null;
  if (!bbox) return;
  const [w, s, e, n] = bbox;
  state.area = L.rectangle([[s, w], [n, e]], AREA).addTo(state.map);
}

function utcInput(value) {
  // <input type="datetime-local"> holds a wall time; the form says it is UTC.
  return value ? `${value.length === 16 ? `${value}:00` : value}Z` : "";
}

function searchQuery() {
  const collection = byId("collection").value;
  const from = utcInput(byId("from").value);
  const to = utcInput(byId("to").value);
  const bboxText = byId("bbox").value.trim();
  const bbox = bboxText ? parseBbox(bboxText) : null;
  if (from && to && Date.parse(from) > Date.parse(to)) throw new Error("'From' is after 'To'");
  const query = { limit: PAGE_SIZE };
  if (collection) query.collections = collection;
  if (from || to) query.datetime = `${from || ".."}/${to || ".."}`;
  if (bbox) query.bbox = bbox.join(",");
  return { query, bbox };
}

function describe(feature) {
  const p = feature.properties || {};
  const when = p.datetime || p.start_datetime;
  return `${fmtTime(when)} · ${p["spacepool:owner"] || "?"} · ${p["spacepool:access"] || "?"}`;
}

function addResults(features) {
  const list = byId("results");
  for (const feature of features) {
    const layer = L.geoJSON(feature, {
      style: FOOTPRINT,
      pointToLayer: (_, latlng) => L.circleMarker(latlng, { radius: 6, ...FOOTPRINT }),
    });
    layer.bindTooltip(feature.id);
    layer.on("click", () => choose(entry));
    layer.addTo(state.footprints);
    const button = h(
      "button",
      { type: "button", "aria-pressed": "false", on: { click: () => choose(entry) } },
      h("span", {}, h("strong", { text: feature.id }), h("br"), h("span", { class: "hint", text: describe(feature) })),
      h("span", { class: "meta", text: feature.collection || "" }),
    );
    const entry = { feature, layer, button };
    state.results.push(entry);
    list.append(h("li", {}, button));
  }
}

function choose(entry) {
  state.chosen = entry;
  for (const other of state.results) {
    const chosen = other === entry;
    other.layer.setStyle(chosen ? CHOSEN : FOOTPRINT);
    other.button.setAttribute("aria-pressed", String(chosen));
  }
  entry.layer.bringToFront();
  const bounds = entry.layer.getBounds();
  if (bounds.isValid()) state.map.fitBounds(bounds, { maxZoom: 7, padding: [40, 40] });
  const f = entry.feature;
  const p = f.properties || {};
  const assets = Object.entries(f.assets || {});
  const embargo = p["spacepool:embargo_until"];
  replace(
    byId("item"),
    h("h2", { text: f.id }),
    facts([
      ["Collection", f.collection || "–"],
      ["Time", p.datetime ? fmtTime(p.datetime, { seconds: true }) : `${fmtTime(p.start_datetime)} to ${fmtTime(p.end_datetime)}`],
      ["Owner", p["spacepool:owner"] || "–"],
      ["Access", p["spacepool:access"] || "–"],
      p["spacepool:shared_with"] && p["spacepool:shared_with"].length ? ["Shared with", p["spacepool:shared_with"].join(", ")] : null,
      ["Embargo", embargo ? `until ${fmtTime(embargo)}` : "none"],
      ["Footprint", f.bbox ? `bbox ${f.bbox.map((v) => Math.round(v * 1000) / 1000).join(", ")}` : (f.geometry ? f.geometry.type : "–")],
    ]),
    h("h3", { text: "Properties" }),
    facts(
      Object.entries(p)
        .filter(([key]) => !key.startsWith("spacepool:") && key !== "datetime")
        .map(([key, value]) => [key, typeof value === "object" ? JSON.stringify(value) : String(value)]),
    ),
    assets.length ? h("h3", { text: "Assets" }) : null,
    assets.length
      ? h("ul", {}, assets.map(([key, asset]) => h("li", {}, h("code", { text: key }), ` ${asset.title || ""} ${asset.type || ""}`, " ", h("code", { text: asset.href }))))
      : null,
  );
}

function clearResults() {
  state.footprints.clearLayers();
  state.results = [];
  state.chosen = null;
  replace(byId("results"));
  replace(byId("item"), h("h2", { text: "Item" }), h("p", { class: "hint", text: "Choose a result to see its details and footprint." }));
}

async function showPage(data) {
  addResults(data.features || []);
  const next = (data.links || []).find((link) => link.rel === "next");
  state.next = next && next.href ? new URL(next.href, document.baseURI) : null;
  // Follow only links to this server: the key is never sent anywhere else.
  if (state.next && state.next.origin !== location.origin) state.next = null;
  byId("more").hidden = state.next === null;
  const shown = state.results.length;
  const total = data.numberMatched;
  let summary = `${shown} of ${total} matching item${total === 1 ? "" : "s"} shown.`;
  if (total === undefined) summary = `${shown} items shown.`;
  else if (total === 0) summary = "No item matches this search (nothing you may see).";
  byId("results-summary").textContent = summary;
  document.body.dataset.results = String(shown);
}

async function search(event) {
  if (event) event.preventDefault();
  let request;
  try {
    request = searchQuery();
  } catch (error) {
    replace(byId("results-summary"), message("error", `Search not sent: ${error.message}.`));
    return;
  }
  showArea(request.bbox);
  clearResults();
  byId("results-summary").textContent = "Searching…";
  try {
    const data = await api("stac/search", { query: request.query });
    await showPage(data);
    const bounds = state.footprints.getBounds();
    if (!request.bbox && bounds.isValid()) state.map.fitBounds(bounds, { maxZoom: 5, padding: [30, 30] });
  } catch (error) {
    replace(byId("results-summary"), errorMessage(error, "The search failed"));
  }
}

async function more() {
  if (!state.next) return;
  try {
    await showPage(await api(state.next));
  } catch (error) {
    replace(byId("results-summary"), errorMessage(error, "Loading more results failed"));
  }
}

function wireForm() {
  byId("search-form").addEventListener("submit", search);
  byId("more").addEventListener("click", more);
  const draw = byId("draw");
  draw.addEventListener("click", () => {
    if (state.cancelDraw) {
      state.cancelDraw();
      state.cancelDraw = null;
      draw.setAttribute("aria-pressed", "false");
      return;
    }
    draw.setAttribute("aria-pressed", "true");
    state.cancelDraw = drawRectangle(state.map, AREA, (bounds) => {
      state.cancelDraw = null;
      draw.setAttribute("aria-pressed", "false");
      byId("bbox").value = fmtBbox(bounds);
      showArea(parseBbox(byId("bbox").value));
    });
  });
  byId("use-view").addEventListener("click", () => {
    byId("bbox").value = fmtBbox(state.map.getBounds());
    showArea(parseBbox(byId("bbox").value));
  });
  byId("clear-area").addEventListener("click", () => {
    byId("bbox").value = "";
    showArea(null);
  });
}

run(async (session) => {
  state.map = await createMap(byId("map"), session, { label: "Map of the catalogue search: area and item footprints" });
  state.footprints = L.featureGroup().addTo(state.map);
  wireForm();
  const collections = async () => {
    try {
      const answer = await api("stac/collections");
      const select = byId("collection");
      for (const c of answer.collections || []) select.append(h("option", { value: c.id, text: c.title || c.id }));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      byId("page-status").append(errorMessage(error, "Loading the collections failed"));
    }
  };
  await Promise.all([collections(), search()]);
});
