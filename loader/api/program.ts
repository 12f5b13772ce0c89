// A program of a loaded object in the library API: takes its fd and name and gives attach (an
// XDP bpf_link, netlink when the kernel has no XDP links or when asked) and testRun
// (BPF_PROG_TEST_RUN: verdict, output packet, ns per run).
import { attachXdp, type AttachOptions, type Attachment } from "../attach.js";
import { testRun, xdpActionName } from "../test-run.js";
import { LoaderError } from "../errors.js";
import { pinLink } from "../pinned-link.js";
import { rmSync } from "node:fs";

export interface TestRunResult {
  /** The XDP action the program returned (0 aborted, 1 drop, 2 pass, 3 tx, 4 redirect). */
  action: number;
  /** Its name: "XDP_PASS", … */
  verdict: string;
  /** The packet after the program ran. */
  packet: Uint8Array;
  /** Mean nanoseconds per run. */
  durationNs: number;
}

/**
 * An attachment; detach() is idempotent. Closing its object (or `using`) detaches it unless it
 * was pinned: a pinned link stays attached after the process exits (`tsebpf detach --pin PATH`).
 */
export class Link {
  private pinnedAt?: string;
  /** `owner`: the links of the object whose program it runs (closing that object detaches it). */
  constructor(
    private readonly att: Attachment,
    private owner: Set<Link>,
  ) {
    owner.add(this);
  }

  get kind(): "link" | "netlink" {
    return this.att.kind;
  }

  get ifindex(): number {
    return this.att.ifindex;
  }

  get programId(): number {
    return this.att.progId;
  }

  /**
   * Run `program` (typically the same program of a newer object) on this attachment instead, atomically
   * (BPF_LINK_UPDATE; a netlink attachment: XDP_FLAGS_REPLACE with the expected program). The link then
   * belongs to `program`'s object: closing the old object no longer detaches it. To keep the maps'
   * contents, load the new object with the same `pin` directory (its maps are reused).
   */
  update(program: Program): void {
    this.att.update(program.fd);
    this.owner.delete(this);
    this.owner = program.adopt(this);
  }

  /** Where pin() pinned it, if it did. */
  get pinPath(): string | undefined {
    return this.pinnedAt;
  }

  /** Pin the bpf_link at `path` on a bpf filesystem: the program stays attached after the process exits. */
  pin(path: string): void {
    pinLink(this.att, path);
    this.pinnedAt = path;
  }

  /** Detach (also a pinned link, removing its pin) if the interface still runs this program; otherwise a note why it was left alone. */
  detach(): string | undefined {
    const note = this.att.detach();
    if (this.pinnedAt) rmSync(this.pinnedAt, { force: true });
    this.pinnedAt = undefined;
    return note;
  }

  /** Detach, or for a pinned link only let go of it (it stays attached). */
  [Symbol.dispose](): void {
    if (this.pinnedAt) this.att.release();
    else this.detach();
  }
}

export class Program {
  constructor(
    readonly name: string,
    private readonly fdOf: () => number,
    private readonly links: Set<Link>,
  ) {}

  get fd(): number {
    return this.fdOf();
  }

  /** Attach to `iface` (mode: skb, drv or hw; default: the kernel chooses). */
  attach(iface: string, opts: Omit<AttachOptions, "verbose"> = {}): Link {
    if (opts.mode && !["skb", "drv", "hw"].includes(opts.mode))
      throw new LoaderError(
        "bad-mode",
        `attaching ${this.name} to ${iface}`,
        `mode '${opts.mode}': expected skb, drv or hw`,
      );
    return new Link(attachXdp(this.fd, iface, opts), this.links);
  }

  /** @internal Link.update: the link now runs this program, so it belongs to this object. */
  adopt(link: Link): Set<Link> {
    this.links.add(link);
    return this.links;
  }

  testRun(packet: Uint8Array, opts: { repeat?: number } = {}): TestRunResult {
    if (packet.length < 14)
      throw new LoaderError(
        "bad-packet",
        `test run of ${this.name}`,
        `the packet is ${packet.length} byte(s); XDP needs at least 14 (an Ethernet header)`,
      );
    const r = testRun(this.fd, packet, opts);
    return { action: r.retval, verdict: xdpActionName(r.retval), packet: r.dataOut, durationNs: r.durationNs };
  }
}
