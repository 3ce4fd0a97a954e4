// Plan views shared by the Plans and Activations pages: Gantt charts of
// acquisitions and downlinks, the per-partner accounts, the unserved requests.

import { colourScale, fmtNum, fmtPct, fmtTime, h, legend, message, table } from "./common.js";
import { barChart, gantt } from "./charts.js";

export function planTimeline(plan, { label }) {
  const start = Date.parse(plan.start);
  const end = start + plan.horizon_s * 1000;
  // Colours by every partner with an account, so each keeps its colour across
  // pages (the fleet map colours by owner over the same partners).
  const partners = colourScale([...plan.accounts.map((a) => a.partner), ...plan.acquisitions.map((a) => a.partner)]);
  const satellites = colourScale(plan.downlinks.map((d) => d.satellite));
  const byRow = (items, key) => {
    const rows = new Map();
    for (const item of items) {
      const name = key(item);
      if (!rows.has(name)) rows.set(name, []);
      rows.get(name).push(item);
    }
    return [...rows.entries()].sort(([a], [b]) => a.localeCompare(b));
  };
  const acquisitionRows = byRow(plan.acquisitions, (a) => `${a.satellite} ${a.instrument}`).map(([name, items]) => ({
    label: name,
    bars: items.map((a) => ({
      start: Date.parse(a.start),
      end: Date.parse(a.end),
      colour: partners(a.partner),
      title: `${a.request} for ${a.partner}: ${fmtTime(a.start, { seconds: true })} to ${fmtTime(a.end, { seconds: true }).slice(11)}, value ${fmtNum(a.value, 1)}, off-nadir ${fmtNum(a.off_nadir_deg, 1)}°`,
    })),
  }));
  const downlinkRows = byRow(plan.downlinks, (d) => d.station).map(([name, items]) => ({
    label: name,
    bars: items.map((d) => ({
      start: Date.parse(d.start),
      end: Date.parse(d.end),
      colour: satellites(d.satellite),
      title: `${d.satellite} to ${d.station}: ${fmtTime(d.start, { seconds: true })} to ${fmtTime(d.end, { seconds: true }).slice(11)}, ${fmtNum(d.volume_mbit / 8000, 2)} GB`,
    })),
  }));
  return {
    acquisitions: acquisitionRows.length
      ? [
          legend(plan.acquisitions.map((a) => a.partner), partners, "Colour of each partner"),
          gantt({ label: `${label}: acquisitions per satellite instrument`, rows: acquisitionRows, start, end }),
        ]
      : [message("info", "No acquisition in this plan (or none of yours).")],
    downlinks: downlinkRows.length
      ? [
          legend(plan.downlinks.map((d) => d.satellite), satellites, "Colour of each satellite"),
          gantt({ label: `${label}: downlinks per station`, rows: downlinkRows, start, end }),
        ]
      : [message("info", "No downlink in this plan (or none carrying your data).")],
  };
}

export function accountsView(accounts) {
  const partners = accounts.map((a) => a.partner);
  return [
    barChart({
      label: "Entitlement and received share per partner",
      categories: partners,
      series: [
        { name: "Entitlement", colour: "#1f77b4", values: accounts.map((a) => a.entitlement) },
        { name: "Received share", colour: "#ff7f0e", values: accounts.map((a) => a.share) },
      ],
      format: (v) => fmtPct(v, 0),
    }),
    table(
      "Accounts",
      [
        { label: "Partner", value: (a) => a.partner },
        { label: "Entitlement", value: (a) => fmtPct(a.entitlement), num: true },
        { label: "Requested value", value: (a) => fmtNum(a.requested_value), num: true },
        { label: "Received value", value: (a) => fmtNum(a.received_value), num: true },
        { label: "Share", value: (a) => fmtPct(a.share), num: true },
        { label: "Target value", value: (a) => fmtNum(a.target_value), num: true },
        { label: "Satisfaction", value: (a) => (a.satisfaction === null ? "–" : fmtPct(a.satisfaction)), num: true },
        { label: "Activation value", value: (a) => fmtNum(a.activation_value), num: true },
        { label: "Activation charge", value: (a) => fmtNum(a.activation_charge), num: true },
      ],
      accounts,
    ),
  ];
}

export function unservedView(unserved) {
  return table(
    `${unserved.length} unserved`,
    [
      { label: "Request", value: (u) => u.request },
      { label: "Partner", value: (u) => u.partner },
      { label: "Reason", value: (u) => h("code", { text: u.reason }) },
      { label: "Explanation", value: (u) => u.message },
    ],
    unserved,
    { empty: "Every request in this plan was served." },
  );
}
