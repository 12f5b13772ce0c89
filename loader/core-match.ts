// CO-RE TYPE_MATCHES (bpf_core_type_matches), as libbpf's __bpf_core_types_match defines it: takes
// a local and a target BTF type and says whether the local type's shape is found in the target —
// names match modulo `___flavor`, integers by size and signedness, arrays by length, struct/union
// members by name (all local ones present), enums by enumerator names, pointers recursively (a
// struct behind a pointer also matches a forward declaration).
import { resolveType, BTF_INT_SIGNED, type BtfType, type ParsedBtf } from "../compiler/elf/btf.js";
import { CoreError, essentialName, nameOf, typeAt } from "./core-names.js";

/** An anonymous target matches only an anonymous local; others compare essential names. */
function namesMatch(local: string, targ: string): boolean {
  return targ ? essentialName(local) === essentialName(targ) : !local;
}

type Enum = Extract<BtfType, { kind: "enum" | "enum64" }>;
type Composite = Extract<BtfType, { kind: "struct" | "union" }>;

function enumsMatch(l: Enum, t: Enum): boolean {
  return (
    l.size === t.size &&
    l.values.length <= t.values.length &&
    l.values.every((v) => t.values.some((w) => namesMatch(v.name, w.name)))
  );
}

function compositesMatch(
  lb: ParsedBtf,
  l: Composite,
  tb: ParsedBtf,
  t: Composite,
  behindPtr: boolean,
  level: number,
): boolean {
  if (l.members.length > t.members.length) return false;
  return l.members.every((m) =>
    t.members.some((n) => namesMatch(m.name, n.name) && typesMatch(lb, m.type, tb, n.type, behindPtr, level - 1)),
  );
}

/** Whether local type `lid` matches target type `tid` (the root names were matched by the caller's candidate search). */
export function typesMatch(
  lb: ParsedBtf,
  lid: number,
  tb: ParsedBtf,
  tid: number,
  behindPtr = false,
  level = 32,
): boolean {
  if (level <= 0) throw new CoreError("types nest too deeply to match");
  for (let depth = 0; depth < 32; depth++) {
    const l = typeAt(lb, (lid = resolveType(lb, lid))),
      t = typeAt(tb, (tid = resolveType(tb, tid)));
    if (!namesMatch(nameOf(l), nameOf(t))) return false;
    switch (l.kind) {
      case "void":
        return t.kind === "void";
      case "fwd":
        if (t.kind === "fwd") return t.union === l.union;
        return behindPtr && t.kind === (l.union ? "union" : "struct");
      case "enum":
      case "enum64":
        return (t.kind === "enum" || t.kind === "enum64") && enumsMatch(l, t);
      case "struct":
      case "union":
        if (behindPtr) return l.kind === t.kind || (t.kind === "fwd" && t.union === (l.kind === "union"));
        return l.kind === t.kind && compositesMatch(lb, l, tb, t, behindPtr, level);
      case "int":
        return t.kind === "int" && l.size === t.size && (l.encoding & BTF_INT_SIGNED) === (t.encoding & BTF_INT_SIGNED);
      case "ptr":
        if (t.kind !== "ptr") return false;
        (behindPtr = true), (lid = l.type), (tid = t.type);
        continue;
      case "array":
        if (t.kind !== "array" || l.nelems !== t.nelems) return false;
        (lid = l.type), (tid = t.type);
        continue;
      case "func_proto":
        if (t.kind !== "func_proto" || l.params.length !== t.params.length) return false;
        if (!l.params.every((p, i) => typesMatch(lb, p.type, tb, t.params[i].type, behindPtr, level - 1))) return false;
        (lid = l.ret), (tid = t.ret);
        continue;
      default:
        return false;
    }
  }
  throw new CoreError("type nesting too deep");
}
