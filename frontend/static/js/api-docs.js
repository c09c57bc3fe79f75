// The API's docs page (/schema): Swagger UI, vendored from npm, over the schema this server
// publishes. A file of its own because the strict CSP allows no inline script.
window.addEventListener("DOMContentLoaded", function () {
  window.SwaggerUIBundle({
    url: document.body.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
});
