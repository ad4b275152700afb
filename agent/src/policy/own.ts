// Table lookups by attacker-controlled keys: `table[key]` would find Object.prototype members
// ("constructor", "__proto__", "toString"), so every lookup goes through `own`.

export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
