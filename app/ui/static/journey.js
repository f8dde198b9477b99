// The journey viewer. A customer's profile, then a timeline: each service a lane, its states and tasks
// as bars on one time axis (active ones growing), interactions as marks; live over the journey
// subscription (graphql-transport-ws). /ui?customer=ID is a bookmark. No inline script or style: the
// page runs under the server's Content-Security-Policy; bars are placed through the CSSOM.

const $ = (selector) => document.querySelector(selector);
const statusLine = $("#status");
const PAGE = 20;
const JOURNEY = "active startedAt completedAt duration disposition dispositionDesc";
const tree = (ext) => `query Journey($id: ID!) { customer(id: $id) { customerId attributes
  services { serviceId serviceType ${JOURNEY} ${ext.service}
    interactions { interactionId mediaType type subject startDate textUrl structuredTextUrl binaryContentUrl }
    states { stateId stateType ${JOURNEY} ${ext.state} }
    tasks { taskId taskType stateId ${JOURNEY} ${ext.task} } } } }`;

const view = { customerId: null, customer: null, socket: null, timer: null, reload: null, selected: null };
let metadata = null; // the profile schema and the business-attribute names, read once

// -- talking to the server ----------------------------------------------------------------------
async function gql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors[0].message);
  return body.data;
}

async function rest(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.description ?? `${response.status} ${response.statusText}`);
  return body;
}

async function loadMetadata() {
  const data = await gql("{ profileSchema businessAttributes }");
  const names = {}; // "state.state_type" → Map(value → display name)
  for (const attribute of data.businessAttributes) {
    const values = new Map();
    for (const value of attribute.values) {
      values.set(String(value.dbid), value.display_name || value.name);
      values.set(String(value.name), value.display_name || value.name);
    }
    for (const field of attribute.cv_attributes) names[field.toLowerCase()] = values;
  }
  const attributes = data.profileSchema.map((a) => a.name);
  $("#attribute-names").replaceChildren(...attributes.map((name) => el("option", { value: name })));
  return { attributes, names, extensions: await extensionSelections() };
}

// The typed extension fields exist for the schemas defined now: ask the graph which.
async function extensionSelections() {
  const containers = { service: "ServiceExtensions", state: "StateExtensions", task: "TaskExtensions" };
  const unwrap = "type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";
  const asked = Object.entries(containers).map(([kind, type]) => `${kind}: __type(name: "${type}") { fields { name ${unwrap} } }`);
  const found = await gql(`{ ${asked.join(" ")} }`);
  const named = (type) => (type.ofType ? named(type.ofType) : type);
  const records = [...new Set(Object.keys(containers).flatMap((kind) => (found[kind]?.fields ?? [])
    .map((f) => named(f.type)).filter((t) => t.kind === "OBJECT").map((t) => t.name)))];
  const fieldsOf = {};
  if (records.length) {
    const second = await gql(`{ ${records.map((name, i) => `t${i}: __type(name: "${name}") { fields { name } }`).join(" ")} }`);
    records.forEach((name, i) => { fieldsOf[name] = second[`t${i}`].fields.map((f) => f.name); });
  }
  const selections = {};
  for (const kind of Object.keys(containers)) {
    const parts = (found[kind]?.fields ?? []).map((field) => {
      const type = named(field.type);
      return type.kind === "OBJECT" ? `${field.name} { ${fieldsOf[type.name].join(" ")} }` : field.name;
    });
    selections[kind] = parts.length ? `extensions { ${parts.join(" ")} }` : "";
  }
  return selections;
}

// The document's own id of a service, state or task (`id` is the Relay global id).
const idOf = (kind, item) => item[`${kind}Id`];

// -- words and times --------------------------------------------------------------------------------
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function named(kind, field, value) {
  if (value === null || value === undefined) return "";
  return metadata.names[`${kind}.${field}`]?.get(String(value)) ?? String(value);
}

function humanName(attribute) {
  return attribute.replace(/_/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());
}

const clock = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const shortClock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function timeOf(iso) {
  return el("time", { datetime: iso, title: `${iso} (UTC)` }, clock.format(new Date(iso)));
}

function humanDuration(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

// An item's span on the axis. A client clock that put the end before the start: zero length, flagged.
function spanOf(item, now) {
  const start = Date.parse(item.startedAt);
  if (item.active || !item.completedAt) return { start, end: Math.max(now, start), reversed: false };
  const end = Date.parse(item.completedAt);
  return { start, end: Math.max(end, start), reversed: end < start };
}

// -- the profile ------------------------------------------------------------------------------------
function profileHeader(customer) {
  const a = customer.attributes;
  const first = (value) => (Array.isArray(value) ? value[0] : value);
  const fullName = [first(a.Title), first(a.FirstName), first(a.LastName)].filter(Boolean).join(" ");
  const known = metadata.attributes.filter((name) => name in a);
  const others = Object.keys(a).filter((name) => !known.includes(name)).sort();
  const rows = [...known, ...others].map((name) => {
    const value = a[name];
    const shown = Array.isArray(value)
      ? el("ul", { class: "values" }, value.map((v, i) => el("li", {}, String(v), i === 0 && value.length > 1 ? el("span", { class: "primary" }, " primary") : null)))
      : String(value);
    return [el("dt", {}, humanName(name)), el("dd", {}, shown)];
  });
  return el("header", { class: "profile" },
    el("h2", { id: "customer-title" }, fullName || "Unnamed customer", " ", el("small", {}, customer.customerId)),
    el("dl", { class: "attributes" }, rows));
}

// -- the timeline -----------------------------------------------------------------------------------
function axisOf(services, now) {
  let low = Infinity;
  let high = -Infinity;
  for (const service of services) {
    for (const item of [service, ...service.states, ...service.tasks]) {
      const { start, end } = spanOf(item, now);
      low = Math.min(low, start);
      high = Math.max(high, end);
    }
    for (const interaction of service.interactions) {
      const at = Date.parse(interaction.startDate);
      low = Math.min(low, at);
      high = Math.max(high, at);
    }
  }
  if (!Number.isFinite(low)) low = high = now;
  const width = Math.max(high - low, 60_000);
  return { low: low - width * 0.02, high: high + width * 0.05 };
}

function place(node, axis, start, end) {
  const width = axis.high - axis.low;
  node.style.left = `${((start - axis.low) / width) * 100}%`;
  node.style.width = `${((end - start) / width) * 100}%`;
}

function bar(kind, item, title, axis, now, depth) {
  const { start, end, reversed } = spanOf(item, now);
  const words = [title];
  words.push(item.active ? `active for ${humanDuration(now - start)}` : `completed in ${humanDuration(item.duration ?? end - start)}`);
  if (!item.active && item.disposition !== null && item.disposition !== undefined) {
    words.push(`disposition ${named(kind, "disposition", item.disposition)}${item.dispositionDesc ? ` (${item.dispositionDesc})` : ""}`);
  }
  if (reversed) words.push("the client's clock put its end before its start");
  const button = el("button", {
    type: "button",
    class: `bar ${kind} ${item.active ? "active" : "completed"}${reversed ? " reversed" : ""}`,
    "data-kind": kind,
    "data-id": idOf(kind, item),
    "aria-label": words.join(", "),
    title: `${words.join("\n")}\n${item.startedAt} → ${item.completedAt ?? "now"} (UTC)`,
  }, el("span", { class: "label" }, reversed ? "⚠ " : "", title));
  place(button, axis, start, end);
  if ((end - start) / (axis.high - axis.low) < 0.15) button.classList.add("narrow"); // its label beside it
  button.addEventListener("click", () => select(kind, idOf(kind, item)));
  return el("div", { class: `row depth-${depth}` }, button);
}

function summary(kind, item, now) {
  if (item.active) return ["since ", timeOf(item.startedAt), ` · ${humanDuration(now - Date.parse(item.startedAt))} so far`];
  const parts = [timeOf(item.startedAt), " – ", timeOf(item.completedAt), ` · ${humanDuration(item.duration)}`];
  if (item.disposition !== null && item.disposition !== undefined) parts.push(` · ${named(kind, "disposition", item.disposition)}`);
  return parts;
}

function lane(service, axis, now) {
  const title = named("service", "service_type", service.serviceType);
  const states = [...service.states].sort((x, y) => Date.parse(x.startedAt) - Date.parse(y.startedAt));
  const tasks = [...service.tasks].sort((x, y) => Date.parse(x.startedAt) - Date.parse(y.startedAt));
  const rows = [bar("service", service, title, axis, now, 0)];
  for (const state of states) {
    rows.push(bar("state", state, named("state", "state_type", state.stateType), axis, now, 1));
    for (const task of tasks.filter((t) => t.stateId === state.stateId)) {
      rows.push(bar("task", task, named("task", "task_type", task.taskType), axis, now, 2));
    }
  }
  const stateIds = new Set(states.map((s) => s.stateId));
  for (const task of tasks.filter((t) => !stateIds.has(t.stateId))) {
    rows.push(bar("task", task, named("task", "task_type", task.taskType), axis, now, 1));
  }
  if (service.interactions.length) {
    const marks = el("div", { class: "row marks" });
    for (const interaction of service.interactions) {
      const at = Date.parse(interaction.startDate);
      const href = interaction.structuredTextUrl ?? interaction.textUrl ?? interaction.binaryContentUrl ?? `/interactions/${encodeURIComponent(interaction.interactionId)}`;
      const words = [named("service", "media_type", interaction.mediaType), interaction.type, interaction.subject].filter(Boolean).join(" · ");
      const mark = el("a", { class: "mark", href, "data-interaction-id": interaction.interactionId, title: `${words}\n${interaction.startDate} (UTC)`, "aria-label": `Interaction ${words}, ${clock.format(new Date(at))}` }, "◆");
      place(mark, axis, at, at);
      marks.append(mark);
    }
    rows.push(marks);
  }
  const status = service.active ? "active" : "completed";
  return el("section", { class: `lane ${status}`, "data-service-id": service.serviceId, "aria-label": `Service ${title}, ${status}` },
    el("h3", {}, title, " ", el("span", { class: `badge ${status}` }, status), " ", el("span", { class: "since" }, summary("service", service, now))),
    el("div", { class: "track" }, rows));
}

function ticks(axis) {
  const steps = [60e3, 5 * 60e3, 15 * 60e3, 3600e3, 6 * 3600e3, 86400e3, 7 * 86400e3, 30 * 86400e3, 365 * 86400e3];
  const step = steps.find((s) => (axis.high - axis.low) / s <= 8) ?? steps.at(-1);
  const scale = el("div", { class: "scale", "aria-hidden": "true" });
  const dayOnly = step >= 86400e3;
  const format = dayOnly ? new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }) : shortClock;
  for (let at = Math.ceil(axis.low / step) * step; at <= axis.high; at += step) {
    const tick = el("span", { class: "tick" }, format.format(new Date(at)));
    place(tick, axis, at, at);
    scale.append(tick);
  }
  return scale;
}

function timeline(customer, now) {
  const services = [...customer.services].sort((x, y) => Date.parse(x.startedAt) - Date.parse(y.startedAt));
  if (!services.length) return el("p", { class: "empty" }, "No services yet.");
  const axis = axisOf(services, now);
  const nowLine = el("div", { class: "now", title: "now" });
  place(nowLine, axis, now, now);
  const legend = el("p", { class: "legend", "aria-hidden": "true" },
    ["service", "state", "task"].map((kind) => el("span", { class: `key ${kind}` }, humanName(kind))),
    el("span", { class: "key active" }, "active"), el("span", { class: "key reversed" }, "⚠ end sent before start"));
  return el("div", { class: "timeline", role: "group", "aria-label": "Services on a time axis, oldest first" },
    legend, el("div", { class: "axis", "aria-hidden": "true" }, ticks(axis), nowLine),
    services.map((service) => lane(service, axis, now)));
}

// -- details of the selected bar ------------------------------------------------------------------
function select(kind, id) {
  view.selected = { kind, id };
  renderJourney(true);
}

function details() {
  if (!view.selected || !view.customer) return null;
  const { kind, id } = view.selected;
  const services = view.customer.services;
  const all = { service: services, state: services.flatMap((s) => s.states), task: services.flatMap((s) => s.tasks) };
  const item = all[kind].find((x) => idOf(kind, x) === id);
  if (!item) return null;
  const type = { service: item.serviceType, state: item.stateType, task: item.taskType }[kind];
  const rows = [["Started", timeOf(item.startedAt)]];
  if (item.completedAt) rows.push(["Completed", timeOf(item.completedAt)]);
  rows.push(["Duration", item.active ? `${humanDuration(Date.now() - Date.parse(item.startedAt))} so far` : humanDuration(item.duration)]);
  if (item.disposition !== null && item.disposition !== undefined) rows.push(["Disposition", `${named(kind, "disposition", item.disposition)}${item.dispositionDesc ? ` — ${item.dispositionDesc}` : ""}`]);
  if (item.completedAt && Date.parse(item.completedAt) < Date.parse(item.startedAt)) rows.push(["Note", "the client's clock put the end before the start; shown at zero length"]);
  for (const [name, value] of Object.entries(item.extensions ?? {})) {
    const records = (Array.isArray(value) ? value : [value]).filter((v) => v !== null && v !== undefined);
    if (!records.length) continue;
    const shown = records.map((record) => (typeof record === "object"
      ? Object.entries(record).filter(([, v]) => v !== null).map(([k, v]) => `${humanName(k)}: ${v}`).join(", ")
      : String(record)));
    rows.push([humanName(name), el("ul", { class: "values", "data-extension": name }, shown.map((line) => el("li", {}, line)))]);
  }
  return el("aside", { class: "details", "aria-label": "Selected", "data-kind": kind, "data-id": id },
    el("h3", {}, `${humanName(kind)}: ${named(kind, `${kind}_type`, type)}`),
    el("dl", {}, rows.map(([name, value]) => [el("dt", {}, name), el("dd", {}, value)])));
}

function renderJourney(keepFocus) {
  const section = $("#journey");
  const focused = keepFocus && document.activeElement?.classList.contains("bar")
    ? `.bar[data-kind="${document.activeElement.dataset.kind}"][data-id="${document.activeElement.dataset.id}"]` : null;
  const now = Date.now();
  section.replaceChildren(profileHeader(view.customer),
    el("h3", { class: "services-title" }, `Services (${view.customer.services.length})`),
    timeline(view.customer, now), details() ?? "");
  section.hidden = false;
  if (focused) section.querySelector(focused)?.focus();
}

// -- showing a customer, live -------------------------------------------------------------------------
async function show(customerId, { push = true } = {}) {
  metadata = metadata ?? (await loadMetadata());
  const data = await gql(tree(metadata.extensions), { id: customerId });
  if (view.customerId !== customerId) view.selected = null;
  view.customerId = customerId;
  view.customer = data.customer;
  $("#matches").hidden = true;
  renderJourney(true);
  const url = `/ui?customer=${encodeURIComponent(customerId)}`;
  if (push && location.pathname + location.search !== url) history.pushState({ customer: customerId }, "", url);
  document.title = `${$("#customer-title").firstChild.textContent} · Customer journey`;
  statusLine.textContent = `Showing customer ${customerId}, updated ${clock.format(new Date())}`;
  follow(customerId);
  clearInterval(view.timer);
  if (view.customer.services.some((s) => s.active)) view.timer = setInterval(() => renderJourney(true), 1000);
}

function follow(customerId) {
  if (view.socket && view.socket.customerId === customerId) return;
  if (view.socket) view.socket.close();
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`, "graphql-transport-ws");
  socket.customerId = customerId;
  view.socket = socket;
  socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init" }));
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.type === "connection_ack") {
      socket.send(JSON.stringify({ id: "journey", type: "subscribe", payload: {
        query: "subscription Follow($c: ID) { journey(customerId: $c) { kind action } }", variables: { c: customerId } } }));
    } else if (data.type === "next" && view.customerId === customerId) {
      clearTimeout(view.reload); // a burst of events: one reload
      view.reload = setTimeout(() => show(customerId, { push: false }).catch((error) => { statusLine.textContent = error.message; }), 150);
    } else if (data.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (data.type === "error") {
      statusLine.textContent = `Live updates stopped: ${data.payload?.[0]?.message ?? "refused"}`;
    }
  };
}

// -- identify: every match counted, a page at a time --------------------------------------------------
async function identify(attribute, value) {
  const found = await rest(`/profiles?${new URLSearchParams({ [attribute]: value })}`);
  const ids = (Array.isArray(found) ? found : [found]).map((c) => c.customer_id);
  if (ids.length === 1) return show(ids[0]);
  view.customerId = null;
  $("#journey").hidden = true;
  statusLine.textContent = ids.length ? `${ids.length.toLocaleString()} customers match ${attribute} = ${value}.` : "No customer matches.";
  if (ids.length) await matchesPage(ids, 0, `${attribute} = ${value}`);
}

async function matchesPage(ids, from, asked) {
  const slice = ids.slice(from, from + PAGE);
  const fields = slice.map((_, i) => `c${i}: customer(id: $c${i}) { customerId attributes }`).join(" ");
  const variables = Object.fromEntries(slice.map((id, i) => [`c${i}`, id]));
  const data = await gql(`query Matches(${slice.map((_, i) => `$c${i}: ID!`).join(", ")}) { ${fields} }`, variables);
  const customers = slice.map((_, i) => data[`c${i}`]).filter(Boolean);
  const present = new Set(customers.flatMap((c) => Object.keys(c.attributes)));
  const columns = [...metadata.attributes.filter((a) => present.has(a)), ...[...present].filter((a) => !metadata.attributes.includes(a)).sort()].slice(0, 6);
  const shown = (value) => (Array.isArray(value) ? value.join(", ") : value ?? "");
  const table = el("table", {},
    el("caption", {}, `Customers matching ${asked}: ${from + 1}–${from + slice.length} of ${ids.length.toLocaleString()}`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Customer"), columns.map((c) => el("th", { scope: "col" }, humanName(c))))),
    el("tbody", {}, customers.map((c) => el("tr", {},
      el("th", { scope: "row" }, el("a", { href: `/ui?customer=${encodeURIComponent(c.customerId)}`, "data-customer-id": c.customerId }, c.customerId)),
      columns.map((name) => el("td", {}, shown(c.attributes[name])))))));
  table.querySelectorAll("a[data-customer-id]").forEach((link) => link.addEventListener("click", (event) => {
    event.preventDefault();
    show(link.dataset.customerId).catch((error) => { statusLine.textContent = error.message; });
  }));
  const previous = el("button", { type: "button", disabled: from === 0 }, "Previous page");
  const next = el("button", { type: "button", disabled: from + PAGE >= ids.length }, "Next page");
  previous.addEventListener("click", () => matchesPage(ids, Math.max(0, from - PAGE), asked));
  next.addEventListener("click", () => matchesPage(ids, from + PAGE, asked));
  const section = $("#matches");
  section.replaceChildren(el("h2", { id: "matches-title" }, "Matching customers"), table, el("nav", { class: "pager", "aria-label": "Pages" }, previous, next));
  section.hidden = false;
}

// -- the form and the address bar ---------------------------------------------------------------------
$("#find").addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = $("#customer-id").value.trim();
  const attribute = $("#attribute").value.trim();
  const value = $("#value").value.trim();
  try {
    metadata = metadata ?? (await loadMetadata());
    if (id) await show(id);
    else if (attribute && value) await identify(attribute, value);
    else statusLine.textContent = "Give a customer id, or an attribute and its value.";
  } catch (error) {
    statusLine.textContent = error.message;
  }
});

async function fromAddress() {
  const customer = new URLSearchParams(location.search).get("customer");
  if (!customer) return;
  $("#customer-id").value = customer;
  try { await show(customer, { push: false }); } catch (error) { statusLine.textContent = error.message; }
}

window.addEventListener("popstate", fromAddress);
loadMetadata().then((loaded) => { metadata = metadata ?? loaded; }).catch(() => {});
fromAddress();
