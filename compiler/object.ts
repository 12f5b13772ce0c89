// The in-memory BPF object: what the assembler and the DSL hand to the ELF writer
// (compiler/elf/write-object.ts), and what the ELF reader (compiler/elf/read-object.ts) gives the
// loader and objdump. Plain data, no behaviour.
import type { Insn } from "./isa/insn.js";

/** A C-like type, enough to describe map keys/values in BTF. */
export type TypeDesc =
  | { kind: "int"; name?: string; size: 1 | 2 | 4 | 8; signed: boolean; bool?: boolean }
  | { kind: "array"; elem: TypeDesc; len: number }
  | { kind: "struct"; name: string; size: number; members: { name: string; type: TypeDesc; offset: number }[] };

/** BPF_MAP_TYPE_* numbers (their home is compiler/abi.ts). */
export { MAP_TYPE } from "./abi.js";

export interface MapDef {
  name: string;
  type: number; // BPF_MAP_TYPE_*
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number; // MAP_FLAG.* of compiler/abi.ts, e.g. NO_PREALLOC for LPM tries
  key?: TypeDesc; // for BTF; absent for ring buffers
  value?: TypeDesc;
  /** Ring buffers: the type of each record (BTF, named by a RECORD_TAG decl tag on the map). */
  record?: TypeDesc;
}

/** A ring buffer's record type: BTF DECL_TAG `tsebpf.record:<type name>` on the map's VAR in
 * `.maps` (a ring buffer takes no value type: the kernel refuses a value_size; docs/ring-buffers.md). */
export const RECORD_TAG = "tsebpf.record:";

/** A parameter's type in a function's BTF prototype: a value, a pointer to one, or `struct xdp_md *`. */
export type ParamDesc = TypeDesc | { kind: "ptr"; to: TypeDesc } | { kind: "ctx" };

/** A function inside a program section or in .text: its name is an ELF FUNC symbol. */
export interface FuncDef {
  name: string;
  insns: Insn[]; // jumps may carry `target` labels; `labels` maps label → insn index
  labels?: Map<string, number>;
  global?: boolean; // STB_GLOBAL (programs) vs STB_LOCAL (static subprograms)
  /** The BTF FUNC_PROTO of a subprogram (default `int (void)`); `returns` undefined: void. */
  proto?: { params: { name: string; type: ParamDesc }[]; returns?: TypeDesc };
}

export interface ProgramDef {
  section: string; // "xdp/<name>" or "xdp"
  func: FuncDef; // the entry point; its name is the program name
}

export interface SourceFile {
  name: string; // as the user gave it, used in BTF line info
  text: string;
}

/** A global data section to write (.rodata, .data or .bss): its bytes and its variables. Programs
 * address it with an ld_imm64 naming the section (a relocation against its section symbol). */
export interface GlobalSectionDef {
  section: ".rodata" | ".data" | ".bss";
  init: Uint8Array; // the section's contents (zeros for .bss, which has no file bytes)
  vars: { name: string; offset: number; type: TypeDesc; constVolatile?: boolean }[];
}

export interface BpfObjectInput {
  license: string; // e.g. "GPL"
  programs: ProgramDef[];
  subprograms?: FuncDef[]; // go to .text, called with BPF-to-BPF calls (call <name>)
  maps: MapDef[];
  /** Global variables by section (written as ELF sections + BTF VAR/DATASEC, as clang writes them). */
  globals?: GlobalSectionDef[];
  /** Insn spans refer to these; when present, .BTF.ext carries func and line info. */
  sources?: SourceFile[];
  /** Log format table (see docs/log-format.md), written as section `.tsebpf.logfmt`. */
  logFormats?: LogFormat[];
}

/** One entry of the log format table; a record names its entry by index (format id). */
export interface LogFormat {
  program: string; // program name, the env_logger target
  level: number; // 1 error, 2 warn, 3 info, 4 debug, 5 trace
  pieces: string[]; // literal text around the arguments: pieces.length === args.length + 1
  args: LogArgKind[];
}

export type LogArgKind = "u64" | "i64" | "hex" | "ipv4" | "ipv6" | "mac" | "bool";

// ---- Read side: what compiler/elf/read-object.ts returns (for the loader, the VM and objdump). ----

/** A relocation inside a function's instruction stream, by instruction slot index (8-byte units). */
export interface ProgramReloc {
  slot: number; // index of the instruction (in 8-byte slots) within its function (or linked program)
  symbol: string;
  kind: "map" | "call" | "data" | "other";
  /** Global data (kind "data"): the section the symbol is in and the symbol's offset there
   * (st_value); the instruction's imm adds to it, as libbpf computes the value offset. */
  data?: { section: string; offset: number };
  /** An unlinked call (or ld_imm64 of a function): the function called — an index into
   * ObjectModel.functions, -1 for the calling program itself — and the slot it goes to there. */
  callee?: { func: number; slot: number };
}

export interface BtfExtRecords {
  /** bpf_func_info records for BPF_PROG_LOAD: insn_off (slots), type_id. */
  funcInfo: { insnOff: number; typeId: number }[];
  /** bpf_line_info records: insn_off (slots), file/line name offsets in the BTF string table, line and column. */
  lineInfo: { insnOff: number; fileNameOff: number; lineOff: number; line: number; col: number }[];
  /** bpf_core_relo records (CO-RE): insn_off (slots), local BTF type id, access string, kind. */
  coreRelo?: { insnOff: number; typeId: number; access: string; kind: number }[];
}

/** A function of the object: its instructions as they stand in the file, its relocations, and its
 * func/line info and CO-RE records (insn offsets from its own start). */
export interface ObjFunction {
  name: string; // the FUNC symbol (or the section's name when it has none)
  section: string;
  insns: Insn[];
  relocs: ProgramReloc[];
  btfExt?: BtfExtRecords;
}

/** A program: the entry function of an executable section (calls not linked yet). */
export type LoadedProgram = ObjFunction;
/** A program with the functions it calls appended and its calls pointing at them (relocateCalls). */
export type LinkedProgram = ObjFunction;

export interface LoadedMap extends MapDef {
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  /** Ring buffers: the BTF type of a record (from the RECORD_TAG decl tag), when the object says. */
  btfRecordTypeId?: number;
  /** Set for the one-entry array libbpf makes of a global data section (.rodata*, .data*, .bss*). */
  global?: GlobalData;
  /** A prog array's static initialisation (clang's `__array(values, …)` with `.rel.maps`): the
   * program at each index, filled when the object is loaded. */
  progInit?: { index: number; program: string }[];
}

/** A global data section as a map: its initial contents and its variables (from BTF). */
export interface GlobalData {
  section: string; // the ELF section, e.g. ".rodata" (the map's name is libbpf's: "<obj>.rodata")
  kind: "rodata" | "data" | "bss";
  init: Uint8Array; // valueSize bytes: the section's contents (zeros for .bss)
  vars: GlobalVar[]; // the DATASEC's variables by offset (none without BTF, e.g. .rodata.str1.1)
}

export interface GlobalVar {
  name: string;
  offset: number;
  size: number;
  /** Integer variables (int, enum, bool, through typedef/const/volatile): their signedness. */
  int?: { signed: boolean };
  /** `const volatile`: the load-time constants libbpf's skeleton sets before load. */
  constVolatile?: boolean;
}

export interface ObjectModel {
  license: string;
  programs: LoadedProgram[];
  /** The .text functions programs call (compiler/link/relocate.ts links them in). */
  functions?: ObjFunction[];
  maps: LoadedMap[];
  /** Raw .BTF section, loadable with BPF_BTF_LOAD (after fix-ups such as DATASEC sizes). */
  btf?: Uint8Array;
  logFormats?: LogFormat[];
}
