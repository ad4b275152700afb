// Request authentication of the agent protocol: HMAC-SHA256 signatures with key id, timestamp
// window and single-use nonces (ARCHITECTURE.md "Agent HTTP protocol v1"). Several keys may be
// active at once so they can be rotated without downtime.
import {
  HEADER_KEY,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  MAX_CLOCK_SKEW_SECONDS,
  signRequest,
  signaturesEqual,
} from "./protocol";

export interface AgentKey {
  id: string;
  secret: Buffer;
}

export type AuthOutcome =
  | { ok: true; keyId: string }
  /** `busy`: the replay cache is full; answered 429, not 401, because the signature may be fine. */
  | { ok: false; keyId: string | null; reason: string; busy?: boolean };

type HeaderValue = string | string[] | undefined;
export type RequestHeaders = Record<string, HeaderValue>;

export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/;
/** At least 16 random bytes, hex. */
const NONCE_PATTERN = /^[0-9a-fA-F]{32,128}$/;

function single(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

/**
 * Nonces seen inside the timestamp window. A nonce only has to be remembered while a request
 * carrying its timestamp could still be accepted; after that the timestamp check refuses it anyway.
 * Bounded: when full of live nonces it refuses new requests rather than forgetting one (which
 * would reopen a replay).
 */
export class NonceCache {
  private readonly expiries = new Map<string, number>();
  private nextSweepMs = 0;

  constructor(
    private readonly capacity: number,
    private readonly windowSec = MAX_CLOCK_SKEW_SECONDS,
  ) {}

  get size(): number {
    return this.expiries.size;
  }

  /** Records the nonce; "replay" when it was seen before, "full" when there is no room. */
  remember(nonce: string, timestampSec: number, nowMs: number): "ok" | "replay" | "full" {
    this.sweepIfDue(nowMs);
    const key = nonce.toLowerCase();
    const known = this.expiries.get(key);
    if (known !== undefined && known > nowMs) {
      return "replay";
    }
    if (this.expiries.size >= this.capacity) {
      this.sweep(nowMs);
      if (this.expiries.size >= this.capacity) {
        return "full";
      }
    }
    this.expiries.set(key, (timestampSec + this.windowSec) * 1000 + 1000);
    return "ok";
  }

  private sweepIfDue(nowMs: number): void {
    if (nowMs >= this.nextSweepMs) {
      this.sweep(nowMs);
      this.nextSweepMs = nowMs + 10_000;
    }
  }

  private sweep(nowMs: number): void {
    for (const [nonce, expiresAt] of this.expiries) {
      if (expiresAt <= nowMs) {
        this.expiries.delete(nonce);
      }
    }
  }
}

export class RequestAuthenticator {
  private keys: Map<string, Buffer>;
  private readonly nonces: NonceCache;

  constructor(keys: readonly AgentKey[], opts: { maxNonces: number }) {
    this.keys = new Map(keys.map((k) => [k.id, k.secret]));
    this.nonces = new NonceCache(opts.maxNonces);
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** Replaces the active keys (SIGHUP reload); nonces stay remembered. */
  replaceKeys(keys: readonly AgentKey[]): void {
    this.keys = new Map(keys.map((k) => [k.id, k.secret]));
  }

  /**
   * Checks what can be checked before reading the body: headers present and well formed, key
   * known, timestamp inside the window. Returns null when the request may proceed.
   */
  precheck(headers: RequestHeaders, nowMs: number): Extract<AuthOutcome, { ok: false }> | null {
    const keyId = single(headers[HEADER_KEY]);
    const timestamp = single(headers[HEADER_TIMESTAMP]);
    const nonce = single(headers[HEADER_NONCE]);
    const signature = single(headers[HEADER_SIGNATURE]);
    if (keyId === undefined || timestamp === undefined || nonce === undefined || signature === undefined) {
      return { ok: false, keyId: keyId ?? null, reason: "the request is not signed (X-ATL-Key, X-ATL-Timestamp, X-ATL-Nonce and X-ATL-Signature are required)" };
    }
    if (!KEY_ID_PATTERN.test(keyId)) {
      return { ok: false, keyId: null, reason: "the key id is malformed" };
    }
    if (!this.keys.has(keyId)) {
      return { ok: false, keyId, reason: `unknown key id "${keyId}"` };
    }
    if (!TIMESTAMP_PATTERN.test(timestamp)) {
      return { ok: false, keyId, reason: "the timestamp must be unix seconds" };
    }
    const skew = Number(timestamp) - Math.floor(nowMs / 1000);
    if (Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS) {
      return {
        ok: false,
        keyId,
        reason: `the timestamp is ${Math.abs(skew)} s ${skew < 0 ? "behind" : "ahead of"} the agent's clock (at most ${MAX_CLOCK_SKEW_SECONDS} s allowed); check the clocks (NTP) of both machines`,
      };
    }
    if (!NONCE_PATTERN.test(nonce)) {
      return { ok: false, keyId, reason: "the nonce must be at least 16 random bytes in hex" };
    }
    return null;
  }

  /** Full check: precheck, signature over the raw body (constant time), then single use of the nonce. */
  verify(method: string, path: string, headers: RequestHeaders, body: Buffer, nowMs: number): AuthOutcome {
    const refused = this.precheck(headers, nowMs);
    if (refused) {
      return refused;
    }
    // precheck guarantees these are single strings and the key exists.
    const keyId = headers[HEADER_KEY] as string;
    const timestamp = headers[HEADER_TIMESTAMP] as string;
    const nonce = headers[HEADER_NONCE] as string;
    const signature = headers[HEADER_SIGNATURE] as string;
    const secret = this.keys.get(keyId) as Buffer;
    const expected = signRequest(secret, method, path, timestamp, nonce, body);
    if (!signaturesEqual(expected, signature)) {
      return { ok: false, keyId, reason: "the signature does not match (wrong secret for this key id, or the request was altered)" };
    }
    switch (this.nonces.remember(nonce, Number(timestamp), nowMs)) {
      case "replay":
        return { ok: false, keyId, reason: "the nonce was already used (replayed request)" };
      case "full":
        return { ok: false, keyId, reason: "too many requests in the replay window; retry shortly", busy: true };
      case "ok":
        return { ok: true, keyId };
    }
  }
}
