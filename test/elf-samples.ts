// Hand-made BpfObjectInputs for the ELF tests (no compiler needed): r0 = 2; exit, and a firewall-like
// program with a hash-map lookup, a ring buffer output and a .text subprogram.
import { type Insn, insn } from "../compiler/isa/insn.js";
import { MAP_TYPE, type BpfObjectInput } from "../compiler/object.js";

const span = (line: number, col = 3) => ({ file: "hello.ts", line, col });
const I = insn;

export const HELLO_SRC = "export function xdp_hello(ctx: XdpContext): XdpAction {\n  return XdpAction.Pass;\n}\n";

export function helloInput(section = "xdp/xdp_hello"): BpfObjectInput {
  return {
    license: "GPL",
    programs: [
      {
        section,
        func: {
          name: "xdp_hello",
          insns: [I(0xb7, 0, 0, 0, 2, { span: span(2) }), I(0x95, 0, 0, 0, 0, { span: span(2) })],
        },
      },
    ],
    maps: [],
    sources: [{ name: "hello.ts", text: HELLO_SRC }],
  };
}

export const FW_SRC = [
  "export const BLOCKLIST = new HashMap<u32, u32>(1024);",
  "export function xdp_firewall(ctx: XdpContext): XdpAction {",
  "  const key = ctx.len;",
  "  if (BLOCKLIST.has(key)) return XdpAction.Drop;",
  "  info(`len ${key}`);",
  "  return classify(key);",
  "}",
  "function classify(n: u32) { return n < 64 ? XdpAction.Drop : XdpAction.Pass; }",
].join("\n");

/** r2 = ctx->data_end - ctx->data; key on the stack; lookup BLOCKLIST; ringbuf output; call classify. */
export function firewallInput(section = "xdp/xdp_firewall"): BpfObjectInput {
  const s = (line: number) => ({ span: { file: "fw.ts", line, col: 3 } });
  const prog: Insn[] = [
    I(0xbf, 6, 1, 0, 0, s(3)), // r6 = r1
    I(0x61, 2, 6, 0, 0, s(3)), // r2 = *(u32 *)(r6 + 0)
    I(0x61, 3, 6, 4, 0, s(3)), // r3 = *(u32 *)(r6 + 4)
    I(0x1f, 3, 2, 0, 0, s(3)), // r3 -= r2
    I(0x63, 10, 3, -4, 0, s(3)), // *(u32 *)(r10 - 4) = r3
    I(0xbf, 2, 10, 0, 0, s(4)), // r2 = r10
    I(0x07, 2, 0, 0, -4, s(4)), // r2 += -4
    I(0x18, 1, 0, 0, 0, { symbol: "BLOCKLIST", imm64: 0n, ...s(4) }), // r1 = BLOCKLIST ll
    I(0x85, 0, 0, 0, 1, s(4)), // call bpf_map_lookup_elem
    I(0x15, 0, 0, 0, 0, { target: "allowed", ...s(4) }), // if r0 == 0 goto allowed
    I(0xb7, 0, 0, 0, 1, s(4)), // r0 = XDP_DROP
    I(0x95, 0, 0, 0, 0, s(4)), // exit
    I(0xbf, 2, 10, 0, 0, s(5)), // allowed: r2 = r10
    I(0x07, 2, 0, 0, -4, s(5)), // r2 += -4
    I(0x18, 1, 0, 0, 0, { symbol: "EVENTS", imm64: 0n, ...s(5) }), // r1 = EVENTS ll
    I(0xb7, 3, 0, 0, 4, s(5)), // r3 = 4
    I(0xb7, 4, 0, 0, 0, s(5)), // r4 = 0
    I(0x85, 0, 0, 0, 130, s(5)), // call bpf_ringbuf_output
    I(0x61, 1, 10, -4, 0, s(6)), // r1 = *(u32 *)(r10 - 4)
    I(0x85, 0, 1, 0, 0, { symbol: "classify", ...s(6) }), // call classify
    I(0x95, 0, 0, 0, 0, s(7)), // exit
  ];
  const classify: Insn[] = [
    I(0xb7, 0, 0, 0, 1, s(8)), // r0 = 1
    I(0xa6, 1, 0, 1, 64, s(8)), // if w1 < 64 goto +1
    I(0xb7, 0, 0, 0, 2, s(8)), // r0 = 2
    I(0x95, 0, 0, 0, 0, s(8)), // exit
  ];
  return {
    license: "GPL",
    programs: [{ section, func: { name: "xdp_firewall", insns: prog, labels: new Map([["allowed", 12]]) } }],
    subprograms: [{ name: "classify", insns: classify }],
    maps: [
      {
        name: "BLOCKLIST",
        type: MAP_TYPE.HASH,
        keySize: 4,
        valueSize: 4,
        maxEntries: 1024,
        flags: 0,
        key: { kind: "int", size: 4, signed: false },
        value: { kind: "int", size: 4, signed: false },
      },
      { name: "EVENTS", type: MAP_TYPE.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 },
    ],
    sources: [{ name: "fw.ts", text: FW_SRC }],
    logFormats: [{ program: "xdp_firewall", level: 3, pieces: ["len ", ""], args: ["u64"] }],
  };
}
