// Log records (docs/log-format.md): argument formats, env_logger lines, malformed records, level
// parsing; and in the kernel, a ring filled to just below capacity loses nothing.
import { describe, expect, it } from "vitest";
import { haveKernel } from "./helpers/env.js";
import { testRunChecked } from "./helpers/twin.js";
import { decodeRecord, formatArg, formatLine, parseLevel, RingReader } from "../loader/logs.js";
import type { LogFormat } from "../compiler/object.js";
import { utcSeconds } from "../loader/log-format.js";
import { rng } from "./helpers/rng.js";

function record(id: number, level: number, args: bigint[]): Uint8Array {
  const b = Buffer.alloc(8 + 8 * args.length);
  b.writeUInt16LE(id, 0);
  b[2] = level;
  b[3] = args.length;
  args.forEach((a, i) => b.writeBigUInt64LE(BigInt.asUintN(64, a), 8 + 8 * i));
  return b;
}

const formats: LogFormat[] = [
  { program: "xdp_firewall", level: 3, pieces: ["SRC: ", ", ACTION: ", ""], args: ["ipv4", "u64"] },
  {
    program: "xdp_parse",
    level: 2,
    pieces: ["mac ", " hex ", " i ", " ok ", "!"],
    args: ["mac", "hex", "i64", "bool"],
  },
];

describe("log records", () => {
  it("formats every argument kind", () => {
    expect(formatArg("ipv4", 0xc6336401n)).toBe("198.51.100.1");
    expect(formatArg("mac", 0xaabbccddeeffn)).toBe("aa:bb:cc:dd:ee:ff");
    expect(formatArg("hex", 0xbeefn)).toBe("beef");
    expect(formatArg("i64", BigInt.asUintN(64, -7n))).toBe("-7");
    expect(formatArg("u64", 2n ** 64n - 1n)).toBe("18446744073709551615");
    expect(formatArg("bool", 0n)).toBe("false");
  });

  it("decodes records with the format table and prints env_logger lines", () => {
    const r = decodeRecord(record(0, 3, [0xc6336403n, 1n]), formats)!;
    expect(formatLine(r, new Date("2026-11-24T18:03:11.456Z"))).toBe(
      "[2026-11-24T18:03:11Z INFO  xdp_firewall] SRC: 198.51.100.3, ACTION: 1",
    );
    const w = decodeRecord(record(1, 2, [0x0200000000aan, 255n, -1n, 1n]), formats)!;
    expect(formatLine(w, new Date(0))).toBe(
      "[1970-01-01T00:00:00Z WARN  xdp_parse] mac 02:00:00:00:00:aa hex ff i -1 ok true!",
    );
    expect(formatLine({ ...w, level: 1 }, new Date(0))).toMatch(/ ERROR xdp_parse\]/);
  });

  it("the line's timestamp is toISOString's to the second, for any time (2,000 seeded + edges)", () => {
    const r = rng(20261202);
    const times = [0, -1, 999, 1000, Date.UTC(999, 11, 31, 23, 59, 59), Date.UTC(10000, 0, 1), 8.64e15, -8.64e15];
    for (let i = 0; i < 2000; i++) times.push(Math.floor((r() - 0.5) * 2 ** 43));
    for (const t of times)
      expect([t, utcSeconds(new Date(t))]).toEqual([t, new Date(t).toISOString().replace(/\.\d+Z$/, "Z")]);
  });

  it("rejects malformed records instead of guessing", () => {
    expect(decodeRecord(record(7, 3, []), formats)).toBeUndefined(); // unknown format id
    expect(decodeRecord(record(0, 3, [1n]), formats)).toBeUndefined(); // wrong argument count
    expect(decodeRecord(new Uint8Array(4), formats)).toBeUndefined(); // short
  });

  it("parses levels", () => {
    expect(parseLevel(undefined)).toBe(3);
    expect(parseLevel("TRACE")).toBe(5);
    expect(parseLevel("off")).toBe(0);
    expect(() => parseLevel("loud")).toThrow(/unknown log level 'loud'/);
  });
});

describe.skipIf(!haveKernel)("ring buffer capacity (kernel)", () => {
  it("loses nothing below capacity and notices when the ring was full", async () => {
    const { loadObject } = await import("../loader/object.js");
    const { builtinObject } = await import("../loader/builtin.js");
    const obj = loadObject(builtinObject("hello"));
    const m = obj.map("TSEBPF_LOGS")!;
    const ring = new RingReader(m.fd, m.def.maxEntries);
    try {
      // 8-byte header + 8-byte record; the kernel keeps producer - consumer <= size - 1
      const capacity = m.def.maxEntries / 16 - 1;
      testRunChecked(obj, new Uint8Array(64), { repeat: capacity - 1 });
      expect(ring.poll(() => {})).toBe(capacity - 1);
      expect(ring.fullSeen).toBe(1); // within a record of full: reported as possible drops
      testRunChecked(obj, new Uint8Array(64), { repeat: capacity + 100 });
      expect(ring.poll(() => {})).toBe(capacity); // the rest were dropped by the kernel
      testRunChecked(obj, new Uint8Array(64), { repeat: 10 });
      expect(ring.poll(() => {})).toBe(10);
    } finally {
      ring.close();
      obj.close();
    }
  });
});
