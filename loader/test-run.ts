// BPF_PROG_TEST_RUN for XDP programs: takes a program fd and packet bytes, returns the verdict,
// the output packet and the average ns per run.
import { progTestRun } from "./sys/bpf.js";
import { XDP_ACTION } from "../compiler/abi.js";

/** XDP_* names by value (XDP_ACTION of compiler/abi.ts). */
export const XDP_ACTIONS: readonly string[] = Object.keys(XDP_ACTION).map((k) => `XDP_${k}`);

export function xdpActionName(v: number): string {
  return XDP_ACTIONS[v] ?? `unknown action ${v}`;
}

export interface TestRunOutput {
  retval: number;
  durationNs: number;
  dataOut: Uint8Array;
}

export function testRun(progFd: number, packet: Uint8Array, opts: { repeat?: number } = {}): TestRunOutput {
  const r = progTestRun({ progFd, data: packet, repeat: opts.repeat ?? 1, dataOutSize: packet.length + 512 });
  return { retval: r.retval, durationNs: r.durationNs, dataOut: new Uint8Array(r.dataOut) };
}
