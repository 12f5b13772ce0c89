// CO-RE relocation arithmetic, as libbpf's relo_core.c defines it: takes one bpf_core_relo record,
// the object's own (local) BTF, a target BTF (the kernel's) and the candidate target types, and
// produces the original and relocated values — access-string parsing, field matching through
// structs/unions/arrays (anonymous members searched), compatibility rules (type_matches in
// core-match.ts), and the per-kind value.
import {
  memberBits,
  resolveType,
  typeSize,
  BTF_INT_SIGNED,
  type BtfType,
  type ParsedBtf,
} from "../compiler/elf/btf.js";
import { typesMatch } from "./core-match.js";
import { CoreError, essentialName, nameOf, typeAt } from "./core-names.js";

/** enum bpf_core_relo_kind, by number. */
export const CORE_KIND_NAMES = [
  "byte_off",
  "byte_sz",
  "field_exists",
  "signed",
  "lshift_u64",
  "rshift_u64",
  "local_type_id",
  "target_type_id",
  "type_exists",
  "type_size",
  "enumval_exists",
  "enumval_value",
  "type_matches",
] as const;
const K = {
  byteOff: 0,
  byteSz: 1,
  fieldExists: 2,
  signed: 3,
  lshift: 4,
  rshift: 5,
  localId: 6,
  targetId: 7,
  typeExists: 8,
  typeSize: 9,
  enumExists: 10,
  enumValue: 11,
  typeMatches: 12,
};

export interface CoreRelo {
  typeId: number; // local BTF type id of the root type
  access: string; // "0:1:2"
  kind: number;
}

interface Accessor {
  typeId: number; // the struct/union holding the member, or the array element type
  idx: number;
  name?: string; // named member (or enumerator)
}
export interface CoreSpec {
  btf: ParsedBtf;
  rootId: number;
  acc: Accessor[]; // high-level: named members and array indices
  raw: number[]; // low-level: every index, anonymous members included
  bitOffset: number;
}

/** The result libbpf calls bpf_core_relo_res: values as u64. */
export interface CoreResult {
  poison: boolean; // the field/enumerator is missing: the instruction must never run
  orig: bigint; // what the compiler put in (checked against the instruction when `validate`)
  value: bigint;
  validate: boolean;
  origSz: number; // memory access size before/after, for loads and stores of a field
  newSz: number;
  failMemsz: boolean; // the access size would change in a way that changes the value read
}

const MAX_SPEC = 64; // BPF_CORE_SPEC_MAX_LEN
const isField = (k: number) => k <= K.rshift;
const isTypeBased = (k: number) => (k >= K.localId && k <= K.typeSize) || k === K.typeMatches;
const isEnumval = (k: number) => k === K.enumExists || k === K.enumValue;
const isComposite = (t: BtfType) => t.kind === "struct" || t.kind === "union";
const isAnyEnum = (t: BtfType) => t.kind === "enum" || t.kind === "enum64";
const u64 = (v: number | bigint) => BigInt.asUintN(64, BigInt(v));

/** Same BTF kind, or both enums (enum and enum64 mix). */
export function kindCompat(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

/** Parses the access string against the local BTF (libbpf bpf_core_parse_spec). */
export function parseSpec(btf: ParsedBtf, relo: CoreRelo): CoreSpec {
  const bad = (why: string) => new CoreError(`bad access string '${relo.access}' for type [${relo.typeId}]: ${why}`);
  typeAt(btf, relo.typeId);
  const spec: CoreSpec = { btf, rootId: relo.typeId, acc: [], raw: [], bitOffset: 0 };
  if (isTypeBased(relo.kind)) {
    if (relo.access !== "0") throw bad("a type relocation takes '0'");
    return spec;
  }
  if (!/^\d{1,9}(:\d{1,9})*$/.test(relo.access)) throw bad("not a list of indices");
  spec.raw = relo.access.split(":").map(Number);
  if (spec.raw.length > MAX_SPEC) throw bad("too deep");
  let id = resolveType(btf, relo.typeId);
  let t = typeAt(btf, id);
  spec.acc.push({ typeId: id, idx: spec.raw[0] });
  if (isEnumval(relo.kind)) {
    if ((t.kind !== "enum" && t.kind !== "enum64") || spec.raw.length > 1 || spec.raw[0] >= t.values.length)
      throw bad("not an enumerator");
    spec.acc[0].name = t.values[spec.raw[0]].name;
    return spec;
  }
  spec.bitOffset = spec.raw[0] * typeSize(btf, id) * 8;
  for (const idx of spec.raw.slice(1)) {
    id = resolveType(btf, id);
    t = typeAt(btf, id);
    if (t.kind === "struct" || t.kind === "union") {
      const m = t.members[idx];
      if (!m) throw bad(`member ${idx} of a ${t.members.length}-member ${t.kind}`);
      spec.bitOffset += memberBits(m, t.kflag).offset;
      if (m.name) spec.acc.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === "array") {
      const flex = isFlexArray(btf, spec.acc[spec.acc.length - 1], t.nelems);
      id = resolveType(btf, t.type);
      if (!flex && idx >= t.nelems) throw bad(`index ${idx} of a ${t.nelems}-element array`);
      spec.acc.push({ typeId: id, idx });
      spec.bitOffset += idx * typeSize(btf, id) * 8;
    } else throw bad(`index ${idx} applied to a ${t.kind}`);
  }
  return spec;
}

/** A zero-length array that is the last member of its struct. */
function isFlexArray(btf: ParsedBtf, holder: Accessor | undefined, nelems: number): boolean {
  if (!holder?.name || nelems > 0) return false;
  const t = btf.types[holder.typeId];
  return !!t && isComposite(t) && "members" in t && holder.idx === t.members.length - 1;
}

/** Field type compatibility (libbpf bpf_core_fields_are_compat). */
function fieldsCompat(lb: ParsedBtf, lid: number, tb: ParsedBtf, tid: number): boolean {
  for (let depth = 0; depth < 32; depth++) {
    const l = typeAt(lb, (lid = resolveType(lb, lid))),
      t = typeAt(tb, (tid = resolveType(tb, tid)));
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindCompat(l, t)) return false;
    if (l.kind === "ptr" || l.kind === "float") return true;
    if (l.kind === "int" && t.kind === "int") return l.bitOffset === 0 && t.bitOffset === 0;
    if (l.kind === "fwd" || isAnyEnum(l)) {
      const a = essentialName(nameOf(l)),
        b = essentialName(nameOf(t));
      return !a || !b || a === b;
    }
    if (l.kind !== "array" || t.kind !== "array") return false;
    (lid = l.type), (tid = t.type);
  }
  throw new CoreError("type nesting too deep");
}

/** Type compatibility for type-based relocations (libbpf __bpf_core_types_are_compat). */
export function typesCompat(lb: ParsedBtf, lid: number, tb: ParsedBtf, tid: number, level = 32): boolean {
  if (!kindCompat(typeAt(lb, lid), typeAt(tb, tid))) return false;
  for (let depth = 0; depth < 32; depth++) {
    const l = typeAt(lb, (lid = resolveType(lb, lid))),
      t = typeAt(tb, (tid = resolveType(tb, tid)));
    if (!kindCompat(l, t)) return false;
    switch (l.kind) {
      case "void":
      case "struct":
      case "union":
      case "enum":
      case "enum64":
      case "fwd":
        return true;
      case "int":
        return t.kind === "int" && l.bitOffset === 0 && t.bitOffset === 0;
      case "ptr":
      case "array":
        (lid = l.type), (tid = (t as { type: number }).type);
        continue;
      case "func_proto": {
        if (t.kind !== "func_proto" || l.params.length !== t.params.length) return false;
        if (level <= 0 && l.params.length) throw new CoreError("function types nest too deeply");
        if (
          !l.params.every((p, i) =>
            typesCompat(lb, resolveType(lb, p.type), tb, resolveType(tb, t.params[i].type), level - 1),
          )
        )
          return false;
        (lid = l.ret), (tid = t.ret);
        continue;
      }
      default:
        return false;
    }
  }
  throw new CoreError("type nesting too deep");
}

/** Finds the local named member `la` in target type `targId`, searching anonymous members; returns the member's type id. */
function matchMember(lb: ParsedBtf, la: Accessor, tb: ParsedBtf, targId: number, spec: CoreSpec): number | undefined {
  const id = resolveType(tb, targId),
    t = typeAt(tb, id);
  if (t.kind !== "struct" && t.kind !== "union") return undefined;
  const lt = typeAt(lb, la.typeId) as Extract<BtfType, { kind: "struct" | "union" }>;
  const lm = lt.members[la.idx];
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i],
      off = memberBits(m, t.kflag).offset;
    if (spec.raw.length >= MAX_SPEC) throw new CoreError("access path too deep");
    spec.bitOffset += off;
    spec.raw.push(i);
    if (!m.name) {
      const found = matchMember(lb, la, tb, m.type, spec);
      if (found !== undefined) return found;
    } else if (m.name === lm.name) {
      if (fieldsCompat(lb, lm.type, tb, m.type)) {
        spec.acc.push({ typeId: id, idx: i, name: m.name });
        return m.type;
      }
    }
    spec.bitOffset -= off;
    spec.raw.pop();
  }
  return undefined;
}

/** Matches the local spec against one candidate target type (libbpf bpf_core_spec_match). */
export function matchSpec(local: CoreSpec, kind: number, tb: ParsedBtf, targId: number): CoreSpec | undefined {
  const spec: CoreSpec = { btf: tb, rootId: targId, acc: [], raw: [], bitOffset: 0 };
  if (isTypeBased(kind))
    return (kind === K.typeMatches ? typesMatch : typesCompat)(local.btf, local.rootId, tb, targId) ? spec : undefined;
  if (isEnumval(kind)) return matchEnumerator(local, spec, targId);
  let id = targId;
  for (let i = 0; i < local.acc.length; i++) {
    const la = local.acc[i];
    id = resolveType(tb, id);
    if (la.name) {
      const next = matchMember(local.btf, la, tb, id, spec);
      if (next === undefined) return undefined;
      id = next;
      continue;
    }
    if (i > 0) {
      const t = typeAt(tb, id);
      if (t.kind !== "array") return undefined;
      if (!isFlexArray(tb, spec.acc[spec.acc.length - 1], t.nelems) && la.idx >= t.nelems) return undefined;
      id = resolveType(tb, t.type);
    }
    if (spec.raw.length >= MAX_SPEC) throw new CoreError("access path too deep");
    spec.acc.push({ typeId: id, idx: la.idx });
    spec.raw.push(la.idx);
    spec.bitOffset += la.idx * typeSize(tb, id) * 8;
  }
  return spec;
}

function matchEnumerator(local: CoreSpec, spec: CoreSpec, targId: number): CoreSpec | undefined {
  const id = resolveType(spec.btf, targId),
    t = typeAt(spec.btf, id);
  if (t.kind !== "enum" && t.kind !== "enum64") return undefined;
  const want = essentialName(local.acc[0].name ?? "");
  const i = t.values.findIndex((v) => essentialName(v.name) === want);
  if (i < 0) return undefined;
  spec.acc.push({ typeId: id, idx: i, name: t.values[i].name });
  spec.raw.push(i);
  return spec;
}

interface FieldValue {
  value: bigint;
  sz: number; // access size of the field for BYTE_OFFSET (0 for bitfields)
  typeId: number;
  validate: boolean;
}

/** A field relocation's value for one spec (libbpf bpf_core_calc_field_relo); undefined spec = not found. */
function fieldValue(kind: number, spec: CoreSpec | undefined): FieldValue | "poison" {
  if (kind === K.fieldExists) return { value: spec ? 1n : 0n, sz: 0, typeId: 0, validate: true };
  if (!spec) return "poison";
  const btf = spec.btf,
    acc = spec.acc[spec.acc.length - 1];
  if (!acc.name) {
    const sz = typeSize(btf, acc.typeId);
    if (kind === K.byteOff) return { value: BigInt(spec.bitOffset >>> 3), sz, typeId: acc.typeId, validate: true };
    if (kind === K.byteSz) return { value: BigInt(sz), sz: 0, typeId: 0, validate: true };
    throw new CoreError(`a ${CORE_KIND_NAMES[kind]} relocation cannot apply to an array element`);
  }
  const t = typeAt(btf, acc.typeId) as Extract<BtfType, { kind: "struct" | "union" }>;
  const m = t.members[acc.idx];
  const fid = resolveType(btf, m.type),
    mt = typeAt(btf, fid);
  const bitOff = spec.bitOffset;
  let bitSz = memberBits(m, t.kflag).bits,
    byteSz: number,
    byteOff: number;
  const bitfield = bitSz > 0;
  if (bitfield) {
    byteSz = "size" in mt ? mt.size : 0;
    if (![1, 2, 4, 8].includes(byteSz))
      throw new CoreError(`bitfield ${m.name} has a ${mt.kind} type of ${byteSz} bytes`);
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreError(`bitfield ${m.name} cannot be read with one 64-bit load`);
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = typeSize(btf, fid);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  const field = (value: number, validate = !bitfield): FieldValue => ({
    value: u64(value),
    sz: 0,
    typeId: 0,
    validate,
  });
  switch (kind) {
    case K.byteOff:
      return { ...field(byteOff), sz: bitfield ? 0 : byteSz, typeId: bitfield ? 0 : fid };
    case K.byteSz:
      return field(byteSz);
    case K.signed:
      return field(
        Number(
          (isAnyEnum(mt) && "signed" in mt && !!mt.signed) ||
            (mt.kind === "int" && (mt.encoding & BTF_INT_SIGNED) !== 0),
        ),
        true,
      );
    case K.lshift:
      return field(64 - (bitOff + bitSz - byteOff * 8));
    default:
      return field(64 - bitSz, true); // rshift_u64
  }
}

/** Type- and enumerator-based values (libbpf bpf_core_calc_type_relo / calc_enumval_relo). */
function otherValue(kind: number, spec: CoreSpec | undefined): bigint | "poison" {
  if (kind === K.enumExists) return spec ? 1n : 0n;
  if (kind === K.enumValue) {
    if (!spec) return "poison";
    const t = typeAt(spec.btf, spec.acc[0].typeId) as Extract<BtfType, { kind: "enum" | "enum64" }>;
    return u64(t.values[spec.acc[0].idx].value);
  }
  if (!spec) return 0n;
  if (kind === K.targetId) return BigInt(spec.rootId);
  if (kind === K.typeSize) return BigInt(typeSize(spec.btf, spec.rootId));
  return 1n; // type_exists, type_matches
}

/** Original and relocated values for one matched (or unmatched) candidate (libbpf bpf_core_calc_relo). */
function calcRelo(kind: number, local: CoreSpec, targ: CoreSpec | undefined): CoreResult {
  const res: CoreResult = { poison: false, orig: 0n, value: 0n, validate: true, origSz: 0, newSz: 0, failMemsz: false };
  if (!isField(kind)) {
    const orig = otherValue(kind, local),
      value = otherValue(kind, targ);
    if (value === "poison" || orig === "poison") return { ...res, poison: true };
    return { ...res, orig, value, validate: kind !== K.targetId };
  }
  const o = fieldValue(kind, local),
    n = fieldValue(kind, targ);
  if (o === "poison" || n === "poison") return { ...res, poison: true };
  const out = { ...res, orig: o.value, value: n.value, validate: o.validate, origSz: o.sz, newSz: n.sz };
  if (o.sz !== n.sz) out.failMemsz = !sameWidening(typeAt(local.btf, o.typeId), typeAt(targ!.btf, n.typeId));
  return out;
}

/** A load may change size only for pointers and unsigned integers (zero-extension keeps the value). */
function sameWidening(a: BtfType, b: BtfType): boolean {
  if (a.kind === "ptr" && b.kind === "ptr") return true;
  return a.kind === "int" && b.kind === "int" && a.encoding !== BTF_INT_SIGNED && b.encoding !== BTF_INT_SIGNED;
}

/**
 * Computes one relocation against `target`, given its candidate type ids there (same essential
 * name, compatible kind). Several matching candidates must agree, as libbpf requires.
 */
export function computeRelo(relo: CoreRelo, local: ParsedBtf, target: ParsedBtf, candidates: number[]): CoreResult {
  const spec = parseSpec(local, relo);
  if (relo.kind === K.localId) {
    const id = BigInt(relo.typeId);
    return { poison: false, orig: id, value: id, validate: false, origSz: 0, newSz: 0, failMemsz: false };
  }
  if (!essentialName(nameOf(local.types[relo.typeId]))) throw new CoreError("anonymous types cannot be relocated");
  let best: { res: CoreResult; spec: CoreSpec } | undefined;
  for (const id of candidates) {
    const cand = matchSpec(spec, relo.kind, target, id);
    if (!cand) continue;
    const res = calcRelo(relo.kind, spec, cand);
    if (!best) best = { res, spec: cand };
    else if (cand.bitOffset !== best.spec.bitOffset)
      throw new CoreError(
        `ambiguous: kernel types [${best.spec.rootId}] and [${id}] put the field at bit ${best.spec.bitOffset} and ${cand.bitOffset}`,
      );
    else if (res.poison !== best.res.poison || res.value !== best.res.value)
      throw new CoreError(
        `ambiguous: kernel types [${best.spec.rootId}] and [${id}] give ${best.res.value} and ${res.value}`,
      );
  }
  return best?.res ?? calcRelo(relo.kind, spec, undefined);
}

/** "struct iphdr___local.ttl" / "enum e::V" / "struct s[2].a": the local access path, for messages. */
export function describeAccess(btf: ParsedBtf, relo: CoreRelo): string {
  const root = btf.types[relo.typeId];
  const head = `${root?.kind ?? "type"} ${nameOf(root) || "<anon>"}`;
  try {
    const spec = parseSpec(btf, relo);
    if (isEnumval(relo.kind)) return `${head}::${spec.acc[0].name}`;
    return head + spec.acc.map((a, i) => (a.name ? `.${a.name}` : i > 0 || a.idx > 0 ? `[${a.idx}]` : "")).join("");
  } catch {
    return `${head} (access ${relo.access})`;
  }
}
