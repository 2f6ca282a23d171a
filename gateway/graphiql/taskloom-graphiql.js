// Starts GraphiQL on the page that Taskloom serves at /graphql. A file of its own, not an inline
// script, so that the page's Content-Security-Policy can allow scripts from 'self' only.
(function () {
  "use strict";

  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.getAttribute("data-endpoint"), window.location.href);
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  // Set through the DOM rather than a style attribute, which the policy would refuse.
  document.body.style.margin = "0";
  root.style.height = "100vh";
  root.textContent = "";

  // Headers typed in the editor go with every request, and as the connection parameters of
  // subscriptions over the WebSocket, where the server reads `Authorization` too.
  var fetcher = GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: socket.href });

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: [
        "# Taskloom's GraphQL API.",
        "#",
        "# Sign in (POST /auth/register or the `login` mutation), then paste the token after",
        '# "Bearer " in the Headers tab below. Run with Ctrl-Enter.',
        "",
        "{",
        "  me {",
        "    id",
        "    username",
        "  }",
        "}",
        "",
      ].join("\n"),
      defaultHeaders: JSON.stringify({ Authorization: "Bearer " }, null, 2),
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      // Tokens stay out of localStorage, where any script on this origin could read them.
      shouldPersistHeaders: false,
    })
  );
})();
