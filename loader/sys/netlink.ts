// rtnetlink for XDP: RTM_SETLINK with a nested IFLA_XDP (fd, flags, expected fd) to attach or
// detach, RTM_GETLINK to read what is attached. Takes an ifindex; throws BpfError with the
// kernel's extack message on failure.
import { closeFd, lastErrno, libc } from "./libc.js";
import { BpfError, hintFor } from "./errors.js";

const AF_NETLINK = 16,
  SOCK_RAW = 3,
  SOCK_CLOEXEC = 0o2000000,
  NETLINK_ROUTE = 0;
const SOL_NETLINK = 270,
  NETLINK_EXT_ACK = 11,
  SOL_SOCKET = 1,
  SO_RCVTIMEO = 20;
const RTM_NEWLINK = 16,
  RTM_GETLINK = 18,
  RTM_SETLINK = 19;
const NLM_F_REQUEST = 1,
  NLM_F_ACK = 4,
  NLM_F_CAPPED = 0x100,
  NLM_F_ACK_TLVS = 0x200;
const NLMSG_ERROR = 2,
  NLMSG_DONE = 3;
const IFLA_XDP = 43,
  NLA_F_NESTED = 0x8000,
  IFLA_EXT_MASK = 29;
const NLMSGERR_ATTR_MSG = 1;

export const XDP_FLAGS = { UPDATE_IF_NOEXIST: 1, SKB_MODE: 2, DRV_MODE: 4, HW_MODE: 8, REPLACE: 16 } as const;
const IFLA_XDP_FD = 1,
  IFLA_XDP_ATTACHED = 2,
  IFLA_XDP_FLAGS = 3,
  IFLA_XDP_PROG_ID = 4,
  IFLA_XDP_EXPECTED_FD = 8;
export const XDP_ATTACHED = { NONE: 0, DRV: 1, SKB: 2, HW: 3, MULTI: 4 } as const;

let seq = Math.floor(Date.now() / 1000);

function align4(n: number): number {
  return (n + 3) & ~3;
}

function attr(type: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(align4(4 + payload.length));
  b.writeUInt16LE(4 + payload.length, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v | 0, 0);
  return b;
}

function message(type: number, flags: number, ifindex: number, attrs: Buffer[]): Buffer {
  const ifi = Buffer.alloc(16); // struct ifinfomsg
  ifi.writeInt32LE(ifindex, 4);
  const body = Buffer.concat([ifi, ...attrs]);
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + body.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(++seq, 8);
  return Buffer.concat([h, body]);
}

function open(): number {
  const fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) throw new BpfError("opening a netlink socket", lastErrno(), hintFor(lastErrno()));
  const sa = Buffer.alloc(12);
  sa.writeUInt16LE(AF_NETLINK, 0);
  if (libc.bind(fd, sa, 12) < 0) {
    const e = lastErrno();
    closeFd(fd);
    throw new BpfError("binding a netlink socket", e);
  }
  libc.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, u32(1), 4);
  const tv = Buffer.alloc(16);
  tv.writeBigInt64LE(2n, 0); // 2 s receive timeout: never hang
  libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
  return fd;
}

/** Send one request and collect the reply messages until the ack (or DONE). */
function transact(req: Buffer, context: string, errCtx: { attach?: boolean; mode?: string } = {}): Buffer[] {
  const fd = open();
  try {
    const sa = Buffer.alloc(12);
    sa.writeUInt16LE(AF_NETLINK, 0);
    if (Number(libc.sendto(fd, req, req.length, 0, sa, 12)) < 0) throw new BpfError(context, lastErrno());
    const want = req.readUInt32LE(8);
    const replies: Buffer[] = [];
    const buf = Buffer.alloc(65536);
    for (;;) {
      const n = Number(libc.recv(fd, buf, buf.length, 0));
      if (n < 0) throw new BpfError(`${context} (waiting for the kernel's reply)`, lastErrno());
      for (const m of split(buf.subarray(0, n))) {
        if (m.readUInt32LE(8) !== want) continue;
        const type = m.readUInt16LE(4);
        if (type === NLMSG_DONE) return replies;
        if (type === NLMSG_ERROR) {
          const err = -m.readInt32LE(16);
          if (err === 0) return replies;
          throw new BpfError(context, err, hintFor(err, errCtx), extackMessage(m));
        }
        replies.push(Buffer.from(m));
        if (!((m.readUInt16LE(6) & 2) /* NLM_F_MULTI */) && !(req.readUInt16LE(6) & NLM_F_ACK)) return replies;
      }
    }
  } finally {
    closeFd(fd);
  }
}

function split(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o + 16 <= b.length; ) {
    const len = b.readUInt32LE(o);
    if (len < 16) break;
    out.push(b.subarray(o, o + len));
    o += align4(len);
  }
  return out;
}

/** The NLMSGERR_ATTR_MSG string of an error message, when the kernel sent one. */
function extackMessage(m: Buffer): string | undefined {
  const flags = m.readUInt16LE(6);
  if (!(flags & NLM_F_ACK_TLVS)) return undefined;
  const inner = m.readUInt32LE(20);
  let o = 16 + 4 + (flags & NLM_F_CAPPED ? 16 : align4(inner));
  while (o + 4 <= m.length) {
    const len = m.readUInt16LE(o),
      type = m.readUInt16LE(o + 2) & 0x3fff;
    if (len < 4) break;
    if (type === NLMSGERR_ATTR_MSG) return m.toString("utf8", o + 4, o + len).replace(/\0.*$/s, "");
    o += align4(len);
  }
  return undefined;
}

function* attrs(b: Buffer, start: number, end: number): Generator<[number, Buffer]> {
  for (let o = start; o + 4 <= end; ) {
    const len = b.readUInt16LE(o);
    if (len < 4) return;
    yield [b.readUInt16LE(o + 2) & 0x3fff, b.subarray(o + 4, o + len)];
    o += align4(len);
  }
}

export interface XdpAttachOpts {
  flags: number; // XDP_FLAGS_*
  expectedFd?: number; // with XDP_FLAGS.REPLACE
  mode?: string;
}

/** Attach prog fd (or detach with fd -1) through RTM_SETLINK. */
export function netlinkSetXdp(ifindex: number, progFd: number, o: XdpAttachOpts): void {
  const nested = [attr(IFLA_XDP_FD, u32(progFd))];
  if (o.flags) nested.push(attr(IFLA_XDP_FLAGS, u32(o.flags)));
  if (o.expectedFd !== undefined) nested.push(attr(IFLA_XDP_EXPECTED_FD, u32(o.expectedFd)));
  const req = message(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, ifindex, [
    attr(IFLA_XDP | NLA_F_NESTED, Buffer.concat(nested)),
  ]);
  transact(req, progFd < 0 ? "detaching XDP (netlink)" : "attaching XDP (netlink)", {
    attach: progFd >= 0,
    mode: o.mode,
  });
}

export interface XdpState {
  attached: number; // XDP_ATTACHED_*
  progId: number; // 0 when nothing is attached
}

/** RTM_GETLINK: which XDP program (if any) the interface has. */
export function netlinkGetXdp(ifindex: number): XdpState {
  const req = message(RTM_GETLINK, NLM_F_REQUEST, ifindex, [attr(IFLA_EXT_MASK, u32(0))]);
  const replies = transact(req, "reading link state (netlink)");
  const state: XdpState = { attached: 0, progId: 0 };
  for (const m of replies) {
    if (m.readUInt16LE(4) !== RTM_NEWLINK) continue;
    for (const [t, v] of attrs(m, 32, m.length)) {
      if (t !== IFLA_XDP) continue;
      for (const [xt, xv] of attrs(v, 0, v.length)) {
        if (xt === IFLA_XDP_ATTACHED) state.attached = xv.readUInt8(0);
        if (xt === IFLA_XDP_PROG_ID) state.progId = xv.readUInt32LE(0);
      }
    }
  }
  return state;
}

export function ifIndex(name: string): number {
  const i = libc.if_nametoindex(name) as number;
  return i;
}
