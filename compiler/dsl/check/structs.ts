// Struct types in the checker: takes the program's struct declarations (interface / object type
// alias), object literals, `s.field` accesses and map value references, and produces their types
// (C layout from layout.ts), member targets and diagnostics: field types, recursion, unknown,
// missing and repeated literal fields, structs too large for the stack, and references into a map
// used after `set`/`delete` on that map made them stale.
import type * as A from "../ast.js";
import { layoutStruct } from "../layout.js";
import { STACK_LIMIT } from "../limits.js";
import { BOOL, ERROR, isError, typeName } from "./types.js";
import { type CheckCtx, checkStore, fail, report, resolveType, untypedLiteral } from "./context.js";
import { recordOf } from "./records.js";

/** Declares every struct type, in C layout; reports bad field types, repeats and recursion. */
export function declareStructs(cx: CheckCtx, decls: A.StructDecl[]): void {
  const byName = new Map<string, A.StructDecl>();
  for (const d of decls) {
    if (byName.has(d.name) || cx.imports.has(d.name))
      report(cx, "redeclare", `Duplicate identifier '${d.name}'.`, d.nameSpan);
    else byName.set(d.name, d);
  }
  const active = new Set<A.StructDecl>();
  const resolve = (d: A.StructDecl): void => {
    active.add(d);
    const cyclic = new Set<A.FieldDecl>();
    for (const f of d.fields) {
      const inner = byName.get(f.typeAnn.name);
      if (inner && active.has(inner)) {
        report(cx, "structDecl", `Struct '${inner.name}' cannot contain itself.`, f.typeAnn.span);
        cyclic.add(f);
      } else if (inner && !inner.type) resolve(inner);
    }
    d.type = structOf(cx, d, cyclic);
    cx.structs.set(d.name, d.type);
    active.delete(d);
  };
  for (const d of byName.values()) if (!d.type) resolve(d);
}

function structOf(cx: CheckCtx, d: A.StructDecl, cyclic: Set<A.FieldDecl>): A.StructType {
  const seen = new Set<string>();
  const fields: { name: string; type: A.DataType }[] = [];
  for (const f of d.fields) {
    if (seen.has(f.name)) report(cx, "redeclare", `Duplicate identifier '${f.name}'.`, f.span);
    seen.add(f.name);
    if (f.optional) report(cx, "structDecl", `Field '${f.name}' cannot be optional: every field is stored.`, f.span);
    const t = cyclic.has(f) ? ERROR : resolveType(cx, f.typeAnn);
    if (t.kind === "int" || t.kind === "bool" || t.kind === "struct" || t.kind === "array")
      fields.push({ name: f.name, type: t });
    else if (!isError(t))
      report(
        cx,
        "structDecl",
        `Field '${f.name}' must be an integer, bool, struct or FixedArray, not '${typeName(t)}'.`,
        f.typeAnn.span,
      );
  }
  if (!fields.length && !cx.diagnostics.length)
    report(cx, "structDecl", `Struct '${d.name}' has no fields.`, d.nameSpan);
  return layoutStruct(d.name, fields);
}

/** `{ a: e, … }`: a value of the struct type its context expects, with each field given once. */
export function objectLiteral(
  cx: CheckCtx,
  e: A.ObjectLiteral,
  expected: A.Type | undefined,
  check: (e: A.Expr, t: A.Type) => A.Type,
): A.Type {
  const want = expected?.kind === "nullable" ? expected.inner : expected;
  if (want?.kind !== "struct") {
    const values = e.props.map((p) => p.value);
    return untypedLiteral(cx, e, values, want, (x) => check(x, ERROR), "objectLiteral", {
      literal: "object literal",
      needs: "a struct type",
      example: "const s: Flow = { … }",
    });
  }
  const given = new Set<string>();
  for (const p of e.props) {
    const f = want.fields.find((x) => x.name === p.name);
    const t = check(p.value, f?.type ?? ERROR);
    if (!f)
      report(
        cx,
        "unknownProperty",
        `Object literal may only specify known properties, and '${p.name}' does not exist in type '${want.name}'.`,
        p.nameSpan,
      );
    else if (given.has(p.name))
      report(cx, "objectLiteral", "An object literal cannot have multiple properties with the same name.", p.nameSpan);
    else checkStore(cx, p.value, t, f.type.kind === "bool" ? BOOL : f.type);
    given.add(p.name);
  }
  const missing = want.fields.filter((f) => !given.has(f.name)).map((f) => `'${f.name}'`);
  if (missing.length)
    report(
      cx,
      "missingProperty",
      `${missing.length > 1 ? `Properties ${missing.join(", ")} are` : `Property ${missing[0]} is`} ` +
        `missing in the object literal but required in type '${want.name}'.`,
      e.span,
    );
  onStack(cx, want, e);
  return want;
}

/** A struct or array value placed on the stack must fit there. */
export function onStack(cx: CheckCtx, t: A.StructType | A.ArrayType, at: { span: A.Span }): void {
  if (t.size > STACK_LIMIT && !cx.inGlobalInit)
    report(
      cx,
      "stackSize",
      `'${typeName(t)}' takes ${t.size} bytes; values on the stack may take at most ${STACK_LIMIT} bytes.`,
      at.span,
    );
}

/** `s.f` on a struct value. */
export function structMember(cx: CheckCtx, e: A.MemberExpr, t: A.StructType): A.Type {
  const field = t.fields.find((f) => f.name === e.property);
  if (!field)
    return fail(cx, "propertyMissing", `Property '${e.property}' does not exist on type '${t.name}'.`, {
      span: e.propertySpan,
    });
  e.member = { kind: "structField", field };
  return field.type.kind === "bool" ? BOOL : field.type;
}

/** The map a struct expression refers into (`M.get(k)`, a variable holding one, or a field of one). */
export function mapRefOf(cx: CheckCtx, e: A.Expr): string | undefined {
  if (e.kind === "CallExpr" && e.callee?.kind === "mapMethod" && e.callee.method === "get") return e.callee.map.name;
  if (e.kind === "Identifier" && e.binding) return cx.mapRefs.get(e.binding)?.map;
  if (e.kind === "MemberExpr" && e.member?.kind === "structField") return mapRefOf(cx, e.object);
  if (e.kind === "IndexExpr") return mapRefOf(cx, e.object);
  return undefined;
}

/** A new variable `b` initialised with `init`: when that refers into a map, remember the map's epoch. */
export function bindRef(cx: CheckCtx, b: A.Binding & { type: A.Type }, init: A.Expr): void {
  const t = b.type.kind === "nullable" ? b.type.inner : b.type;
  if (t.kind !== "struct" && t.kind !== "array") return; // integer values are copies
  const root = recordOf(cx, init);
  if (root) cx.recordRoots.set(b, root); // an alias of (a part of) a record: released with it
  const map = mapRefOf(cx, init);
  if (map !== undefined) cx.mapRefs.set(b, { map, epoch: cx.flow.storeEpoch(map) });
}

/** Use of variable `b`: a reference into a map that `set`/`delete` changed since is an error. */
export function checkRef(cx: CheckCtx, b: A.Binding, e: A.Identifier): boolean {
  const r = cx.mapRefs.get(b);
  if (!r || cx.flow.storeEpoch(r.map) === r.epoch) return true;
  report(
    cx,
    "staleRef",
    `'${b.name}' refers to a value in ${r.map}, which ${r.map}.set()/delete() may have replaced since; ` +
      `look it up again with ${r.map}.get().`,
    e.span,
  );
  return false;
}

/** The maps whose values a statement or function (through the calls in it) may set or delete. */
export function writtenMaps(node: unknown, maps: ReadonlySet<string>, writers: Map<string, Set<string>>): Set<string> {
  const out = new Set<string>();
  const walk = (n: unknown): void => {
    if (!n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(walk);
    const c = n as Partial<A.CallExpr> & { kind?: string };
    if (c.kind === "CallExpr" && c.fn) {
      const f = c.fn;
      if (
        f.kind === "MemberExpr" &&
        (f.property === "set" || f.property === "delete") &&
        f.object.kind === "Identifier"
      )
        if (maps.has(f.object.name)) out.add(f.object.name);
      if (f.kind === "Identifier") for (const m of writers.get(f.name) ?? []) out.add(m);
    }
    for (const [k, v] of Object.entries(n))
      if (k !== "span" && k !== "type" && k !== "binding" && k !== "callee") walk(v);
  };
  walk(node);
  return out;
}

/** Per function, the maps it may set or delete in, through its calls too. */
export function mapWriters(fns: A.FunctionDecl[], maps: ReadonlySet<string>): Map<string, Set<string>> {
  const w = new Map<string, Set<string>>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of fns) {
      const s = writtenMaps(f.body, maps, w);
      if (s.size > (w.get(f.name)?.size ?? 0)) {
        w.set(f.name, s);
        changed = true;
      }
    }
  }
  return w;
}
