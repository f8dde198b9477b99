// The journey viewer: finds a customer, shows their services as a timeline with states, tasks,
// extension values and interactions, and follows the journey live (graphql-transport-ws).

const $ = (selector) => document.querySelector(selector);
const statusLine = $("#status");
let socket = null;
let current = null;
let extensionSelections = null;

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

function namedType(type) {
  while (type.ofType) type = type.ofType;
  return type;
}

// The typed extension fields exist only for the schemas defined now: ask the graph which.
async function loadExtensionSelections() {
  const containers = { service: "ServiceExtensions", state: "StateExtensions", task: "TaskExtensions" };
  const fields = "fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }";
  const first = await gql(`{ ${Object.entries(containers).map(([k, t]) => `${k}: __type(name: "${t}") { ${fields} }`).join(" ")} }`);
  const recordTypes = new Set();
  for (const kind of Object.keys(containers)) {
    for (const field of first[kind]?.fields ?? []) {
      const type = namedType(field.type);
      if (type.kind === "OBJECT") recordTypes.add(type.name);
    }
  }
  const records = {};
  if (recordTypes.size) {
    const names = [...recordTypes];
    const second = await gql(`{ ${names.map((n, i) => `t${i}: __type(name: "${n}") { fields { name } }`).join(" ")} }`);
    names.forEach((n, i) => { records[n] = second[`t${i}`].fields.map((f) => f.name); });
  }
  const selections = {};
  for (const kind of Object.keys(containers)) {
    const parts = (first[kind]?.fields ?? []).map((field) => {
      const type = namedType(field.type);
      return type.kind === "OBJECT" ? `${field.name} { ${records[type.name].join(" ")} }` : field.name;
    });
    selections[kind] = parts.length ? `extensions { ${parts.join(" ")} }` : "";
  }
  return selections;
}

function treeQuery(ext) {
  const journey = "active startedAt completedAt duration disposition dispositionDesc";
  return `query Journey($id: ID!) { customer(id: $id) { id attributes
    services { id serviceType ${journey} ${ext.service}
      interactions { id mediaType type subject startDate }
      states { id stateType ${journey} ${ext.state} tasks { id taskType ${journey} ${ext.task} } }
      tasks { id taskType stateId ${journey} ${ext.task} } } } }`;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function when(item) {
  const parts = [el("span", {}, "started ", el("time", { datetime: item.startedAt }, item.startedAt))];
  if (item.completedAt) {
    parts.push(el("span", {}, ", completed ", el("time", { datetime: item.completedAt }, item.completedAt)));
    parts.push(`, ${(item.duration / 1000).toFixed(1)} s`);
  }
  if (item.disposition !== null && item.disposition !== undefined) {
    parts.push(`, disposition ${item.disposition}${item.dispositionDesc ? ` (${item.dispositionDesc})` : ""}`);
  }
  return el("p", { class: "when" }, parts);
}

function extensions(item) {
  if (!item.extensions) return null;
  const rows = Object.entries(item.extensions)
    .filter(([, value]) => value !== null && !(Array.isArray(value) && value.length === 0) && value !== false)
    .map(([name, value]) => el("li", { class: "extension", "data-extension": name },
      el("strong", {}, name), ": ", el("code", {}, JSON.stringify(value))));
  return rows.length ? el("ul", { class: "extensions" }, rows) : null;
}

function badge(item) {
  return el("span", { class: "badge" }, item.active ? "active" : "completed");
}

function task(t) {
  return el("li", { class: t.active ? "active" : "completed", "data-task-id": t.id },
    el("span", { class: "head" }, `Task ${t.taskType} `, badge(t)), when(t), extensions(t));
}

function render(customer) {
  const section = $("#journey");
  section.replaceChildren();
  section.append(el("h2", { id: "customer-title" }, `Customer ${customer.id}`));
  const attributes = el("dl", { class: "attributes" });
  for (const [name, value] of Object.entries(customer.attributes)) {
    attributes.append(el("dt", {}, name), el("dd", {}, Array.isArray(value) ? value.join(", ") : value));
  }
  section.append(attributes, el("h3", {}, `Services (${customer.services.length})`));
  const timeline = el("ol", { class: "timeline", "aria-label": "Services, oldest first" });
  for (const service of customer.services) {
    const loose = service.tasks.filter((t) => t.stateId === null);
    timeline.append(el("li", { class: service.active ? "active" : "completed", "data-service-id": service.id },
      el("h3", {}, `Service ${service.serviceType} `, badge(service)),
      when(service), extensions(service),
      el("h4", {}, "States"),
      el("ol", { class: "states" }, service.states.map((s) =>
        el("li", { class: s.active ? "active" : "completed", "data-state-id": s.id },
          el("span", { class: "head" }, `State ${s.stateType} `, badge(s)), when(s), extensions(s),
          s.tasks.length ? el("ul", { class: "tasks" }, s.tasks.map(task)) : null))),
      loose.length ? [el("h4", {}, "Tasks outside states"), el("ul", { class: "tasks" }, loose.map(task))] : null,
      service.interactions.length ? [el("h4", {}, "Interactions"), el("ul", { class: "interactions" },
        service.interactions.map((i) => el("li", { "data-interaction-id": i.id },
          `${i.mediaType} · ${i.type} · ${i.subject ?? ""} `, el("time", { datetime: i.startDate }, i.startDate))))] : null));
  }
  section.append(timeline);
  section.hidden = false;
}

async function show(customerId) {
  extensionSelections = extensionSelections ?? (await loadExtensionSelections());
  const data = await gql(treeQuery(extensionSelections), { id: customerId });
  current = customerId;
  render(data.customer);
  statusLine.textContent = `Showing customer ${customerId}, updated ${new Date().toLocaleTimeString()}`;
  follow(customerId);
}

// Live: any event of the customer's journey reloads the tree.
function follow(customerId) {
  if (socket && socket.customerId === customerId) return;
  if (socket) socket.close();
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  socket = new WebSocket(url, "graphql-transport-ws");
  socket.customerId = customerId;
  socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init" }));
  socket.onmessage = async (message) => {
    const data = JSON.parse(message.data);
    if (data.type === "connection_ack") {
      socket.send(JSON.stringify({ id: "journey", type: "subscribe", payload: {
        query: "subscription($c: ID) { journey(customerId: $c) { kind action } }", variables: { c: customerId } } }));
    } else if (data.type === "next" && current === customerId) {
      try { await show(customerId); } catch (error) { statusLine.textContent = error.message; }
    } else if (data.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    }
  };
}

$("#find").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#matches").replaceChildren();
  const id = $("#customer-id").value.trim();
  const attribute = $("#attribute").value.trim();
  const value = $("#value").value.trim();
  try {
    if (id) {
      await show(id);
    } else if (attribute && value) {
      const found = (await gql("query($a: JSON!) { identify(attributes: $a) { id attributes } }", { a: { [attribute]: value } })).identify;
      if (found.length === 1) {
        await show(found[0].id);
      } else if (found.length === 0) {
        statusLine.textContent = "No customer found.";
      } else {
        statusLine.textContent = `${found.length} customers match; choose one.`;
        $("#matches").append(el("ul", {}, found.map((c) => el("li", {},
          Object.assign(el("button", { type: "button" }, `${c.id} ${JSON.stringify(c.attributes)}`), { onclick: () => show(c.id) })))));
      }
    } else {
      statusLine.textContent = "Give a customer id, or an attribute and its value.";
    }
  } catch (error) {
    statusLine.textContent = error.message;
  }
});
