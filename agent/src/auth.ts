// Request authentication of the agent protocol: HMAC-SHA256 signatures with key id, timestamp
// window and single-use nonces (ARCHITECTURE.md "Agent HTTP protocol v1"). Several keys may be
// active at once so they can be rotated without downtime. Nonces outlive a restart through the
// replay journal (replay.ts); without one, a start-time floor refuses what an earlier run may have seen.
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

/** Why a signature was refused, in a word (the audit counts refusals per kind). */
export type AuthRefusalKind = "unsigned" | "malformed" | "unknown-key" | "clock-skew" | "before-start" | "bad-signature" | "replay" | "busy";

export type AuthRefused = { ok: false; kind: AuthRefusalKind; keyId: string | null; reason: string };

export type AuthOutcome =
  /** `expiresAtMs`: when the nonce may be forgotten (the replay journal keeps it until then). */
  | { ok: true; keyId: string; nonce: string; expiresAtMs: number }
  /** kind `busy`: the replay cache is full; answered 429, not 401, because the signature may be fine. */
  | AuthRefused;

/**
 * Without a replay journal, how far ahead of the agent's clock a timestamp may be. A request an
 * earlier run accepted had a timestamp at most this far past that run's clock, so refusing
 * timestamps up to (start + this) after a restart refuses every request it may have seen.
 */
export const FLOOR_FUTURE_SKEW_SECONDS = 5;

/**
 * The start-time floor of a run without a replay journal (unix s): the first timestamp it accepts.
 * An earlier run accepted timestamps up to its clock + FLOOR_FUTURE_SKEW_SECONDS, and its clock may
 * have been in the same second as this start, so everything up to start + that, inclusive, is refused.
 */
export function startFloorSec(startedAtMs: number): number {
  return Math.floor(startedAtMs / 1000) + FLOOR_FUTURE_SKEW_SECONDS + 1;
}

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

  /** When a nonce signed at `timestampSec` may be forgotten. */
  expiryOf(timestampSec: number): number {
    return (timestampSec + this.windowSec) * 1000 + 1000;
  }

  /** Nonces an earlier run accepted (from the replay journal), remembered until they expire. */
  preload(entries: Iterable<{ nonce: string; expiresAtMs: number }>, nowMs: number): number {
    let count = 0;
    for (const { nonce, expiresAtMs } of entries) {
      if (expiresAtMs > nowMs) {
        this.expiries.set(nonce.toLowerCase(), expiresAtMs);
        count++;
      }
    }
    return count;
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
    this.expiries.set(key, this.expiryOf(timestampSec));
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

export interface AuthenticatorOptions {
  maxNonces: number;
  /**
   * Set when there is no replay journal: timestamps before it (unix s, the agent's start plus
   * FLOOR_FUTURE_SKEW_SECONDS) are refused, and timestamps may be at most
   * FLOOR_FUTURE_SKEW_SECONDS ahead of the agent's clock.
   */
  floorSec?: number;
}

export class RequestAuthenticator {
  private keys: Map<string, Buffer>;
  readonly nonces: NonceCache;
  private readonly floorSec: number | null;

  constructor(keys: readonly AgentKey[], opts: AuthenticatorOptions) {
    this.keys = new Map(keys.map((k) => [k.id, k.secret]));
    this.nonces = new NonceCache(opts.maxNonces);
    this.floorSec = opts.floorSec ?? null;
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
  precheck(headers: RequestHeaders, nowMs: number): AuthRefused | null {
    const keyId = single(headers[HEADER_KEY]);
    const timestamp = single(headers[HEADER_TIMESTAMP]);
    const nonce = single(headers[HEADER_NONCE]);
    const signature = single(headers[HEADER_SIGNATURE]);
    if (keyId === undefined || timestamp === undefined || nonce === undefined || signature === undefined) {
      return {
        ok: false,
        kind: "unsigned",
        keyId: keyId ?? null,
        reason: "the request is not signed (X-ATL-Key, X-ATL-Timestamp, X-ATL-Nonce and X-ATL-Signature are required)",
      };
    }
    if (!KEY_ID_PATTERN.test(keyId)) {
      return { ok: false, kind: "malformed", keyId: null, reason: "the key id is malformed" };
    }
    if (!this.keys.has(keyId)) {
      return { ok: false, kind: "unknown-key", keyId, reason: `unknown key id "${keyId}"` };
    }
    if (!TIMESTAMP_PATTERN.test(timestamp)) {
      return { ok: false, kind: "malformed", keyId, reason: "the timestamp must be unix seconds" };
    }
    const skew = Number(timestamp) - Math.floor(nowMs / 1000);
    const ahead = this.floorSec === null ? MAX_CLOCK_SKEW_SECONDS : FLOOR_FUTURE_SKEW_SECONDS;
    if (skew < -MAX_CLOCK_SKEW_SECONDS || skew > ahead) {
      return {
        ok: false,
        kind: "clock-skew",
        keyId,
        reason:
          skew < 0
            ? `the timestamp is ${-skew} s behind the agent's clock (at most ${MAX_CLOCK_SKEW_SECONDS} s allowed); check the clocks (NTP) of both machines`
            : `the timestamp is ${skew} s ahead of the agent's clock (at most ${ahead} s allowed${this.floorSec === null ? "" : " while the agent keeps no replay journal (stateDir)"}); check the clocks (NTP) of both machines`,
      };
    }
    if (this.floorSec !== null && Number(timestamp) < this.floorSec) {
      return {
        ok: false,
        kind: "before-start",
        keyId,
        reason: `the request was signed before the agent (re)started, and without a replay journal (stateDir) the agent cannot tell it from a replay; sign it again${skew < -FLOOR_FUTURE_SKEW_SECONDS ? ` (the client's clock is ${-skew} s behind the agent's: check NTP)` : ""}`,
      };
    }
    if (!NONCE_PATTERN.test(nonce)) {
      return { ok: false, kind: "malformed", keyId, reason: "the nonce must be at least 16 random bytes in hex" };
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
      return { ok: false, kind: "bad-signature", keyId, reason: "the signature does not match (wrong secret for this key id, or the request was altered)" };
    }
    switch (this.nonces.remember(nonce, Number(timestamp), nowMs)) {
      case "replay":
        return { ok: false, kind: "replay", keyId, reason: "the nonce was already used (replayed request)" };
      case "full":
        return { ok: false, kind: "busy", keyId, reason: "too many requests in the replay window; retry shortly" };
      case "ok":
        return { ok: true, keyId, nonce: nonce.toLowerCase(), expiresAtMs: this.nonces.expiryOf(Number(timestamp)) };
    }
  }
}
