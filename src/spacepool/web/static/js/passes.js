// Passes: the next passes of the pooled satellites over one ground station, with
// the same query exported as iCalendar (/passes.ics) and CSV (/passes.csv).

import {
  api, apiUrl, byId, errorMessage, fmtDuration, fmtNum, fmtTime, h, hasRoute, isoZ,
  itemsOf, message, queryChoice, replace, requireRoute, run, table,
} from "./common.js";

const MAX_ROWS = 1000;

async function stations() {
  if (await hasRoute("GET", "/assets")) {
    const data = await api("assets", { query: { kind: "station", limit: 1000 } });
    const found = itemsOf(data);
    if (found.length) return found;
  }
  // The stations the fleet map draws (the bundled consortium's when the registry is empty).
  const fleet = await api("fleet/tracks", { query: { minutes: 1, step_s: 60 } });
  return fleet.stations;
}

function localInput(date) {
  return isoZ(date).slice(0, 19);
}

function query() {
  const startText = byId("start").value;
  const start = new Date(`${startText.length === 16 ? `${startText}:00` : startText}Z`);
  const hours = Number(byId("hours").value);
  if (Number.isNaN(start.getTime())) throw new Error("give a start time");
  if (!(hours >= 1 && hours <= 168)) throw new Error("hours must be between 1 and 168 (7 days)");
  const satellites = byId("satellites").value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const s of satellites) {
    if (!/^\d+$/.test(s)) throw new Error(`'${s}' is not a NORAD id (a whole number)`);
  }
  const elevation = byId("min-elevation").value;
  return {
    station: byId("station").value,
    start: isoZ(start),
    end: isoZ(new Date(start.getTime() + hours * 3.6e6)),
    min_elevation_deg: elevation === "" ? undefined : elevation,
    satellite: satellites.length ? satellites : undefined,
  };
}

async function find(event) {
  event.preventDefault();
  const out = byId("passes");
  let q;
  try {
    q = query();
  } catch (error) {
    replace(out, message("error", `Not sent: ${error.message}.`));
    return;
  }
  replace(out, h("p", { class: "hint", text: "Computing passes…" }));
  byId("export-ics").href = apiUrl("passes.ics", q).href;
  byId("export-csv").href = apiUrl("passes.csv", q).href;
  try {
    const data = await api("passes", { query: { ...q, limit: MAX_ROWS } });
    const passes = itemsOf(data);
    const warnings = (data && data.warnings) || [];
    const count = data.total ?? passes.length;
    const select = byId("station");
    const name = select.options[select.selectedIndex].textContent;
    replace(
      out,
      warnings.map((w) => message("warning", w)),
      h("p", { text: `${count} pass${count === 1 ? "" : "es"} over ${name} from ${fmtTime(q.start)} to ${fmtTime(q.end)}.` }),
      table(
        `Passes over ${name}`,
        [
          { label: "Satellite", value: (p) => p.satellite },
          { label: "NORAD", value: (p) => p.norad_id, num: true },
          { label: "AOS", value: (p) => fmtTime(p.aos, { seconds: true }) },
          { label: "TCA", value: (p) => fmtTime(p.tca, { seconds: true }).slice(11) },
          { label: "LOS", value: (p) => fmtTime(p.los, { seconds: true }).slice(11) },
          { label: "Max elevation", value: (p) => `${fmtNum(p.max_elevation_deg, 1)}°`, num: true },
          { label: "Duration", value: (p) => fmtDuration(p.duration_s), num: true },
        ],
        passes,
        { empty: "No pass in this window." },
      ),
    );
    byId("exports").hidden = false;
  } catch (error) {
    replace(out, errorMessage(error, "Pass prediction failed"));
  }
}

run(async () => {
  const form = byId("passes-form");
  const now = new Date();
  now.setUTCSeconds(0, 0);
  byId("start").value = localInput(now);
  if (!(await requireRoute(byId("passes"), "Pass prediction", "GET /passes"))) {
    byId("find").disabled = true;
    return;
  }
  const list = await stations();
  const select = byId("station");
  replace(select, list.map((s) => h("option", { value: s.id, text: `${s.name} (${s.owner})` })));
  const wanted = queryChoice("station", list.map((s) => s.id));
  if (wanted) select.value = wanted;
  form.addEventListener("submit", find);
  if (!list.length) {
    replace(byId("passes"), message("info", "No ground station is registered."));
  }
});
