// The shipped declarations (types/tsebpf.d.ts): `tsc --noEmit` accepts the example programs, our
// samples and test programs the compiler accepts, rejects a wrong program (and the compiler
// rejects bigint literals as tsc would), and the d.ts declares exactly what the catalogue defines.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { compileDsl } from "./helpers/dsl.js";
import { withTempDir } from "./helpers/tmp.js";
import {
  CONSTANTS,
  CTX_METHODS,
  CTX_PROPERTIES,
  FORMATS,
  HEADERS,
  HELPERS,
  INT_TYPES,
  LOG_LEVELS,
  MAPS,
  XDP_ACTIONS,
  exportedNames,
} from "../compiler/dsl/catalog.js";

const ROOT = resolve(".");
const DTS = join(ROOT, "types/tsebpf.d.ts");
const dts = readFileSync(DTS, "utf8");

function tsc(files: string[]): { code: number; out: string } {
  return withTempDir("tsebpf-tsc-", (dir) => {
    const config = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "bundler",
        types: [],
        lib: ["ES2022"],
        skipLibCheck: false,
        paths: { tsebpf: [DTS] },
      },
      files,
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
    try {
      const out = execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", join(dir, "tsconfig.json")], {
        encoding: "utf8",
      });
      return { code: 0, out };
    } catch (e) {
      const err = e as { status: number; stdout: string };
      return { code: err.status, out: err.stdout };
    }
  });
}

const HEAD = `import { XdpContext, XdpAction, HashMap, EthHdr, IcmpHdr, u32, u64, bool } from "tsebpf";
export const M = new HashMap<u32, u32>(16);
`;
const xdp = (body: string) => `${HEAD}export function xdp_t(ctx: XdpContext): XdpAction {\n${body}\n}\n`;

/** Programs the compiler accepts only since issue 7 (contextual keywords, loops after returns,
 * views after an adjusting branch, large u64 literals): tsc must accept them too. */
const ACCEPTED = [
  xdp(`  const icmp = ctx.header(IcmpHdr, 0);
  if (icmp === null) return XdpAction.Pass;
  const type = icmp.type;
  let as: u32 = type;
  as = as + 1;
  const from = as, async = from, of = 1, get = 2, set = 3, declare = 4, module = 5, namespace = 6;
  return async + of + get + set + declare + module + namespace > 30 ? XdpAction.Drop : XdpAction.Pass;`),
  xdp(`  for (let i = 0; i < 4; i++) {
    if (ctx.length > i) return XdpAction.Drop;
    else return XdpAction.Pass;
  }
  return XdpAction.Pass;`),
  xdp(`  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.Pass;
  if (eth.etherType === 0x1234) {
    ctx.adjustHead(14);
    return XdpAction.Pass;
  }
  const x: u64 = ctx.length;
  const big: bool = x > 0xffffffffffff;
  const v = M.get(1);
  return big || v === null || eth.etherType === 0x0800 ? XdpAction.Drop : XdpAction.Pass;`),
  xdp(`  const w: bool = ctx.storeU64le(ctx.length - 8, 0x0102030405060708);
  const b = ctx.loadU32(ctx.length - 4);
  if (b === null || !ctx.storeU16(12, 0x86dd)) return XdpAction.Pass;
  const sum: u64 = b + (ctx.loadU64le(0) ?? 0);
  return w && sum > 5 ? XdpAction.Drop : XdpAction.Pass;`),
];

const tsIn = (d: string): string[] =>
  existsSync(d)
    ? readdirSync(d)
        .filter((f) => f.endsWith(".ts"))
        .map((f) => join(ROOT, d, f))
    : [];

describe("tsebpf.d.ts with tsc", () => {
  it("type-checks programs/*.ts, fixtures/dsl-samples/*.ts and test programs the compiler accepts (one tsc run)", () => {
    withTempDir("tsebpf-accepted-", (dir) => {
      const accepted = ACCEPTED.map((src, i) => {
        const file = join(dir, `p${i}.ts`);
        writeFileSync(file, src);
        expect(() => compileDsl(src, file)).not.toThrow();
        return file;
      });
      const files = [...tsIn("programs"), ...tsIn("fixtures/dsl-samples"), ...accepted];
      const r = tsc(files);
      expect(r.out).toBe("");
      expect(r.code).toBe(0);
    });
  }, 120_000);

  it("the compiler rejects what tsc rejects: bigint literals next to number types", () => {
    const src = `import { XdpContext, XdpAction, u64 } from "tsebpf";
export function xdp_t(ctx: XdpContext): XdpAction {
  const x: u64 = ctx.length;
  return x > 5n ? XdpAction.Drop : XdpAction.Pass;
}
`;
    expect(() => compileDsl(src, "t.ts")).toThrow(
      "t.ts:4:14: error TSB9007: BigInt literals are not supported: integer types are numbers for tsc; write 5.",
    );
  });

  it("literal comparisons: the compiler and tsc both reject those with no overlap (TS2367) and accept the rest", () => {
    const cases: [string, boolean][] = [
      ["0x697d6d46 !== 0", false],
      ["true === false", false],
      ["XdpAction.Pass === XdpAction.Drop", false],
      ["A5 === 0", false],
      ["-1 === 1", false],
      ["A5 === 5", true],
      ["5 === 5", true],
      ["A5 === ctx.length", true],
    ];
    withTempDir("tsebpf-lit-", (dir) => {
      const files = cases.map(([cmp], i) => {
        const file = join(dir, `l${i}.ts`);
        writeFileSync(
          file,
          `import { XdpContext, XdpAction } from "tsebpf";\nconst A5 = 5;\nexport function xdp_t(ctx: XdpContext): XdpAction {\n  return ${cmp} ? XdpAction.Drop : XdpAction.Pass;\n}\n`,
        );
        return file;
      });
      const r = tsc(files);
      cases.forEach(([cmp, ok], i) => {
        const compiled = (() => {
          try {
            compileDsl(readFileSync(files[i]!, "utf8"), files[i]!);
            return "ok";
          } catch (e) {
            return String((e as Error).message);
          }
        })();
        expect({ cmp, tsc: r.out.includes(`l${i}.ts(4,`) ? "TS2367" : "ok" }).toEqual({
          cmp,
          tsc: ok ? "ok" : "TS2367",
        });
        expect({ cmp, compiled: compiled === "ok" ? "ok" : /TS2367/.test(compiled) ? "TS2367" : compiled }).toEqual({
          cmp,
          compiled: ok ? "ok" : "TS2367",
        });
      });
    });
  }, 60_000);

  it("rejects a wrong program", () => {
    withTempDir("tsebpf-bad-", (dir) => {
      const bad = join(dir, "bad.ts");
      writeFileSync(
        bad,
        `import { XdpContext, XdpAction, EthHdr } from "tsebpf";
export function xdp_bad(ctx: XdpContext): XdpAction {
  const eth = ctx.header(EthHdr, 0);
  return eth.etherType === 1 ? XdpAction.Drop : XdpAction.Pass;
}
`,
      );
      const r = tsc([bad]);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/TS18047/);
    });
  }, 60_000);
});

describe("tsebpf.d.ts matches the catalogue", () => {
  const declared = new Set(
    [...dts.matchAll(/^export (?:declare )?(?:type|const|class|function|enum|interface) (\w+)/gm)].map((m) => m[1]!),
  );

  it("declares every exported name", () => {
    for (const n of exportedNames()) expect(declared, n).toContain(n);
  });

  it("declares no name the compiler does not know", () => {
    const known = new Set([...exportedNames(), "HeaderClass"]);
    for (const n of declared) expect(known, n).toContain(n);
  });

  const classBody = (name: string): string => {
    const m = new RegExp(`export declare class ${name}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(dts);
    expect(m, name).not.toBeNull();
    return m![1]!;
  };
  const members = (body: string): Map<string, string> =>
    new Map(
      [...body.matchAll(/^\s+(?:private )?(?:static )?(?:readonly )?(\w+)(?:<[^>]*>)?[(:]\s*([^;]*)/gm)].map((m) => [
        m[1]!,
        m[2]!,
      ]),
    );

  it("headers: fields, types, sizes, read-only bit fields", () => {
    for (const [name, h] of Object.entries(HEADERS)) {
      const body = classBody(name);
      const m = members(body);
      expect(m.get("size"), name).toBe(String(h.size));
      for (const [field, def] of Object.entries(h.fields)) {
        expect(m.get(field), `${name}.${field}`).toBe(def.type);
        expect(new RegExp(`readonly ${field}:`).test(body), `${name}.${field} readonly`).toBe(
          def.bitWidth !== undefined,
        );
      }
      for (const field of Object.keys(h.addrs ?? {})) {
        expect(m.get(field), `${name}.${field}`).toBe("Ipv6Addr");
        expect(new RegExp(`readonly ${field}:`).test(body), `${name}.${field} writable`).toBe(false);
      }
      const addrs = Object.keys(h.addrs ?? {}).length;
      expect(m.size, name).toBe(Object.keys(h.fields).length + addrs + 2); // + constructor + size
    }
  });

  it("maps: exactly the catalogue's methods", () => {
    for (const [name, cls] of Object.entries(MAPS)) {
      const m = members(classBody(name));
      m.delete("constructor");
      expect([...m.keys()].sort(), name).toEqual(Object.keys(cls.methods).sort());
    }
  });

  it("context, actions, constants, helpers, logs, formats", () => {
    const ctx = members(classBody("XdpContext"));
    for (const k of [...Object.keys(CTX_METHODS), ...Object.keys(CTX_PROPERTIES)]) expect(ctx.has(k), k).toBe(true);
    for (const [k, v] of Object.entries(XDP_ACTIONS)) expect(dts).toMatch(new RegExp(`\\b${k} = ${v},`));
    for (const [k, c] of Object.entries(CONSTANTS)) expect(dts).toContain(`export declare const ${k}: ${c.type};`);
    for (const k of Object.keys(INT_TYPES)) expect(dts).toContain(`export type ${k} = number;`);
    for (const [k, h] of Object.entries(HELPERS))
      expect(dts).toMatch(
        new RegExp(`export declare function ${k}\\(${h.params.length ? "\\w+: " + h.params.join(", \\w+: ") : ""}\\)`),
      );
    for (const k of [...Object.keys(LOG_LEVELS), ...Object.keys(FORMATS)])
      expect(dts).toMatch(new RegExp(`export declare function ${k}\\(`));
  });
});
