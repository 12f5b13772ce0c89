// Turns a failed PROG_LOAD (errno + verifier log) into a readable error: a one-line summary,
// the last verifier lines around the failure, the source line from BTF line info, and a hint
// naming CAP_PERFMON when the verifier refused pointer arithmetic to a process without it.
import { errnoName } from "./sys/errors.js";
import { HINT } from "./sys/errors.js";
import { LoaderError } from "./errors.js";

/** PROG_LOAD failed: code "verifier" (or "EPERM"), with the full verifier log. */
export class VerifierError extends LoaderError {
  override name = "VerifierError";
  constructor(
    readonly program: string,
    readonly errno: number,
    readonly log: string,
    reason: string,
    hint?: string,
  ) {
    super(errnoName(errno) === "EPERM" ? "EPERM" : "verifier", "", reason, hint);
  }
}

const TAIL = 12;

export function verifierError(program: string, errno: number, log: string): VerifierError {
  const lines = log
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.length);
  const code = errnoName(errno);
  if (code === "EPERM")
    return new VerifierError(
      program,
      errno,
      log,
      `loading program '${program}': permission denied (${code})`,
      HINT.perm,
    );
  const reason = failureLine(lines) ?? `${code}`;
  const tail = tailLines(lines);
  const src = lastSourceLine(lines);
  const parts = [`verifier rejected program '${program}': ${reason} (${code})`];
  if (src) parts.push(`  at source: ${src}`);
  if (tail.length) parts.push("  verifier log (last lines):", ...tail.map((l) => `    ${l}`));
  const perfmon = /prohibited for !root|pointer -= pointer prohibited|pointer arithmetic .*prohibited/.test(reason);
  return new VerifierError(program, errno, log, parts.join("\n"), perfmon ? HINT.perfmon : undefined);
}

/** The verifier's own error line: the last line that is not a statistics or trailer line. */
function failureLine(lines: string[]): string | undefined {
  const skip = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|mark_precise|\s*$)/;
  for (let i = lines.length - 1; i >= 0; i--)
    if (!skip.test(lines[i]) && !/^\d+: /.test(lines[i]) && !lines[i].startsWith(";")) return lines[i];
  return undefined;
}

function tailLines(lines: string[]): string[] {
  const body = lines.filter((l) => !/^(processed \d+ insns|verification time|stack depth|max_states_per_insn)/.test(l));
  return body.slice(-TAIL);
}

/** `; <source> @ file:line` lines appear in the log when line info was given. */
function lastSourceLine(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].startsWith("; ")) return lines[i].slice(2).trim();
  return undefined;
}
