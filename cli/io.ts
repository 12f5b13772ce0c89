// The CLI's view of the outside world, so `main(argv, io)` can be tested in-process. A closed
// stdout (EPIPE, as in `tsebpf … | head -1`) is not an error: later output is dropped quietly and
// `stdoutClosed` settles, so long-running commands can stop. Process IO touches process.stdout and
// process.stderr only when it must (their streams cost start-up time).
import { constants, fstatSync, openSync, writeSync } from "node:fs";
import { libcBound, sendNow } from "../loader/sys/libc.js";
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
 * stdout: written at once with fs.writeSync rather than through process.stdout, whose creation
 * loads node's net and stream modules (about 6 ms of `tsebpf run x.o`'s start-up): a file or
 * terminal through fd 1, a pipe through a non-blocking descriptor of the same pipe (opened from
 * /proc/self/fd/1, so fd 1's own flags stay as they are). A full pipe (EAGAIN), a terminal in
 * non-blocking mode, or anything else (a socket) goes through process.stdout from then on, which
 * queues what the reader has not taken yet (a reader that stops reading never blocks the event
 * loop).
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
  let writeSome: Writer = (b, off) => writeSync(1, b, off);
  const writeNow = (s: string) => {
    const b = Buffer.from(s);
    let off = 0;
    try {
      while (off < b.length) off += writeSome(b, off);
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
      if (direct === undefined) {
        const w = directWriter();
        direct = w !== undefined;
        if (w) writeSome = w;
      }
      if (direct) writeNow(s);
      else viaStream(s);
    },
    closed,
    backlog: () => (stream ? process.stdout.writableLength : 0),
  };
}

/** Writes what it can of b from off, returns the bytes written; throws EAGAIN, EPIPE, … as fs does. */
type Writer = (b: Buffer, off: number) => number;

/** How stdout is written at once: fd 1 for a file or terminal, a non-blocking descriptor of the
 * same pipe for a pipe, a non-blocking send for a socket when libc's functions are bound already
 * (`run`, once attached: loading them costs more than process.stdout); else undefined. */
function directWriter(): Writer | undefined {
  try {
    const st = fstatSync(1);
    if (st.isFile() || st.isCharacterDevice()) return (b, off) => writeSync(1, b, off);
    if (st.isFIFO()) {
      const fd = openSync("/proc/self/fd/1", constants.O_WRONLY | constants.O_NONBLOCK);
      return (b, off) => writeSync(fd, b, off);
    }
    if (st.isSocket() && libcBound())
      return (b, off) => {
        const n = sendNow(1, b.subarray(off));
        if (n >= 0) return n;
        const code = n === -11 ? "EAGAIN" : n === -32 ? "EPIPE" : `errno ${-n}`;
        throw Object.assign(new Error(`write to stdout: ${code}`), { code });
      };
  } catch {
    // no fd 1, or no /proc: process.stdout
  }
  return undefined;
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
