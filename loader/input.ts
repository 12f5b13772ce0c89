// What `run`, `test` and the demo share: resolve a program argument (.o, .ts, .s, or the built-in
// default) to object bytes, parse map entries and addresses, and turn loader failures into
// one-line CliErrors.
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
  if (/\.(o|elf|bpf)$/.test(file)) return new Uint8Array(readFileSync(file));
  const text = readFileSync(file, "utf8");
  const { buildOrThrow } = await import("../cli/commands/build.js");
  return buildOrThrow(text, file, { sectionStyle: "tsebpf", syntax: /\.ubpf$/.test(file) ? "ubpf" : "llvm" });
}

/** Map loader failures (typed errors) to CliError; leaves others (internal errors) alone. */
export function asCliError(e: unknown, file?: string): unknown {
  if (e instanceof VerifierError || e instanceof BpfError || e instanceof AttachError || e instanceof LoaderError) return new CliError(e.message);
  const err = e as Error;
  if (err?.name === "ElfFormatError") return new CliError(`${file ?? "object"}: not a valid BPF object: ${err.message}`);
  return e;
}

export { blockAddress, blocklistMap, parseCidr, parseIpv4 } from "./map-entry.js";

/** Read a packet argument: a file (.pcap or raw bytes) or hex text. Returns one or more packets. */
export function readPackets(arg: string): Uint8Array[] {
  if (existsSync(arg) && statSync(arg).isFile()) {
    const bytes = new Uint8Array(readFileSync(arg));
    return /\.pcap$/i.test(arg) || isPcap(bytes) ? parsePcap(bytes, arg) : [bytes];
  }
  const hex = arg.replace(/^0x/i, "").replace(/[\s:,-]/g, "");
  if (!hex.length || !/^[0-9a-fA-F]+$/.test(hex) || hex.length % 2)
    throw new CliError(`--packet '${arg.length > 40 ? arg.slice(0, 40) + "…" : arg}': neither a file nor an even number of hex digits`);
  return [new Uint8Array(Buffer.from(hex, "hex"))];
}

function isPcap(b: Uint8Array): boolean {
  if (b.length < 24) return false;
  const m = Buffer.from(b.subarray(0, 4)).readUInt32LE(0);
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1;
}

export function parsePcap(bytes: Uint8Array, file: string): Uint8Array[] {
  const b = Buffer.from(bytes);
  if (!isPcap(bytes)) throw new CliError(`${file}: not a pcap file (bad magic at offset 0)`);
  const m = b.readUInt32LE(0);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const out: Uint8Array[] = [];
  for (let o = 24; o < b.length; ) {
    if (o + 16 > b.length) throw new CliError(`${file}: truncated packet header at offset ${o}`);
    const len = u32(o + 8);
    if (o + 16 + len > b.length) throw new CliError(`${file}: truncated packet data at offset ${o + 16}`);
    out.push(new Uint8Array(b.subarray(o + 16, o + 16 + len)));
    o += 16 + len;
  }
  if (!out.length) throw new CliError(`${file}: the pcap holds no packets`);
  return out;
}
