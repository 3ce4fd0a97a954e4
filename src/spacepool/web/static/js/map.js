// Leaflet maps on the offline basemap: Natural Earth countries (world-atlas
// TopoJSON, decoded by topojson-client), drawn as vector paths. An optional raster
// tile layer (SPACEPOOL_TILE_URL on the server) goes underneath for online use.
// Leaflet (L) and topojson-client (topojson) are classic scripts loaded by the page.

const ATLAS = new URL("../vendor/world-atlas/", import.meta.url);
const NATURAL_EARTH = "Natural Earth (public domain)";
const EARTH_RADIUS_KM = 6371.0088; // IUGG mean radius R1 (Moritz 2000, Geodetic Reference System 1980)
const DETAILED_ZOOM = 4; // from this zoom on, the 1:50m countries replace the 1:110m ones

const WORLD_CENTRE_LAT = 25; // centre of the first view: the inhabited latitudes

const atlasCache = new Map();

function atlas(name) {
  if (!atlasCache.has(name)) {
    const request = fetch(new URL(`${name}.json`, ATLAS))
      .then((response) => {
        if (!response.ok) throw new Error(`basemap ${name}: HTTP ${response.status}`);
        return response.json();
      })
      .then((topology) => cutAtAntimeridian(topojson.feature(topology, topology.objects.countries)));
    atlasCache.set(name, request);
  }
  return atlasCache.get(name);
}

// world-atlas keeps polygons whole across the antimeridian (Fiji, Russia) and
// around the South Pole (Antarctica), as a spherical renderer wants them; drawn flat,
// their edges from +180 to -180 would cross the whole map. Each such ring is made
// continuous in longitude (closed along the pole when it goes round one), and a
// copy shifted by 360 deg draws the part that then lies beyond +-180.
function unwrapRing(ring) {
  const out = [ring[0].slice()];
  for (let i = 1; i < ring.length; i += 1) {
    let lon = ring[i][0];
    const previous = out[i - 1][0];
    while (lon - previous > 180) lon -= 360;
    while (lon - previous < -180) lon += 360;
    out.push([lon, ring[i][1]]);
  }
  const first = out[0];
  const last = out[out.length - 1];
  if (Math.abs(last[0] - first[0]) > 180) {
    const meanLat = out.reduce((sum, p) => sum + p[1], 0) / out.length;
    const pole = meanLat < 0 ? -90 : 90;
    out.push([last[0], pole], [first[0], pole], first.slice());
  }
  return out;
}

function crosses(ring) {
  for (let i = 1; i < ring.length; i += 1) if (Math.abs(ring[i][0] - ring[i - 1][0]) > 180) return true;
  return false;
}

function shifted(polygon, by) {
  return polygon.map((ring) => ring.map(([lon, lat]) => [lon + by, lat]));
}

function cutAtAntimeridian(collection) {
  for (const feature of collection.features) {
    const geometry = feature.geometry;
    if (!geometry || (geometry.type !== "Polygon" && geometry.type !== "MultiPolygon")) continue;
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    if (!polygons.some((polygon) => polygon.some(crosses))) continue;
    const out = [];
    for (const polygon of polygons) {
      if (!polygon.some(crosses)) {
        out.push(polygon);
        continue;
      }
      const fixed = polygon.map(unwrapRing);
      const lons = fixed[0].map((p) => p[0]);
      out.push(fixed);
      if (Math.max(...lons) > 180) out.push(shifted(fixed, -360));
      if (Math.min(...lons) < -180) out.push(shifted(fixed, 360));
    }
    feature.geometry = { type: "MultiPolygon", coordinates: out };
  }
  return collection;
}

// Fetched as soon as a map page loads, alongside the page's own data.
atlas("countries-110m");

function countryStyle(withTiles) {
  return withTiles
    ? { color: "#56606c", weight: 0.6, fill: false, opacity: 0.7 }
    : { color: "#8c9a8a", weight: 0.7, fillColor: "#eef0e6", fillOpacity: 1 };
}

// A map in `element` with the countries drawn; resolves once the basemap is on it.
// The container gets data-basemap="ready" then (the browser tests wait for it).
export async function createMap(element, session, { label = "Map" } = {}) {
  // One copy of the world, which fills the map's width at the smallest zoom: no
  // empty copies beside it (features that cross the antimeridian are drawn on
  // both sides by their producers).
  const map = L.map(element, {
    minZoom: 1,
    maxZoom: 11,
    zoomSnap: 0.25,
    zoomDelta: 0.5,
    attributionControl: false,
    maxBounds: [[-85.06, -180], [85.06, 180]],
    maxBoundsViscosity: 1,
  });
  L.control.attribution({ prefix: "Leaflet" }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  element.setAttribute("role", "region");
  element.setAttribute("aria-label", label);
  const fitWidth = () => {
    // 256 px is the width of the world at zoom 0 (Web Mercator tiles).
    const zoom = Math.max(0, Math.ceil(4 * Math.log2(Math.max(element.clientWidth, 256) / 256)) / 4);
    map.setMinZoom(zoom);
    return zoom;
  };
  map.setView([WORLD_CENTRE_LAT, 0], fitWidth());
  map.on("resize", fitWidth);
  map.createPane("basemap");
  map.getPane("basemap").style.zIndex = "250";
  const withTiles = Boolean(session && session.tile_url);
  if (withTiles) {
    L.tileLayer(session.tile_url, { attribution: session.tile_attribution || "", maxZoom: 19 }).addTo(map);
  }
  let detail = "countries-110m";
  let layer = L.geoJSON(await atlas(detail), {
    pane: "basemap",
    interactive: false,
    style: countryStyle(withTiles),
    attribution: NATURAL_EARTH,
  }).addTo(map);
  map.on("zoomend", async () => {
    const wanted = map.getZoom() >= DETAILED_ZOOM ? "countries-50m" : "countries-110m";
    if (wanted === detail) return;
    detail = wanted;
    const features = await atlas(wanted);
    if (wanted !== detail) return; // zoomed again meanwhile
    const next = L.geoJSON(features, { pane: "basemap", interactive: false, style: countryStyle(withTiles), attribution: NATURAL_EARTH });
    next.addTo(map);
    layer.remove();
    layer = next;
  });
  element.dataset.basemap = "ready";
  return map;
}

// --- geometry helpers ---------------------------------------------------------------

function wrapLon(lon) {
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}

// A ground track as polyline pieces that never jump across the map: split where it
// crosses the antimeridian, with the crossing point (linear in latitude) ending one
// piece and starting the next. null samples (propagation failed) break the line.
export function trackPieces(lats, lons) {
  const pieces = [];
  let piece = [];
  for (let i = 0; i < lats.length; i += 1) {
    const lat = lats[i];
    const lon = lons[i];
    if (lat === null || lon === null) {
      if (piece.length > 1) pieces.push(piece);
      piece = [];
      continue;
    }
    if (piece.length) {
      const [lat0, lon0] = piece[piece.length - 1];
      if (Math.abs(lon - lon0) > 180) {
        const edge = lon0 > 0 ? 180 : -180;
        const unwrapped = lon + (lon0 > 0 ? 360 : -360);
        const f = (edge - lon0) / (unwrapped - lon0);
        const latEdge = lat0 + f * (lat - lat0);
        piece.push([latEdge, edge]);
        pieces.push(piece);
        piece = [[latEdge, -edge]];
      }
    }
    piece.push([lat, lon]);
  }
  if (piece.length > 1) pieces.push(piece);
  return pieces;
}

// Position at `t` seconds on a track sampled every `stepS` seconds: linear between
// neighbouring samples, the longitude taken the short way round. Over one 30 s step
// a low orbit moves ~2 deg, where the chord departs from the true ground track by
// well under 1 km: invisible at any zoom the map offers.
export function interpolate(lats, lons, stepS, t) {
  const last = lats.length - 1;
  if (last < 1) return null;
  const k = Math.min(Math.max(t / stepS, 0), last);
  const i = Math.min(Math.floor(k), last - 1);
  const f = k - i;
  const lat0 = lats[i];
  const lat1 = lats[i + 1];
  const lon0 = lons[i];
  const lon1 = lons[i + 1];
  if (lat0 === null || lat1 === null || lon0 === null || lon1 === null) return null;
  let dlon = lon1 - lon0;
  if (dlon > 180) dlon -= 360;
  else if (dlon < -180) dlon += 360;
  return [lat0 + f * (lat1 - lat0), wrapLon(lon0 + f * dlon)];
}

// The small circle of `radiusKm` around a point (spherical Earth), for Leaflet:
// `areas` (polygon rings to fill) and `outlines` (the circle itself, to stroke),
// each with copies shifted by 360 deg when it crosses the antimeridian. A circle
// around a pole is filled up to the pole's edge of the map; its outline stays the
// circle (no seam along the meridian where the fill is closed).
export function smallCircle(latDeg, lonDeg, radiusKm, n = 180) {
  const toRad = Math.PI / 180;
  const d = radiusKm / EARTH_RADIUS_KM;
  const lat1 = latDeg * toRad;
  const lon1 = lonDeg * toRad;
  const ring = [];
  let previous = null;
  for (let k = 0; k <= n; k += 1) {
    const bearing = (2 * Math.PI * k) / n;
    // Destination point given distance and bearing (great-circle; e.g. Williams,
    // "Aviation Formulary", and Vincenty's spherical form).
    const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(bearing));
    let lon2 = lon1 + Math.atan2(Math.sin(bearing) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
    lon2 /= toRad;
    if (previous !== null) {
      while (lon2 - previous > 180) lon2 -= 360;
      while (lon2 - previous < -180) lon2 += 360;
    }
    previous = lon2;
    ring.push([lat2 / toRad, lon2]);
  }
  const area = ring.slice();
  const turn = ring[ring.length - 1][1] - ring[0][1];
  if (Math.abs(turn) > 180) {
    const pole = latDeg >= 0 ? 89.9 : -89.9;
    area.push([pole, ring[ring.length - 1][1]], [pole, ring[0][1]]);
  }
  const lons = ring.map((p) => p[1]);
  const copies = [0];
  if (Math.max(...lons) > 180) copies.push(-360);
  if (Math.min(...lons) < -180) copies.push(360);
  const shift = (points, by) => points.map(([a, b]) => [a, b + by]);
  return { areas: copies.map((by) => shift(area, by)), outlines: copies.map((by) => shift(ring, by)) };
}

// A rectangle the user drags on the map with the mouse; calls done(bounds). (The
// area field of the form is the keyboard way to give a box.)
// Map panning is off while drawing. Returns a function that cancels the drawing.
export function drawRectangle(map, style, done) {
  const container = map.getContainer();
  container.classList.add("drawing");
  map.dragging.disable();
  let start = null;
  let shape = null;
  const down = (event) => {
    start = event.latlng;
    shape = L.rectangle(L.latLngBounds(start, start), style).addTo(map);
  };
  const move = (event) => {
    if (start && shape) shape.setBounds(L.latLngBounds(start, event.latlng));
  };
  const stop = () => {
    container.classList.remove("drawing");
    map.dragging.enable();
    map.off("mousedown", down);
    map.off("mousemove", move);
    map.off("mouseup", up);
  };
  const up = (event) => {
    if (!start) return;
    const bounds = L.latLngBounds(start, event.latlng);
    if (shape) shape.remove();
    stop();
    done(bounds);
  };
  map.on("mousedown", down);
  map.on("mousemove", move);
  map.on("mouseup", up);
  return () => {
    if (shape) shape.remove();
    stop();
  };
}
