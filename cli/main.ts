// The CLI: `main(argv, io)` parses arguments with commander and returns an exit code; commands
// live in cli/commands/*.ts and are imported lazily, so `objdump` never loads the DSL front end.
import { createRequire } from "node:module";
import type * as Commander from "commander";
import type { Io } from "./io.js";
import { reportError } from "./errors.js";

// commander is CommonJS: require() skips the ESM wrapper's translation (a few ms of start-up).
const { Command, CommanderError } = createRequire(import.meta.url)("commander") as typeof Commander;
type Command = Commander.Command;

export type CommandModule = { register(program: Command, io: Io, setExit: (code: number) => void): void };

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  build: () => import("./commands/build.js"),
  detach: () => import("./commands/detach.js"),
  map: () => import("./commands/map.js"),
  objdump: () => import("./commands/objdump.js"),
  prog: () => import("./commands/prog.js"),
  run: () => import("./commands/run.js"),
  test: () => import("./commands/test.js"),
};

export async function main(argv: string[], io: Io): Promise<number> {
  let exitCode = 0;
  const program = new Command("tsebpf")
    .description("An eBPF toolchain in TypeScript for XDP programs: build, objdump, test and run.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError("(run tsebpf --help for usage)");
  // Register only the command that is asked for (all of them for --help).
  const wanted = argv.find((a) => !a.startsWith("-"));
  const names = wanted && wanted in COMMANDS ? [wanted] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]()).register(program, io, (c) => (exitCode = c));
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed it
    return await reportError(e, io);
  }
}

const VERSION = "0.1.0";
