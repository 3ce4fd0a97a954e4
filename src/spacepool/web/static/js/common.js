// Shared by every dashboard page: the API client, the session (API key), DOM
// helpers, formatting and messages. Plain ES module, no dependencies.

const KEY_NAME = "spacepool.apiKey";

// The server root, relative to this page (/ui/<page>.html -> /), so the dashboard
// also works behind a reverse proxy that mounts the API under a prefix.
export const API_ROOT = new URL("../", document.baseURI);

// --- the API key: kept in this browser tab's session storage only -------------------

export function apiKey() {
  try {
    return sessionStorage.getItem(KEY_NAME);
  } catch {
    return null;
  }
}

function storeKey(key) {
  if (key) sessionStorage.setItem(KEY_NAME, key);
  else sessionStorage.removeItem(KEY_NAME);
}

// --- HTTP -------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, code, description, path) {
    super(`${description} (HTTP ${status})`);
    this.status = status;
    this.code = code;
    this.description = description;
    this.path = path;
  }
}

export function apiUrl(path, query) {
  const url = new URL(path.replace(/^\//, ""), API_ROOT);
  for (const [name, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) url.searchParams.append(name, one);
  }
  return url;
}

// fetch() a server path ("partners", "stac/search", ...) as the signed-in viewer;
// JSON answers are decoded. Errors become ApiError with the server's description.
export async function api(path, { method = "GET", query, body, key = apiKey(), accept } = {}) {
  const headers = { Accept: accept || "application/json" };
  if (key) headers.Authorization = `Bearer ${key}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const url = path instanceof URL ? path : apiUrl(path, query);
  const response = await fetch(url, init);
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const code = (data && data.code) || "http_error";
    const description = (data && data.description) || response.statusText;
    throw new ApiError(response.status, code, description, url.pathname);
  }
  return data;
}

// The list in an answer: the contract's page envelope {items: [...]} or a bare list.
export function itemsOf(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}

// --- which routes this server has (from its OpenAPI document) -----------------------

let routeSet = null;

export function routes() {
  if (routeSet === null) {
    routeSet = api("openapi.json", { key: null })
      .then((spec) => {
        const found = new Set();
        for (const [path, operations] of Object.entries(spec.paths || {})) {
          for (const method of Object.keys(operations)) found.add(`${method.toUpperCase()} ${path}`);
        }
        return found;
      })
      .catch(() => new Set());
  }
  return routeSet;
}

export async function hasRoute(method, path) {
  return (await routes()).has(`${method} ${path}`);
}

// Whether this server has `route` ("GET /plans"); when it has not, `box` says that
// `what` is not available and names the route it needs.
export async function requireRoute(box, what, route) {
  const [method, path] = route.split(" ");
  if (await hasRoute(method, path)) return true;
  replace(box, unavailable(what, route));
  return false;
}

// The value of the page URL's query parameter `name` (?plan=...) when it is one of
// `ids`, else null: a link to a page can choose what it shows first.
export function queryChoice(name, ids) {
  const value = new URLSearchParams(location.search).get(name);
  return value !== null && ids.includes(value) ? value : null;
}

// --- DOM --------------------------------------------------------------------------

// h("tag", {class, text, on: {event: fn}, ...attributes}, ...children): an element.
// Text is always set as text (never parsed as HTML).
export function h(tag, props = {}, ...children) {
  const svg = props.svg === true;
  const node = svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false || name === "svg") continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "on") for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
    else if (name === "class") node.setAttribute("class", value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name in node && !svg && typeof value !== "string") node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(container, ...children) {
  container.replaceChildren();
  append(container, children);
  return container;
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no element #${id}`);
  return node;
}

// --- messages ------------------------------------------------------------------------

export function message(kind, ...text) {
  return h("div", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" }, ...text);
}

export function unavailable(what, route) {
  return message(
    "unavailable",
    `${what} is not available on this server yet: it needs `,
    h("code", { text: route }),
    ".",
  );
}

export function errorMessage(error, doing) {
  if (error instanceof ApiError) {
    if (error.status === 401) {
      return message("error", `${doing}: your key was refused (${error.description}). Sign in again.`);
    }
    if (error.status === 403) return message("error", `${doing}: not allowed for your key (${error.description}).`);
    return message("error", `${doing}: ${error.description}`);
  }
  return message("error", `${doing}: ${error && error.message ? error.message : error}`);
}

// --- formatting ------------------------------------------------------------------------

export function fmtTime(iso, { seconds = false } = {}) {
  if (!iso) return "–";
  const date = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const text = date.toISOString().replace("T", " ");
  return `${text.slice(0, seconds ? 19 : 16)} UTC`;
}

export function isoZ(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function fmtNum(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
  return Number(value).toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtPct(value, digits = 1) {
  if (value === null || value === undefined) return "–";
  return `${(100 * Number(value)).toFixed(digits)} %`;
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(Number(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`;
}

// --- colours: matplotlib's "tab10", as the plan reports use ----------------------------

export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];

export function colourScale(names) {
  const sorted = [...new Set(names)].sort();
  const table = new Map(sorted.map((name, i) => [name, PALETTE[i % PALETTE.length]]));
  return (name) => table.get(name) || "#444444";
}

export function legend(names, colourOf, label) {
  return h(
    "ul",
    { class: "legend", "aria-label": label },
    [...new Set(names)].sort().map((name) =>
      h("li", {}, h("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: colourOf(name) } }), name),
    ),
  );
}

// Swatch colours are set through the CSSOM (allowed by the page's
// Content-Security-Policy, unlike inline style attributes).
export function paintSwatches(root = document) {
  for (const node of root.querySelectorAll("[data-colour]")) node.style.background = node.dataset.colour;
}

// --- tables -------------------------------------------------------------------------

// columns: [{label, value: row => text|Node, num: bool, nowrap: bool}]
export function table(caption, columns, rows, { empty = "Nothing to show." } = {}) {
  if (!rows.length) return message("info", empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      caption ? h("caption", { text: caption }) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null, text: c.label })))),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h("tr", {}, columns.map((c) => {
            const value = c.value(row);
            const classes = [c.num ? "num" : "", c.nowrap ? "nowrap" : ""].join(" ").trim() || null;
            return h("td", { class: classes }, value instanceof Node ? value : String(value ?? "–"));
          })),
        ),
      ),
    ),
  );
}

// A definition list of [term, value] pairs.
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([term, value]) => [h("dt", { text: term }), h("dd", {}, value ?? "–")]));
}

// --- the session: who is signed in ---------------------------------------------------

async function fetchSession() {
  const key = apiKey();
  try {
    return { session: await api("ui/session", { key }), refused: null };
  } catch (error) {
    if (key && error instanceof ApiError && error.status === 401) {
      storeKey(null); // a revoked or mistyped key: continue as anonymous, and say so
      return { session: await api("ui/session", { key: null }), refused: error.description };
    }
    throw error;
  }
}

function describeViewer(viewer) {
  if (viewer.kind === "admin") return "Signed in as the coordinator";
  if (viewer.kind === "partner") return `Signed in as partner ${viewer.partner}`;
  return "Not signed in: open data only";
}

function wireLogin() {
  const dialog = byId("login-dialog");
  const form = byId("login-form");
  const input = byId("login-key");
  const problem = byId("login-problem");
  byId("sign-in").addEventListener("click", () => {
    problem.textContent = "";
    input.value = "";
    dialog.showModal();
    input.focus();
  });
  byId("login-cancel").addEventListener("click", () => dialog.close());
  byId("sign-out").addEventListener("click", () => {
    storeKey(null);
    location.reload();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      problem.textContent = "Enter an API key (from 'spacepool keys create').";
      return;
    }
    try {
      await api("ui/session", { key });
    } catch (error) {
      problem.textContent = error instanceof ApiError ? `The server refused this key: ${error.description}` : String(error);
      input.focus();
      return;
    }
    storeKey(key);
    location.reload();
  });
}

// Every page starts here: wires the sign-in dialog, resolves the session and shows
// who is signed in. Resolves to the session ({viewer, tile_url, tile_attribution}).
export async function startPage() {
  wireLogin();
  routes(); // fetched alongside the session: most pages ask which routes exist next
  const { session, refused } = await fetchSession();
  byId("who").textContent = describeViewer(session.viewer);
  const signedIn = session.viewer.kind !== "anonymous";
  byId("sign-in").hidden = signedIn;
  byId("sign-out").hidden = !signedIn;
  if (refused) {
    byId("page-status").append(message("error", `Your stored key was refused (${refused}); you are now anonymous. Sign in again.`));
  }
  return session;
}

// Marks the page as drawn (for people using assistive technology: the busy state;
// for the browser tests: the moment the first data is on screen).
// readyMs: milliseconds from the start of navigation to this moment.
export function pageReady(main = byId("main")) {
  main.setAttribute("aria-busy", "false");
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.ready = "true";
}

export async function run(page) {
  try {
    const session = await startPage();
    await page(session);
  } catch (error) {
    byId("page-status").append(errorMessage(error, "This page could not load"));
  } finally {
    paintSwatches();
    pageReady();
  }
}
