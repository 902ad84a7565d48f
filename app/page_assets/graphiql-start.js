// dexgate's GraphiQL page: starts GraphiQL in #graphiql. A file, not an inline script, since the
// page's Content-Security-Policy runs scripts from dexgate only. What the server decided is in
// the element's data attributes: the default query, a query given in the URL (only when it
// holds no mutation) and the Back Office session's CSRF token.
"use strict";

(function () {
  const element = document.getElementById("graphiql");
  const params = new URLSearchParams(window.location.search);
  // The page was opened with the admin's key (?api_key=...): GraphiQL sends it on.
  const apiKey = params.get("api_key");
  // Opened from a Back Office session: the cookie counts on /graphql only with this token.
  const csrfToken = element.dataset.csrfToken;
  const fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    headers: apiKey
      ? { "X-Api-Key": apiKey }
      : csrfToken ? { "X-CSRF-Token": csrfToken } : {},
  });
  const root = ReactDOM.createRoot(element);
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: element.dataset.defaultQuery,
    query: element.dataset.query || undefined,
    defaultEditorToolsVisibility: true,
  }));
})();
