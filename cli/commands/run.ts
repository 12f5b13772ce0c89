// `tsebpf run [program] --iface IFACE`: build or read the program, load it, fill the blocklist,
// attach it to the interface, print its logs until Ctrl-C (SIGINT) or SIGTERM, then detach.
import type { Command } from "commander";
import type { Io } from "../io.js";
import type { RunOpts } from "./run-program.js";
import { RUN_OPTIONS, flagsOf } from "./run-options.js";

export function register(program: Command, io: Io, setExit: (code: number) => void): void {
  const run = program
    .command("run")
    .description("load an XDP program, attach it to an interface and print its logs until Ctrl-C")
    .argument(
      "[program]",
      "program: .ts (DSL), .s (assembly) or .o (ELF object); default: programs/hello.ts, the book's Hello XDP",
    );
  for (const o of RUN_OPTIONS)
    if (o.repeat) run.option(flagsOf(o), o.description, collect);
    else if (o.default !== undefined) run.option(flagsOf(o), o.description, o.default);
    else run.option(flagsOf(o), o.description);
  run
    .addHelpText(
      "after",
      `
Needs root, or CAP_BPF + CAP_NET_ADMIN (+ CAP_PERFMON for headers at a variable offset).
Logs look like env_logger's:
  [2026-11-24T18:03:11Z INFO  xdp_hello] received a packet

Examples:
  sudo tsebpf run --iface eth0                          # the built-in hello program
  sudo tsebpf run programs/firewall.ts -i eth0 --block 198.51.100.3
  sudo tsebpf run out.o -i veth0 --mode skb --log-level debug
  sudo tsebpf run programs/ratelimit.ts -i eth0 --set RATE=100 --set BURST=20
  sudo tsebpf run programs/counters.ts -i eth0 --stats   # on Ctrl-C: COUNTERS[6] = 1234 …
If attaching fails with "invalid argument" in the default or drv mode, try --mode skb.`,
    )
    .action(async (file: string | undefined, o: RunOpts) => setExit(await runCommand(file, o, io)));
}

/** The command's body, for commander's action and cli/run-main.ts: run, then the exit code. */
export async function runCommand(file: string | undefined, o: RunOpts, io: Io): Promise<number> {
  const { runProgram } = await import("./run-program.js");
  const code = await runProgram(file, o, io);
  // everything is detached: a stdout reader that stopped reading must not keep the process alive
  if (io.stdoutBacklog?.()) setTimeout(() => process.exit(code), 200).unref();
  return code;
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}
