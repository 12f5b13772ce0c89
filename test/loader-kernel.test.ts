// Kernel tests of the loader's system layer and object loading, with hand-built instructions.
import { describe, expect, it, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { haveKernel } from "./helpers/env.js";
import { testRunChecked } from "./helpers/twin.js";
import { readLogs, run, withObject } from "./helpers/run.js";
import { loadModel } from "../loader/object.js";
import { xdpActionName } from "../loader/test-run.js";
import { mapCreate, progInfo } from "../loader/sys/bpf.js";
import { BpfMap, u32le } from "../loader/map.js";
import { closeFd } from "../loader/sys/libc.js";
import { decodeRecord, formatLine, RingReader } from "../loader/logs.js";
import { attachXdp, xdpState, resolveIface } from "../loader/attach.js";
import type { ObjectModel, LogFormat } from "../compiler/object.js";
import type { Insn } from "../compiler/isa/insn.js";

// Instructions by their fields (the ISA's encoder writes them): [code, dst, src, off, imm]; ld_imm64 takes imm64.
const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const lddw = (dst: number, v: bigint, src = 0): Insn => ({ ...ins(0x18, dst, src, 0, 0), imm64: v });
const EXIT = ins(0x95, 0, 0, 0, 0);
const movImm = (d: number, v: number) => ins(0xb7, d, 0, 0, v);

function model(
  insns: Insn[],
  extra: Partial<ObjectModel> = {},
  relocs: ObjectModel["programs"][0]["relocs"] = [],
): ObjectModel {
  return { license: "GPL", programs: [{ name: "xdp_t", section: "xdp/xdp_t", insns, relocs }], maps: [], ...extra };
}

describe.skipIf(!haveKernel)("loader (kernel)", () => {
  it("a BTF the kernel rejects: loaded without it, and -v says the log's reason", () => {
    // header (24 bytes), then one INT type whose kind (bits 24-28 of info) is 31: no such kind
    const btf = Buffer.alloc(24 + 16 + 4);
    btf.writeUInt16LE(0xeb9f, 0), (btf[2] = 1), btf.writeUInt32LE(24, 4);
    btf.writeUInt32LE(0, 8), btf.writeUInt32LE(16, 12), btf.writeUInt32LE(16, 16), btf.writeUInt32LE(4, 20);
    btf.writeUInt32LE(31 << 24, 24 + 4);
    const notes: string[] = [];
    const obj = loadModel(model([movImm(0, 2), EXIT], { btf }), { verbose: (n) => notes.push(n) });
    try {
      expect(obj.btfFd).toBe(-1);
      expect(notes).toEqual([expect.stringMatching(/^note: the kernel rejected the object's BTF \([^)]*[a-z]/)]);
      expect(notes[0]).not.toMatch(/errno/); // the log's own last line, not a bare errno
    } finally {
      obj.close();
    }
  });

  it("loads r0 = 2; exit and test-runs it as XDP_PASS", () => {
    const obj = loadModel(model([movImm(0, 2), EXIT]));
    try {
      const r = testRunChecked(obj, new Uint8Array(64), { repeat: 1000 });
      expect(xdpActionName(r.retval)).toBe("XDP_PASS");
      expect(r.durationNs).toBeGreaterThan(0); // the kernel's mean of 1000 runs (a u32: never below 0)
      expect(progInfo(obj.program().fd).name).toBe("xdp_t");
    } finally {
      obj.close();
    }
  });

  it("creates maps and reads, writes, iterates and deletes entries", () => {
    const fd = mapCreate({ type: 1, keySize: 4, valueSize: 4, maxEntries: 8, name: "T" });
    const m = new BpfMap(fd, { name: "T", type: 1, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0 });
    try {
      m.set(u32le(7), u32le(70));
      m.set(u32le(8), u32le(80));
      expect(m.get(u32le(7))?.readUInt32LE(0)).toBe(70);
      expect(m.get(u32le(9))).toBeUndefined();
      expect([...m.keys()].map((k) => k.readUInt32LE(0)).sort()).toEqual([7, 8]);
      expect(m.delete(u32le(7))).toBe(true);
      expect(m.delete(u32le(7))).toBe(false);
    } finally {
      closeFd(fd);
    }
  });

  it("turns a verifier rejection into a summary plus the log tail", () => {
    expect(() => loadModel(model([EXIT]))).toThrow(/verifier rejected program 'xdp_t': R0 !read_ok[\s\S]*verifier log/);
  });

  it("relocates a ring buffer map and decodes the log record it writes", () => {
    const fmt: LogFormat[] = [{ program: "xdp_t", level: 3, pieces: ["SRC: ", ", n=", ""], args: ["ipv4", "i64"] }];
    const prog = [
      lddw(1, 0x0000000002030000n),
      ins(0x7b, 10, 1, -24, 0), // id 0, level 3, 2 args
      lddw(1, 0xc6336401n),
      ins(0x7b, 10, 1, -16, 0),
      movImm(1, -5),
      ins(0x7b, 10, 1, -8, 0),
      lddw(1, 0n), // map
      ins(0xbf, 2, 10, 0, 0),
      ins(0x07, 2, 0, 0, -24),
      movImm(3, 24),
      movImm(4, 0),
      ins(0x85, 0, 0, 0, 130),
      movImm(0, 2),
      EXIT,
    ];
    const obj = loadModel(
      model(
        prog,
        {
          maps: [{ name: "TSEBPF_LOGS", type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }],
          logFormats: fmt,
        },
        [{ slot: 8, symbol: "TSEBPF_LOGS", kind: "map" }],
      ),
    );
    const ring = new RingReader(obj.map("TSEBPF_LOGS")!.fd, 4096);
    try {
      testRunChecked(obj, new Uint8Array(64), { repeat: 3 });
      const lines: string[] = [];
      expect(ring.poll((rec) => lines.push(formatLine(decodeRecord(rec, fmt)!, new Date(0))))).toBe(3);
      expect(lines[0]).toBe("[1970-01-01T00:00:00Z INFO  xdp_t] SRC: 198.51.100.1, n=-5");
      expect(ring.poll(() => {})).toBe(0);
    } finally {
      ring.close();
      obj.close();
    }
  });

  describe("attach", () => {
    const tag = Math.random().toString(36).slice(2, 7);
    const ns = `tsebpf-t-${tag}`,
      a = `tsa${tag}`,
      b = `tsb${tag}`;
    const sh = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
    afterAll(() => {
      try {
        sh("link", "del", a);
      } catch {}
      try {
        sh("netns", "del", ns);
      } catch {}
    });

    it("attaches with a bpf_link, refuses a second program without force, detaches on close", () => {
      sh("netns", "add", ns);
      sh("link", "add", a, "type", "veth", "peer", "name", b, "netns", ns);
      const o1 = loadModel(model([movImm(0, 2), EXIT]));
      const o2 = loadModel(model([movImm(0, 1), EXIT]));
      try {
        const att = attachXdp(o1.program().fd, a, { mode: "skb" });
        expect(att.kind).toBe("link");
        expect(xdpState(resolveIface(a)).progId).toBe(progInfo(o1.program().fd).id);
        expect(() => attachXdp(o2.program().fd, a, { mode: "skb" })).toThrow(/already attached[\s\S]*--force/);
        att.detach();
        expect(xdpState(resolveIface(a)).progId).toBe(0);
        const nl = attachXdp(o2.program().fd, a, { mode: "skb", netlink: true });
        expect(nl.kind).toBe("netlink");
        expect(xdpState(resolveIface(a)).progId).toBe(progInfo(o2.program().fd).id);
        const forced = attachXdp(o1.program().fd, a, { mode: "skb", force: true });
        expect(xdpState(resolveIface(a)).progId).toBe(progInfo(o1.program().fd).id);
        forced.detach();
        nl.detach(); // no-op: no longer ours
        expect(xdpState(resolveIface(a)).progId).toBe(0);
      } finally {
        o1.close();
        o2.close();
      }
    });

    it("names a missing interface", () => {
      expect(() => attachXdp(0, "tsebpf-nope0")).toThrow(/interface 'tsebpf-nope0' does not exist/);
    });
  });
});

describe.skipIf(!haveKernel)("built-in programs", () => {
  it("firewall drops blocked sources and logs SRC/ACTION", async () => {
    const { builtinObject } = await import("../loader/builtin.js");
    const { blockAddress } = await import("../cli/map-args.js");
    withObject(builtinObject("firewall"), (obj) => {
      blockAddress(obj.map("BLOCKLIST")!, "198.51.100.3");
      const pkt = (src: number[]) => {
        const p = new Uint8Array(42);
        p.set([0x08, 0x00], 12);
        p[14] = 0x45;
        p.set(src, 26);
        return p;
      };
      expect(xdpActionName(run(obj, pkt([198, 51, 100, 3])))).toBe("XDP_DROP");
      expect(xdpActionName(run(obj, pkt([198, 51, 100, 1])))).toBe("XDP_PASS");
      expect(xdpActionName(run(obj, new Uint8Array(20)))).toBe("XDP_PASS");
      expect(readLogs(obj)).toEqual(["SRC: 198.51.100.3, ACTION: 1", "SRC: 198.51.100.1, ACTION: 2"]);
    });
  });
});

describe.skipIf(!haveKernel)("--block into an LPM trie", () => {
  it("stores CIDRs in network order so prefixes match", async () => {
    const { blockAddress, blocklistMap } = await import("../cli/map-args.js");
    const def = { name: "CIDR_BLOCKLIST", type: 11, keySize: 8, valueSize: 4, maxEntries: 16, flags: 1 };
    const fd = mapCreate(def);
    const m = new BpfMap(fd, def);
    try {
      expect(blocklistMap([m])).toBe(m);
      blockAddress(m, "198.51.100.0/24");
      const key = (a: number[]) => Buffer.from([32, 0, 0, 0, ...a]);
      expect(m.get(key([198, 51, 100, 77]))?.readUInt32LE(0)).toBe(1);
      expect(m.get(key([198, 51, 101, 1]))).toBeUndefined();
      expect(() => blockAddress(m, "198.51.100.0/33")).toThrow(/not an IPv4 or IPv6 address or CIDR/);
    } finally {
      closeFd(fd);
    }
  });
});

describe.skipIf(!haveKernel)("verifier log", () => {
  it("grows the log buffer on ENOSPC and still reports the real failure", () => {
    const body = Array.from({ length: 120_000 }, (_, i) => movImm(1 + (i % 5), i));
    const t0 = Date.now();
    let err: Error | undefined;
    try {
      loadModel(model([...body, EXIT]));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message.split("\n")[0]).toBe("verifier rejected program 'xdp_t': R0 !read_ok (EACCES)");
    expect((err as unknown as { log: string }).log.length).toBeGreaterThan(1 << 20);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
