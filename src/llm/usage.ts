// Token usage and estimated cost per diagnosis. Prices are USD per million tokens: built-in for
// common OpenAI models, overridden or extended by the `atl.llm.prices` setting.
import type { ModelPrice } from "./settings";

/** Tokens and estimated cost of the LLM calls of one diagnosis. */
export interface Usage {
  model: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Estimated from the price table; null when the model has no price. */
  costUsd: number | null;
  calls: number;
}

export const BUILT_IN_PRICES: Readonly<Record<string, ModelPrice>> = {
  "gpt-5": { input: 1.25, output: 10 },
  "gpt-5-mini": { input: 0.25, output: 2 },
  "gpt-5-nano": { input: 0.05, output: 0.4 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  o3: { input: 2, output: 8 },
  "o3-mini": { input: 1.1, output: 4.4 },
  "o4-mini": { input: 1.1, output: 4.4 },
};

/**
 * The price of a model: an exact entry wins (settings before built-ins); otherwise the longest
 * name that prefixes it (`gpt-4.1-mini-2025-04-14` → `gpt-4.1-mini`). Null when unknown.
 */
export function priceFor(model: string, overrides: Readonly<Record<string, ModelPrice>> = {}): ModelPrice | null {
  const tables = [overrides, BUILT_IN_PRICES];
  for (const table of tables) {
    const exact = table[model];
    if (exact && validPrice(exact)) {
      return exact;
    }
  }
  for (const table of tables) {
    const prefix = Object.keys(table)
      .filter((name) => model.startsWith(name) && /^[-_.:@]/.test(model.slice(name.length)))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix !== undefined && validPrice(table[prefix])) {
      return table[prefix];
    }
  }
  return null;
}

function validPrice(price: ModelPrice): boolean {
  return Number.isFinite(price.input) && Number.isFinite(price.output) && price.input >= 0 && price.output >= 0;
}

export function costUsd(price: ModelPrice | null, promptTokens: number, completionTokens: number): number | null {
  if (!price) {
    return null;
  }
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}

/** One LLM call's token counts. */
export interface CallUsage {
  promptTokens: number;
  completionTokens: number;
}

/** Adds a call to a running total (null: none yet), recomputing the cost. */
export function addUsage(total: Usage | null, call: CallUsage, model: string, prices: Readonly<Record<string, ModelPrice>> = {}): Usage {
  const promptTokens = (total?.promptTokens ?? 0) + call.promptTokens;
  const completionTokens = (total?.completionTokens ?? 0) + call.completionTokens;
  return {
    model,
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    costUsd: costUsd(priceFor(model, prices), promptTokens, completionTokens),
    calls: (total?.calls ?? 0) + 1,
  };
}

/** Sum of two totals (reducer of the graph's usage channel). */
export function mergeUsage(a: Usage | null, b: Usage | null): Usage | null {
  if (!a) {
    return b;
  }
  if (!b) {
    return a;
  }
  const cost = a.costUsd === null && b.costUsd === null ? null : (a.costUsd ?? 0) + (b.costUsd ?? 0);
  return {
    model: b.model,
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    costUsd: cost,
    calls: a.calls + b.calls,
  };
}
