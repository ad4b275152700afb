// A loopback relay to the user's LLM for the demo: the editor talks to
// http://127.0.0.1:PORT/<token>/v1 as an OpenAI-compatible server, and the relay forwards each
// request to the real API with the user's key added. The key stays in the demo process: it never
// reaches a settings file, the editor's environment, SecretStorage or a log. The random path token
// keeps other local users' programs from spending it (a request without it gets 404).
import { randomBytes } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo, Socket } from "node:net";

export interface LlmRelay {
  /** Base URL for `atl.llm.baseUrl`, ending in `/v1`. */
  readonly url: string;
  readonly port: number;
  /** Requests forwarded so far (not their content). */
  readonly forwarded: number;
  close(): Promise<void>;
}

export interface LlmRelayOptions {
  /** The API the relay forwards to, e.g. https://api.openai.com/v1. */
  target: string;
  apiKey: string;
  /** Port on 127.0.0.1; default 0 (a free one). */
  port?: number;
}

// Hop-by-hop headers and the client's own credentials are not forwarded.
const DROPPED_REQUEST_HEADERS = new Set(["host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "authorization", "api-key"]);

export async function startLlmRelay(options: LlmRelayOptions): Promise<LlmRelay> {
  const target = new URL(options.target.replace(/\/+$/, ""));
  if (!/^https?:$/.test(target.protocol)) {
    throw new Error(`The LLM base URL ${options.target} is not an http(s) URL.`);
  }
  const token = randomBytes(16).toString("hex");
  const prefix = `/${token}/v1`;
  const sockets = new Set<Socket>();
  let forwarded = 0;

  const server = http.createServer((request, response) => {
    const path = request.url ?? "/";
    if (path !== prefix && !path.startsWith(`${prefix}/`) && !path.startsWith(`${prefix}?`)) {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: "Unknown path: this relay only serves the ATL demo." } }));
      request.resume();
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!DROPPED_REQUEST_HEADERS.has(name) && value !== undefined) {
        headers[name] = value;
      }
    }
    headers.authorization = `Bearer ${options.apiKey}`;
    const asked = new URL(path, "http://relay");
    const url = new URL(target.toString());
    url.pathname = `${target.pathname}${asked.pathname.slice(prefix.length)}`;
    url.search = asked.search;
    const client = url.protocol === "https:" ? https : http;
    forwarded++;
    const upstream = client.request(url, { method: request.method, headers }, (answer) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (!["connection", "keep-alive", "transfer-encoding"].includes(name) && value !== undefined) {
          out[name] = value;
        }
      }
      response.writeHead(answer.statusCode ?? 502, out);
      // Streamed replies (SSE) pass through as they arrive.
      answer.pipe(response);
    });
    upstream.on("error", (error) => {
      if (!response.headersSent) {
        response.writeHead(502, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: `The ATL demo relay could not reach ${url.origin}: ${error.message}` } }));
      } else {
        response.destroy(error);
      }
    });
    request.on("aborted", () => upstream.destroy());
    request.pipe(upstream);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    port,
    get forwarded() {
      return forwarded;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
