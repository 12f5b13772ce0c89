// The CLI's view of the outside world, so `main(argv, io)` can be tested in-process. A closed
// stdout (EPIPE, as in `tsebpf … | head -1`) is not an error: later output is dropped quietly and
// `stdoutClosed` settles, so long-running commands can stop. Process IO touches process.stdout and
// process.stderr only when it must (their streams cost start-up time).
import { fstatSync, writeSync } from "node:fs";
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
  const out = fdStdout();
  let err: QuietStream | undefined;
  return {
    stdout: out.write,
    stderr: (s) => (err ??= quietOnEpipe(process.stderr)).write(s),
    get isTTY() {
      return !!process.stderr.isTTY;
    },
    env: process.env,
    cwd: process.cwd(),
    stdoutClosed: out.closed,
    stdoutBacklog: out.backlog,
  };
}

type QuietStream = { write: (s: string) => void; closed: Promise<void> };

/**
 * stdout: a file or terminal is written through fd 1 at once (fs.writeSync, as node writes them)
 * rather than through process.stdout, whose creation loads node's net and stream modules (about
 * 6 ms of `tsebpf run x.o`'s start-up); a pipe, or a terminal in non-blocking mode (EAGAIN), goes
 * through process.stdout, which queues what the reader has not taken yet (a reader that stops
 * reading never blocks the event loop).
 */
function fdStdout(): QuietStream & { backlog: () => number } {
  let onClosed!: () => void;
  const closed = new Promise<void>((r) => (onClosed = r));
  let isClosed = false;
  let stream: QuietStream | undefined;
  let direct: boolean | undefined;
  const viaStream = (s: string | Uint8Array) => {
    if (!stream) {
      stream = quietOnEpipe(process.stdout);
      stream.closed.then(onClosed);
    }
    if (typeof s === "string") stream.write(s);
    else process.stdout.write(s);
  };
  const writeNow = (s: string) => {
    const b = Buffer.from(s);
    let off = 0;
    try {
      while (off < b.length) off += writeSync(1, b, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return void ((isClosed = true), onClosed());
      if (code !== "EAGAIN") throw e;
      direct = false;
      viaStream(b.subarray(off));
    }
  };
  return {
    write(s) {
      if (isClosed) return;
      direct ??= isFileOrTerminal(1);
      if (direct) writeNow(s);
      else viaStream(s);
    },
    closed,
    backlog: () => (stream ? process.stdout.writableLength : 0),
  };
}

function isFileOrTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFile() || st.isCharacterDevice();
  } catch {
    return false;
  }
}

function quietOnEpipe(stream: NodeJS.WriteStream): QuietStream {
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
