// Calls one endpoint of a running app with the official JavaScript client, as a web page or a Node script would,
// and prints the result as JSON: node call.mjs URL /endpoint '{"text": "..."}'
import { Client } from "@gradio/client";

const [url, endpoint, payload] = process.argv.slice(2);
try {
  const app = await Client.connect(url);
  const result = await app.predict(endpoint, JSON.parse(payload));
  console.log(JSON.stringify({ data: result.data }));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ error: error?.message ?? String(error) }));
  process.exit(1);
}
