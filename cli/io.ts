// The CLI's view of the outside world, so `main(argv, io)` can be tested in-process. A closed
// stdout (EPIPE, as in `tsebpf … | head -1`) is not an error: later output is dropped quietly and
// `stdoutClosed` settles, so long-running commands can stop.
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Settles when the reader of stdout has gone away (process IO only). */
  stdoutClosed?: Promise<void>;
  /** Bytes written to stdout but not yet taken by its reader (process IO only). */
  stdoutBacklog?: () => number;
}

export function processIo(): Io {
  const out = quietOnEpipe(process.stdout),
    err = quietOnEpipe(process.stderr);
  return {
    stdout: out.write,
    stderr: err.write,
    isTTY: !!process.stderr.isTTY,
    env: process.env,
    cwd: process.cwd(),
    stdoutClosed: out.closed,
    stdoutBacklog: () => process.stdout.writableLength,
  };
}

function quietOnEpipe(stream: NodeJS.WriteStream): { write: (s: string) => void; closed: Promise<void> } {
  let isClosed = false;
  let onClosed!: () => void;
  const closed = new Promise<void>((r) => (onClosed = r));
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    isClosed = true;
    onClosed();
  });
  return { write: (s) => void (isClosed || stream.write(s)), closed };
}
