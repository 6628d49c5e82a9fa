// The API reference page (/api/v1/docs): Swagger UI from the server's own copy, no validator (which
// would send the document to an outside service), started from this file so the page lives with the CSP.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
