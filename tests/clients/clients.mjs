// Drives a running Paperboard with the clients frontends use, each at a pinned version:
// Apollo Client (query, mutation with a token, subscription over graphql-ws, automatic
// persisted queries by GET), urql (query and mutation), and graphql-ws and graphql-sse
// directly. Every check must hold; the first that fails ends the run with exit code 1.
//
//   node clients.mjs http://127.0.0.1:PORT
import assert from "node:assert/strict";
import { createHash } from "node:crypto";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { Client as UrqlClient, fetchExchange } from "@urql/core";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";

const base = process.argv[2];
assert.ok(base, "usage: node clients.mjs http://127.0.0.1:PORT");
const http = `${base}/graphql`;
const ws = http.replace(/^http/, "ws");
const stream = `${base}/graphql/stream`;

const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`;
const SUBMIT = gql`
  mutation Submit($i: SubmitPaperInput!) { submitPaper(input: $i) { paper { id title } } }
`;
const PAPER_ADDED = `subscription { paperAdded { title } }`;
const FRONT_PAGE = gql`
  query FrontPage { papers(first: 3) { nodes { id title upvoteCount } } }
`;

let papersSubmitted = 0;
function paper(title) {
  papersSubmitted += 1;
  return {
    arxivId: `2512.${String(90000 + papersSubmitted)}`,
    title,
    abstract: "Submitted by a client check.",
    authors: ["Ada Lovelace"],
    publishedAt: "2025-12-01",
  };
}

function passed(name) {
  console.log(`ok - ${name}`);
}

/** Resolves with the first value `subscribe` delivers, or rejects after `ms`. */
function firstValue(subscribe, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing arrived within ${ms} ms`)), ms);
    const stop = subscribe(
      (value) => {
        clearTimeout(timer);
        resolve(value);
        setImmediate(() => stop?.());
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function register(username) {
  const response = await fetch(http, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: REGISTER,
      variables: {
        i: { username, email: `${username}@example.org`, password: "a long enough password" },
      },
    }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data.register.accessToken;
}

const token = await register(`client${process.pid}`);
const authorization = `Bearer ${token}`;

// --- Apollo Client: HTTP with a token, subscriptions over graphql-ws. -------------------
const wsClient = createWsClient({
  url: ws,
  webSocketImpl: WebSocket,
  connectionParams: { authorization },
  lazy: false,
});
const httpLink = new HttpLink({ uri: http, headers: { authorization } });
const apollo = new ApolloClient({
  cache: new InMemoryCache(),
  link: ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === "OperationDefinition" && definition.operation === "subscription";
    },
    new GraphQLWsLink(wsClient),
    httpLink,
  ),
});

const front = await apollo.query({ query: FRONT_PAGE });
assert.equal(front.data.papers.nodes.length, 3);
passed("Apollo Client: query");

const apolloAdded = firstValue((next, fail) => {
  const subscription = apollo
    .subscribe({ query: gql(PAPER_ADDED) })
    .subscribe({ next: (result) => next(result.data.paperAdded.title), error: fail });
  return () => subscription.unsubscribe();
});
await sleep(300);
const submitted = await apollo.mutate({
  mutation: SUBMIT,
  variables: { i: paper("Seen by Apollo") },
});
assert.equal(submitted.data.submitPaper.paper.title, "Seen by Apollo");
passed("Apollo Client: mutation with a bearer token");
assert.equal(await apolloAdded, "Seen by Apollo");
passed("Apollo Client: subscription over graphql-ws");

// --- Apollo Client: automatic persisted queries, hashed queries by GET. -----------------
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const seen = [];
const recordingFetch = async (uri, options) => {
  const response = await fetch(uri, options);
  seen.push({ method: options.method ?? "GET", status: response.status, cache: response.headers.get("cache-control") });
  return response;
};
const persisted = new ApolloClient({
  cache: new InMemoryCache(),
  link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({ uri: http, fetch: recordingFetch }),
  ),
});
const hashedQuery = gql`query Hashed { papers(first: 2) { nodes { title } } }`;
const firstTry = await persisted.query({ query: hashedQuery, fetchPolicy: "network-only" });
assert.equal(firstTry.data.papers.nodes.length, 2);
assert.deepEqual(seen.map((request) => request.method), ["GET", "POST"], "not found by hash, then taught");
const secondTry = await persisted.query({ query: hashedQuery, fetchPolicy: "network-only" });
assert.equal(secondTry.data.papers.nodes.length, 2);
assert.equal(seen.at(-1).method, "GET");
assert.match(seen.at(-1).cache, /^public, max-age=\d+$/);
passed("Apollo Client: automatic persisted queries by GET, cacheable");

// --- urql: query and mutation. -----------------------------------------------------------
const urql = new UrqlClient({
  url: http,
  exchanges: [fetchExchange],
  fetchOptions: () => ({ headers: { authorization } }),
  preferGetMethod: false,
});
const urqlFront = await urql.query(FRONT_PAGE, {}).toPromise();
assert.equal(urqlFront.error, undefined, String(urqlFront.error));
assert.equal(urqlFront.data.papers.nodes.length, 3);
const target = urqlFront.data.papers.nodes[0];
const upvoted = await urql
  .mutation(`mutation($p: ID!) { upvotePaper(paperId: $p) { paper { upvoteCount viewerHasUpvoted } } }`, { p: target.id })
  .toPromise();
assert.equal(upvoted.error, undefined, String(upvoted.error));
assert.equal(upvoted.data.upvotePaper.paper.viewerHasUpvoted, true);
assert.equal(upvoted.data.upvotePaper.paper.upvoteCount, target.upvoteCount + 1);
passed("urql: query and mutation with a bearer token");

// --- graphql-ws directly. -----------------------------------------------------------------
const wsAdded = firstValue((next, fail) =>
  wsClient.subscribe({ query: PAPER_ADDED }, {
    next: (result) => next(result.data.paperAdded.title),
    error: fail,
    complete: () => {},
  }),
);
await sleep(300);
await apollo.mutate({ mutation: SUBMIT, variables: { i: paper("Seen over graphql-ws") } });
assert.equal(await wsAdded, "Seen over graphql-ws");
passed("graphql-ws: subscription");

// --- graphql-sse directly (distinct connections mode). -----------------------------------
const sse = createSseClient({ url: stream, headers: { authorization }, retryAttempts: 0 });
const sseFront = await firstValue((next, fail) =>
  sse.subscribe({ query: "{ papers(first: 1) { totalCount } }" }, {
    next: (result) => next(result),
    error: fail,
    complete: () => {},
  }),
);
assert.ok(sseFront.data.papers.totalCount > 0);
passed("graphql-sse: query");
const sseAdded = firstValue((next, fail) =>
  sse.subscribe({ query: PAPER_ADDED }, {
    next: (result) => next(result.data.paperAdded.title),
    error: fail,
    complete: () => {},
  }),
);
await sleep(300);
await apollo.mutate({ mutation: SUBMIT, variables: { i: paper("Seen over SSE") } });
assert.equal(await sseAdded, "Seen over SSE");
passed("graphql-sse: subscription");

const refused = await firstValue((next, fail) =>
  sse.subscribe({ query: "subscription { noSuchField }" }, {
    next: (result) => next(result),
    error: fail,
    complete: () => {},
  }),
);
assert.equal(refused.errors[0].extensions.code, "BAD_USER_INPUT");
passed("graphql-sse: a refused operation arrives as a result with errors");

await wsClient.dispose();
sse.dispose();
console.log("all client checks passed");
process.exit(0);
