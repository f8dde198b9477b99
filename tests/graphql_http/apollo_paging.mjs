// Relay connection paging with Apollo Client, for tests/test_graphql_clients.py: the customer argv[3]'s
// `servicesConnection` on the server at argv[2], merged in Apollo's normalised cache by its
// `relayStylePagination()` type policy, while services are started for that customer over REST
// (`POST /services/start`) between pages. Forward (`first`/`after` with `fetchMore`) to the end; then
// another client backward (`last`/`before`) to the start, and forward again from its end for what was
// started meanwhile. Prints, for each, the pages as the server answered them and the merged list the
// watched query answers from the cache, with the number of HTTP requests, as JSON.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";

const [url, customerId] = process.argv.slice(2);
const authorization = `Bearer ${process.env.CONTEXTGRAPH_KEY}`;
const base = new URL(url).origin;
const PAGE = 3;

function desktop() {
  const counter = { requests: 0 };
  const link = new HttpLink({
    uri: url,
    fetch: (input, init = {}) => {
      counter.requests += 1;
      const headers = new Headers(init.headers);
      headers.set("authorization", authorization);
      return fetch(input, { ...init, headers });
    },
  });
  // The list's filters name different lists; the page arguments are merged into one.
  const filters = ["status", "types", "startedFrom", "startedTo", "completedFrom", "completedTo"];
  const cache = new InMemoryCache({
    typePolicies: { Customer: { fields: { servicesConnection: relayStylePagination(filters) } } },
  });
  return { client: new ApolloClient({ link, cache }), counter };
}

const SERVICES = gql`
  query Services($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    customer(id: $id) {
      id
      servicesConnection(first: $first, after: $after, last: $last, before: $before) {
        edges {
          cursor
          node {
            id
            serviceId
          }
        }
        pageInfo {
          hasNextPage
          hasPreviousPage
          startCursor
          endCursor
        }
      }
    }
  }
`;

const started = []; // the services this script started while paging, in order
async function start() {
  const response = await fetch(`${base}/services/start`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({ service_type: 9, customer_id: customerId }),
  });
  if (!response.ok) throw new Error(`start: ${response.status} ${await response.text()}`);
  started.push((await response.json()).service_id);
}

const ids = (connection) => connection.edges.map((edge) => edge.node.serviceId);

// One desktop paging: the first page by `variables`, then each next one by `more(pageInfo)` until
// `done(pageInfo)` (each the last page's, as the server answered it), a service started before every
// page after the first; then one more page by `then(pageInfo of the merged list)`, if given. Returns
// the pages, the merged list as the cache reads it, and the watched query's last answer.
async function page(variables, more, done, then = null) {
  const { client, counter } = desktop();
  const watched = client.watchQuery({ query: SERVICES, variables: { id: customerId, ...variables } });
  const answers = []; // every answer the watched query gave
  let subscription;
  const first = await new Promise((resolve, reject) => {
    subscription = watched.subscribe({
      next: (result) => {
        if (result.loading || !result.data) return;
        answers.push(result.data);
        if (answers.length === 1) resolve(result);
      },
      error: reject,
    });
  });
  const pages = [ids(first.data.customer.servicesConnection)];
  let info = first.data.customer.servicesConnection.pageInfo; // the last page's, as the server answered
  while (!done(info)) {
    await start();
    const next = await watched.fetchMore({ variables: more(info) });
    pages.push(ids(next.data.customer.servicesConnection));
    info = next.data.customer.servicesConnection.pageInfo;
  }
  const cached = () => client.readQuery({ query: SERVICES, variables: watched.variables }).customer.servicesConnection;
  if (then) {
    const next = await watched.fetchMore({ variables: then(cached().pageInfo) });
    pages.push(ids(next.data.customer.servicesConnection));
  }
  const merged = cached();
  // the watched query answers the merged list once the cache tells it (at most 5 s)
  const settled = Date.now() + 5000;
  while (answers.at(-1).customer.servicesConnection.edges.length < merged.edges.length && Date.now() < settled) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  subscription.unsubscribe();
  return {
    pages,
    merged: ids(merged),
    pageInfo: merged.pageInfo,
    lastAnswer: ids(answers.at(-1).customer.servicesConnection),
    requests: counter.requests,
  };
}

const out = {};
// Forward: each next page after the merged list's end cursor; a service started before each.
out.forward = await page(
  { first: PAGE },
  (info) => ({ after: info.endCursor }),
  (info) => !info.hasNextPage,
);
out.startedForward = started.splice(0);
// Backward: each previous page before the merged list's start cursor, a service started before each
// (after the window's end: never in it); then forward from its end, which brings them.
out.backward = await page(
  { last: PAGE },
  (info) => ({ before: info.startCursor }),
  (info) => !info.hasPreviousPage,
  (info) => ({ last: null, before: null, first: 1000, after: info.endCursor }),
);
out.startedBackward = started.splice(0);
process.stdout.write(JSON.stringify(out));
