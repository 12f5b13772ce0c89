// BPF_PROG_TEST_RUN for XDP programs: takes a program fd and packet bytes, returns the verdict,
// the output packet and the average ns per run.
import { progTestRun } from "./sys/bpf.js";

export { XDP_ACTIONS, xdpActionName } from "./xdp-action.js";

export interface TestRunOutput {
  retval: number;
  durationNs: number;
  dataOut: Uint8Array;
}

export function testRun(progFd: number, packet: Uint8Array, opts: { repeat?: number } = {}): TestRunOutput {
  const r = progTestRun({ progFd, data: packet, repeat: opts.repeat ?? 1, dataOutSize: packet.length + 512 });
  return { retval: r.retval, durationNs: r.durationNs, dataOut: new Uint8Array(r.dataOut) };
}
