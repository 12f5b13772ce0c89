// Which ELF sections hold XDP programs (libbpf's section table: `xdp`, `xdp.frags`, and their
// `/…` forms such as the DSL's `xdp/<name>`; `xdp.frags` ones load with BPF_F_XDP_HAS_FRAGS), and
// the message for a program that is not XDP.
import type { LoadedProgram } from "../compiler/object.js";

export function isXdpSection(section: string): boolean {
  return named(section, "xdp") || isFragsSection(section);
}

/** `xdp.frags` and `xdp.frags/…`: programs loaded with BPF_F_XDP_HAS_FRAGS (multi-buffer packets). */
export function isFragsSection(section: string): boolean {
  return named(section, "xdp.frags");
}

/** `base` or `base/…`, as libbpf matches a section prefix (string tests: V8 compiles a regular
 * expression on its first use, which `run` pays before attaching). */
function named(section: string, base: string): boolean {
  return section.startsWith(base) && (section.length === base.length || section[base.length] === "/");
}

export function notXdpMessage(p: Pick<LoadedProgram, "name" | "section">): string {
  return `program '${p.name}' is in section '${p.section}', which is not an XDP section: tsebpf loads, runs and attaches XDP programs only (sections xdp, xdp/…, xdp.frags, xdp.frags/…)`;
}
