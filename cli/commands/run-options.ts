// `tsebpf run`'s options as one table: cli/commands/run.ts registers them with commander (help
// text, errors) and cli/run-args.ts parses the common command lines with it alone, so the run
// bundle (`tsebpf run x.o`) starts without loading commander. Takes nothing; exports RUN_OPTIONS
// and flagsOf (commander's flags string of an option).
import type { RunOpts } from "./run-program.js";

/** One option: `--long` (and `-s`), the RunOpts property it sets, and its value if it takes one. */
export interface RunOption {
  key: keyof RunOpts;
  long: `--${string}`;
  short?: `-${string}`;
  /** The value's name in the help (`<value>`); none: a switch. */
  value?: string;
  /** Takes every following argument up to the next option (commander's `<value...>`). */
  variadic?: true;
  description: string;
  /** Given more than once, the values collect into an array. */
  repeat?: true;
  default?: string;
}

/** `-i, --iface <name>`, as commander reads it. */
export function flagsOf(o: RunOption): string {
  const value = o.value ? ` <${o.value}${o.variadic ? "..." : ""}>` : "";
  return `${o.short ? `${o.short}, ` : ""}${o.long}${value}`;
}

export const RUN_OPTIONS: readonly RunOption[] = [
  {
    key: "iface",
    long: "--iface",
    short: "-i",
    value: "name",
    description: "network interface to attach to",
    default: "eth0",
  },
  {
    key: "block",
    long: "--block",
    value: "addr",
    description:
      "drop packets from this IPv4 or IPv6 address or CIDR: adds it to the program's BLOCKLIST map (repeatable; CIDRs need an LPM trie map)",
    repeat: true,
  },
  {
    key: "mode",
    long: "--mode",
    value: "mode",
    description:
      "XDP mode: skb (generic, works everywhere), drv (native driver), hw (offload); default: let the kernel choose",
  },
  {
    key: "netlink",
    long: "--netlink",
    description:
      "attach through netlink instead of a bpf_link (the program then stays attached if tsebpf is killed with -9)",
  },
  { key: "force", long: "--force", description: "replace a program that is already attached to the interface" },
  {
    key: "map",
    long: "--map",
    value: "entries",
    variadic: true,
    description:
      "set map entries before attaching: NAME key=value [key=value…], as for tsebpf test (numbers, addresses, CIDRs, JSON for structs, program names for prog arrays, interfaces for devmaps)",
  },
  {
    key: "pin",
    long: "--pin",
    value: "dir",
    description:
      "pin the program and its maps under this bpffs directory (e.g. /sys/fs/bpf/fw); pins stay after exit, the attachment does not",
  },
  {
    key: "logLevel",
    long: "--log-level",
    value: "level",
    description: "lowest log level to print: error, warn, info, debug, trace, off (default: $TSEBPF_LOG or info)",
  },
  {
    key: "set",
    long: "--set",
    value: "NAME=VALUE",
    description:
      "set a global variable before loading: a const volatile one in .rodata, or the initial value of a .data/.bss one; VALUE: a number, 0x…, an IPv4 address, true/false or hex:<bytes> (repeatable)",
    repeat: true,
  },
  {
    key: "stats",
    long: "--stats",
    description:
      "on exit, print the non-zero entries of the program's array and per-CPU maps (per-CPU values summed), one 'NAME[key] = value' line each",
  },
  {
    key: "program",
    long: "--program",
    value: "name",
    description: "which program of the object to attach (default: the first)",
  },
  {
    key: "verbose",
    long: "--verbose",
    short: "-v",
    description: "print notes about what the loader does (BTF fallbacks, attach method)",
  },
];
