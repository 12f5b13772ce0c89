#!/usr/bin/env node
// Start-up images for the CLI, from the ESM build in dist/ (plus commander and chevrotain's
// single-file bundle). Every module is transpiled to a CommonJS-style function (async, for
// top-level await) and bundled into one script with a tiny module loader, for two uses:
// - dist/tsebpf.blob, a V8 heap snapshot in which the CLI and the compiler are loaded and the DSL
//   lexer and parsers are built and warmed up (from dist/snapshot-entry.cjs: snapshot entries may
//   only require built-in modules); bin/tsebpf (the npm bin) starts `node --snapshot-blob` with
//   it when it fits the node on PATH, for every command but run and test;
// - dist/tsebpf-run.bundle.cjs and V8's code cache for it (.cache), `run`'s entry (cli/run-main.ts,
//   no commander) and the loader only, minified, which bin/tsebpf-run.cjs compiles and
//   runs for `tsebpf run x.o`: node's own start-up snapshot stays (a custom snapshot alone costs
//   more to deserialise than these modules cost to run), and koffi is loaded on the first system
//   call. The cache is written at the attached line of a warm-up run against a fake koffi.
// Never fails the install: on any problem it removes what it made and says why (the plain ESM CLI,
// bin/tsebpf.js, is then used).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Script } from "node:vm";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const dist = join(root, "dist");
// `--out FILE` writes the blob as FILE and the run bundle beside it (the tests do); the npm bin
// only looks at dist/tsebpf.blob and dist/tsebpf-run.bundle.cjs.
const outArg = process.argv.indexOf("--out");
const blobPath = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(dist, "tsebpf.blob");
const require = createRequire(import.meta.url);
/** V8 flags for building and running the snapshot (V8 rejects a blob under other flags). No
 * Sparkplug: in a short run, compiling baseline code costs more than it saves (≈ 2 ms of 85). */
const FLAGS = ["--no-sparkplug"];

/**
 * `cli`: the blob for every command but run and test, its modules evaluated and the compiler
 * warmed up (everything they reach is bundled; `extra`: reached through a computed URL, as
 * compiler/dsl/syntax/chevrotain.ts loads chevrotain's bundle); `run`: the bundle for `tsebpf run
 * x.o`, only the CLI and the loader (no compiler, whose modules are not even bundled: dynamic
 * imports outside `roots` stay out); koffi is loaded at run time.
 */
const TARGETS = {
  cli: {
    blob: blobPath,
    roots: [
      "dist/cli/main.js",
      "dist/cli/io.js",
      "dist/cli/commands/build.js",
      "dist/cli/commands/objdump.js",
      "dist/compiler/dsl/index.js",
      "dist/compiler/asm/index.js",
    ],
    extra: [relative(root, join(dirname(require.resolve("chevrotain")), "../chevrotain.min.mjs"))],
    dynamic: true,
  },
  run: {
    bundle: join(dirname(blobPath), "tsebpf-run.bundle.cjs"),
    // cli/run-main.ts parses run's options without commander; anything else imports cli/main.ts
    // from dist/ at run time (not bundled: commander alone would be a quarter of the bundle)
    roots: ["dist/cli/run-main.js", "dist/cli/io.js", "dist/cli/commands/run-program.js"],
    extra: [],
    dynamic: false,
  },
};

function log(msg) {
  process.stderr.write(`build-snapshot: ${msg}\n`);
}

/** The node binary that made the blob (bin/tsebpf uses the blob only with it), and FLAGS. */
const stampOf = (blob) => `${blob}.node`;

function main(name) {
  const target = TARGETS[name];
  if (target.bundle) return buildBundle(target);
  const { blob } = target;
  rmSync(blob, { force: true });
  rmSync(stampOf(blob), { force: true });
  const ts = require("typescript");
  const modules = collect(ts, target);
  const entryFile = join(dirname(blob), "snapshot-entry.cjs");
  writeFileSync(entryFile, entrySource(modules, target.roots, name));
  execFileSync(process.execPath, [...FLAGS, "--snapshot-blob", blob, "--build-snapshot", entryFile], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  check(blob);
  writeFileSync(stampOf(blob), `${process.execPath}\n${FLAGS.join(" ")}\n`);
  log(`${relative(root, blob)}: ${modules.size} modules (node ${process.version})`);
}

/** The run bundle: one script (a function of require, the package root, the mode and the host's
 * hooks) that bin/tsebpf-run.cjs compiles with V8's code cache, and a second one (.cold.cjs) with
 * the modules `run x.o` does not evaluate before its attached line, compiled when one of them is
 * first needed (after the line, or on a rarer path: CO-RE, pins, --map). Built in two passes by a
 * child node (same flags as the bin's: none) that runs `run` to its attached line against a fake
 * koffi (warmRun): the first finds which modules that evaluates, the second writes each script's
 * code cache. Written under temporary names and renamed: never half a bundle. */
function buildBundle(target) {
  const { bundle } = target;
  const cold = coldOf(bundle);
  removeBundle(target);
  const ts = require("typescript");
  const modules = collect(ts, target);
  const tmp = (f) => `${f}.tmp`;
  const write = (hot) => {
    const [main, rest] = bundleSources(modules, target.roots, hot);
    writeFileSync(tmp(bundle), minifyScript(main, bundle));
    writeFileSync(tmp(cold), minifyScript(rest, cold));
  };
  write(undefined); // every module in the first script
  const hot = warmBundle(bundle, tmp);
  write(new Set(hot));
  warmBundle(bundle, tmp);
  renameSync(tmp(cold), cold);
  renameSync(tmp(bundle), bundle);
  checkBundle(bundle);
  log(
    `${relative(root, bundle)}: ${modules.size} modules, ${hot.length} before the attached line (node ${process.version})`,
  );
}

/** The cold script beside the bundle: tsebpf-run.bundle.cjs → tsebpf-run.cold.cjs. */
const coldOf = (bundle) => bundle.replace(/\.bundle\.cjs$/, ".cold.cjs");

/** Runs the bundle (as `tmp` names it) in a child with the fake koffi; writes both code caches
 * (the bundle's at the attached line, the cold script's at the end) and returns the modules
 * evaluated by the attached line. */
function warmBundle(bundle, tmp) {
  const cold = coldOf(bundle);
  const warm = `
    process.dlopen = (${fakeKoffi.toString()})(); // this process never reaches the kernel
    const vm = require("node:vm"), fs = require("node:fs");
    const script = new vm.Script(fs.readFileSync(${JSON.stringify(tmp(bundle))}, "latin1"), { filename: ${JSON.stringify(bundle)} });
    let hot, coldScript;
    const attached = (ids) => {
      if (hot) return;
      hot = ids;
      fs.writeFileSync(${JSON.stringify(`${bundle}.cache`)}, script.createCachedData());
    };
    const host = {
      coldFile: ${JSON.stringify(cold)},
      compile: (file) => { // the cold script, from its temporary file, kept to write its cache
        coldScript = new vm.Script(fs.readFileSync(${JSON.stringify(tmp(cold))}, "latin1"), { filename: file });
        return coldScript.runInThisContext();
      },
      warm: { object: null, attached },
    };
    import(${JSON.stringify(pathToFileURL(join(dist, "loader/builtin.js")).href)})
      .then((m) => ((host.warm.object = m.builtinObject("firewall")), script.runInThisContext()(require, ${JSON.stringify(root)}, "warm", host)))
      .then(() => {
        if (!hot) throw new Error("the warm-up run never printed its attached line");
        if (coldScript) fs.writeFileSync(${JSON.stringify(`${cold}.cache`)}, coldScript.createCachedData());
        process.stdout.write(JSON.stringify(hot));
      });`;
  const out = execFileSync(process.execPath, ["-e", warm], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  return JSON.parse(String(out));
}

/** A script (one function expression) minified: local names shortened, comments and whitespace
 * dropped (a third of the bundle: node reads and copies every byte into the heap at each start, and
 * each fresh page costs a fault). Nothing is rewritten but names, and function and class names are
 * kept (`.name` reads them). */
function minifyScript(text, file) {
  const { minify_sync } = require("terser");
  const named = { keep_fnames: true, keep_classnames: true };
  const out = minify_sync(`var __script=${text.trim()};`, {
    compress: false,
    mangle: named,
    ...named,
    format: { comments: false },
  }).code;
  const body = /^var __script=([\s\S]*);$/.exec(out);
  if (!body) throw new Error(`minifying ${relative(root, file)}: unexpected output`);
  return `(${body[1]})`;
}

/** A process.dlopen that gives every native addon (koffi, the only one) as a fake koffi whose libc
 * succeeds at everything: new descriptors from syscall and socket, interface index 1, zeroed
 * memory from mmap. The run bundle's warm-up goes through load → attach → detach with it, so the
 * functions of that path are compiled into the code cache (without it, V8 compiled them at each
 * start, before the attached line), and nothing reaches the kernel at build time. */
function fakeKoffi() {
  let fd = 100;
  const fns = {
    syscall: () => fd++,
    socket: () => fd++,
    if_nametoindex: () => 1,
    getpagesize: () => 4096,
    mmap: (_addr, len) => ({ fakeLength: len }),
    sendto: (_fd, _buf, len) => len,
    recv: () => 0,
  };
  const koffi = {
    load: () => ({ func: (sig) => fns[/(\w+)\(/.exec(sig)[1]] ?? (() => 0) }),
    errno: () => 0,
    address: (p) => (p && p.fakeLength ? 0x10000n : 0x20000n),
    view: (_p, len) => new ArrayBuffer(len),
  };
  const dlopen = (module) => {
    module.exports = koffi;
  };
  dlopen.fakeKernel = true;
  return dlopen;
}

function removeBundle({ bundle }) {
  for (const b of [bundle, coldOf(bundle)]) for (const f of [b, `${b}.cache`, `${b}.tmp`]) rmSync(f, { force: true });
}

/** The bundle must start (both caches accepted) and parse run's options: an unknown mode is refused. */
function checkBundle(bundle) {
  for (const f of [bundle, coldOf(bundle)]) {
    const cached = new Script(readFileSync(f, "latin1"), { filename: f, cachedData: readFileSync(`${f}.cache`) });
    if (cached.cachedDataRejected) throw new Error(`V8 rejected the code cache of ${relative(root, f)}`);
  }
  const launcher = join(root, "bin/tsebpf-run.cjs");
  if (dirname(bundle) !== dist) return; // elsewhere (--out): the launcher reads dist/
  try {
    execFileSync(process.execPath, [launcher, "run", "x.o", "--mode", "frob"], { stdio: "pipe" });
  } catch (e) {
    if (String(e.stderr).includes("--mode 'frob': expected skb, drv or hw")) return;
    throw new Error(`the run bundle did not start: ${String(e.stderr).split("\n")[0]}`);
  }
  throw new Error("the run bundle accepted a bad --mode");
}

// ---- module graph ---------------------------------------------------------------------------

/** id (path relative to the package root) → { code, deps: spec → id | "builtin:x" | "runtime:x" }. */
function collect(ts, target) {
  const modules = new Map();
  const queue = [...target.roots, ...target.extra];
  while (queue.length) {
    const id = queue.shift();
    if (modules.has(id)) continue;
    const file = join(root, id);
    const code = transpile(ts, readFileSync(file, "utf8"), file);
    const deps = {};
    const statics = [];
    // require("x"), __dynImport("x") (a rewritten import()), createRequire(…)("x")
    for (const [, kind, , spec] of code.matchAll(
      /\b(require|__dynImport|createRequire\)?\([^()]*\))\((["'])([^"']+)\2\)/g,
    )) {
      if (kind === "require" && !statics.includes(spec)) statics.push(spec);
      if (spec in deps) continue;
      let dep = resolveSpec(spec, file);
      if (kind === "__dynImport" && !target.dynamic && !target.roots.includes(dep)) dep = `runtime:${spec}`;
      deps[spec] = dep;
      if (!dep.includes(":")) queue.push(dep);
    }
    modules.set(id, { code, deps, statics, esm: id.startsWith("dist/") });
  }
  return modules;
}

function resolveSpec(spec, from) {
  if (spec.startsWith("node:") || require("node:module").builtinModules.includes(spec)) return `builtin:${spec}`;
  if (spec === "koffi") return `runtime:${spec}`; // a native addon: required at run time, never in the heap
  const file = createRequire(from).resolve(spec);
  // A bare package reached only through a dynamic import (chevrotain's many-module fallback) is
  // left to run time; relative imports inside the package are bundled.
  if (!spec.startsWith(".") && !from.includes("node_modules") && spec !== "commander") return `runtime:${spec}`;
  return relative(root, file);
}

function transpile(ts, text, file) {
  if (file.endsWith(".mjs") && !/^\s*import\b/m.test(text)) return bundleToCjs(text);
  if (!/\.(m?js)$/.test(file)) return text;
  if (!/^\s*(import|export)\b/m.test(text)) return stripComments(ts, text, file); // CommonJS (commander)
  const out = ts.transpileModule(text, {
    fileName: file.replace(/\.mjs$/, ".js"),
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      allowJs: true,
      esModuleInterop: true,
      removeComments: true,
    },
  }).outputText;
  return out
    .replace(/Promise\.resolve\(\)\.then\(\(\) => __importStar\(require\(("[^"]+")\)\)\)/g, "__dynImport($1)")
    .replace(/Promise\.resolve\(`\$\{([^}]+)\}`\)\.then\(s => __importStar\(require\(s\)\)\)/g, "__dynImport($1)")
    .replace(/\bimport\.meta\b/g, "__meta")
    .replace(/\n\/\/# sourceMappingURL=.*/g, "");
}

/** The source is kept in the heap (and the blob): no comments. */
function stripComments(ts, text, file) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  return ts.createPrinter({ removeComments: true }).printFile(sf);
}

/** A single-file ESM bundle without imports (chevrotain's), kept minified: its closing
 * `export{a as b,…}` becomes `exports.b=a`. Chevrotain's 65536-entry char-code map becomes a
 * Uint16Array (same values, up to 512): 128 KB off-heap instead of 512 KB of heap in the blob. */
function bundleToCjs(text) {
  const at = text.lastIndexOf("export{");
  const end = text.indexOf("}", at);
  const names = text
    .slice(at + 7, end)
    .split(",")
    .map((s) => s.trim().split(/\s+as\s+/));
  const exports = names.map(([local, name = local]) => `exports.${name}=${local};`).join("");
  const body =
    text.slice(0, at) +
    `Object.defineProperty(exports,"__esModule",{value:true});${exports}` +
    text.slice(end + 1).replace(/^;/, "");
  return body
    .replace(
      /(\w+)=new Array\(65536\);(for\(let (\w+)=0;\3<65536;\3\+\+\)\1\[\3\]=\3>255\?255\+~~\(\3\/255\):\3)/,
      "$1=new Uint16Array(65536);$2",
    )
    .replace(/\/\*! Bundled license information:[\s\S]*$/, "")
    .replace(/\n\/\/# sourceMappingURL=.*/g, "");
}

// ---- the snapshot entry -------------------------------------------------------------------------

/** A module's code as a function of its CommonJS-style scope (async for an ES module). */
function moduleFn(m) {
  const params = "exports, require, module, __filename, __dirname, __meta, __dynImport";
  return m.esm
    ? `async function (${params}) {\n${m.code}\nmodule.evaluated = true;\n}`
    : `function (${params}) {\n${m.code}\n}`;
}

/** The bundled modules: id → { esm, deps, statics, fn }; fn is null for a module not `inScript`
 * (the run bundle's cold script has it: coldTable). */
function moduleTable(modules, inScript = () => true) {
  const table = [...modules].map(([id, m]) => {
    const fn = inScript(id) ? moduleFn(m) : "null";
    return `${JSON.stringify(id)}: { esm: ${m.esm}, deps: ${JSON.stringify(m.deps)}, statics: ${JSON.stringify(m.statics)}, fn: ${fn} }`;
  });
  return `{\n${table.join(",\n")}\n}`;
}

/** The cold script's table: id → fn of the modules `inScript`. */
function coldTable(modules, inScript) {
  const table = [...modules].filter(([id]) => inScript(id)).map(([id, m]) => `${JSON.stringify(id)}: ${moduleFn(m)}`);
  return `{\n${table.join(",\n")}\n}`;
}

function entrySource(modules, ROOTS, name) {
  return ascii(`"use strict";
// Generated by scripts/build-snapshot.js: do not edit.
const ROOT = ${JSON.stringify(root)};
const ROOTS = ${JSON.stringify(ROOTS)};
const MODULES = ${moduleTable(modules)};
(${loader.toString()})(ROOT, ROOTS, MODULES, require, ${JSON.stringify(name)});
`);
}

/** The bundle's script and the cold script's: `hot` (module ids) go in the first, the rest in the
 * second; without `hot`, every module in the first. */
function bundleSources(modules, ROOTS, hot) {
  const isHot = (id) => !hot || hot.has(id);
  const main = ascii(`(function (require, ROOT, MODE, host) {
"use strict";
// Generated by scripts/build-snapshot.js: do not edit.
const ROOTS = ${JSON.stringify(ROOTS)};
const MODULES = ${moduleTable(modules, isHot)};
return (${loader.toString()})(ROOT, ROOTS, MODULES, require, "run", MODE, host);
})`);
  const cold = ascii(`(function () {
"use strict";
// Generated by scripts/build-snapshot.js: do not edit. The run bundle's modules that run evaluates after attaching.
return ${coldTable(modules, (id) => !isHot(id))};
})`);
  return [main, cold];
}

/** V8 keeps the script source in the heap (and the blob) for lazy compilation: a single non-ASCII
 * character would make all of it two bytes per character. The escapes mean the same in strings,
 * templates, regular expressions, identifiers and comments (String.raw is not used). */
function ascii(text) {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Runs inside the snapshot builder (loads ROOTS, warms the compiler up, registers the CLI main)
 * or, with MODE, inside the run bundle: "main" loads ROOTS and runs the CLI, "warm" loads them and
 * warms the run path up for the code cache. */
function loader(ROOT, ROOTS, MODULES, builtinRequire, TARGET, MODE, host = {}) {
  const path = builtinRequire("node:path");
  const { pathToFileURL, fileURLToPath } = builtinRequire("node:url");
  const cache = new Map();

  function runtimeRequire(spec, id) {
    return builtinRequire("node:module").createRequire(path.join(ROOT, id))(spec);
  }

  /** node:module whose createRequire resolves bundled modules from the bundle (the real module is
   * loaded only if something else of it is used: node warns about it in snapshots). */
  function createRequire(from) {
    const file = String(from).startsWith("file:") ? fileURLToPath(String(from)) : String(from);
    const id = path.relative(ROOT, file);
    const real = () => builtinRequire("node:module").createRequire(from);
    const req = (spec) => (MODULES[id] && spec in MODULES[id].deps ? requireFrom(id, spec) : real()(spec));
    req.resolve = (spec, options) => real().resolve(spec, options);
    return req;
  }
  const moduleShim = new Proxy(
    {},
    {
      get: (_, k) => (k === "createRequire" ? createRequire : builtinRequire("node:module")[k]),
      has: (_, k) => k in builtinRequire("node:module"),
    },
  );

  /** child_process (commander's, for external subcommands, which tsebpf has none of) is loaded on
   * first use: it drags net, streams and more (240 KB) into the blob. */
  const LAZY = new Set(["child_process", "node:child_process"]);
  const lazyBuiltins = new Map();
  function builtin(name) {
    if (!LAZY.has(name)) return builtinRequire(name);
    if (!lazyBuiltins.has(name)) {
      let real = null;
      lazyBuiltins.set(
        name,
        deferred(() => (real ??= builtinRequire(name))),
      );
    }
    return lazyBuiltins.get(name);
  }

  /** An object that stands for load()'s result and calls load on its first use. */
  function deferred(load) {
    return new Proxy(
      {},
      {
        get: (_, k) => load()[k],
        has: (_, k) => k in load(),
        ownKeys: () => Reflect.ownKeys(load()),
        getOwnPropertyDescriptor: (_, k) => {
          const d = Reflect.getOwnPropertyDescriptor(load(), k);
          return d && { ...d, configurable: true };
        },
      },
    );
  }

  function requireFrom(id, spec) {
    const target = MODULES[id].deps[spec];
    if (target === undefined) throw new Error(`snapshot: ${id}: unknown import ${spec}`);
    if (target === "builtin:node:module" || target === "builtin:module") return moduleShim;
    if (target.startsWith("builtin:")) return builtin(target.slice(8));
    if (target.startsWith("runtime:")) return runtimeRequire(target.slice(8), id);
    const m = cache.get(target);
    if (m) return m.exports;
    if (MODULES[target].esm && !MODE) throw new Error(`snapshot: ${target} was not loaded before ${id}`);
    if (MODULES[target].esm) return lazyExports(target, id);
    return evaluate(target).exports; // CommonJS: synchronous, on demand
  }

  /** The run bundle evaluates an ES module when something first reads its exports (tsc's CommonJS
   * reads `x_js_1.f` at call time), not before its importer: `run x.o` never evaluates most of the
   * modules it bundles. The body must finish without awaiting (no top-level await): checked. */
  const lazy = new Map();
  function lazyExports(target, from) {
    if (lazy.has(target)) return lazy.get(target);
    let real = null;
    const load = () => {
      if (real) return real;
      const started = cache.get(target);
      if (started) return started.evaluated ? (real = started.exports) : started.exports; // in an import cycle: its exports so far
      const m = evaluate(target);
      if (!m.evaluated) throw new Error(`snapshot: ${target} (imported by ${from}) awaits at top level`);
      return (real = m.exports);
    };
    const proxy = deferred(load);
    lazy.set(target, proxy);
    return proxy;
  }

  function namespace(exports) {
    return exports && exports.__esModule ? exports : Object.assign(Object.create(null), exports, { default: exports });
  }

  /** The cold script's table (id → fn), compiled when first needed by the host as it compiled
   * the bundle (bin/tsebpf-run.cjs: with the code cache beside it). */
  let coldTable = null;
  function coldFn(id) {
    coldTable ??= host.compile(host.coldFile)();
    if (!coldTable[id]) throw new Error(`snapshot: ${id} is in neither script`);
    return coldTable[id];
  }

  function evaluate(id, ancestors = []) {
    const def = MODULES[id];
    const file = `${ROOT}/${id}`; // ROOT is absolute and normalised, id relative with / (path.join costs at start-up)
    const module = { exports: {}, id, filename: file, loaded: false, done: null };
    cache.set(id, module);
    const meta = {
      get url() {
        return pathToFileURL(file).href; // few modules read it: made on demand
      },
      get dirname() {
        return path.dirname(file);
      },
      filename: file,
      resolve: (spec) => pathToFileURL(path.join(ROOT, resolveId(id, spec))).href,
    };
    const dyn = (spec) => importFrom(id, spec);
    const req = (spec) => requireFrom(id, spec);
    const fn = def.fn ?? coldFn(id);
    const run = () => fn.call(module.exports, module.exports, req, module, file, path.dirname(file), meta, dyn);
    if (!def.esm) {
      run();
      module.loaded = true;
      return module;
    }
    module.done = (async () => {
      // ESM order: static dependencies first, then the body (which may await at top level).
      for (const spec of MODE ? [] : def.statics) {
        const target = def.deps[spec];
        if (target.includes(":")) continue;
        const dep = cache.get(target) ?? (MODULES[target].esm ? evaluate(target, [...ancestors, id]) : null);
        if (dep && dep.done && !dep.loaded && !ancestors.includes(target)) await dep.done; // an ancestor: an import cycle
      }
      await run();
      module.loaded = true;
    })();
    return module;
  }

  function resolveId(id, spec) {
    const target = MODULES[id].deps[spec];
    if (target && !target.includes(":")) return target;
    if (spec === "chevrotain")
      return Object.keys(MODULES)
        .find((k) => k.endsWith("chevrotain/lib/chevrotain.min.mjs"))
        .replace("chevrotain.min.mjs", "src/api.js");
    throw new Error(`snapshot: cannot resolve ${spec} from ${id}`);
  }

  async function importFrom(id, spec) {
    let target;
    if (spec.startsWith("file:")) target = path.relative(ROOT, fileURLToPath(spec));
    else target = MODULES[id].deps[spec];
    if (target === undefined || target.startsWith("runtime:") || !MODULES[target]) {
      if (target && target.startsWith("builtin:")) return namespace(builtinRequire(target.slice(8)));
      // the run bundle: node imports from dist/ what it leaves out (bin/tsebpf-run.cjs's import())
      if (target && target.startsWith("runtime:") && host.runtimeImport)
        return host.runtimeImport(
          spec.startsWith(".") ? pathToFileURL(path.join(ROOT, path.dirname(id), spec)).href : spec,
        );
      throw new Error(`snapshot: ${spec} is not in the snapshot`);
    }
    const m = cache.get(target) ?? evaluate(target);
    if (m.done) await m.done;
    return namespace(m.exports);
  }

  async function build() {
    for (const id of ROOTS) {
      const m = cache.get(id) ?? evaluate(id); // by id: a file: URL to parse costs ½ ms at start-up
      if (m.done) await m.done;
    }
    const main = cache.get(ROOTS[0]).exports.main;
    const io = cache.get("dist/cli/io.js").exports;
    if (TARGET === "cli") await warmUp(main);
    else if (MODE === "warm") await warmRun(main);
    cli = { main, io };
  }

  let cli = null;
  /** The CLI on process.argv (after node's own arguments and the script's, if any). */
  function start() {
    cli.main(process.argv.slice(1), cli.io.processIo()).then(
      (code) => void (process.exitCode = code),
      (e) => {
        process.stderr.write(`tsebpf: internal error: ${e && e.message}\n`);
        process.exitCode = 70;
      },
    );
  }

  /** The run path to its attached line, so the functions it calls are compiled when V8 writes
   * the code cache: `run warm.o --block …` through load, attach, the attached line (where
   * host.warm.attached writes the cache), stop and detach, against buildBundle's fake koffi. */
  async function warmRun(main) {
    if (!process.dlopen.fakeKernel) throw new Error("the warm-up run needs the fake koffi (fakeKoffi)");
    const quiet = { stdout() {}, stderr() {}, isTTY: false, env: {}, cwd: ROOT };
    const fs = builtinRequire("node:fs");
    const dir = fs.mkdtempSync(path.join(builtinRequire("node:os").tmpdir(), "tsebpf-warm-"));
    try {
      const file = path.join(dir, "warm.o");
      fs.writeFileSync(file, host.warm.object);
      // the cache is written at the attached line: what runs after it (log pumps, stop, detach) is
      // compiled when it runs, and the cache V8 reads before attaching stays small
      const stdout = (line) => {
        if (!line.includes("Waiting for Ctrl-C")) return;
        host.warm.attached([...cache.keys()]);
        setImmediate(() => process.emit("SIGINT")); // as Ctrl-C would: run stops and detaches
      };
      const argv = ["run", file, "--iface", "lo", "--mode", "skb", "--block", "198.51.100.1"];
      const code = await main(argv, { ...quiet, stdout, env: { TSEBPF_LOG: "info" } });
      if (code !== 0) throw new Error(`the warm-up run exited with ${code}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  const fail = (e) => {
    process.stderr.write(
      `${MODE === "main" ? "tsebpf: internal error" : "snapshot"}: ${(e && e.stack) || String(e)}\n`,
    );
    process.exit(MODE === "main" ? 70 : 1);
  };
  // The run bundle (bin/tsebpf-run.cjs): evaluate the modules, then run the CLI (or only warm up).
  if (MODE) return build().then(() => MODE === "main" && start(), fail);
  // Registered synchronously (node ignores a main function set after the entry script returned);
  // the modules it needs are loaded by build() before the heap is written.
  const v8 = builtinRequire("node:v8");
  v8.startupSnapshot.setDeserializeMainFunction(start);

  /** Build every example and a broken program, so lazily built state (lexer, parsers, lookahead) is in the heap. */
  async function warmUp(main) {
    const fs = builtinRequire("node:fs");
    const os = builtinRequire("node:os");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsebpf-snapshot-"));
    const io = { stdout() {}, stderr() {}, isTTY: false, env: {}, cwd: dir };
    try {
      const programs = path.join(ROOT, "programs");
      const files = fs.existsSync(programs)
        ? fs.readdirSync(programs).filter((f) => /\.(ts|s)$/.test(f) && !f.endsWith(".d.ts"))
        : [];
      const bad = path.join(dir, "bad.ts");
      fs.writeFileSync(bad, "export function f(: number {\n  return 1 +;\n}\n");
      for (const f of [...files.map((f) => path.join(programs, f)), bad])
        await main(["build", f, "-o", path.join(dir, "out.o")], io);
      if (fs.existsSync(path.join(dir, "out.o"))) await main(["objdump", path.join(dir, "out.o")], io);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  if (!v8.startupSnapshot.isBuildingSnapshot()) throw new Error("run with node --build-snapshot");
  build().catch(fail);
}

/** The blob must start and build something; otherwise it is removed. */
function check(blob) {
  const dir = mkdtempSync(join(tmpdir(), "tsebpf-snapshot-check-"));
  try {
    const hello = join(root, "programs/hello.ts");
    if (!existsSync(hello))
      return void execFileSync(process.execPath, [...FLAGS, "--snapshot-blob", blob, "--", "--version"], {
        stdio: "pipe",
      });
    const out = join(dir, "hello.o");
    execFileSync(process.execPath, [...FLAGS, "--snapshot-blob", blob, "--", "build", hello, "-o", out], {
      stdio: "pipe",
    });
    if (!existsSync(out)) throw new Error("the snapshot CLI wrote no object");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const name of Object.keys(TARGETS)) {
  try {
    main(name);
  } catch (e) {
    const target = TARGETS[name];
    if (target.bundle) removeBundle(target);
    else for (const f of [target.blob, stampOf(target.blob)]) rmSync(f, { force: true });
    const what = target.bundle ? "run bundle" : "start-up snapshot";
    log(`no ${name} ${what} (${String(e.message ?? e).split("\n")[0]}); the CLI starts without it`);
  }
}
