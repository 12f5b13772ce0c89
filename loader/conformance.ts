// bpf_conformance runner: takes the suite's *.data files (`-- asm` ubpf dialect, `-- mem`,
// `-- result`, `-- error`), assembles each program, wraps it as an XDP program that is given the
// memory as packet data, runs it with BPF_PROG_TEST_RUN and compares the full 64-bit r0.
//
// The wrapper (our version of the suite's Linux plugin): the packet is [8-byte result slot][mem];
// the entry checks that data + 8 + len <= data_end, calls the test program as a BPF-to-BPF
// subprogram with r1 = data + 8 and r2 = len, stores the returned r0 into the result slot and
// returns XDP_PASS; the runner reads the slot back from the output packet.
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ALU, CALL, CLASS, EXIT, JMP, MODE, SIZE, SRC, type Insn } from "../compiler/isa/insn.js";
import { decodeInsns } from "../compiler/isa/decode.js";
import { CALL_KIND, XDP_ACTION } from "../compiler/abi.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { loadModel } from "./object.js";
import { testRun } from "./test-run.js";
import { VerifierError } from "./verifier.js";

export interface ConformanceCase {
  name: string;
  asm: string;
  mem: Uint8Array;
  result?: bigint;
  error?: string;
}

export type Assembler = (text: string, file: string) => { insns: Insn[]; diagnostics: Diagnostic[] };
export type Encoder = (insns: Insn[]) => Uint8Array;

export type Outcome = { status: "pass" } | { status: "fail"; why: string } | { status: "skip"; why: string };

export function parseCase(text: string, name: string): ConformanceCase {
  const sections = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of text.split("\n")) {
    const m = /^--\s*(.+?)\s*$/.exec(line);
    if (m) {
      cur = [];
      sections.set(m[1], cur);
    } else if (cur) cur.push(line);
    else if (line.trim() && !line.startsWith("#")) throw new Error(`${name}: text before the first section`);
  }
  const asm = sections.get("asm")?.join("\n");
  if (asm === undefined) throw new Error(`${name}: no '-- asm' section`);
  const memHex = (sections.get("mem") ?? []).join(" ").replace(/#.*$/gm, "").replace(/\s+/g, "");
  const res = sections.get("result")?.join("").trim();
  const err = sections.get("error")?.join("\n").trim();
  return {
    name,
    asm,
    mem: new Uint8Array(Buffer.from(memHex, "hex")),
    result: res ? BigInt.asUintN(64, BigInt(res)) : undefined,
    error: err || undefined,
  };
}

// Entry-point wrapper: see the header comment.
function wrapper(memLen: number): Insn[] {
  const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({
    code,
    dst,
    src,
    off,
    imm,
  });
  const LDXW = CLASS.LDX | MODE.MEM | SIZE.W,
    MOV = CLASS.ALU64 | ALU.MOV | SRC.K,
    MOVX = CLASS.ALU64 | ALU.MOV | SRC.X,
    ADD = CLASS.ALU64 | ALU.ADD | SRC.K,
    JGTX = CLASS.JMP | JMP.JGT | SRC.X,
    STXDW = CLASS.STX | MODE.MEM | SIZE.DW;
  return [
    ins(LDXW, 6, 1, 0, 0), //  0: r6 = ctx->data
    ins(LDXW, 7, 1, 4, 0), //  1: r7 = ctx->data_end
    ins(MOVX, 1, 6, 0, 0), //  2: r1 = r6
    ins(ADD, 1, 0, 0, 8 + memLen), //  3: r1 += 8 + len
    ins(JGTX, 1, 7, 7, 0), //  4: if r1 > r7 goto 12
    ins(MOVX, 1, 6, 0, 0), //  5: r1 = r6
    ins(ADD, 1, 0, 0, 8), //  6: r1 += 8
    ins(MOV, 2, 0, 0, memLen), //  7: r2 = len
    ins(CALL, 0, CALL_KIND.LOCAL, 0, 5), //  8: call 14 (the test program)
    ins(STXDW, 6, 0, 0, 0), //  9: *(u64 *)(r6 + 0) = r0
    ins(MOV, 0, 0, 0, XDP_ACTION.PASS), // 10: r0 = XDP_PASS
    ins(EXIT, 0, 0, 0, 0), // 11: exit
    ins(MOV, 0, 0, 0, XDP_ACTION.ABORTED), // 12: r0 = XDP_ABORTED (packet too short: cannot happen)
    ins(EXIT, 0, 0, 0, 0), // 13: exit
  ];
}

/** Reasons the Linux verifier rejects a program by design (not a bug in us): → skipped. */
const BY_DESIGN: [RegExp, string][] = [
  [/back-edge|infinite loop|loop detected/i, "the verifier rejects unbounded loops"],
  [/unreachable insn/i, "the verifier rejects unreachable instructions"],
  [/!read_ok/, "the verifier rejects reads of uninitialised registers"],
  [/invalid func unknown#|unknown func|invalid func/i, "helper ids are ubpf's, not the kernel's"],
  [/BPF_CALLX|callx|unknown opcode 8d|invalid BPF_CALL/i, "callx is not supported by the kernel"],
  [
    /invalid access to packet|invalid mem access|outside of the packet|R\d+ offset is outside/i,
    "the verifier requires provably in-bounds memory access",
  ],
  [/invalid stack off|invalid read from stack|invalid indirect read/i, "the verifier rejects this stack access"],
  [/jump out of range|last insn is not an exit or jmp/i, "the verifier rejects this control flow"],
  [/invalid shift -?\d+/, "the verifier rejects constant shifts outside 0..width-1"],
  [/div by zero|division by zero/i, "the verifier rejects division by a known zero"],
  [/R10 is read only|frame pointer is read only/i, "the verifier keeps r10 read-only"],
  [/combined stack size|stack depth|too deep/i, "the verifier limits stack depth"],
  [
    /math between .* pointer|pointer arithmetic|arithmetic on ptr|pointer .* prohibited|R\d+ pointer/i,
    "the verifier restricts pointer arithmetic",
  ],
  [
    /invalid size of register|invalid argument|sign extension|BPF_END|unknown insn|invalid BPF_LD_IMM|unknown opcode/i,
    "this kernel does not accept the instruction form",
  ],
];

export function runCase(c: ConformanceCase, assemble: Assembler, encode: Encoder): Outcome {
  const { insns, diagnostics } = assemble(c.asm, c.name);
  const errs = diagnostics.filter((d) => d.severity === "error");
  if (errs.length) {
    if (c.error) return { status: "pass" };
    return {
      status: "fail",
      why: `assembler: ${errs[0].message}${errs[0].span ? ` (line ${errs[0].span.line})` : ""}`,
    };
  }
  let code: Uint8Array;
  try {
    code = encode(insns);
  } catch (e) {
    return c.error ? { status: "pass" } : { status: "fail", why: `encoder: ${(e as Error).message}` };
  }
  const prog = [...wrapper(c.mem.length), ...decodeInsns(code)];
  let obj;
  try {
    obj = loadModel({
      license: "GPL",
      programs: [{ name: "conformance", section: "xdp", insns: prog, relocs: [] }],
      maps: [],
    });
  } catch (e) {
    if (c.error) return { status: "pass" };
    const msg =
      e instanceof VerifierError
        ? e.message.split("\n")[0].replace(/^verifier rejected program 'conformance': /, "")
        : (e as Error).message;
    const design =
      e instanceof VerifierError
        ? BY_DESIGN.find(([re]) => re.test(e.log.split("\n").slice(-6).join("\n")))
        : undefined;
    return design
      ? { status: "skip", why: `${design[1]} (${msg})` }
      : { status: "fail", why: `kernel rejected it: ${msg}` };
  }
  try {
    const packet = new Uint8Array(Math.max(8 + c.mem.length, 64));
    packet.set(c.mem, 8);
    const r = testRun(obj.program().fd, packet);
    if (r.retval !== 2) return { status: "fail", why: `wrapper returned ${r.retval}, not XDP_PASS` };
    const got = Buffer.from(r.dataOut).readBigUInt64LE(0);
    if (c.error)
      return { status: "fail", why: `expected error '${c.error}', but it ran and returned 0x${got.toString(16)}` };
    if (c.result === undefined) return { status: "fail", why: "no '-- result' section" };
    return got === c.result
      ? { status: "pass" }
      : { status: "fail", why: `r0 = 0x${got.toString(16)}, expected 0x${c.result.toString(16)}` };
  } finally {
    obj.close();
  }
}

export interface ConformanceReport {
  results: { name: string; outcome: Outcome }[];
  passed: number;
  failed: number;
  skipped: number;
}

/** Runs every `*.data` test in `dir` (matching `filter`); a folder without any is an error, not "0 passed". */
/** Run the suite; `run` is the kernel runner or the VM's (loader/vm/conformance.ts). */
export function runConformance(
  dir: string,
  assemble: Assembler,
  encode: Encoder,
  filter?: RegExp,
  run: typeof runCase = runCase,
): ConformanceReport {
  const files = testFiles(dir).filter((f) => !filter || filter.test(f));
  if (!files.length) throw new Error(`${dir}: no test matches --filter ${filter}`);
  const results = files.map((f) => {
    const name = basename(f, ".data");
    let outcome: Outcome;
    try {
      outcome = run(parseCase(readFileSync(join(dir, f), "utf8"), name), assemble, encode);
    } catch (e) {
      outcome = { status: "fail", why: (e as Error).message };
    }
    return { name, outcome };
  });
  const count = (s: Outcome["status"]) => results.filter((r) => r.outcome.status === s).length;
  return { results, passed: count("pass"), failed: count("fail"), skipped: count("skip") };
}

function testFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `${dir}: ${code === "ENOENT" ? "no such directory" : code === "ENOTDIR" ? "not a directory" : (e as Error).message}`,
    );
  }
  const files = names.filter((f) => f.endsWith(".data")).sort();
  if (!files.length) throw new Error(`${dir}: no bpf_conformance test files (*.data) in this folder`);
  return files;
}

/** The printed report: one line per failing test, skips grouped by reason, then the totals. */
export function formatReport(r: ConformanceReport, verbose = false): string {
  const lines: string[] = [];
  for (const { name, outcome } of r.results) if (outcome.status === "fail") lines.push(`FAIL ${name}: ${outcome.why}`);
  const byReason = new Map<string, string[]>();
  for (const { name, outcome } of r.results) {
    if (outcome.status !== "skip") continue;
    const reason = verbose ? outcome.why : outcome.why.replace(/ \(.*\)$/, "");
    byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  }
  for (const [reason, names] of byReason) lines.push(`skip ${names.length}: ${reason}: ${names.join(", ")}`);
  lines.push(`${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
  return lines.join("\n") + "\n";
}
