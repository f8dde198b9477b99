// Real GraphQL clients against the server at argv[2], for tests/test_graphql_clients.py: Apollo Client
// with its persisted-queries link (hashes, retries on PersistedQueryNotFound, GET for hashed queries)
// and urql with graphcache (normalised cache updated by a mutation). The customer to read is argv[3];
// every request carries the API key of CONTEXTGRAPH_KEY. Prints what each client saw as JSON.
import { createHash } from "node:crypto";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { Client, fetchExchange, gql as ugql } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";

const [url, customerId] = process.argv.slice(2);
const authorization = `Bearer ${process.env.CONTEXTGRAPH_KEY}`;
const sent = []; // every request the Apollo clients made: method, whether it had the text, the hash

async function recordingFetch(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set("authorization", authorization);
  const target = new URL(typeof input === "string" ? input : input.url);
  const body = init.body ? JSON.parse(init.body) : Object.fromEntries(target.searchParams);
  const extensions = typeof body.extensions === "string" ? JSON.parse(body.extensions) : body.extensions;
  const response = await fetch(input, { ...init, headers });
  sent.push({
    method: init.method ?? "GET",
    query: Boolean(body.query),
    hash: extensions?.persistedQuery?.sha256Hash ?? null,
    status: response.status,
  });
  return response;
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

function apollo(useGETForHashedQueries) {
  const link = new PersistedQueryLink({ sha256, useGETForHashedQueries }).concat(
    new HttpLink({ uri: url, fetch: recordingFetch }),
  );
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

const CUSTOMER = gql`
  query Customer($id: ID!) {
    customer(id: $id) {
      id
      customerId
      attributes
    }
  }
`;
const START = gql`
  mutation Start($c: ID) {
    startService(input: { serviceType: 42, customerId: $c }) {
      id
      serviceType
    }
  }
`;

const out = {};
// 1. POST: the first client's hash is unknown, so the link retries with the text; a second client
// (another desktop) then gets it by hash alone.
let first = await apollo(false).query({ query: CUSTOMER, variables: { id: customerId } });
out.apolloPost = { data: first.data, sent: sent.splice(0) };
let second = await apollo(false).query({ query: CUSTOMER, variables: { id: customerId } });
out.apolloPostAgain = { data: second.data, sent: sent.splice(0) };
// 2. GET for hashed queries (cacheable by the browser), a document the server has not seen yet.
const HISTORY = gql`
  query History($id: ID!) {
    customer(id: $id) {
      id
      services {
        id
        serviceType
      }
    }
  }
`;
const viaGet = await apollo(true).query({ query: HISTORY, variables: { id: customerId } });
out.apolloGet = { data: viaGet.data, sent: sent.splice(0) };
const viaGetAgain = await apollo(true).query({ query: HISTORY, variables: { id: customerId } });
out.apolloGetAgain = { data: viaGetAgain.data, sent: sent.splice(0) };
// 3. A mutation through the link: POST, hash first, then the text.
const started = await apollo(true).mutate({ mutation: START, variables: { c: customerId } });
out.apolloMutation = { data: started.data, sent: sent.splice(0) };

// 4. urql with graphcache: the customer's services cached, a mutation's answer updates the
// normalised Customer entity, and a cache-only read sees the new service without a request.
let urqlRequests = 0;
const urql = new Client({
  url,
  exchanges: [cacheExchange({}), fetchExchange],
  fetch: (input, init = {}) => {
    urqlRequests += 1;
    const headers = new Headers(init.headers);
    headers.set("authorization", authorization);
    return fetch(input, { ...init, headers });
  },
});
const TREE = ugql`
  query Tree($id: ID!) {
    customer(id: $id) {
      id
      attributes
      services {
        id
        serviceType
      }
    }
  }
`;
const before = await urql.query(TREE, { id: customerId }).toPromise();
const START_WITH_CUSTOMER = ugql`
  mutation StartAgain($c: ID) {
    startService(input: { serviceType: 43, customerId: $c }) {
      id
      serviceType
      customer {
        id
        services {
          id
          serviceType
        }
      }
    }
  }
`;
const mutation = await urql.mutation(START_WITH_CUSTOMER, { c: customerId }).toPromise();
const requestsSoFar = urqlRequests;
const cached = await urql.query(TREE, { id: customerId }, { requestPolicy: "cache-only" }).toPromise();
out.urql = {
  before: before.data,
  error: before.error?.message ?? mutation.error?.message ?? null,
  mutation: mutation.data,
  cached: cached.data,
  requestsForCachedRead: urqlRequests - requestsSoFar,
};
process.stdout.write(JSON.stringify(out));
