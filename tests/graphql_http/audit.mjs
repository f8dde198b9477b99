// Runs every graphql-http audit against the server at argv[2] and prints the results as JSON.
import { auditServer } from "graphql-http";

const results = await auditServer({ url: process.argv[2] });
const out = [];
for (const result of results) {
  out.push({ id: result.id, name: result.name, status: result.status, reason: result.reason ?? null });
}
process.stdout.write(JSON.stringify(out));
