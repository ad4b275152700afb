// The webview's side of request/reply: every request gets an id and a promise that the matching
// `reply` resolves (with the result) or rejects (with the host's message). A request the host does
// not answer in time, or one still pending when the view goes away, is rejected too: nothing waits
// forever, and a policy check that never comes back fails closed.
import type { ReplyMessage, RequestMessage, RequestOf, RequestResults, RequestType } from "./protocol";

/** A request that did not succeed: refused by the host, timed out, or abandoned. */
export class RequestFailed extends Error {
  override readonly name = "RequestFailed";

  constructor(
    message: string,
    readonly reason: "refused" | "timeout" | "disposed",
  ) {
    super(message);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A request as the caller writes it: the client adds the id. */
export type RequestBody<T extends RequestType = RequestType> = DistributiveOmit<RequestOf<T>, "requestId">;

/** How long the host may take to answer, by request (a save dialog may stay open for minutes). */
export const REQUEST_TIMEOUTS_MS: Record<RequestType, number> = {
  "check-command": 15_000,
  approve: 60_000,
  reject: 60_000,
  "follow-up": 60_000,
  "pick-host": 60_000,
  cancel: 60_000,
  report: 600_000,
  "diagnose-incident": 120_000,
  // The rule's pickers wait for the user.
  "allow-always": 600_000,
};

interface Pending {
  resolve(result: unknown): void;
  reject(error: RequestFailed): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface RequestClientOptions {
  post(message: RequestMessage): void;
  /** Shown when the host does not answer in time (localized by the host once `init` arrived). */
  timeoutMessage(): string;
  timeouts?: Partial<Record<RequestType, number>>;
}

export class RequestClient {
  private counter = 0;
  private disposed = false;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly options: RequestClientOptions) {}

  /** Sends a request; resolves with the host's result, rejects with a RequestFailed. */
  request<T extends RequestType>(body: RequestBody<T>): Promise<RequestResults[T]> {
    if (this.disposed) {
      return Promise.reject(new RequestFailed("The panel is closing.", "disposed"));
    }
    const requestId = `r${++this.counter}`;
    const type = body.type;
    const timeout = this.options.timeouts?.[type] ?? REQUEST_TIMEOUTS_MS[type];
    return new Promise<RequestResults[T]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new RequestFailed(this.options.timeoutMessage(), "timeout"));
      }, timeout);
      // The reply matching this id carries this request's result (the host answers by type).
      this.pending.set(requestId, { resolve: (result) => resolve(result as RequestResults[T]), reject, timer });
      this.options.post({ ...body, requestId });
    });
  }

  /** Settles the request a reply answers; a reply to an unknown or expired request is ignored. */
  settle(reply: ReplyMessage): void {
    const pending = this.pending.get(reply.requestId);
    if (!pending) {
      return;
    }
    this.pending.delete(reply.requestId);
    clearTimeout(pending.timer);
    if (reply.ok) {
      pending.resolve(reply.result);
    } else {
      pending.reject(new RequestFailed(reply.error, "refused"));
    }
  }

  get size(): number {
    return this.pending.size;
  }

  /** Rejects every pending request; later requests are rejected at once. */
  dispose(): void {
    this.disposed = true;
    for (const [requestId, pending] of this.pending) {
      this.pending.delete(requestId);
      clearTimeout(pending.timer);
      pending.reject(new RequestFailed("The panel is closing.", "disposed"));
    }
  }
}
