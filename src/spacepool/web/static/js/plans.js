// Plans: Gantt charts per satellite instrument and per station, the per-partner
// accounting, and the named reason for every unserved request. A partner sees its
// own acquisitions and every partner's account (the server cuts the rest).

import {
  api, byId, errorMessage, facts, fmtNum, fmtPct, fmtTime, h, itemsOf, message,
  paintSwatches, queryChoice, replace, requireRoute, run,
} from "./common.js";
import { accountsView, planTimeline, unservedView } from "./planviews.js";

async function showPlan(id) {
  const targets = ["plan-facts", "gantt-satellites", "gantt-stations", "accounts", "unserved"].map(byId);
  for (const target of targets) replace(target, h("p", { class: "hint", text: "Loading…" }));
  let view;
  try {
    view = await api(`plans/${encodeURIComponent(id)}`);
  } catch (error) {
    replace(targets[0], errorMessage(error, `Loading plan ${id} failed`));
    for (const target of targets.slice(1)) replace(target);
    return;
  }
  const plan = view.plan;
  replace(
    byId("plan-facts"),
    facts([
      ["Status", h("span", { class: `status ${view.status === "OPTIMAL" || view.status === "optimal" ? "ok" : ""}`, text: view.status })],
      plan.message ? ["Message", plan.message] : null,
      ["Window", `${fmtTime(view.start)} to ${fmtTime(view.end)}`],
      ["Solver", `${view.solver}, fairness ${view.fairness}`],
      ["Objective", `${fmtNum(view.objective)}${view.bound === null ? "" : ` (bound ${fmtNum(view.bound)}, gap ${fmtPct(view.gap ?? 0)})`}`],
      ["Created", `${fmtTime(view.created_at)} by ${view.created_by}`],
    ]),
  );
  const timeline = planTimeline(plan, { label: `Plan ${id}` });
  replace(byId("gantt-satellites"), timeline.acquisitions);
  replace(byId("gantt-stations"), timeline.downlinks);
  replace(byId("accounts"), plan.accounts.length ? accountsView(plan.accounts) : message("info", "No accounts: this plan had no entitlements."));
  replace(byId("unserved"), unservedView(plan.unserved));
  paintSwatches();
}

run(async (session) => {
  const select = byId("plan");
  if (!(await requireRoute(byId("plan-facts"), "Plans", "GET /plans"))) return;
  if (session.viewer.kind === "anonymous") {
    replace(byId("plan-facts"), message("info", "Plans are shown to partners and the coordinator: sign in with your API key."));
    return;
  }
  let plans;
  try {
    plans = itemsOf(await api("plans", { query: { limit: 100 } }));
  } catch (error) {
    replace(byId("plan-facts"), errorMessage(error, "Loading the plans failed"));
    return;
  }
  if (!plans.length) {
    replace(byId("plan-facts"), message("info", "No plan has been run yet (the coordinator runs them: POST /plans)."));
    return;
  }
  replace(
    select,
    plans.map((p) => h("option", { value: p.id, text: `${p.id}, ${fmtTime(p.created_at)} (${p.status})` })),
  );
  select.disabled = false;
  select.addEventListener("change", () => showPlan(select.value));
  const wanted = queryChoice("plan", plans.map((p) => p.id));
  if (wanted) select.value = wanted;
  await showPlan(select.value);
});
