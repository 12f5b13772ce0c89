// The run bundle's CLI entry (bin/tsebpf-run.cjs, for `tsebpf run x.o`): `main(argv, io)` runs the
// command when cli/run-args.ts parses it, without loading commander; anything else (--help, an
// unknown option, another command) goes to the full CLI, cli/main.ts, which says the same as it
// would have from the start. Errors are reported as cli/main.ts reports them.
import type { Io } from "./io.js";
import { reportError } from "./errors.js";
import { parseRunArgs } from "./run-args.js";
import { runCommand } from "./commands/run.js";

export async function main(argv: string[], io: Io): Promise<number> {
  const parsed = argv[0] === "run" ? parseRunArgs(argv.slice(1)) : undefined;
  if (!parsed) return (await import("./main.js")).main(argv, io);
  try {
    return await runCommand(parsed.file, parsed.opts, io);
  } catch (e) {
    return await reportError(e, io);
  }
}
