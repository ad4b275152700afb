// Talking to a running agent without the typed client: raw HTTP requests on fresh connections,
// signed or not, exactly as given; and the operator rules the process tests add to the policy.
import * as http from "node:http";
import type { PolicyFile } from "../../src/policy/types";
import { errorResponseSchema, signedHeaders, type ErrorResponse } from "../../src/protocol";
import type { RunningAgent } from "../../../test/helpers/agent";

/** Operator rules the tests need on top of the read-only default: a shell and sleep. */
export const TEST_POLICY: PolicyFile = {
  version: 1,
  rules: [
    { id: "test-sh", program: "sh", args: ["-c"], allowExtraArgs: true, risk: "mutating", effect: "allow" },
    { id: "test-sleep", program: "sleep", allowExtraArgs: true, risk: "read-only", effect: "allow" },
  ],
};

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** One HTTP request on a fresh connection, exactly as given (no client-side signing or checks). */
export function raw(url: string, method: string, path: string, headers: Record<string, string>, body: string | Buffer = ""): Promise<RawResponse> {
  const target = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

export function signedRaw(agent: RunningAgent, method: string, path: string, body: string | Buffer, opts: { now?: number; secret?: string } = {}): Promise<RawResponse> {
  const headers = { "content-type": "application/json", ...signedHeaders(agent.keyId, opts.secret ?? agent.secret, method, path, body, opts.now) };
  return raw(agent.url, method, path, headers, body);
}

export function message(response: RawResponse): ErrorResponse {
  return errorResponseSchema.parse(response.body);
}
