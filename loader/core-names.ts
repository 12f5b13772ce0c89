// What the CO-RE modules (core-spec.ts, core-match.ts) share about BTF types: takes a parsed BTF
// and a type id or name, produces the type, its name, and its name without a flavor suffix; and
// the error a relocation that cannot be computed throws.
import type { BtfType, ParsedBtf } from "../compiler/elf/btf.js";

/** A relocation that cannot be computed (malformed record, ambiguity, unreadable field). */
export class CoreError extends Error {}

export const nameOf = (t: BtfType | undefined): string => (t && "name" in t ? t.name : "");

/** The name without a `___flavor` suffix (X___Y where X and Y are not underscores), as libbpf. */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--)
    if (name[i] !== "_" && name.startsWith("___", i + 1) && name[i + 4] !== "_") return name.slice(0, i + 1);
  return name;
}

export function typeAt(btf: ParsedBtf, id: number): BtfType {
  const t = btf.types[id];
  if (!t) throw new CoreError(`BTF type id ${id} out of range`);
  return t;
}
