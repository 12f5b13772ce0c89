// `--set NAME=VALUE` text (run and test): takes what the user typed and produces the values the
// loader writes into global variables (loader/globals.ts checks names, sizes and ranges): numbers
// (decimal or 0x…, optionally negative), IPv4 addresses (their host-order u32), true/false, or
// hex:<bytes> for a variable that is not an integer.
import type { GlobalValue } from "../loader/globals.js";
import { CliError } from "./errors.js";
import { parseInteger } from "./map-args.js";

export function parseSets(items: readonly string[]): Record<string, GlobalValue> {
  const out: Record<string, GlobalValue> = {};
  for (const item of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(item.trim());
    if (!m) throw new CliError(`--set '${item}': expected NAME=VALUE (e.g. --set MAX_PPS=1000)`);
    const [, name, text] = m;
    if (name in out) throw new CliError(`--set ${name}: given twice`);
    out[name] = parseValue(name, text.trim());
  }
  return out;
}

function parseValue(name: string, t: string): GlobalValue {
  if (t === "true" || t === "false") return t === "true";
  if (t.startsWith("hex:")) {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(t.slice(4)))
      throw new CliError(`--set ${name}=${t}: hex: needs pairs of hex digits (0-9, a-f)`);
    return Uint8Array.from(Buffer.from(t.slice(4), "hex"));
  }
  const v = parseInteger(t);
  if (v === undefined)
    throw new CliError(`--set ${name}=${t}: expected a number, an IPv4 address, true/false or hex:<bytes>`);
  return v;
}
