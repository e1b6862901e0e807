// The API reference at /docs: Swagger UI (embedded, from swagger-ui-dist)
// rendering this server's own OpenAPI document. No validator badge (it would
// call another origin); "Try it out" sends requests to this origin only.
/* global SwaggerUIBundle */
window.addEventListener('DOMContentLoaded', () => {
  window.ui = SwaggerUIBundle({
    url: '/v1/openapi.json',
    dom_id: '#docs',
    validatorUrl: null,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // Keep every request on this origin, whatever a document might name.
    requestInterceptor: (req) => {
      const url = new URL(req.url, window.location.href);
      if (url.origin !== window.location.origin) throw new Error(`not this origin: ${url.origin}`);
      return req;
    },
  });
});
