// What a test file started (servers, processes, temp folders), released in reverse order on
// every path: a resource that failed to start is simply not there, and one that fails to stop
// does not keep the others running. Register each the moment it exists:
//   const resources = new Resources();
//   before(async () => { agent = resources.add(await startAgent(), (a) => a.stop()); });
//   after(() => resources.release());
export class Resources {
  private readonly stack: (() => unknown)[] = [];

  /** Registers `value` with how to release it; returns `value`. */
  add<T>(value: T, release: (value: T) => unknown): T {
    this.stack.push(() => release(value));
    return value;
  }

  /** Registers a release step of its own (a folder to remove, a handler to take off). */
  defer(release: () => unknown): void {
    this.stack.push(release);
  }

  /** Releases everything, newest first; rejects with every failure after trying them all. */
  async release(): Promise<void> {
    const errors: unknown[] = [];
    for (let release = this.stack.pop(); release !== undefined; release = this.stack.pop()) {
      try {
        await release();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) {
      throw errors[0];
    }
    if (errors.length > 1) {
      throw new AggregateError(errors, `${errors.length} resources failed to release`);
    }
  }
}
