// The CLI's one error mapping: takes whatever a command threw and prints it — a diagnostic with
// its source line, a loader error (context: reason, hint), a malformed object file with its
// offset, a file-system error on a path the user gave — as `tsebpf: error: …` and returns the exit
// code. Anything else is an internal error (70; the stack only with TSEBPF_DEBUG).
import type { Io } from "./io.js";
import { DiagnosticError } from "../compiler/diagnostics.js";
import { ElfFormatError } from "../compiler/elf/bytes.js";
import { LoaderError } from "../loader/errors.js";

/** A mistake in the command line itself: printed as one line, exit code 1 (or `code`). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

/** `error` happened while reading the user's file `file`: its line starts with the file name. */
export class InFile extends Error {
  constructor(
    readonly file: string,
    readonly error: unknown,
  ) {
    super(`${file}: ${(error as Error)?.message}`);
  }
}

/** File-system errors on a user-given path: one line, not an internal error. */
const FS_ERRORS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  ENAMETOOLONG: "file name too long",
  ELOOP: "too many symbolic links",
};

/** Print `e` for the user; returns the exit code. */
export async function reportError(e: unknown, io: Io): Promise<number> {
  if (e instanceof DiagnosticError) {
    const { renderAll, useColor } = await import("./render.js"); // only on errors: keeps start-up small
    io.stderr(renderAll(e.diagnostics, { color: useColor(io.env, io.isTTY), sources: e.sources }));
    return 1;
  }
  const line = errorLine(e);
  if (line !== undefined) {
    io.stderr(`tsebpf: error: ${line}\n`);
    return e instanceof CliError ? e.code : 1;
  }
  const err = (e instanceof InFile ? e.error : e) as Error;
  io.stderr(`tsebpf: internal error: ${err?.message ?? String(e)}\n`);
  if (io.env.TSEBPF_DEBUG) io.stderr(`${err?.stack}\n`);
  return 70;
}

/** The text after `tsebpf: error: ` for an error the user can act on; undefined for internal errors. */
export function errorLine(e: unknown, file?: string): string | undefined {
  if (e instanceof InFile) return errorLine(e.error, e.file);
  if (e instanceof CliError || e instanceof LoaderError) return e.message;
  if (e instanceof ElfFormatError) return `${file ?? "object"}: ${e.message}`;
  const err = e as NodeJS.ErrnoException;
  const fsError = FS_ERRORS[err?.code ?? ""];
  const path = err?.path ?? file;
  return fsError && path ? `${path}: ${fsError}` : undefined;
}
