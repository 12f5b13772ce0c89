// XDP attach: takes a program fd and an interface, produces an Attachment that detaches on
// demand. bpf_link (BPF_LINK_CREATE) by default, so a crash leaves nothing attached; rtnetlink
// with `netlink: true` or when the kernel does not support XDP links.
import { linkCreateRaw, linkDetach, linkInfo, linkUpdate, ATTACH_TYPE_XDP, progInfo } from "./sys/bpf.js";
import { BpfError, hintFor, HINT } from "./sys/errors.js";
import { closeFd } from "./sys/libc.js";
import { LoaderError } from "./errors.js";
import { ifIndex, netlinkGetXdp, netlinkSetXdp, XDP_FLAGS, type XdpState } from "./sys/netlink.js";

export type XdpMode = "skb" | "drv" | "hw";

export interface AttachOptions {
  mode?: XdpMode;
  netlink?: boolean;
  force?: boolean;
  verbose?: (note: string) => void;
  /** The interface's index when the caller has just resolved it (resolveIface): not asked again. */
  ifindex?: number;
}

export interface Attachment {
  kind: "link" | "netlink";
  ifname: string;
  ifindex: number;
  linkFd: number;
  progId: number;
  /** Detach if the interface still runs our program; otherwise leave it and return a one-line note why. */
  detach(): string | undefined;
  /** Close our fd without detaching: a pinned link stays attached (a netlink attachment always does). */
  release(): void;
  /** Run `progFd` instead, atomically, if the interface still runs ours (LINK_UPDATE, or netlink REPLACE). */
  update(progFd: number): void;
}

export function modeFlags(mode?: XdpMode): number {
  return mode === "skb"
    ? XDP_FLAGS.SKB_MODE
    : mode === "drv"
      ? XDP_FLAGS.DRV_MODE
      : mode === "hw"
        ? XDP_FLAGS.HW_MODE
        : 0;
}

export function resolveIface(ifname: string): number {
  const idx = ifIndex(ifname);
  if (!idx) throw new LoaderError("no-interface", "", `interface '${ifname}' does not exist (see \`ip link\`)`);
  return idx;
}

export function xdpState(ifindex: number): XdpState {
  return netlinkGetXdp(ifindex);
}

export function attachXdp(progFd: number, ifname: string, o: AttachOptions = {}): Attachment {
  const ifindex = o.ifindex ?? resolveIface(ifname);
  if (!o.netlink && !o.force) {
    // bpf_link first (one system call, no netlink round trip): the kernel refuses it while another
    // program is attached (EBUSY, EEXIST), and the checks below then say which and why
    const fd = linkCreateRaw(progFd, ifindex, ATTACH_TYPE_XDP, modeFlags(o.mode));
    if (fd >= 0) return linkAttachment(fd, ifname, ifindex);
  }
  const before = netlinkGetXdp(ifindex);
  if (before.progId) {
    if (!o.force)
      throw new BpfError(
        `attaching XDP to ${ifname}`,
        16 /* EBUSY */,
        HINT.busy,
        `program id ${before.progId} is already attached`,
      );
    o.verbose?.(`note: replacing program id ${before.progId} on ${ifname} (--force)`);
    try {
      netlinkSetXdp(ifindex, -1, { flags: modeFlagsOf(before) });
    } catch (e) {
      throw new BpfError(
        `detaching program id ${before.progId} from ${ifname}`,
        (e as BpfError).errno ?? 16,
        "it is held by a bpf_link of another process: stop that process (or remove its pin) first",
        (e as BpfError).detail,
      );
    }
  }
  if (!o.netlink) {
    const fd = linkCreateRaw(progFd, ifindex, ATTACH_TYPE_XDP, modeFlags(o.mode));
    if (fd >= 0) return linkAttachment(fd, ifname, ifindex);
    const err = -fd;
    if (err !== 22 && err !== 95 && err !== 524)
      throw new BpfError(`attaching XDP to ${ifname} (bpf_link)`, err, hintFor(err, { attach: true, mode: o.mode }));
    o.verbose?.(`note: XDP bpf_link failed (errno ${err}); falling back to netlink`);
  }
  return netlinkAttach(progFd, ifname, ifindex, o);
}

function modeFlagsOf(s: XdpState): number {
  return s.attached === 2
    ? XDP_FLAGS.SKB_MODE
    : s.attached === 3
      ? XDP_FLAGS.HW_MODE
      : s.attached === 1
        ? XDP_FLAGS.DRV_MODE
        : 0;
}

function linkAttachment(fd: number, ifname: string, ifindex: number): Attachment {
  let open = true;
  let progId: number | undefined; // asked of the kernel when first read (run prints it with -v only)
  const id = () => (progId ??= linkInfo(fd).progId);
  /** Before the fd goes: progId stays readable. */
  const keepId = () => {
    try {
      id();
    } catch {
      progId ??= 0; // the link is gone: progId stays unknown (0)
    }
  };
  return {
    update(progFd) {
      if (!open) throw detached(ifname);
      linkUpdate(fd, progFd);
      progId = undefined; // the new program's, asked for when read
    },
    release() {
      if (open) {
        keepId();
        closeFd(fd);
      }
      open = false;
    },
    kind: "link",
    ifname,
    ifindex,
    linkFd: fd,
    get progId() {
      return id();
    },
    detach() {
      if (!open) return undefined;
      open = false;
      keepId();
      try {
        linkDetach(fd); // detach now, even if another reference (a pin, a forked fd) keeps the link alive
      } catch {
        /* already detached, e.g. the interface went away */
      }
      closeFd(fd);
      return undefined;
    },
  };
}

function netlinkAttach(progFd0: number, ifname: string, ifindex: number, o: AttachOptions): Attachment {
  const mode = modeFlags(o.mode);
  let progFd = progFd0;
  netlinkSetXdp(ifindex, progFd, { flags: mode | XDP_FLAGS.UPDATE_IF_NOEXIST, mode: o.mode });
  let progId = progInfo(progFd).id;
  let open = true;
  return {
    update(newFd) {
      if (!open) throw detached(ifname);
      // REPLACE with the expected fd: refused (EEXIST) if someone else's program runs there now.
      try {
        netlinkSetXdp(ifindex, newFd, { flags: mode | XDP_FLAGS.REPLACE, expectedFd: progFd, mode: o.mode });
      } catch (e) {
        const now = netlinkGetXdp(ifindex).progId;
        if (now !== progId)
          throw new LoaderError("not-ours", `replacing the program on ${ifname}`, notOurs(ifname, progId, now));
        throw e;
      }
      progFd = newFd;
      progId = progInfo(newFd).id;
      this.progId = progId;
    },
    release() {
      open = false;
    },
    kind: "netlink",
    ifname,
    ifindex,
    linkFd: -1,
    progId,
    detach() {
      if (!open) return undefined;
      open = false;
      const now = netlinkGetXdp(ifindex).progId;
      if (now !== progId) return notOurs(ifname, progId, now);
      // Only detach our own program: REPLACE with the expected fd fails if someone replaced it since.
      try {
        netlinkSetXdp(ifindex, -1, { flags: mode | XDP_FLAGS.REPLACE, expectedFd: progFd });
      } catch (e) {
        const code = (e as BpfError).code;
        if (code === "ENODEV") return undefined;
        if (code === "EEXIST" || code === "EBUSY") return notOurs(ifname, progId, netlinkGetXdp(ifindex).progId);
        throw e;
      }
      return undefined;
    },
  };
}

function detached(ifname: string): LoaderError {
  return new LoaderError("closed", `replacing the program on ${ifname}`, "the link was detached");
}

function notOurs(ifname: string, ours: number, now: number): string {
  return `program id ${ours} is no longer attached to ${ifname} (${now ? `program id ${now} replaced it` : "someone detached it"}); left ${ifname} as it is`;
}
