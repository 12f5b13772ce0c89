// Links that outlive their process: takes an XDP bpf_link attachment and a path on a bpf
// filesystem and pins it there (the program stays attached after the process exits), and takes
// such a path and detaches the link behind it (`tsebpf detach --pin`), removing the pin.
import { readdirSync, readFileSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import type { Attachment } from "./attach.js";
import { LoaderError } from "./errors.js";
import { BPF_FS_MAGIC } from "./pin.js";
import { fdKind, linkDetach, linkInfo, objGet, objPin } from "./sys/bpf.js";
import { closeFd, fsMagic } from "./sys/libc.js";

/** Pin an attachment's bpf_link at `path` (a new file in a bpffs directory). */
export function pinLink(att: Attachment, path: string): void {
  const context = `pinning the link of ${att.ifname} to ${path}`;
  if (att.kind !== "link")
    throw new LoaderError(
      "pin",
      context,
      "a netlink attachment has no bpf_link to pin (it stays attached until detached)",
      "attach without { netlink: true }",
    );
  checkBpffs(dirname(path), context);
  objPin(att.linkFd, path);
}

export interface DetachedLink {
  progId: number;
  ifindex: number;
  /** The interface's name, when it still exists in this network namespace. */
  ifname?: string;
}

/** Detach the XDP link pinned at `path` and remove the pin. */
export function detachPinnedLink(path: string): DetachedLink {
  const context = `detaching the link pinned at ${path}`;
  checkBpffs(dirname(path), context);
  const fd = objGet(path);
  try {
    const kind = fdKind(fd);
    if (kind !== "link")
      throw new LoaderError(
        "pin",
        context,
        `that is a pinned ${kind === "prog" ? "program" : kind}, not a link: it attaches nothing`,
        `rm ${path} to remove the pin`,
      );
    const { progId, ifindex } = linkInfo(fd);
    linkDetach(fd);
    unlinkSync(path);
    return { progId, ifindex, ifname: ifName(ifindex) };
  } finally {
    closeFd(fd);
  }
}

/** `dir` is on a bpf filesystem, or a LoaderError. */
export function checkBpffs(dir: string, context: string): void {
  if (fsMagic(dir) !== BPF_FS_MAGIC)
    throw new LoaderError("pin", context, `${dir} is not a directory on a bpf filesystem (mount -t bpf bpf DIR)`);
}

/** The name of interface `ifindex` in this network namespace (from /sys/class/net), if any. */
function ifName(ifindex: number): string | undefined {
  try {
    return readdirSync("/sys/class/net").find(
      (n) => Number(readFileSync(`/sys/class/net/${n}/ifindex`, "utf8")) === ifindex,
    );
  } catch {
    return undefined;
  }
}
