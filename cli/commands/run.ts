// `tsebpf run [program] --iface IFACE`: build or read the program, load it, fill the blocklist,
// attach it to the interface, print its logs until Ctrl-C (SIGINT) or SIGTERM, then detach.
import type { Command } from "commander";
import type { Io } from "../io.js";
import type { RunOpts } from "./run-program.js";

export function register(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command("run")
    .description("load an XDP program, attach it to an interface and print its logs until Ctrl-C")
    .argument(
      "[program]",
      "program: .ts (DSL), .s (assembly) or .o (ELF object); default: programs/hello.ts, the book's Hello XDP",
    )
    .option("-i, --iface <name>", "network interface to attach to", "eth0")
    .option(
      "--block <addr>",
      "drop packets from this IPv4 or IPv6 address or CIDR: adds it to the program's BLOCKLIST map (repeatable; CIDRs need an LPM trie map)",
      collect,
    )
    .option(
      "--mode <mode>",
      "XDP mode: skb (generic, works everywhere), drv (native driver), hw (offload); default: let the kernel choose",
    )
    .option(
      "--netlink",
      "attach through netlink instead of a bpf_link (the program then stays attached if tsebpf is killed with -9)",
    )
    .option("--force", "replace a program that is already attached to the interface")
    .option(
      "--map <entries...>",
      "set map entries before attaching: NAME key=value [key=value…], as for tsebpf test (numbers, addresses, CIDRs, JSON for structs, program names for prog arrays, interfaces for devmaps)",
    )
    .option(
      "--pin <dir>",
      "pin the program and its maps under this bpffs directory (e.g. /sys/fs/bpf/fw); pins stay after exit, the attachment does not",
    )
    .option(
      "--log-level <level>",
      "lowest log level to print: error, warn, info, debug, trace, off (default: $TSEBPF_LOG or info)",
    )
    .option(
      "--set <NAME=VALUE>",
      "set a global variable before loading: a const volatile one in .rodata, or the initial value of a .data/.bss one; VALUE: a number, 0x…, an IPv4 address, true/false or hex:<bytes> (repeatable)",
      collect,
    )
    .option(
      "--stats",
      "on exit, print the non-zero entries of the program's array and per-CPU maps (per-CPU values summed), one 'NAME[key] = value' line each",
    )
    .option("--program <name>", "which program of the object to attach (default: the first)")
    .option("-v, --verbose", "print notes about what the loader does (BTF fallbacks, attach method)")
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
    .action(async (file: string | undefined, o: RunOpts) => {
      const { runProgram } = await import("./run-program.js");
      const code = await runProgram(file, o, io);
      setExit(code);
      // everything is detached: a stdout reader that stopped reading must not keep the process alive
      if (io.stdoutBacklog?.()) setTimeout(() => process.exit(code), 200).unref();
    });
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}
