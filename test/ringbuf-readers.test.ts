// What user space sees of ring-buffer records (fixtures/c/records.c: EVENTS names its record type
// with the decl tag, RAW does not): `tsebpf run` prints one JSON line per record, `tsebpf test`
// shows each packet's records (kernel and VM alike), the API's records() yields them decoded and
// ends when the object closes, and tsebpf/testing's result has them decoded.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { haveKernel } from "./helpers/env.js";
import { suiteBpffs } from "./helpers/bpffs.js";
import { suiteVeth } from "./helpers/veth.js";
import { captureIo, cli } from "./helpers/cli.js";
import { apiTestRun, pinnedTestRun } from "./helpers/twin.js";
import { runProgram } from "../cli/commands/run-program.js";
import { resolveIface, xdpState } from "../loader/attach.js";
import { load } from "../loader/api/index.js";
import { loadXdp } from "../loader/vm/testing.js";

const FIXTURE = "fixtures/c/records.clang19-g.o";
const EVENT = { saddr: 0xc6336407, type: 8, code: 0, len: 84, ts: 0xfedcba9876543210n };
const EVENT_JSON = '{"saddr":3325256711,"type":8,"code":0,"len":84,"ts":"18364758544493064720"}';
const PACKET = "00".repeat(64);
const tag = Math.random().toString(36).slice(2, 7);

async function until(cond: () => boolean, ms = 5000) {
  for (const t0 = Date.now(); !cond(); ) {
    if (Date.now() - t0 > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("tsebpf/testing (VM)", () => {
  it("a run's records are decoded by their BTF type; untyped ones stay bytes", () => {
    const r = loadXdp(FIXTURE).run(PACKET);
    expect(r.records).toEqual({ EVENTS: [EVENT], RAW: [Uint8Array.from([4, 3, 2, 1])] });
  });

  it("tsebpf test --vm shows each packet's records", async () => {
    const r = await cli("test", FIXTURE, "--vm", "--packet", PACKET, "--packet", PACKET);
    expect(r.err).toBe("");
    const lines = r.out.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("  EVENTS: "))).toEqual([
      `  EVENTS: ${EVENT_JSON}`,
      `  EVENTS: ${EVENT_JSON}`,
    ]);
    expect(lines.filter((l) => l.startsWith("  RAW: "))).toEqual([
      '  RAW: {"hex":"04030201"}',
      '  RAW: {"hex":"04030201"}',
    ]);
  });
});

describe.skipIf(!haveKernel)("ring-buffer records in the kernel", () => {
  const bpffs = suiteBpffs();
  const { host } = suiteVeth(`r${tag}`);

  it("tsebpf test (kernel) shows the same records as the VM, also in --json", async () => {
    const text = await cli("test", FIXTURE, "--packet", PACKET);
    const vm = await cli("test", FIXTURE, "--vm", "--packet", PACKET);
    const recs = (out: string) => out.split("\n").filter((l) => l.startsWith("  "));
    expect(recs(text.out)).toEqual(recs(vm.out));
    expect(recs(text.out)).toHaveLength(2);
    const json = JSON.parse((await cli("test", FIXTURE, "--packet", PACKET, "--json")).out);
    expect(json.results[0].records).toEqual({ EVENTS: [JSON.parse(EVENT_JSON)], RAW: [{ hex: "04030201" }] });
  });

  it("tsebpf run prints one JSON line per record (field names, exact u64, hex without a type)", async () => {
    const pin = join(bpffs(), `rec-${tag}`);
    const { io, o } = captureIo();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const done = runProgram(FIXTURE, { iface: host, mode: "skb", pin }, io, stopped);
    await until(() => existsSync(join(pin, "xdp_records")) && xdpState(resolveIface(host)).progId > 0);
    pinnedTestRun(FIXTURE, pin, "xdp_records", new Uint8Array(64), { repeat: 3, live: true });
    await until(() => (o.out.match(/"map":"RAW"/g) ?? []).length === 3);
    stop();
    expect(await done).toBe(0);
    const lines = o.out.trim().split("\n");
    expect(lines.filter((l) => l.startsWith('{"map":"EVENTS"'))).toEqual(
      Array(3).fill(`{"map":"EVENTS","record":${EVENT_JSON}}`),
    );
    expect(lines.filter((l) => l.startsWith('{"map":"RAW"'))).toEqual(Array(3).fill('{"map":"RAW","hex":"04030201"}'));
  });

  it("records() yields decoded records as the program writes them and ends when the object closes", async () => {
    const obj = await load(readFileSync(FIXTURE));
    const seen: unknown[] = [];
    const reading = (async () => {
      for await (const r of obj.maps.EVENTS!.records({ intervalMs: 5 })) seen.push(r);
    })();
    apiTestRun(obj, new Uint8Array(64), { repeat: 2 });
    await until(() => seen.length === 2);
    obj.close();
    await reading; // the iteration ends instead of hanging
    expect(seen).toEqual([EVENT, EVENT]);
    const raw = await load(readFileSync(FIXTURE));
    try {
      apiTestRun(raw, new Uint8Array(64));
      for await (const r of raw.maps.RAW!.records()) {
        expect(r).toEqual(Uint8Array.from([4, 3, 2, 1]));
        break;
      }
      expect(() => raw.maps.RAW!.get(0)).toThrow(/no keys/);
    } finally {
      raw.close();
    }
  });
});
