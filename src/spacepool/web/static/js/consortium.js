// Consortium: partners and their contributions; for each agreement, every
// partner's entitlement beside its share of the value delivered by the newest plan
// the viewer may see.

import {
  api, byId, colourScale, errorMessage, facts, fmtPct, fmtTime, h, hasRoute, itemsOf,
  message, replace, requireRoute, run, table, unavailable,
} from "./common.js";
import { barChart } from "./charts.js";

const ENTITLED = "#1f77b4";
const RECEIVED = "#ff7f0e";

async function listAll(path) {
  const first = await api(path, { query: { limit: 1000 } });
  return itemsOf(first);
}

function partnersTable(partners, colourOf) {
  const count = (p, kind) => (p.contributions ? p.contributions[kind] ?? 0 : "–");
  return table(
    `${partners.length} partners`,
    [
      {
        label: "Partner",
        value: (p) => h("span", {}, h("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: colourOf(p.id) } }), " ", h("strong", { text: p.id })),
        nowrap: true,
      },
      { label: "Name", value: (p) => p.name },
      { label: "Country", value: (p) => p.country || "–" },
      { label: "Spacecraft", value: (p) => count(p, "spacecraft"), num: true },
      { label: "Instruments", value: (p) => count(p, "instruments"), num: true },
      { label: "Stations", value: (p) => count(p, "stations"), num: true },
      { label: "Facilities", value: (p) => count(p, "facilities"), num: true },
      {
        label: "Entitlements",
        value: (p) => Object.entries(p.entitlements || {}).map(([a, s]) => `${a} ${fmtPct(s)}`).join(", ") || "–",
      },
    ],
    partners,
    { empty: "No partner is registered yet ('spacepool consortium load' or 'spacepool partners add')." },
  );
}

async function newestPlan(session) {
  if (session.viewer.kind === "anonymous") {
    return { note: "Sign in with a partner key to compare entitlements with what the plans delivered." };
  }
  if (!(await hasRoute("GET", "/plans"))) return { unavailable: true };
  const plans = itemsOf(await api("plans", { query: { limit: 1 } }));
  if (!plans.length) return { note: "No plan has been run yet: nothing has been received." };
  const view = await api(`plans/${encodeURIComponent(plans[0].id)}`);
  return { plan: view };
}

function showAgreement(agreement, received) {
  const shares = agreement.entitlements || {};
  const partners = Object.keys(shares).sort((a, b) => shares[b] - shares[a]);
  const accounts = new Map(((received.plan && received.plan.plan && received.plan.plan.accounts) || []).map((a) => [a.partner, a]));
  replace(
    byId("agreement-facts"),
    facts([
      ["Kind", agreement.kind === "fixed_shares" ? "fixed shares" : `value-weighted (${agreement.basis || "declared"})`],
      ["Pool", agreement.pool],
      agreement.source ? ["Source", agreement.source] : null,
      received.plan ? ["Received", `share of the value delivered by plan ${received.plan.id} (${fmtTime(received.plan.created_at)}, ${received.plan.status})`] : null,
    ]),
  );
  const series = [{ name: "Entitlement", colour: ENTITLED, values: partners.map((p) => shares[p]) }];
  if (accounts.size) {
    series.push({ name: "Received", colour: RECEIVED, values: partners.map((p) => (accounts.has(p) ? accounts.get(p).share : 0)) });
  }
  replace(
    byId("shares-chart"),
    barChart({
      label: `Entitlement${accounts.size ? " and received share" : ""} per partner, agreement ${agreement.name}`,
      categories: partners,
      series,
      format: (v) => fmtPct(v, 0),
    }),
    received.note ? message("info", received.note) : null,
    received.unavailable ? unavailable("What each partner received", "GET /plans") : null,
  );
  replace(
    byId("shares-table"),
    table(
      `Agreement ${agreement.name}`,
      [
        { label: "Partner", value: (p) => p },
        { label: "Entitlement", value: (p) => fmtPct(shares[p]), num: true },
        { label: "Received share", value: (p) => (accounts.has(p) ? fmtPct(accounts.get(p).share) : "–"), num: true },
        { label: "Received value", value: (p) => (accounts.has(p) ? accounts.get(p).received_value.toFixed(1) : "–"), num: true },
        { label: "Target value", value: (p) => (accounts.has(p) ? accounts.get(p).target_value.toFixed(1) : "–"), num: true },
      ],
      partners,
    ),
  );
}

async function showPartners() {
  const partnersBox = byId("partners");
  if (!(await requireRoute(partnersBox, "The partner list", "GET /partners"))) return;
  try {
    const partners = await listAll("partners");
    replace(partnersBox, partnersTable(partners, colourScale(partners.map((p) => p.id))));
  } catch (error) {
    replace(partnersBox, errorMessage(error, "Loading the partners failed"));
  }
}

async function showShares(session) {
  const select = byId("agreement");
  if (!(await requireRoute(byId("shares-chart"), "Agreements and entitlements", "GET /agreements"))) return;
  let agreements;
  let received;
  try {
    [agreements, received] = await Promise.all([
      listAll("agreements"),
      newestPlan(session).catch((error) => ({ error })),
    ]);
  } catch (error) {
    replace(byId("shares-chart"), errorMessage(error, "Loading the agreements failed"));
    return;
  }
  if (received.error) {
    byId("page-status").append(errorMessage(received.error, "Loading the newest plan failed"));
    received = {};
  }
  if (!agreements.length) {
    select.closest(".row").hidden = true;
    replace(byId("shares-chart"), message("info", "No agreement is registered yet."));
    return;
  }
  replace(select, agreements.map((a) => h("option", { value: a.id, text: `${a.name} (${a.pool})` })));
  select.disabled = false;
  const show = () => showAgreement(agreements.find((a) => a.id === select.value), received);
  select.addEventListener("change", show);
  show();
}

run((session) => Promise.all([showPartners(), showShares(session)]));
