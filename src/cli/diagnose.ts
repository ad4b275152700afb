// `atl diagnose` (stub until its issue lands).
export function diagnoseCommand(_args: string[]): Promise<number> {
  process.stderr.write("atl diagnose: not implemented yet\n");
  return Promise.resolve(2);
}
