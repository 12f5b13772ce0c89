// The CLI: `main(argv, io)` parses arguments with commander and returns an exit code; commands
// live in cli/commands/*.ts and are imported lazily, so `objdump` never loads the DSL front end.
import { createRequire } from "node:module";
import type * as Commander from "commander";
import { CliError, type Io } from "./io.js";
import { DiagnosticError } from "../compiler/diagnostics.js";

// commander is CommonJS: require() skips the ESM wrapper's translation (a few ms of start-up).
const { Command, CommanderError } = createRequire(import.meta.url)("commander") as typeof Commander;
type Command = Commander.Command;

export type CommandModule = { register(program: Command, io: Io, setExit: (code: number) => void): void };

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  build: () => import("./commands/build.js"),
  objdump: () => import("./commands/objdump.js"),
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
    return await report(e, io);
  }
}

/** File-system errors on a user-given path: one line, not an internal error. */
const FS_ERRORS: Record<string, string> = {
  ENOENT: "no such file or directory", EISDIR: "is a directory", ENOTDIR: "not a directory",
  EACCES: "permission denied", EPERM: "operation not permitted", EROFS: "read-only file system",
  ENOSPC: "no space left on device", ENAMETOOLONG: "file name too long", ELOOP: "too many symbolic links",
};

async function report(e: unknown, io: Io): Promise<number> {
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
  if (e instanceof DiagnosticError) {
    const { renderAll, useColor } = await import("./render.js"); // only on errors: keeps start-up small
    io.stderr(renderAll(e.diagnostics, { color: useColor(io.env, io.isTTY), sources: e.sources }));
    return 1;
  }
  if (e instanceof CliError) {
    io.stderr(`tsebpf: error: ${e.message}\n`);
    return e.code;
  }
  const err = e as NodeJS.ErrnoException;
  const fsError = err?.path ? FS_ERRORS[err.code ?? ""] : undefined;
  if (fsError) {
    io.stderr(`tsebpf: error: ${err.path}: ${fsError}\n`);
    return 1;
  }
  io.stderr(`tsebpf: internal error: ${err?.message ?? String(e)}\n`);
  if (io.env.TSEBPF_DEBUG) io.stderr(`${err?.stack}\n`);
  return 70;
}

const VERSION = "0.1.0";
