// Small runtime schemas for the agent's wire bodies and its config file: one definition gives the
// TypeScript type and a validator whose errors name the offending field (they become 400 reasons).
// Hand-written because the agent ships as one dependency-free file and its bodies are tiny.

export class SchemaError extends Error {
  override readonly name = "SchemaError";
  constructor(
    /** JSON path of the offending value, e.g. `commands[2]`; empty for the root. */
    readonly path: string,
    readonly problem: string,
  ) {
    super(path === "" ? problem : `${path}: ${problem}`);
  }
}

export interface Schema<T> {
  /** Returns the value typed, or throws SchemaError. */
  parse(value: unknown, path?: string): T;
  readonly optional: boolean;
}

export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function schema<T>(check: (value: unknown, path: string) => T): Schema<T> {
  return { parse: (value, path = "") => check(value, path), optional: false };
}

function describe(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "an array";
  }
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export function string(opts: { minLength?: number; maxLength?: number; pattern?: RegExp; patternHint?: string } = {}): Schema<string> {
  return schema((value, path) => {
    if (typeof value !== "string") {
      throw new SchemaError(path, `must be a string, got ${describe(value)}`);
    }
    if (opts.minLength !== undefined && value.length < opts.minLength) {
      throw new SchemaError(path, opts.minLength === 1 ? "must not be empty" : `must have at least ${opts.minLength} characters`);
    }
    if (opts.maxLength !== undefined && value.length > opts.maxLength) {
      throw new SchemaError(path, `must have at most ${opts.maxLength} characters (has ${value.length})`);
    }
    if (opts.pattern && !opts.pattern.test(value)) {
      throw new SchemaError(path, opts.patternHint ?? `must match ${String(opts.pattern)}`);
    }
    return value;
  });
}

export function number(opts: { integer?: boolean; min?: number; max?: number } = {}): Schema<number> {
  return schema((value, path) => {
    if (typeof value !== "number") {
      throw new SchemaError(path, `must be a number, got ${describe(value)}`);
    }
    if (!Number.isFinite(value)) {
      // JSON numbers beyond the double range (1e400) parse as ±Infinity.
      const bound = value > 0 ? (opts.max === undefined ? null : `at most ${opts.max}`) : opts.min === undefined ? null : `at least ${opts.min}`;
      throw new SchemaError(path, `must be ${bound ?? "a finite number"}, got a number too large to represent`);
    }
    if (opts.integer && !Number.isInteger(value)) {
      throw new SchemaError(path, "must be a whole number");
    }
    if (opts.min !== undefined && value < opts.min) {
      throw new SchemaError(path, `must be at least ${opts.min}`);
    }
    if (opts.max !== undefined && value > opts.max) {
      throw new SchemaError(path, `must be at most ${opts.max}`);
    }
    return value;
  });
}

export function integer(opts: { min?: number; max?: number } = {}): Schema<number> {
  return number({ ...opts, integer: true });
}

export function boolean(): Schema<boolean> {
  return schema((value, path) => {
    if (typeof value !== "boolean") {
      throw new SchemaError(path, `must be true or false, got ${describe(value)}`);
    }
    return value;
  });
}

export function literal<const T extends readonly (string | number | boolean)[]>(...values: T): Schema<T[number]> {
  return schema((value, path) => {
    if (!values.includes(value as T[number])) {
      throw new SchemaError(path, `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`);
    }
    return value as T[number];
  });
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return schema((value, path) => (value === null ? null : inner.parse(value, path)));
}

/** Marks an object field as optional (it may be absent; `undefined` counts as absent). */
export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return { parse: (value, path = "") => (value === undefined ? undefined : inner.parse(value, path)), optional: true };
}

export function array<T>(item: Schema<T>, opts: { minItems?: number; maxItems?: number } = {}): Schema<T[]> {
  return schema((value, path) => {
    if (!Array.isArray(value)) {
      throw new SchemaError(path, `must be an array, got ${describe(value)}`);
    }
    if (opts.minItems !== undefined && value.length < opts.minItems) {
      throw new SchemaError(path, opts.minItems === 1 ? "must not be empty" : `must have at least ${opts.minItems} items`);
    }
    if (opts.maxItems !== undefined && value.length > opts.maxItems) {
      throw new SchemaError(path, `must have at most ${opts.maxItems} items (has ${value.length})`);
    }
    return value.map((element, index) => item.parse(element, `${path}[${index}]`));
  });
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K]["optional"] extends true ? K : never }[keyof S];
type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined>;
};
type Flatten<T> = { [K in keyof T]: T[K] };

/**
 * An object with the given fields. `unknownKeys: "reject"` (requests, config) refuses fields it does
 * not know, so a client cannot believe the agent honours an option it ignores; "keep" (responses)
 * passes them through, so a newer agent can add fields without breaking an older client.
 */
export function object<S extends Shape>(shape: S, opts: { unknownKeys: "reject" | "keep" }): Schema<Flatten<ObjectOf<S>>> {
  return schema((value, path) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new SchemaError(path, `must be an object, got ${describe(value)}`);
    }
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = opts.unknownKeys === "keep" ? { ...record } : {};
    for (const [key, fieldSchema] of Object.entries(shape)) {
      const fieldPath = path === "" ? key : `${path}.${key}`;
      const present = Object.prototype.hasOwnProperty.call(record, key) && record[key] !== undefined;
      if (!present) {
        if (!fieldSchema.optional) {
          throw new SchemaError(fieldPath, "is required");
        }
        delete out[key];
        continue;
      }
      out[key] = fieldSchema.parse(record[key], fieldPath);
    }
    if (opts.unknownKeys === "reject") {
      for (const key of Object.keys(record)) {
        if (!Object.prototype.hasOwnProperty.call(shape, key)) {
          throw new SchemaError(path === "" ? key : `${path}.${key}`, "is not a known field");
        }
      }
    }
    return out as Flatten<ObjectOf<S>>;
  });
}

/** A map with string keys, e.g. dimensions; values all of one schema. */
export function record<T>(value: Schema<T>): Schema<Record<string, T>> {
  return schema((input, path) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new SchemaError(path, `must be an object, got ${describe(input)}`);
    }
    const out: Record<string, T> = {};
    for (const [key, element] of Object.entries(input as Record<string, unknown>)) {
      out[key] = value.parse(element, path === "" ? key : `${path}.${key}`);
    }
    return out;
  });
}
