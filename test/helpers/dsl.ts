// Compiling DSL source in tests: text or programs/<name>.ts → object bytes, or a thrown Error
// carrying the compact diagnostics (and, for generated programs, the source); the checker's
// diagnostics of a small program.
import type { LoopMode } from "../../compiler/build-api.js";
import { expect } from "vitest";
import { readFileSync } from "node:fs";
import { compileToObject } from "../../compiler/dsl/index.js";
import { parseProgram } from "../../compiler/dsl/syntax/parser.js";
import { checkProgram } from "../../compiler/dsl/check/checker.js";
import { formatCompact } from "../../compiler/diagnostics.js";

export interface CompileOpts {
  sectionStyle?: "tsebpf" | "libbpf";
  /** Append the source to the error (for generated programs). */
  showSource?: boolean;
  /** BuildOptions.loops: "real" makes every loop that can be one a real loop. */
  loops?: LoopMode;
}

export function compileDsl(text: string, file: string, opts: CompileOpts = {}): Uint8Array {
  const r = compileToObject(text, file, { sectionStyle: opts.sectionStyle ?? "tsebpf", loops: opts.loops });
  if (r.object) return r.object;
  const msg = r.diagnostics.map(formatCompact).join("\n");
  throw new Error(opts.showSource ? msg + "\n" + text : msg);
}

/** Opens the generated test programs: eth/ip/udp views at fixed offsets; shorter packets pass. */
export const UDP_PROLOGUE = `  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Pass;
  const udp = ctx.header(UdpHdr, EthHdr.size + Ipv4Hdr.size);
  if (udp === null) return XdpAction.Pass;
`;

/** Compile programs/<name>.ts. */
export function buildProgram(name: string, sectionStyle: "tsebpf" | "libbpf" = "tsebpf"): Uint8Array {
  const file = `programs/${name}.ts`;
  return compileDsl(readFileSync(file, "utf8"), file, { sectionStyle });
}

/** An import line for small test programs (XDP types, the common headers, integers, info). */
export const XDP_HEAD = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, u8, u16, u32, u64, i8, i32, info } from "tsebpf";\n`;

/** The checker's diagnostics (`CODE message`) for XDP_HEAD + `src`, which must parse cleanly. */
export function checkDiags(src: string): string[] {
  const p = parseProgram(XDP_HEAD + src, "t.ts");
  expect(p.diagnostics.map(formatCompact)).toEqual([]);
  return checkProgram(p.ast).diagnostics.map((d) => `${d.code} ${d.message}`);
}
