// Typed errors for failed system calls: errno → name, context, and a hint the user can act on.
import { constants } from "node:os";
import { LoaderError } from "../errors.js";

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(constants.errno).map(([k, v]) => [v, k]));

export function errnoName(errno: number): string {
  return NAMES[errno] ?? `errno ${errno}`;
}

const DESCRIPTIONS: Record<string, string> = {
  EPERM: "operation not permitted",
  EACCES: "permission denied",
  EINVAL: "invalid argument",
  ENOENT: "no such file or directory",
  EBUSY: "device or resource busy",
  EEXIST: "file exists",
  ENOSPC: "no space left",
  E2BIG: "argument list too long",
  ENODEV: "no such device",
  EOPNOTSUPP: "operation not supported",
  ENOTSUPP: "operation not supported",
  ENOMEM: "out of memory",
  EFAULT: "bad address",
  EBADF: "bad file descriptor",
};

/** A system call the kernel refused: `code` is the errno name. */
export class BpfError extends LoaderError {
  override name = "BpfError";
  constructor(
    context: string,
    readonly errno: number,
    hint?: string,
    readonly detail?: string,
  ) {
    const code = errnoName(errno);
    super(code, context, `${DESCRIPTIONS[code] ?? code} (${code})${detail ? `: ${detail}` : ""}`, hint);
  }
}

export const HINT = {
  perm: "needs root, or CAP_BPF + CAP_NET_ADMIN (try sudo)",
  perfmon:
    "pointer arithmetic on packet pointers (a header at a variable offset) needs CAP_PERFMON as well as CAP_BPF + CAP_NET_ADMIN: run as root or add CAP_PERFMON",
  drvMode: "the driver may not support native XDP: try --mode skb",
  hwMode: "offload needs a NIC and driver that support it: try --mode drv or --mode skb",
  busy: "a program is already attached to this interface: use --force to replace it",
};

export function hintFor(errno: number, ctx: { attach?: boolean; mode?: string } = {}): string | undefined {
  const code = errnoName(errno);
  if (code === "EPERM") return HINT.perm;
  if (ctx.attach && (code === "EBUSY" || code === "EEXIST")) return HINT.busy;
  if (ctx.attach && (code === "EINVAL" || code === "EOPNOTSUPP") && ctx.mode === "hw") return HINT.hwMode;
  if (ctx.attach && (code === "EINVAL" || code === "EOPNOTSUPP") && ctx.mode !== "skb") return HINT.drvMode;
  return undefined;
}
