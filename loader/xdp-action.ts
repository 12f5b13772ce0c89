// XDP verdicts by name: takes the r0 a program returned, produces "XDP_PASS" etc. (XDP_ACTION of
// compiler/abi.ts; shared by the kernel's test-run and the VM; loads nothing native).
import { XDP_ACTION } from "../compiler/abi.js";

/** XDP_* names by value. */
export const XDP_ACTIONS: readonly string[] = Object.keys(XDP_ACTION).map((k) => `XDP_${k}`);

export function xdpActionName(v: number): string {
  return XDP_ACTIONS[v] ?? `unknown action ${v}`;
}
