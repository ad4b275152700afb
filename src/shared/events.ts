// Minimal typed events for domain code (the vscode layer adapts them; shapes match vscode.Event and
// vscode.Disposable so they can be pushed to context.subscriptions as they are).

export interface Disposable {
  dispose(): void;
}

/** Subscribe with `event(listener)`; dispose the result to unsubscribe. */
export type Event<T> = (listener: (value: T) => void) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners = new Set<(value: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  /** Calls every listener; one that throws does not stop the others (its error goes to `onError`). */
  fire(value: T, onError?: (error: unknown) => void): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        onError?.(error);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/**
 * Rate-limits a notification: the first call after a quiet period runs on the next tick, later ones
 * are merged and run at most once per `intervalMs` (leading + trailing edge). An alert storm of
 * thousands of alarms thus refreshes the UI a few times a second, and a single alarm at once.
 */
export class Throttle implements Disposable {
  private timer: NodeJS.Timeout | undefined;
  private last = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => void,
  ) {}

  schedule(): void {
    if (this.timer) {
      return;
    }
    const wait = Math.max(0, this.last + this.intervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.last = performance.now();
      this.run();
    }, wait);
    this.timer.unref();
  }

  /** Runs a scheduled call now (used on dispose so the last change is not lost). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.last = performance.now();
      this.run();
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
