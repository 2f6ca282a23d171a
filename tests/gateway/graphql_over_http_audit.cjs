// Runs graphql-http's server audits (the GraphQL over HTTP spec's rules) against a URL and
// prints one JSON line per audit: {id, name, status, reason?, response?}.
//
//   NODE_PATH=.venv/share/taskloom-node/node_modules node graphql_over_http_audit.cjs URL

"use strict";

const { auditServer } = require("graphql-http");

async function describe(response) {
  if (!response) return undefined;
  let body;
  try {
    body = await response.text();
  } catch {
    body = "(body already read by the audit)";
  }
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: body.slice(0, 500),
  };
}

async function main() {
  const url = process.argv[2];
  if (!url) throw new Error("usage: graphql_over_http_audit.cjs URL");
  const results = await auditServer({ url });
  for (const result of results) {
    const line = { id: result.id, name: result.name, status: result.status };
    if (result.status !== "ok") {
      line.reason = result.reason;
      line.response = await describe(result.response);
    }
    process.stdout.write(JSON.stringify(line) + "\n");
  }
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(2);
});
