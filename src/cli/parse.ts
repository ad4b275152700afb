// `atl parse` (stub until its issue lands).
export function parseCommand(_args: string[]): Promise<number> {
  process.stderr.write("atl parse: not implemented yet\n");
  return Promise.resolve(2);
}
