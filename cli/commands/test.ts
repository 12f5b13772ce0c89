// `tsebpf test <program> --packet …`: load the program, fill maps, run each packet through
// BPF_PROG_TEST_RUN (or the in-process VM) and print the verdict (XDP action), the output packet
// when it changed, and ns/packet.
import type { Command } from "commander";
import type { Io } from "../io.js";
import { CliError } from "../errors.js";
import type { RunTestsOpts } from "./run-tests.js";

export function register(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command("test")
    .description(
      "run a program on packets in the kernel (BPF_PROG_TEST_RUN) or the in-process VM and print its verdicts",
    )
    .argument("<program>", "program: .ts (DSL), .s (assembly) or .o (ELF object)")
    .requiredOption(
      "--packet <packet...>",
      "one or more packets: hex bytes (e.g. 'ffff…0800…'), raw .bin files, or Ethernet .pcap/.pcapng captures",
    )
    .option("--repeat <n>", "run each packet N times and report the mean ns/packet", "1")
    .option(
      "--map <entries...>",
      "set map entries first: NAME key=value [key=value…]; keys/values are numbers, 0x…, IPv4 addresses (host-order u32), IPv6 addresses (16-byte slots), IPv4/IPv6 CIDRs for LPM tries, JSON for structs, or hex:<bytes>; entries with a negative key go after -- (--map S -- -1=3)",
    )
    .option(
      "--set <NAME=VALUE>",
      "set a global variable before loading: a const volatile one in .rodata, or the initial value of a .data/.bss one; VALUE: a number, 0x…, an IPv4 address, true/false or hex:<bytes> (repeatable)",
      collect,
    )
    .option("--program <name>", "which program of the object to run (default: the first)")
    .option(
      "--vm",
      "run in the in-process VM instead of the kernel (no root or BPF needed; used anyway when the kernel path is unavailable)",
    )
    .option(
      "--route <spec>",
      "a route of the VM's table for bpf_fib_lookup (with --vm), as ip route spells it: 'DST/LEN dev IFINDEX [via GW] [smac MAC] [dmac MAC] [mtu N] [metric N]', or 'blackhole|unreachable|prohibit|local DST/LEN'; no dmac: the neighbour is unknown (repeatable)",
      collect,
    )
    .option("--json", "print the results as JSON")
    .allowExcessArguments()
    .addHelpText(
      "after",
      `
Examples:
  tsebpf test programs/firewall.ts --packet pkt.bin
  tsebpf test out.o --packet capture.pcap --repeat 100000
  tsebpf test programs/firewall.ts --map BLOCKLIST 198.51.100.3=1 --packet fixtures/packets/firewall.pcap
  tsebpf test signed.o --packet pkt.bin --map SIGNED -- -1=3 -2=4
  tsebpf test fw.bpf.o --set drop_all=1 --set min_len=64 --packet pkt.bin
  tsebpf test programs/firewall.ts --vm --map BLOCKLIST 198.51.100.3=1 --packet fixtures/packets/firewall.pcap
  tsebpf test programs/router.ts --vm --route '203.0.113.0/24 dev 3 smac 02:00:00:00:00:01 dmac 02:00:00:00:00:02' --packet pkt.bin`,
    )
    .action(async (file: string, o: RunTestsOpts, cmd: Command) => {
      const { runTests } = await import("./run-tests.js");
      setExit(await runTests(file, { ...o, map: [...(o.map ?? []), ...trailingEntries(cmd.args.slice(1))] }, io));
    });
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** Operands after `--` are more `--map` entries (that is how a key starts with '-'); nothing else is. */
function trailingEntries(extra: string[]): string[] {
  const bad = extra.find((a) => !a.includes("="));
  if (bad !== undefined)
    throw new CliError(
      `unexpected argument '${bad}' (only --map key=value entries may follow --, e.g. --map S -- -1=3)`,
    );
  return extra;
}
