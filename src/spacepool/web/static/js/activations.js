// Activations: the list the viewer may see; for one activation its area and the
// footprints of its products on the map, the timeline of planned acquisitions and
// downlinks, the value of cooperation (what the pool achieves against each partner
// alone), and its state and events, refreshed while it progresses.

import {
  api, byId, errorMessage, facts, fmtNum, fmtTime, h, itemsOf, message,
  paintSwatches, queryChoice, replace, requireRoute, run, table,
} from "./common.js";
import { createMap } from "./map.js";
import { planTimeline } from "./planviews.js";

const REFRESH_MS = 15000; // state refresh while an activation is still in progress
const FINAL_STATES = new Set(["completed", "closed", "cancelled", "failed"]);
const AREA = { color: "#d62728", weight: 2, fillOpacity: 0.12 };
const FOOTPRINT = { color: "#1f5fa8", weight: 2, fillOpacity: 0.25 };

const state = { map: null, area: null, footprints: null, timer: null, current: null, lastState: null };

function path(id, tail = "") {
  return `activations/${encodeURIComponent(id)}${tail}`;
}

function activationList(items, chosen) {
  return h(
    "ul",
    { class: "pick-list" },
    items.map((a) =>
      h(
        "li",
        {},
        h(
          "button",
          { type: "button", "aria-pressed": String(a.id === chosen), dataset: { id: a.id }, on: { click: () => show(a.id) } },
          h("span", {}, h("strong", { text: a.name || a.id }), h("br"), h("span", { class: "hint", text: `${a.type} · ${fmtTime(a.event_time)}` })),
          h("span", { class: "meta", text: a.state }),
        ),
      ),
    ),
  );
}

function hours(value) {
  return value === null || value === undefined ? "never" : `${fmtNum(value, 1)} h`;
}

function cooperationView(comparison) {
  if (!comparison || !comparison.pool) return message("info", "No value-of-cooperation comparison for this activation.");
  const rows = [{ ...comparison.pool, name: "The whole pool" }];
  for (const [partner, result] of Object.entries(comparison.alone || {})) rows.push({ ...result, name: `${partner} alone` });
  const parts = [
    table(
      "The pool against each partner alone",
      [
        { label: "Who", value: (r) => r.name },
        { label: "First acquisition", value: (r) => hours(r.hours_to_first_acquisition), num: true },
        { label: "First delivery", value: (r) => hours(r.hours_to_first_delivery), num: true },
        { label: "Acquisitions", value: (r) => r.acquisitions ?? "–", num: true },
        { label: "Mean revisit", value: (r) => hours(r.mean_revisit_hours), num: true },
      ],
      rows,
    ),
  ];
  if (Array.isArray(comparison.marginal) && comparison.marginal.length) {
    parts.push(
      table(
        "What each partner adds (the pool without it)",
        [
          { label: "Partner", value: (m) => m.partner },
          { label: "Acquisitions lost", value: (m) => m.acquisitions_lost, num: true },
          { label: "First acquisition later by", value: (m) => hours(m.first_acquisition_delay_hours), num: true },
          { label: "First delivery later by", value: (m) => hours(m.first_delivery_delay_hours), num: true },
          { label: "Indispensable", value: (m) => (m.indispensable ? "yes" : "no") },
        ],
        comparison.marginal,
      ),
    );
  }
  if (comparison.adds_most) parts.push(h("p", { text: `The partner that adds most: ${comparison.adds_most}.` }));
  return parts;
}

function showState(detail, events) {
  const chain = detail.chain || {};
  replace(
    byId("status"),
    facts([
      ["State", h("span", { class: `status ${detail.state === "completed" ? "ok" : ""}`, text: detail.state })],
      ["Type", detail.type],
      ["Requested by", detail.partner || "the consortium"],
      ["Event", fmtTime(detail.event_time)],
      ["Access", detail.access ? detail.access.policy : "–"],
      ["Checked", fmtTime(new Date(), { seconds: true })],
    ]),
    h("h3", { text: "Chain" }),
    facts(Object.entries(chain).map(([step, when]) => [step.replaceAll("_", " "), when ? fmtTime(when) : "not yet"])),
    table(
      "Events",
      [
        { label: "Time", value: (e) => fmtTime(e.at) },
        { label: "Event", value: (e) => e.kind },
        { label: "State", value: (e) => e.state },
      ],
      itemsOf(events),
      { empty: "No event yet." },
    ),
  );
}

async function showSummary(id) {
  replace(byId("value"), h("p", { class: "hint", text: "Computing the value of cooperation (a few seconds the first time)…" }));
  try {
    const summary = await api(path(id, "/summary"));
    if (state.current !== id) return;
    replace(byId("value"), cooperationView(summary.value_of_cooperation));
    state.footprints.clearLayers();
    for (const product of summary.products || []) {
      if (!product.footprint) continue;
      L.geoJSON(product.footprint, { style: FOOTPRINT })
        .bindTooltip(`${product.satellite} ${product.instrument}, ${fmtTime(product.start)} (${product.owner})`)
        .addTo(state.footprints);
    }
  } catch (error) {
    replace(byId("value"), errorMessage(error, "Loading the activation's summary failed"));
  }
}

async function refresh(id) {
  const [detail, events] = await Promise.all([api(path(id)), api(path(id, "/events"), { query: { limit: 1000 } })]);
  if (state.current !== id) return null;
  showState(detail, events);
  const changed = state.lastState !== null && state.lastState !== detail.state;
  state.lastState = detail.state;
  if (changed) await showSummary(id); // new products: new footprints
  if (!FINAL_STATES.has(detail.state)) state.timer = setTimeout(() => refresh(id).catch(() => {}), REFRESH_MS);
  return detail;
}

async function show(id) {
  clearTimeout(state.timer);
  state.current = id;
  state.lastState = null;
  for (const button of document.querySelectorAll("#list button")) button.setAttribute("aria-pressed", String(button.dataset.id === id));
  history.replaceState(null, "", `?id=${encodeURIComponent(id)}`);
  state.area.clearLayers();
  state.footprints.clearLayers();
  let detail;
  try {
    detail = await refresh(id);
  } catch (error) {
    replace(byId("status"), errorMessage(error, `Loading activation ${id} failed`));
    return;
  }
  const area = detail.activation && detail.activation.area;
  if (area) {
    const layer = L.geoJSON(area, { style: AREA, interactive: false }).addTo(state.area);
    if (layer.getBounds().isValid()) state.map.fitBounds(layer.getBounds(), { maxZoom: 7, padding: [30, 30] });
  }
  try {
    const plan = await api(path(id, "/plan"));
    const timeline = planTimeline(plan, { label: `Activation ${id}` });
    replace(byId("timeline"), h("h3", { text: "Acquisitions" }), timeline.acquisitions, h("h3", { text: "Downlinks" }), timeline.downlinks);
    paintSwatches(byId("timeline"));
  } catch (error) {
    replace(byId("timeline"), errorMessage(error, "Loading the activation's plan failed"));
  }
  showSummary(id); // may take seconds the first time: the page is usable meanwhile
}

run(async (session) => {
  state.map = await createMap(byId("map"), session, { label: "Map of the activation: area and product footprints" });
  state.area = L.featureGroup().addTo(state.map);
  state.footprints = L.featureGroup().addTo(state.map);
  if (!(await requireRoute(byId("list"), "Activations", "GET /activations"))) {
    replace(byId("status"), message("info", "Nothing to show."));
    return;
  }
  const items = itemsOf(await api("activations", { query: { limit: 100 } }));
  if (!items.length) {
    replace(
      byId("list"),
      message("info", session.viewer.kind === "anonymous" ? "No activation is open to everyone; partners may see more once signed in." : "No activation yet."),
    );
    replace(byId("status"), message("info", "Nothing to show."));
    replace(byId("timeline"));
    replace(byId("value"));
    return;
  }
  const chosen = queryChoice("id", items.map((a) => a.id)) ?? items[0].id;
  replace(byId("list"), activationList(items, chosen));
  await show(chosen);
});
