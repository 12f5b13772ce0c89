// The BPF ABI, one typed home: takes nothing; produces the kernel's numbers the
// compiler, the ELF layer, the loader and the VM agree on — map types (with isPerCpu and their
// names), map flags, helper ids and names, XDP actions, program and attach types, the pseudo
// sources of ld_imm64 and call, and the ELF constants of BPF objects (EM_BPF, section types and
// flags, symbol kinds, relocation types). Opcode fields stay in isa/insn.ts.

/** BPF_MAP_TYPE_* (uapi/linux/bpf.h, enum bpf_map_type). */
export const MAP_TYPE = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  DEVMAP: 14,
  CPUMAP: 16,
  XSKMAP: 17,
  DEVMAP_HASH: 25,
  RINGBUF: 27,
} as const;
export type MapType = (typeof MAP_TYPE)[keyof typeof MAP_TYPE];

/** The map types whose value is one copy per CPU (a lookup from user space returns them all). */
export function isPerCpu(type: number): boolean {
  return type === MAP_TYPE.PERCPU_HASH || type === MAP_TYPE.PERCPU_ARRAY || type === MAP_TYPE.LRU_PERCPU_HASH;
}

/** The kernel's lower-case name of a map type ("percpu_array"), or undefined. */
export function mapTypeName(type: number): string | undefined {
  const e = Object.entries(MAP_TYPE).find(([, v]) => v === type);
  return e?.[0].toLowerCase();
}

/** The map types the kernel creates without BTF key/value types (their map_check_btf refuses
 * them; libbpf leaves them out too): redirect maps, prog arrays, perf event arrays. */
export function mapTakesBtf(type: number): boolean {
  const none: number[] = [
    MAP_TYPE.PROG_ARRAY,
    MAP_TYPE.PERF_EVENT_ARRAY,
    MAP_TYPE.DEVMAP,
    MAP_TYPE.DEVMAP_HASH,
    MAP_TYPE.CPUMAP,
    MAP_TYPE.XSKMAP,
  ];
  return !none.includes(type);
}

/** Values of the redirect maps (uapi/linux/bpf.h), 4-byte fields in order: struct bpf_devmap_val
 * { u32 ifindex; union { int fd; u32 id; } bpf_prog; }, struct bpf_cpumap_val { u32 qsize; … },
 * and an xskmap's AF_XDP socket fd. A program fd of 0 attaches no program to the entry. */
export const REDIRECT_MAP_VALUE: Record<number, { name: string; fields: string[] }> = {
  [MAP_TYPE.DEVMAP]: { name: "bpf_devmap_val", fields: ["ifindex", "bpf_prog_fd"] },
  [MAP_TYPE.DEVMAP_HASH]: { name: "bpf_devmap_val", fields: ["ifindex", "bpf_prog_fd"] },
  [MAP_TYPE.CPUMAP]: { name: "bpf_cpumap_val", fields: ["qsize", "bpf_prog_fd"] },
  [MAP_TYPE.XSKMAP]: { name: "xsk_fd", fields: ["fd"] },
};

/** bpf_redirect_map flags: the low two bits are the action on a failed lookup; devmaps also take
 * BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS. Other bits make the helper return XDP_ABORTED. */
export const REDIRECT_FLAG = { ACTION_MASK: 3, BROADCAST: 8, EXCLUDE_INGRESS: 16 } as const;

/** BPF_F_* map creation flags. */
export const MAP_FLAG = { NO_PREALLOC: 1, RDONLY_PROG: 0x80, MMAPABLE: 0x400 } as const;

/** BPF_ANY, BPF_NOEXIST, BPF_EXIST: map update flags. */
export const UPDATE = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

/** Helper ids (enum bpf_func_id) by their name without `bpf_`. */
export const HELPER = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  probe_read: 4,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  tail_call: 12,
  redirect: 23,
  csum_diff: 28,
  xdp_adjust_head: 44,
  redirect_map: 51,
  xdp_adjust_meta: 54,
  xdp_adjust_tail: 65,
  fib_lookup: 69,
  ktime_get_boot_ns: 125,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  ringbuf_query: 134,
  ktime_get_coarse_ns: 160,
  xdp_get_buff_len: 188,
} as const;

/** The name of helper `id` without `bpf_`, or undefined when it is not one of HELPER's. */
export function helperNameOf(id: number): string | undefined {
  return Object.entries(HELPER).find(([, v]) => v === id)?.[0];
}

/** bpf_fib_lookup (uapi/linux/bpf.h): its return codes (BPF_FIB_LKUP_RET_*), its flags
 * (BPF_FIB_LOOKUP_*), the address families it takes and the size of struct bpf_fib_lookup. */
export const FIB_RET = {
  SUCCESS: 0,
  BLACKHOLE: 1,
  UNREACHABLE: 2,
  PROHIBIT: 3,
  NOT_FWDED: 4,
  FWD_DISABLED: 5,
  UNSUPP_LWT: 6,
  NO_NEIGH: 7,
  FRAG_NEEDED: 8,
  NO_SRC_ADDR: 9,
} as const;
export const FIB_FLAG = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16, MARK: 32 } as const;
export const AF = { INET: 2, INET6: 10 } as const;
export const FIB_LOOKUP_SIZE = 64;

/** enum xdp_action: what an XDP program returns. */
export const XDP_ACTION = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;

/** BPF_PROG_TYPE_* and BPF_* attach types the loader uses. */
export const PROG_TYPE = { XDP: 6 } as const;
export const ATTACH_TYPE = { XDP: 37 } as const;
/** BPF_F_* program load flags: XDP_HAS_FRAGS lets an XDP program see multi-buffer packets
 * (libbpf sets it for section `xdp.frags`). */
export const PROG_FLAG = { XDP_HAS_FRAGS: 1 << 5 } as const;

/** The pseudo sources of ld_imm64 and call are the ISA's (RFC 9669 defines them; compiler/isa imports
 * nothing above it), given here with the rest of the vocabulary. */
export { CALL_KIND, PSEUDO } from "./isa/insn.js";

/** ELF constants of BPF objects: e_machine, section types and flags, symbol types and binding. */
export const EM_BPF = 247;
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
export const SHF = { WRITE: 1, ALLOC: 2, EXECINSTR: 4, MERGE: 0x10, STRINGS: 0x20, INFO_LINK: 0x40 } as const;
export const STT = { notype: 0, object: 1, func: 2, section: 3, file: 4 } as const;
export const STB = { local: 0, global: 1, weak: 2 } as const;
/** R_BPF_* relocation types: 64_64 for ld_imm64, 64_32 for calls (and .BTF.ext), ABS* for data. */
export const R_BPF = { NONE: 0, R64_64: 1, ABS64: 2, ABS32: 3, NODYLD32: 4, R64_32: 10 } as const;
