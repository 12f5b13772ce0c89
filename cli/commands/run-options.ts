// `tsebpf run`'s options as one table: cli/commands/run.ts registers them with commander (help
// text, errors) and cli/run-args.ts parses the common command lines with it alone, so the run
// bundle (`tsebpf run x.o`) starts without loading commander. Takes nothing; exports RUN_OPTIONS.

/** One option: commander's flags string (`-s, --long <value>`, `<values...>` for variadic). */
export interface RunOption {
  flags: string;
  description: string;
  /** Given more than once, the values collect into an array. */
  repeat?: true;
  default?: string;
}

export const RUN_OPTIONS: readonly RunOption[] = [
  { flags: "-i, --iface <name>", description: "network interface to attach to", default: "eth0" },
  {
    flags: "--block <addr>",
    description:
      "drop packets from this IPv4 or IPv6 address or CIDR: adds it to the program's BLOCKLIST map (repeatable; CIDRs need an LPM trie map)",
    repeat: true,
  },
  {
    flags: "--mode <mode>",
    description:
      "XDP mode: skb (generic, works everywhere), drv (native driver), hw (offload); default: let the kernel choose",
  },
  {
    flags: "--netlink",
    description:
      "attach through netlink instead of a bpf_link (the program then stays attached if tsebpf is killed with -9)",
  },
  { flags: "--force", description: "replace a program that is already attached to the interface" },
  {
    flags: "--map <entries...>",
    description:
      "set map entries before attaching: NAME key=value [key=value…], as for tsebpf test (numbers, addresses, CIDRs, JSON for structs, program names for prog arrays, interfaces for devmaps)",
  },
  {
    flags: "--pin <dir>",
    description:
      "pin the program and its maps under this bpffs directory (e.g. /sys/fs/bpf/fw); pins stay after exit, the attachment does not",
  },
  {
    flags: "--log-level <level>",
    description: "lowest log level to print: error, warn, info, debug, trace, off (default: $TSEBPF_LOG or info)",
  },
  {
    flags: "--set <NAME=VALUE>",
    description:
      "set a global variable before loading: a const volatile one in .rodata, or the initial value of a .data/.bss one; VALUE: a number, 0x…, an IPv4 address, true/false or hex:<bytes> (repeatable)",
    repeat: true,
  },
  {
    flags: "--stats",
    description:
      "on exit, print the non-zero entries of the program's array and per-CPU maps (per-CPU values summed), one 'NAME[key] = value' line each",
  },
  { flags: "--program <name>", description: "which program of the object to attach (default: the first)" },
  { flags: "-v, --verbose", description: "print notes about what the loader does (BTF fallbacks, attach method)" },
];
