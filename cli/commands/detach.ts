// `tsebpf detach --pin <path>`: detach the XDP program whose bpf_link was pinned at PATH (by
// `link.pin()` in the library, so it outlived its process) and remove the pin; prints what it did.
import type { Command } from "commander";
import type { Io } from "../io.js";

export function register(program: Command, io: Io): void {
  program
    .command("detach")
    .description("detach an XDP program whose bpf_link is pinned (link.pin() in the library) and remove the pin")
    .requiredOption("--pin <path>", "the pinned link, on a bpf filesystem (e.g. /sys/fs/bpf/fw/link)")
    .addHelpText(
      "after",
      `
Needs root, or CAP_BPF + CAP_NET_ADMIN. A pinned link keeps its program attached after the process
that attached it exits; this is how to take it off.

Example:
  sudo tsebpf detach --pin /sys/fs/bpf/fw/link`,
    )
    .action(async (o: { pin: string }) => {
      const { detachPinnedLink } = await import("../../loader/pinned-link.js");
      const d = detachPinnedLink(o.pin);
      const where = d.ifname ? `${d.ifname} (ifindex ${d.ifindex})` : `ifindex ${d.ifindex || "? (already gone)"}`;
      io.stdout(`detached program id ${d.progId} from ${where}; removed ${o.pin}\n`);
    });
}
