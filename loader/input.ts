// What `run`, `test`, the demo and load() share: resolve a program (.o or any ELF file, .ts, .s,
// or the built-in default) to object bytes. A missing file is node's file-system error with its
// path; an unknown kind is a LoaderError; a source that does not build is a DiagnosticError.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LoaderError } from "./errors.js";
import { readUserFile } from "./files.js";
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
export async function defaultProgramBytes(
  name: BuiltinName = "hello",
  note?: (n: string) => void,
): Promise<{ bytes: Uint8Array; source: string }> {
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
  const bytes = new Uint8Array(readUserFile(file));
  if (/\.(o|elf|bpf)$/.test(file) || Buffer.from(bytes.subarray(0, 4)).toString("latin1") === "\x7fELF") return bytes;
  const { buildOrThrow, sourceKind } = await import("../compiler/build.js");
  if (!sourceKind(file))
    throw new LoaderError(
      "unknown-kind",
      file,
      `unknown program kind (expected .ts for the DSL, .s for assembly, or .o for an ELF object${/\.c$/.test(file) ? "; build C with clang -O2 -target bpf -c first" : ""})`,
    );
  return buildOrThrow(Buffer.from(bytes).toString("utf8"), file, { sectionStyle: "tsebpf", syntax: "llvm" });
}
