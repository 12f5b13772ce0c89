// load<typeof Module>() types a program's map handles from its DSL declarations (types/index.d.ts
// over the built dist/loader/api declarations): right keys and values type-check, wrong ones,
// unknown maps and ring buffers are tsc errors; per-CPU values have .sum(); LPM keys are strings;
// loadPinned<typeof Module>() types the pinned maps the same way.
import { describe, expect, it } from "vitest";
import ts from "typescript";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { requireFreshDist } from "./helpers/dist.js";

const SCRIPT = (p: (n: string) => string) => `import { load, loadPinned, ip } from "tsebpf";
import type * as Fw from "${p("firewall")}";
import type * as Counters from "${p("counters")}";
import type * as Cidr from "${p("cidr")}";
import type * as Icmp from "${p("icmpevents")}";
import type * as Flow from "${p("flowstats")}";
import type * as Um from "${resolve("fixtures/dsl-samples/user-maps.js")}";
const fw = await load<typeof Fw>("programs/firewall.ts");
fw.maps.BLOCKLIST.set(ip("198.51.100.7"), 1);
const n: number | undefined = fw.maps.BLOCKLIST.get(1);
for (const [k, v] of fw.maps.BLOCKLIST.entries()) console.log(k + v);
fw.program("xdp_firewall").attach("eth0", { mode: "skb" }).detach();
const c = await load<typeof Counters>("programs/counters.ts");
const total: number | undefined = c.maps.COUNTERS.get(6)?.sum();
c.maps.COUNTERS.set(6, [1, 2]);
const exact: bigint | undefined = c.maps.COUNTERS.bigint.get(6)?.sum();
const big0: bigint | undefined = [...fw.maps.BLOCKLIST.bigint.entries()][0]?.[1];
fw.maps.BLOCKLIST.setMany([[ip("198.51.100.8"), 1]]);
fw.logs.on("record", (r) => console.log(r.levelName, r.message.length));
fw.program().attach("eth0").update(c.program());
const cidr = await load<typeof Cidr>("programs/cidr.ts");
cidr.maps.CIDR_BLOCKLIST.set("198.51.100.0/24", 1);
const ev = await load<typeof Icmp>("programs/icmpevents.ts");
for await (const r of ev.maps.EVENTS.records()) console.log(r.srcAddr + r.totalLen);
for await (const r of ev.maps.EVENTS.records()) console.log(r.nope); // ERR record field
ev.maps.EVENTS.set(1, 2); // ERR ring
const untyped = await load("x.o");
untyped.maps.ANY?.set(1, 2);
using pinned = loadPinned<typeof Fw>("/sys/fs/bpf/fw");
const hits: number | undefined = pinned.maps.BLOCKLIST.get(ip("198.51.100.7"));
loadPinned("/sys/fs/bpf/fw").maps.ANY?.delete(1);
pinned.maps.BLOCKLIST.set("198.51.100.7", 1); // ERR pinned key
fw.maps.BLOCKLIST.set("198.51.100.7", 1); // ERR key
fw.maps.BLOCKLIST.set(1, "one"); // ERR value
fw.maps.NOPE; // ERR map
cidr.maps.CIDR_BLOCKLIST.set(5, 1); // ERR lpm
const s: string = fw.maps.BLOCKLIST.get(1); // ERR result
console.log(n, total, hits, exact, big0);
fw.maps.BLOCKLIST.setMany([[1, "x"]]); // ERR setMany value
const f = await load<typeof Flow>("programs/flowstats.ts");
const k = { srcAddr: 1, dstAddr: 2, srcPort: 3, dstPort: 4, proto: 6 };
const st: { packets: number; bytes: number } | undefined = f.maps.FLOWS.get(k);
f.maps.FLOWS.set(k, { packets: 1n, bytes: 64 });
const bb: bigint | undefined = f.maps.FLOWS.bigint.get(k)?.bytes;
for (const [fk, fv] of f.maps.FLOWS) console.log(fk.proto + fv.packets, st, bb);
f.maps.FLOWS.set(k, { packets: 1 }); // ERR missing field
f.maps.FLOWS.set(k, { packets: 1, bytes: 2, extra: 3 }); // ERR extra field
f.maps.FLOWS.set(k, { packets: "1", bytes: 2 }); // ERR field type
f.maps.FLOWS.get({ srcAddr: 1 }); // ERR partial key
const um = await load<typeof Um>("fixtures/dsl-samples/user-maps.ts");
const cfg = { inner: { a: 1, b: 2 }, hist: [1, 2, 3, 4], addr: "2001:db8::1", on: true, big: 1n };
um.maps.CFG.set(0, cfg);
const a6: string | undefined = um.maps.CFG.get(0)?.addr;
const h: number[] | undefined = um.maps.CFG.get(0)?.hist;
const hb: bigint[] | undefined = um.maps.CFG.bigint.get(0)?.hist;
const sa: number | undefined = um.maps.STATS.get(0)?.sum().a;
const sk: string | undefined = [...um.maps.SEEN.keys()][0]?.addr;
um.maps.STATS.set(0, [{ a: 1, b: 2 }]);
um.maps.JUMP.set(0, um.program("xdp_drop"));
um.maps.PORTS.set(0, "eth0");
um.maps.PORTS_BY_IF.set(1, 1);
um.maps.XSKS.set(0, 7);
console.log(a6, h, hb, sa, sk);
um.maps.JUMP.set(0, 3); // ERR prog array
um.maps.CFG.set(0, { ...cfg, addr: 5 }); // ERR addr
um.maps.CFG.set(0, { ...cfg, on: 1 }); // ERR bool
um.maps.CPUS.set(0, "eth0"); // ERR cpumap
`;

/** tsc's diagnostics for `text` as a user's ES module: line numbers in it, else file: message. */
function check(text: string): (number | string)[] {
  const dir = mkdtempSync(join(tmpdir(), "tsebpf-api-types-"));
  try {
    const file = join(dir, "user.mts");
    writeFileSync(file, text);
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ["node"],
      skipLibCheck: true,
      paths: { tsebpf: [resolve("types/index.d.ts")] },
    });
    return ts
      .getPreEmitDiagnostics(program)
      .map((d) =>
        d.file?.fileName === file
          ? d.file.getLineAndCharacterOfPosition(d.start!).line + 1
          : `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("load<typeof Module>() types", () => {
  requireFreshDist();

  it("follow the program's map declarations", () => {
    const text = SCRIPT((n) => resolve(`programs/${n}.js`));
    expect(check(text)).toEqual(text.split("\n").flatMap((l, i) => (l.includes("// ERR") ? [i + 1] : [])));
  });

  it("README's library examples type-check", () => {
    const readme = readFileSync("README.md", "utf8");
    const section = /## Library\n([\s\S]*?)\n## /.exec(readme)![1]!;
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) expect(check(block.replaceAll("./programs/", `${resolve("programs")}/`))).toEqual([]);
  });
});
