#!/usr/bin/env node
// The import rules of docs/INTERFACES.md, run by `npm run lint`: takes the .ts files under cli/,
// loader/ and compiler/ (or those of the root given as argv[2]), prints one line per broken rule
// (`file: rule: spec`) and exits 1 if any line is not in KNOWN below. Rules: layers import
// downward only (cli → loader → compiler; loader never imports cli, compiler never loader or cli);
// compiler/isa imports only compiler/isa and compiler/span.ts; koffi is imported only in loader/sys;
// nothing that loader/vm reaches at run time imports koffi; no import cycles (type-only imports
// count; one line per strongly connected component, its files sorted).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * Known breaks that work under way is removing (issue 10 §5 for loader → cli, issue 12 §2 for lower/):
 * this list only shrinks. A line that no longer occurs is reported; delete it then.
 */
const KNOWN = new Set([]);

const LAYERS = ["compiler", "loader", "cli"];

function* tsFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) yield p;
  }
}

/** The imports of one file: { spec, typeOnly } for import/export … from, `import "x"` and import("x"). */
export function importsOf(text, file = "x.ts") {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      const typeOnly = ts.isImportDeclaration(node) ? !!node.importClause?.isTypeOnly : node.isTypeOnly;
      out.push({ spec: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) out.push({ spec: arg.text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return out;
}

/** Root-relative file → [{ spec, typeOnly, target }] (target: root-relative .ts file or null for packages). */
function readGraph(root) {
  const graph = new Map();
  for (const layer of LAYERS) {
    let files = [];
    try {
      files = [...tsFiles(join(root, layer))];
    } catch {
      continue;
    }
    for (const abs of files) {
      const file = relative(root, abs);
      const edges = importsOf(readFileSync(abs, "utf8"), abs).map((e) => ({
        ...e,
        target: e.spec.startsWith(".") ? relative(root, resolve(dirname(abs), e.spec)).replace(/\.js$/, ".ts") : null,
      }));
      graph.set(file, edges);
    }
  }
  return graph;
}

const layerOf = (file) => file.split("/")[0];
const under = (file, dir) => file.startsWith(`${dir}/`);

/** The layer and placement rules for one edge: a list of rule names it breaks. */
function edgeBreaks(file, e) {
  const out = [];
  const from = layerOf(file);
  const to = e.target ? layerOf(e.target) : null;
  if (to && LAYERS.indexOf(to) > LAYERS.indexOf(from)) out.push(`${from} imports ${to}`);
  const isaOk = (t) => under(t, "compiler/isa") || t === "compiler/span.ts";
  if (under(file, "compiler/isa") && (e.target ? !isaOk(e.target) : !e.spec.startsWith("node:")))
    out.push("compiler/isa imports outside compiler/isa");
  if (e.spec === "koffi" && !under(file, "loader/sys")) out.push("koffi outside loader/sys");
  return out;
}

/** Files loader/vm reaches through run-time (not type-only) imports that import koffi. */
function vmKoffiBreaks(graph) {
  const out = [];
  const seen = new Set();
  const walk = (chain) => {
    const file = chain.at(-1);
    if (seen.has(file) || !graph.has(file)) return;
    seen.add(file);
    for (const e of graph.get(file)) {
      if (e.typeOnly) continue;
      if (e.spec === "koffi") out.push(`${chain[0]}: loader/vm reaches koffi: ${chain.join(" → ")}`);
      else if (e.target) walk([...chain, e.target]);
    }
  };
  for (const f of graph.keys()) if (under(f, "loader/vm")) walk([f]);
  return out;
}

/** Each import cycle as its strongly connected component (Tarjan): `a: import cycle: a, b, …` sorted. */
function cycles(graph) {
  const out = [];
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const visit = (file) => {
    index.set(file, index.size);
    low.set(file, index.get(file));
    stack.push(file);
    onStack.add(file);
    for (const e of graph.get(file)) {
      if (!e.target || !graph.has(e.target)) continue;
      if (!index.has(e.target)) visit(e.target);
      if (onStack.has(e.target)) low.set(file, Math.min(low.get(file), low.get(e.target)));
    }
    if (low.get(file) !== index.get(file)) return;
    const scc = stack.splice(stack.indexOf(file));
    for (const f of scc) onStack.delete(f);
    if (scc.length > 1) out.push(`${scc.sort()[0]}: import cycle: ${scc.join(", ")}`);
  };
  for (const f of [...graph.keys()].sort()) if (!index.has(f)) visit(f);
  return out;
}

/** Every broken rule in the tree at `root`, one line each, sorted, and how many files were read. */
export function importBreaks(root) {
  const graph = readGraph(root);
  const lines = new Set();
  for (const [file, edges] of graph)
    for (const e of edges) for (const rule of edgeBreaks(file, e)) lines.add(`${file}: ${rule}: ${e.spec}`);
  for (const l of [...vmKoffiBreaks(graph), ...cycles(graph)]) lines.add(l);
  return { files: graph.size, breaks: [...lines].sort() };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  const { files, breaks } = importBreaks(root);
  const fresh = breaks.filter((l) => !KNOWN.has(l));
  for (const l of fresh) console.log(l);
  for (const l of KNOWN) if (!breaks.includes(l)) console.log(`check-imports: fixed, delete from KNOWN: ${l}`);
  console.log(`check-imports: ${files} files, ${fresh.length} new breaks, ${breaks.length - fresh.length} known`);
  process.exit(fresh.length ? 1 : 0);
}
