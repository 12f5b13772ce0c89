// cli/run-args.ts against commander: every command line it parses gives the program argument and
// the options commander gives (both read cli/commands/run-options.ts), and what it cannot parse
// it leaves to commander (undefined), which the run bundle's entry then hands to cli/main.ts.
import { describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import type * as Commander from "commander";
import { register } from "../cli/commands/run.js";
import { parseRunArgs } from "../cli/run-args.js";
import type { Io } from "../cli/io.js";

const { Command } = createRequire(import.meta.url)("commander") as typeof Commander;
const io: Io = { stdout() {}, stderr() {}, isTTY: false, env: {}, cwd: "/" };

/** What commander makes of `run …args`: the program argument and the options object. */
function commander(args: string[]): { file?: string; opts: Record<string, unknown> } | string {
  const program = new Command("tsebpf").exitOverride().configureOutput({ writeOut() {}, writeErr() {} });
  register(program, io, () => {});
  let got: { file?: string; opts: Record<string, unknown> } | string = "no action";
  const run = program.commands.find((c) => c.name() === "run")!;
  run.exitOverride().action((file: string | undefined, o: Record<string, unknown>) => {
    got = { file, opts: { ...o } };
  });
  try {
    program.parse(["run", ...args], { from: "user" });
  } catch (e) {
    return (e as Error).message;
  }
  return got;
}

describe("run's options without commander", () => {
  const parsed = [
    [],
    ["x.o"],
    ["x.o", "--iface", "veth0", "--mode", "skb"],
    ["-i", "lo", "x.o"],
    ["x.o", "-i", "lo", "-v", "--stats", "--netlink", "--force"],
    ["--iface=lo", "x.o", "--mode=drv", "--log-level=debug"],
    ["x.o", "--block", "198.51.100.1", "--block", "203.0.113.0/24", "--set", "A=1", "--set=B=2"],
    ["x.o", "--pin", "/sys/fs/bpf/fw", "--program", "xdp_fw"],
    ["x.o", "--iface", "--mode"], // a required value is the next argument, whatever it looks like
    ["x.o", "--iface", ""],
    ["-", "--iface", "lo"],
  ];
  it.each(parsed)("parses %j as commander does", (...args) => {
    const ours = parseRunArgs(args);
    expect(ours).toBeDefined();
    expect({ file: ours!.file, opts: { ...ours!.opts } }).toEqual(commander(args));
  });

  const leftToCommander = [
    ["--help"],
    ["x.o", "-h"],
    ["x.o", "--bogus"],
    ["x.o", "--iface"],
    ["a.o", "b.o"],
    ["x.o", "-ilo"],
    ["x.o", "--stats=1"],
    ["x.o", "--map", "A", "1=2"],
    ["--", "x.o"],
  ];
  it.each(leftToCommander)("leaves %j to commander", (...args) => {
    expect(parseRunArgs(args)).toBeUndefined();
  });
});
