// Apollo Client's normalised cache updated by a subscription, for tests/test_graphql_clients.py: one
// client with a split link (subscriptions over graphql-transport-ws with the `graphql-ws` package,
// everything else over HTTP), the API key in `connection_init` (`connectionParams`). It watches a
// query on the service argv[3] of the server at argv[2], subscribes to that service's `journey`, then
// changes the service over REST (starts a task, completes the service); each event carries the
// Service with its `id`, which Apollo merges into its cache, so the watched query answers the change
// without asking the server again. Prints what it saw as JSON: every answer of the watched query, the
// events, and how many HTTP requests the client had made by then.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";
import WebSocket from "ws"; // Node 20 has no global WebSocket

const [url, serviceId] = process.argv.slice(2);
const authorization = `Bearer ${process.env.CONTEXTGRAPH_KEY}`;
const base = new URL(url).origin;
let httpRequests = 0; // every request the client's HttpLink made

const httpLink = new HttpLink({
  uri: url,
  fetch: (input, init = {}) => {
    httpRequests += 1;
    const headers = new Headers(init.headers);
    headers.set("authorization", authorization);
    return fetch(input, { ...init, headers });
  },
});
let acknowledged = 0; // connection_ack received: the server took the key in connection_init
const sockets = createClient({
  url: url.replace(/^http/, "ws"),
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: authorization },
  lazy: true,
  retryAttempts: 0,
  on: { connected: () => (acknowledged += 1) },
});
const isSubscription = ({ query }) => {
  const definition = getMainDefinition(query);
  return definition.kind === "OperationDefinition" && definition.operation === "subscription";
};
const client = new ApolloClient({
  link: ApolloLink.split(isSubscription, new GraphQLWsLink(sockets), httpLink),
  cache: new InMemoryCache(),
});

// The same selection on the Service in the query and in the event: the event's answer replaces
// what the cache holds for these fields of the Service with that id.
const SERVICE_FIELDS = gql`
  fragment Watched on Service {
    id
    serviceId
    active
    completedAt
    tasks {
      id
      taskId
      taskType
      active
    }
  }
`;
const WATCHED = gql`
  query Watched($id: ID!) {
    service(id: $id) {
      ...Watched
    }
  }
  ${SERVICE_FIELDS}
`;
const JOURNEY = gql`
  subscription Follow($s: Long!) {
    journey(serviceId: $s, after: 0) {
      sequence
      kind
      action
      taskId
      service {
        ...Watched
      }
    }
  }
  ${SERVICE_FIELDS}
`;

// Resolves with the first value `source` pushed or pushes that `accept` takes (5 s at most).
function next(source, accept, what) {
  const already = source.seen.find(accept);
  if (already !== undefined) return Promise.resolve(already);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within 5 s`)), 5000);
    source.waiters.push((value) => {
      if (!accept(value)) return false;
      clearTimeout(timer);
      resolve(value);
      return true;
    });
  });
}
function stream() {
  const source = { seen: [], waiters: [] };
  source.push = (value) => {
    source.seen.push(value);
    source.waiters = source.waiters.filter((waiter) => !waiter(value));
  };
  return source;
}

async function rest(path, body) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const answers = stream(); // the watched query's answers: { data, requests made by then }
const events = stream(); // the journey events
const failures = [];
const watched = client.watchQuery({ query: WATCHED, variables: { id: serviceId } }).subscribe({
  next: (result) => answers.push({ data: result.data ?? null, loading: result.loading, requests: httpRequests }),
  error: (error) => failures.push(`query: ${error.message}`),
});
await next(answers, (answer) => answer.data?.service, "first answer");
const follower = client.subscribe({ query: JOURNEY, variables: { s: Number(serviceId) } }).subscribe({
  next: (result) => (result.error ? failures.push(`event: ${result.error.message}`) : events.push(result.data.journey)),
  error: (error) => failures.push(`subscription: ${error.message}`),
});
// `after: 0` replays the service's start first: once it is here the subscription is listening.
await next(events, (event) => event.kind === "service" && event.action === "started", "replayed start");

const task = await rest(`/services/${serviceId}/tasks/start`, { task_type: 7 });
await next(events, (event) => event.kind === "task" && event.action === "started", "task event");
await next(answers, (answer) => answer.data?.service?.tasks?.length === 1, "answer with the task");
await rest(`/services/${serviceId}/end`, {});
await next(events, (event) => event.kind === "service" && event.action === "completed", "completion event");
await next(answers, (answer) => answer.data?.service?.active === false, "answer with the completion");

follower.unsubscribe();
watched.unsubscribe();
await sockets.dispose();
process.stdout.write(
  JSON.stringify({
    taskId: task.task_id,
    answers: answers.seen.filter((answer) => !answer.loading),
    events: events.seen,
    acknowledged,
    failures,
    httpRequests,
    cached: client.readQuery({ query: WATCHED, variables: { id: serviceId } }),
  }),
);
