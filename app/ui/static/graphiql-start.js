// GraphiQL on this server's /graphql: queries and mutations over HTTP, subscriptions over the
// websocket (graphql-transport-ws). /graphql#query=… opens with that query (a ?query= would run it
// over GET instead of opening the page). A first visit opens with the agent desktop's query.
//
// The key: the browser's login (any user name, the key as password) covers HTTP and the websocket.
// A key set once in a Headers pane ({"Authorization": "Bearer …"}) is used from then on by every
// tab, over HTTP and in the websocket's connection_init payload, until this browser tab closes
// (sessionStorage); {"Authorization": ""} goes back to the browser's login.
(function () {
  "use strict";
  const REMEMBERED = "contextgraph.authorization";
  const STARTER = `# Context Graph: what an agent desktop shows for a customer, and that customer's journey live.
#
# 1. Put a customer id in Variables below (POST /profiles answers one).
# 2. Run AgentDesktop (the ▶ button, or Ctrl-Enter) for their active services, states and tasks;
#    run Journey to see each service, state and task event as it happens (over the websocket).
#
# Your browser login is your key. To use another one, set it once in Headers below:
#   {"Authorization": "Bearer <key>"}
# and every tab uses it, queries and subscriptions alike.

query AgentDesktop($customerId: ID!) {
  customer(id: $customerId) {
    customerId
    attributes
    services(status: ACTIVE) {
      serviceId serviceType startedAt estDuration started
      states { stateId stateType active startedAt completedAt duration disposition
               tasks(status: ACTIVE) { taskId taskType } }
      tasks { taskId taskType stateId active }
    }
  }
}

subscription Journey($customerId: ID) {
  journey(customerId: $customerId) { kind action serviceId stateId taskId at }
}
`;
  const VARIABLES = '{\n  "customerId": ""\n}';

  const url = window.location.pathname;
  const subscriptionUrl = `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}${url}`;
  const graphql = GraphiQL.createFetcher({ url, subscriptionUrl });

  // The tab's headers, with the remembered key when they name none (GraphiQL gives the same
  // headers to the HTTP request and to the websocket's connection_init).
  function withKey(headers) {
    const merged = {};
    let own;
    for (const [name, value] of Object.entries(headers || {})) {
      if (name.toLowerCase() === "authorization") {
        own = String(value).trim();
      } else {
        merged[name] = value;
      }
    }
    if (own === "") {
      sessionStorage.removeItem(REMEMBERED);
    } else if (own !== undefined) {
      sessionStorage.setItem(REMEMBERED, own);
    }
    const key = own || sessionStorage.getItem(REMEMBERED);
    if (key) {
      merged.Authorization = key;
    }
    return merged;
  }

  function fetcher(params, options) {
    return graphql(params, { ...options, headers: withKey(options && options.headers) });
  }

  const props = {
    fetcher,
    defaultTabs: [{ query: STARTER, variables: VARIABLES }],
    defaultQuery: STARTER, // a new tab opens with it too
    defaultEditorToolsVisibility: "variables",
    showPersistHeadersSettings: true,
  };
  const hash = new URLSearchParams(window.location.hash.slice(1));
  if (hash.get("query")) {
    props.query = hash.get("query");
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, props));
})();
