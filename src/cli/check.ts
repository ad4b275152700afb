// `atl check` (stub until its issue lands).
export function checkCommand(_args: string[]): Promise<number> {
  process.stderr.write("atl check: not implemented yet\n");
  return Promise.resolve(2);
}
