// What `run`, `test` and the demo share: resolve a program argument (.o or any ELF file, .ts, .s,
// or the built-in default) to object bytes, and turn loader failures into one-line CliErrors.
// (Map entries: map-entry.ts; packets: packets.ts.)
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "../cli/io.js";
import { BpfError } from "./sys/errors.js";
import { VerifierError } from "./verifier.js";
import { LoaderError } from "./object.js";
import { AttachError } from "./attach.js";
import type { BuiltinName } from "./builtin.js";

/** The package root (holds package.json and programs/), from src or dist. */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (d !== "/" && !existsSync(join(d, "package.json"))) d = dirname(d);
  return d;
}

/**
 * The default program's object: programs/<name>.ts when the DSL builds it, else programs/<name>.s,
 * else the built-in instruction version (loader/builtin.ts).
 */
export async function defaultProgramBytes(name: BuiltinName = "hello", note?: (n: string) => void): Promise<{ bytes: Uint8Array; source: string }> {
  const root = packageRoot();
  for (const ext of [".ts", ".s"]) {
    const p = join(root, "programs", name + ext);
    if (!existsSync(p)) continue;
    try {
      return { bytes: await programBytes(p), source: p };
    } catch (e) {
      note?.(`note: ${p} did not build (${(e as Error).message.split("\n")[0]}); trying the next fallback`);
    }
  }
  const { builtinObject } = await import("./builtin.js");
  return { bytes: builtinObject(name), source: `built-in ${name}` };
}

/** Read a .o, or build a .ts/.s in memory. */
export async function programBytes(file: string): Promise<Uint8Array> {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new CliError(`${file}: no such file`);
  }
  if (st.isDirectory()) throw new CliError(`${file}: is a directory`);
  const bytes = new Uint8Array(readFileSync(file));
  if (/\.(o|elf|bpf)$/.test(file) || Buffer.from(bytes.subarray(0, 4)).toString("latin1") === "\x7fELF") return bytes;
  if (!/\.(ts|mts|s|S|asm)$/.test(file))
    throw new CliError(`${file}: unknown program kind (expected .ts for the DSL, .s for assembly, or .o for an ELF object${/\.c$/.test(file) ? "; build C with clang -O2 -target bpf -c first" : ""})`);
  const text = Buffer.from(bytes).toString("utf8");
  const { buildOrThrow } = await import("../cli/commands/build.js");
  return buildOrThrow(text, file, { sectionStyle: "tsebpf", syntax: "llvm" });
}

/** Map loader failures (typed errors) to CliError; leaves others (internal errors) alone. */
export function asCliError(e: unknown, file?: string): unknown {
  if (e instanceof VerifierError || e instanceof BpfError || e instanceof AttachError || e instanceof LoaderError) return new CliError(e.message);
  const err = e as Error;
  if (err?.name === "ElfFormatError") return new CliError(`${file ?? "object"}: not a valid BPF object: ${err.message}`);
  return e;
}

export { blockAddress, blocklistMap, parseCidr, parseIpv4 } from "./map-entry.js";
