// Binds a statement's tokens to a matched table template and builds the Insn. Takes the source
// tokens and a Form (same length, same shape); produces an Insn (with `target`/`symbol` for
// labels and relocations) or an error message with the offending token.
import type { Insn } from "../isa/insn.js";
import { CALL, LD_IMM64 } from "../isa/insn.js";
import { targetInImm } from "../isa/lookup.js";
import type { Form } from "./forms.js";
import type { Token } from "./lexer.js";

export interface BindError {
  message: string;
  token: Token;
}

const I32_MIN = -(2n ** 31n),
  I32_MAX = 2n ** 31n - 1n,
  U32_MAX = 2n ** 32n - 1n;
const I64_MIN = -(2n ** 63n),
  U64_MAX = 2n ** 64n - 1n;

export function bind(src: readonly Token[], form: Form): Insn | BindError {
  const e = form.entry;
  const insn: Insn = { code: e.code, dst: 0, src: e.src ?? 0, off: e.off ?? 0, imm: e.imm ?? 0 };
  let dstSet = false,
    asd = 0n,
    ass = 0n,
    cast = false;
  for (let k = 0; k < form.tokens.length; k++) {
    const t = form.tokens[k],
      s = src[k];
    if (t.kind === "reg") {
      if (s.reg !== t.reg) return { message: `invalid operand for instruction: expected ${t.text}`, token: s };
      continue;
    }
    if (t.kind !== "ph") continue;
    switch (t.text) {
      case "%rd":
      case "%wd":
        if (dstSet && insn.dst !== s.reg)
          return { message: "invalid operand for instruction: both registers must be the same", token: s };
        insn.dst = s.reg!;
        dstSet = true;
        break;
      case "%rs":
      case "%ws":
        insn.src = s.reg!;
        break;
      case "%imm": {
        const v = s.value!;
        if (v < I32_MIN || v > U32_MAX) return { message: "operand is not a 32-bit immediate", token: s };
        const n = Number(v); // in int32 range: the value itself (no BigInt.asIntN allocation)
        insn.imm = n <= 0x7fffffff ? n : Number(BigInt.asIntN(32, v));
        break;
      }
      case "%srcn":
        insn.src = Number(s.value! & 0xfn);
        break;
      case "%asd":
        asd = s.value!;
        cast = true;
        break;
      case "%ass":
        ass = s.value!;
        cast = true;
        break;
      case "%off": {
        const v = s.value!;
        if (v < -32768n || v > 32767n) return { message: "operand is not a 16-bit signed integer", token: s };
        insn.off = Number(v);
        break;
      }
      case "%tgt":
      case "%ltgt": {
        if (s.kind === "ident") {
          insn.target = s.text;
          break;
        }
        const v = s.value!;
        const inImm = targetInImm(e.code, insn.src);
        if (inImm ? v < I32_MIN || v > I32_MAX : v < -32768n || v > 32767n)
          // llvm-mc-19's words
          return { message: `operand is not an identifier or ${inImm ? "32" : "16"}-bit signed integer`, token: s };
        if (inImm) insn.imm = Number(v);
        else insn.off = Number(v);
        break;
      }
      case "%imm64": {
        if (s.kind === "ident") {
          insn.symbol = s.text;
          insn.imm64 = 0n;
          break;
        }
        const v = s.value!;
        if (v < I64_MIN || v > U64_MAX) return { message: "operand is not a 64-bit immediate", token: s };
        insn.imm64 = BigInt.asUintN(64, v);
        insn.imm = Number(BigInt.asIntN(32, v));
        break;
      }
      case "%sym":
        insn.symbol = s.text;
        insn.imm = -1;
        break;
      case "%pimm": {
        const v = s.value!;
        if (v < I32_MIN || v > U32_MAX) return { message: "operand is not a 32-bit immediate", token: s };
        insn.imm = Number(BigInt.asIntN(32, v));
        insn.imm64 = BigInt.asUintN(32, v);
        break;
      }
      case "%addend": {
        if (!s.signed) return { message: "expected '+' or '-' before the addend", token: s };
        if (insn.code === CALL) {
          // `call sym + 8`: the addend in instructions, minus one
          const imm = s.value! / 8n - 1n;
          if (imm < I32_MIN || imm > I32_MAX)
            return { message: "call addend out of range (32-bit signed, in instructions)", token: s };
          insn.imm = Number(imm);
          break;
        }
        if (insn.symbol === undefined) {
          // `5 + 3 ll`: constant arithmetic
          insn.imm64 = BigInt.asUintN(64, (insn.imm64 ?? 0n) + s.value!);
        } else insn.imm64 = BigInt.asUintN(64, s.value!);
        insn.imm = Number(BigInt.asIntN(32, insn.imm64));
        break;
      }
    }
  }
  if (cast) insn.imm = Number(BigInt.asIntN(32, ((asd & 0xffffn) << 16n) | (ass & 0xffffn)));
  if (insn.code === LD_IMM64 && insn.imm64 === undefined) insn.imm64 = 0n;
  return insn;
}
