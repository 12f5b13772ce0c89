// Built-in programs, written as instructions: the fallbacks `tsebpf run` and the demo use when
// programs/hello.ts/.s or programs/firewall.ts are missing or do not build yet. Takes a name,
// produces an ELF object through the shared object writer (same log record format as the DSL).
import {
  ALU,
  CALL,
  CLASS,
  EXIT as EXIT_CODE,
  LD_IMM64,
  MODE,
  SIZE,
  SRC,
  type Insn,
  insn,
} from "../compiler/isa/insn.js";
import { HELPER, MAP_TYPE, PSEUDO } from "../compiler/abi.js";
import type { BpfObjectInput, FuncDef, MapDef } from "../compiler/object.js";
import { writeBpfObject } from "../compiler/elf/write-object.js";
import { LOG_MAP, LOG_RINGBUF_SIZE, logHeader } from "../compiler/log-record.js";

const I = insn;
const lddw = (dst: number, v: bigint): Insn => I(LD_IMM64, dst, 0, 0, 0, { imm64: v });
const ldMap = (dst: number, name: string): Insn => I(LD_IMM64, dst, PSEUDO.MAP_FD, 0, 0, { imm64: 0n, symbol: name });
const EXIT = I(EXIT_CODE, 0, 0, 0, 0);
const mov = (d: number, v: number) => I(CLASS.ALU64 | ALU.MOV | SRC.K, d, 0, 0, v);
const movReg = (d: number, s: number) => I(CLASS.ALU64 | ALU.MOV | SRC.X, d, s, 0, 0);
const add = (d: number, v: number) => I(CLASS.ALU64 | ALU.ADD | SRC.K, d, 0, 0, v);
const stxdw = (d: number, off: number, s: number) => I(CLASS.STX | MODE.MEM | SIZE.DW, d, s, off, 0);
const call = (id: number) => I(CALL, 0, 0, 0, id);

const u32 = { kind: "int", name: "u32", size: 4, signed: false } as const;
const LOGS: MapDef = {
  name: LOG_MAP,
  type: MAP_TYPE.RINGBUF,
  keySize: 0,
  valueSize: 0,
  maxEntries: LOG_RINGBUF_SIZE,
  flags: 0,
};
const BLOCKLIST: MapDef = {
  name: "BLOCKLIST",
  type: MAP_TYPE.HASH,
  keySize: 4,
  valueSize: 4,
  maxEntries: 1024,
  flags: 0,
  key: u32,
  value: u32,
};

/** Emit a ring-buffer record from a stack buffer at r10-`at` of `size` bytes (clobbers r1-r5, r0). */
function emit(at: number, size: number): Insn[] {
  return [ldMap(1, LOGS.name), movReg(2, 10), add(2, -at), mov(3, size), mov(4, 0), call(HELPER.ringbuf_output)];
}

function func(name: string, insns: Insn[], labels: Record<string, number> = {}): FuncDef {
  return { name, insns, labels: new Map(Object.entries(labels)), global: true };
}

function hello(): BpfObjectInput {
  const insns = [lddw(1, logHeader(0, 3, 0)), stxdw(10, -8, 1), ...emit(8, 8), mov(0, 2), EXIT];
  return {
    license: "GPL",
    programs: [{ section: "xdp/xdp_hello", func: func("xdp_hello", insns) }],
    maps: [LOGS],
    logFormats: [{ program: "xdp_hello", level: 3, pieces: ["received a packet"], args: [] }],
  };
}

function firewall(): BpfObjectInput {
  const insns: Insn[] = [
    movReg(6, 1),
    I(0x61, 2, 6, 4, 0), // r2 = ctx->data_end
    I(0x61, 1, 6, 0, 0), // r1 = ctx->data
    movReg(3, 1),
    add(3, 34),
    I(0x2d, 3, 2, 0, 0, { target: "pass" }), // if r3 > r2 goto pass (Ethernet + IPv4 header)
    I(0x69, 4, 1, 12, 0), // r4 = eth->h_proto (network order)
    I(0x55, 4, 0, 0, 0x0008, { target: "pass" }), // if r4 != htons(ETH_P_IP) goto pass
    I(0x61, 7, 1, 26, 0), // r7 = ip->saddr
    I(0xdc, 7, 0, 0, 32), // r7 = be32(r7): host order
    I(0x63, 10, 7, -4, 0), // *(u32 *)(r10 - 4) = r7
    ldMap(1, BLOCKLIST.name),
    movReg(2, 10),
    add(2, -4),
    call(1), // bpf_map_lookup_elem
    mov(8, 2),
    I(0x15, 0, 0, 0, 0, { target: "log" }), // if r0 == 0 goto log
    mov(8, 1),
    lddw(1, logHeader(0, 3, 2)), // log: SRC: <ip>, ACTION: <n>
    stxdw(10, -32, 1),
    stxdw(10, -24, 7),
    stxdw(10, -16, 8),
    ...emit(32, 24),
    movReg(0, 8),
    EXIT,
    mov(0, 2),
    EXIT, // pass
  ];
  const labels = { log: insns.findIndex((i) => i.imm64 === logHeader(0, 3, 2)), pass: insns.length - 2 };
  return {
    license: "GPL",
    programs: [{ section: "xdp/xdp_firewall", func: func("xdp_firewall", insns, labels) }],
    maps: [BLOCKLIST, LOGS],
    logFormats: [{ program: "xdp_firewall", level: 3, pieces: ["SRC: ", ", ACTION: ", ""], args: ["ipv4", "u64"] }],
  };
}

export const BUILTIN = { hello, firewall } as const;
export type BuiltinName = keyof typeof BUILTIN;

export function builtinObject(name: BuiltinName): Uint8Array {
  return writeBpfObject(BUILTIN[name]());
}
