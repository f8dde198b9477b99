// GraphiQL on this server's /graphql; /graphql#query=… opens with that query (a ?query= would run
// the query over GET instead of opening the page).
(function () {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  const props = { fetcher, defaultEditorToolsVisibility: true };
  if (params.get("query")) {
    props.query = params.get("query");
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, props));
})();
