// Control flow in the kernel: while and do…while loops on counters, for loops with a runtime test
// beside their bound, break and continue (labelled too), switch with fall-through and default, and
// returns from inside loops — compiled, loaded (the verifier accepts them) and run with
// BPF_PROG_TEST_RUN; the logged results are checked against values the test computes itself. Each
// program twice: its loops unrolled (the default rule) and as real loops (back edges, --loops real).
import { beforeEach, describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { compileDsl } from "./helpers/dsl.js";
import { runPackets } from "./helpers/run.js";
import { frame } from "./helpers/packets.js";

const HEAD = `import { XdpContext, XdpAction, EthHdr, Ipv4Hdr, u8, u32, info } from "tsebpf";\n`;

type Loops = "auto" | "real";
let loops: Loops = "auto";

/** The program's logs and verdicts for each packet. */
function runBody(body: string, packets: Uint8Array[]): { verdicts: number[]; logs: string[] } {
  const src = `${HEAD}export function xdp_t(ctx: XdpContext): XdpAction {\n${body}\n}\n`;
  return runPackets(compileDsl(src, "loops.ts", { loops }), packets);
}

/** A frame whose bytes from offset 14 on are `bytes` (the rest of the frame follows). */
function withBytes(bytes: number[]): Uint8Array {
  const f = frame({ payload: 8 });
  f.set(bytes, 14);
  return f;
}

describe.skipIf(!haveKernel).each(["auto", "real"] as Loops[])("control flow in the kernel, loops %s", (mode) => {
  beforeEach(() => {
    loops = mode;
  });
  it("while with a runtime test beside its bound, break and continue", () => {
    const body = `  let i: u32 = 0;
  let sum: u32 = 0;
  const n = ctx.length;
  while (i < n && i < 16) {
    const b = ctx.loadU8(14 + i);
    i++;
    if (b === null) break;
    if (b === 0xff) break;
    if (b === 0) continue;
    sum += b;
  }
  info(\`\${sum} \${i}\`);
  return XdpAction.Pass;`;
    const packets = [withBytes([1, 2, 0, 3, 0xff, 9]), withBytes([5, 0, 0, 7])];
    const want = packets.map((p) => {
      let i = 0,
        sum = 0;
      while (i < p.length && i < 16) {
        const b = p[14 + i]!;
        i++;
        if (b === 0xff) break;
        sum += b;
      }
      return `${sum} ${i}`;
    });
    expect(runBody(body, packets).logs).toEqual(want);
  });

  it("do…while runs its body once before the test", () => {
    const body = `  let k: u8 = 0;
  let n: u32 = 0;
  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Aborted;
  do {
    k += 2;
    n += ip.ttl;
  } while (k < 7 && ip.ttl > 100);
  info(\`\${k} \${n}\`);
  return XdpAction.Pass;`;
    const a = frame();
    a[14 + 8] = 200;
    const b = frame();
    b[14 + 8] = 10;
    expect(runBody(body, [a, b]).logs).toEqual(["8 800", "2 10"]);
  });

  it("labelled continue and break out of nested loops", () => {
    const body = `  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Aborted;
  const want = ip.ttl;
  let found: u32 = 99;
  let visited: u32 = 0;
  outer: for (let a: u32 = 0; a < 5; a++) {
    for (let b: u32 = 0; b < 5; b++) {
      if (b > a) continue outer;
      visited++;
      if (a * b === want) {
        found = a * 10 + b;
        break outer;
      }
    }
  }
  info(\`\${found} \${visited}\`);
  return XdpAction.Pass;`;
    const packets = [6, 16, 7].map((ttl) => {
      const f = frame();
      f[14 + 8] = ttl;
      return f;
    });
    const want = [6, 16, 7].map((ttl) => {
      let found = 99,
        visited = 0;
      outer: for (let a = 0; a < 5; a++)
        for (let b = 0; b < 5; b++) {
          if (b > a) continue outer;
          visited++;
          if (a * b === ttl) {
            found = a * 10 + b;
            break outer;
          }
        }
      return `${found} ${visited}`;
    });
    expect(runBody(body, packets).logs).toEqual(want);
  });

  it("switch: cases, fall-through, default in the middle, break inside a loop", () => {
    const body = `  const ip = ctx.header(Ipv4Hdr, EthHdr.size);
  if (ip === null) return XdpAction.Aborted;
  let tag: u32 = 0;
  for (let r = 0; r < 3; r++) {
    switch (ip.protocol + r) {
      case 6:
        tag += 1;
        break;
      default:
        tag += 100;
      case 17:
      case 18:
        tag += 10;
        if (r === 1) break;
        tag += 1000;
    }
  }
  if (tag > 2000) return XdpAction.Drop;
  info(\`\${tag}\`);
  return XdpAction.Pass;`;
    const tag = (proto: number): number => {
      let t = 0;
      for (let r = 0; r < 3; r++) {
        const v = proto + r;
        if (v === 6) {
          t += 1;
          continue;
        }
        if (v !== 17 && v !== 18) t += 100; // default falls through into case 17, 18
        t += 10;
        if (r !== 1) t += 1000;
      }
      return t;
    };
    const protos = [6, 17, 1, 4];
    const r = runBody(
      body,
      protos.map((proto) => frame({ proto })),
    );
    expect(r.verdicts).toEqual(protos.map((p) => (tag(p) > 2000 ? 1 : 2)));
    expect(r.logs).toEqual(protos.filter((p) => tag(p) <= 2000).map((p) => `${tag(p)}`));
  });

  it("returns from inside a while loop", () => {
    const body = `  let i: u8 = 0;
  while (i < 10) {
    const b = ctx.loadU8(14 + i);
    if (b === null) return XdpAction.Aborted;
    if (b === 0x45) return XdpAction.Drop;
    i += 1;
  }
  return XdpAction.Pass;`;
    const hit = frame();
    const miss = frame();
    miss[14] = 0x46;
    expect(runBody(body, [hit, miss]).verdicts).toEqual([1, 2]);
  });
});
