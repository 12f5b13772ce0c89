// The loader's one error class: every failure the user can act on (a bad object, a map key that
// does not fit, a system call the kernel refused, a verifier rejection) is a LoaderError with a
// code, the context it happened in and, when there is one, a hint. Library users read the fields;
// the CLI prints the message (context: reason, then the hint on its own line).

/**
 * What went wrong, for programs to test: the errno name (EPERM, E2BIG…) for a refused system
 * call, else one of these kinds.
 */
export type LoaderErrorCode =
  | "bad-object"
  | "unknown-kind"
  | "no-program"
  | "not-xdp"
  | "relocation"
  | "core"
  | "verifier"
  | "no-map"
  | "bad-key"
  | "bad-value"
  | "map-full"
  | "pin"
  | "no-interface"
  | "packet-file"
  | "closed"
  | "not-ring"
  | (string & {});

export class LoaderError extends Error {
  override name = "LoaderError";
  constructor(
    readonly code: LoaderErrorCode,
    /** What was being done or read: a file, "creating map 'X'", "attaching XDP to eth0" ("" if the reason says it). */
    readonly context: string,
    /** Why it failed. */
    readonly reason: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(`${context ? `${context}: ` : ""}${reason}${hint ? `\n  hint: ${hint}` : ""}`, options);
  }
}
