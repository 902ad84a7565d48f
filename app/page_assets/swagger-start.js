// dexgate's API page: starts Swagger UI on the OpenAPI document named in #swagger-ui's
// data-document. A file, not an inline script, since the page's Content-Security-Policy runs
// scripts from dexgate only.
"use strict";

(function () {
  const element = document.getElementById("swagger-ui");
  // The page was opened with a key (?api_key=...): Swagger UI sends it on with each request
  // to the API, unless credentials were set with the Authorize button.
  const apiKey = new URLSearchParams(window.location.search).get("api_key");
  // Opened from a Back Office session: the cookie counts on the API only with this token.
  const csrfToken = element.dataset.csrfToken;
  window.ui = SwaggerUIBundle({
    url: element.dataset.document,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: (request) => {
      const path = new URL(request.url, window.location.href).pathname;
      const headers = request.headers;
      if (path.startsWith("/dynamic-entity/")
          && !headers["X-Api-Key"] && !headers["Authorization"]) {
        if (apiKey) {
          headers["X-Api-Key"] = apiKey;
        } else if (csrfToken) {
          headers["X-CSRF-Token"] = csrfToken;
        }
      }
      return request;
    },
  });
})();
