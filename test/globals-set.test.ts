// Load-time configuration (`--set NAME=VALUE`, `load(file, { set })`, testXdp's `set`): const
// volatile .rodata variables set before the freeze change verdicts and let the verifier prune the
// branches they turn off; .data/.bss variables get a new initial value; unknown names, non-integer
// variables without bytes, out-of-range values and non-volatile .rodata are one clear error naming
// what the object has. fixtures/c/globals.c is the program (see globals-clang.test.ts).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readBpfObject } from "../compiler/elf/read-object.js";
import { withGlobals } from "../loader/globals.js";
import { LoaderError } from "../loader/errors.js";
import { loadObject } from "../loader/object.js";
import { progInfo } from "../loader/sys/bpf.js";
import { loadXdp } from "../loader/vm/testing.js";
import { load } from "../loader/api/index.js";
import { haveKernel } from "./helpers/env.js";
import { cli } from "./helpers/cli.js";
import { frame } from "./helpers/packets.js";
import { apiTestRun, testRunChecked } from "./helpers/twin.js";

const G = "fixtures/c/globals.clang19-g.o";
const MODEL = readBpfObject(readFileSync(G), { name: "globals" });
const P53 = frame({ proto: 17, dstPort: 53 }); // in the port list: XDP_DROP
const P80 = frame({ proto: 17, dstPort: 80 }); // not: verdict_pass (XDP_PASS)
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The set variable's bytes in the model's initial contents. */
function initOf(set: Parameters<typeof withGlobals>[1], map: string, off: number, len: number): string {
  const m = withGlobals(MODEL, set).maps.find((x) => x.name === map)!;
  return hex(m.global!.init.subarray(off, off + len));
}

describe("withGlobals", () => {
  it("writes integers little-endian at the variable's offset, in its size, without changing the model", () => {
    expect(initOf({ min_len: -2 }, "globals.rodata", 12, 4)).toBe("feffffff");
    expect(initOf({ drop_all: true }, "globals.rodata", 8, 4)).toBe("01000000");
    expect(initOf({ seen_bytes: 1n << 40n }, "globals.data", 8, 8)).toBe("0000000000010000");
    expect(initOf({ dropped: 5 }, "globals.bss", 16, 8)).toBe("0500000000000000");
    expect(initOf({ blocked_ports: Uint8Array.of(1, 0, 2, 0, 3, 0, 4, 0) }, "globals.rodata", 0, 8)).toBe(
      "0100020003000400",
    );
    expect(hex(MODEL.maps[0].global!.init.subarray(12, 16))).toBe("00000000");
  });

  it.each([
    [
      { nope: 1 },
      /setting 'nope': no such global variable; the object's variables: blocked_ports \(8 bytes, \.rodata\), drop_all \(u32, \.rodata\), min_len \(i32, \.rodata\), verdict_pass \(u32, \.data\),.* dropped \(u64, \.bss\)$/,
    ],
    [{ min_len: 2n ** 31n }, /setting 'min_len': 2147483648 does not fit i32 \(-2147483648\.\.2147483647\)/],
    [{ drop_all: -1 }, /does not fit u32 \(0\.\.4294967295\)/],
    [{ last_class: 256 }, /does not fit u8 \(0\.\.255\)/],
    [{ drop_all: 1.5 }, /1\.5 is not an integer/],
    [{ blocked_ports: 1 }, /'blocked_ports' \(\.rodata\) is 8 bytes, not an integer; give its bytes/],
    [{ blocked_ports: new Uint8Array(4) }, /4 byte\(s\) given, 'blocked_ports' is 8 bytes/],
    [{ ttl_class: new Uint8Array(8) }, /'ttl_class' is in \.rodata\.cst8 but not const volatile/],
  ])("refuses %o", (set, msg) => {
    let err: unknown;
    try {
      withGlobals(MODEL, set);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoaderError);
    expect((err as LoaderError).code).toBe("bad-set");
    expect((err as LoaderError).message).toMatch(msg);
  });

  it("has nothing to set in an object without BTF", () => {
    const bare = readBpfObject(readFileSync("fixtures/c/globals.clang19.o"));
    expect(() => withGlobals(bare, { drop_all: 1 })).toThrow(
      "setting 'drop_all': no such global variable; the object has no global variables (with BTF) to set",
    );
  });
});

describe("--set in the VM", () => {
  it("testXdp/loadXdp take set: config changes the verdict, .bss starts from the given value", () => {
    expect(loadXdp(G, { set: { drop_all: 1 } }).run(P80).verdict).toBe("XDP_DROP");
    expect(loadXdp(G, { set: { min_len: P80.length + 1 } }).run(P80).verdict).toBe("XDP_ABORTED");
    const t = loadXdp(G, { set: { dropped: 40, verdict_pass: 3 } });
    expect(t.run(P80).verdict).toBe("XDP_TX");
    expect(t.run(P53).globals).toMatchObject({ dropped: 41, verdict_pass: 3 });
  });

  it("tsebpf test --vm --set (repeatable), and one error line for a bad one", async () => {
    const r = await cli("test", G, "--vm", "--set", "drop_all=1", "--set", "min_len=0x10", "--packet", hex(P80));
    expect([r.code, r.err, r.out]).toEqual([0, "", expect.stringMatching(/^packet 1: XDP_DROP /)]);
    for (const [arg, msg] of [
      ["drop_all", "tsebpf: error: --set 'drop_all': expected NAME=VALUE (e.g. --set MAX_PPS=1000)\n"],
      [
        "drop_all=yes",
        "tsebpf: error: --set drop_all=yes: expected a number, an IPv4 address, true/false or hex:<bytes>\n",
      ],
      [
        "blocked_ports=hex:0g",
        "tsebpf: error: --set blocked_ports=hex:0g: hex: needs pairs of hex digits (0-9, a-f)\n",
      ],
      [
        "min_len=-2147483649",
        "tsebpf: error: setting 'min_len': -2147483649 does not fit i32 (-2147483648..2147483647)\n",
      ],
    ]) {
      const bad = await cli("test", G, "--vm", "--set", arg, "--packet", hex(P80));
      expect([bad.code, bad.out, bad.err]).toEqual([1, "", msg]);
    }
  });
});

describe.skipIf(!haveKernel)("--set in the kernel", () => {
  it("tsebpf test --set: verdicts follow the config, also for .data and byte values", async () => {
    const cases: [string[], Uint8Array, string][] = [
      [[], P80, "XDP_PASS"],
      [["drop_all=1"], P80, "XDP_DROP"],
      [["min_len=1000"], P80, "XDP_ABORTED"],
      [["verdict_pass=3"], P80, "XDP_TX"],
      [["blocked_ports=hex:5000000000000000"], P80, "XDP_DROP"], // port 80 only
      [["blocked_ports=hex:5000000000000000"], P53, "XDP_PASS"],
    ];
    for (const [sets, pkt, verdict] of cases) {
      const r = await cli("test", G, ...sets.flatMap((s) => ["--set", s]), "--packet", hex(pkt));
      expect([sets, r.err, r.out.split(/\s+/)[2]]).toEqual([sets, "", verdict]);
    }
  });

  it("the verifier prunes what a frozen const volatile turns off (fewer translated instructions)", () => {
    const size = (set: Record<string, number>) => {
      const obj = loadObject(readFileSync(G), { source: G, set });
      try {
        const fd = obj.program().fd;
        return { xlated: progInfo(fd).xlatedLen, verdict: testRunChecked(obj, P80).retval };
      } finally {
        obj.close();
      }
    };
    const on = size({ drop_all: 1 }),
      off = size({ drop_all: 0 });
    expect([on.verdict, off.verdict]).toEqual([1, 2]);
    expect(on.xlated).toBeLessThan(off.xlated / 2);
  });

  it("load(file, { set }) through the library API", async () => {
    using obj = await load(G, { set: { verdict_pass: 3, packets: 10 } });
    expect(apiTestRun(obj, P80).verdict).toBe("XDP_TX");
    const bss = obj.maps["globals.bss"].get(0) as Uint8Array;
    expect(Buffer.from(bss).readBigUInt64LE(0)).toBe(11n); // packets: 10 set, one run
    expect(obj.globals()).toMatchObject({
      packets: 11,
      dropped: 0,
      verdict_pass: 3,
      blocked_ports: [53, 123, 1900, 11211],
    });
    await expect(load(G, { set: { nope: 1 } })).rejects.toThrow(/setting 'nope': no such global variable/);
  });
});
