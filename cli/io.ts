// The CLI's view of the outside world, so `main(argv, io)` can be tested in-process.
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}

export function processIo(): Io {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    isTTY: !!process.stderr.isTTY,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** A user-facing failure: printed as one line, exit code 1 (or `code`). Never a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}
