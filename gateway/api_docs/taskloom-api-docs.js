// Starts Swagger UI on the page that Taskloom serves at /docs. A file of its own, not an inline
// script, so that the page's Content-Security-Policy can allow scripts from 'self' only.
(function () {
  "use strict";

  var root = document.getElementById("swagger-ui");
  var spec = new URL(root.getAttribute("data-spec"), window.location.href);
  root.textContent = "";

  window.ui = SwaggerUIBundle({
    url: spec.href,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // The default sends the document to validator.swagger.io for a badge: nothing leaves here.
    validatorUrl: null,
    // Only the document above; a `?url=` in the address must not load another one.
    queryConfigEnabled: false,
    tryItOutEnabled: true,
    // Tokens stay out of localStorage, where any script on this origin could read them.
    persistAuthorization: false,
    displayRequestDuration: true,
  });
})();
