// BPF_PROG_TEST_RUN for XDP programs: takes a program fd, packet bytes and optionally the xdp_md
// fields the program sees (ingress ifindex, rx queue); returns the verdict, the output packet and
// the average ns per run.
import { progTestRun } from "./sys/bpf.js";

export { XDP_ACTIONS, xdpActionName } from "./xdp-action.js";

export interface TestRunOutput {
  retval: number;
  durationNs: number;
  dataOut: Uint8Array;
}

export interface TestRunOptions {
  repeat?: number;
  /** xdp_md.ingress_ifindex (an interface of this network namespace; default loopback). */
  ingressIfindex?: number;
  /** xdp_md.rx_queue_index (below the interface's receive queue count; needs ingressIfindex). */
  rxQueueIndex?: number;
}

export function testRun(progFd: number, packet: Uint8Array, opts: TestRunOptions = {}): TestRunOutput {
  const ctxIn = xdpMd(packet.length, opts);
  const dataOutSize = packet.length + 512;
  const r = progTestRun({ progFd, data: packet, repeat: opts.repeat ?? 1, dataOutSize, ctxIn });
  return { retval: r.retval, durationNs: r.durationNs, dataOut: new Uint8Array(r.dataOut) };
}

/** struct xdp_md as test-run takes it: data 0 (no metadata), data_end = length, the two fields. */
function xdpMd(length: number, o: TestRunOptions): Uint8Array | undefined {
  if (o.ingressIfindex === undefined && o.rxQueueIndex === undefined) return undefined;
  const md = Buffer.alloc(24);
  md.writeUInt32LE(length, 4);
  md.writeUInt32LE(o.ingressIfindex ?? 0, 12);
  md.writeUInt32LE(o.rxQueueIndex ?? 0, 16);
  return md;
}
