// When `tsebpf run` stops: takes the process IO (and, in-process, a promise), listens for the
// terminating signals, a closed stdout (EPIPE) and the promise, and produces one Stop that
// settles with the first of them. Installed before anything is attached, so a signal that
// arrives while loading or attaching is not lost (the default action would kill the process and
// leave a netlink attachment behind). An ignored SIGHUP (nohup; bin/tsebpf passes it on as
// TSEBPF_SIGHUP_IGNORED=1, since node resets ignored signals at start-up) stays ignored.
import type { Io } from "./io.js";

/** The signals whose default action would end the process; SIGUSR1 belongs to node's inspector. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGALRM", "SIGUSR2"] as const;

export interface Stop {
  /** What stopped the run (a signal name, "EPIPE" or "stop"), once it happened. */
  readonly reason: string | undefined;
  /** Settles with the reason; keeps the process alive from its first read until then (a timer made
   * at start-up costs ½ ms before anything is attached; loading and attaching are synchronous). */
  readonly wait: Promise<string>;
  /** Remove the listeners (after everything is detached). */
  dispose(): void;
}

export function listenForStop(io: Io, until?: Promise<unknown>): Stop {
  let reason: string | undefined;
  let settle!: (why: string) => void;
  const wait = new Promise<string>((r) => (settle = r));
  let keepAlive: ReturnType<typeof setInterval> | undefined; // signal listeners alone do not keep node running
  const fire = (why: string) => {
    if (reason) return;
    reason = why;
    clearInterval(keepAlive);
    settle(why);
  };
  const hupIgnored = io.env.TSEBPF_SIGHUP_IGNORED === "1";
  const handlers = STOP_SIGNALS.map((s) => [s, s === "SIGHUP" && hupIgnored ? () => {} : () => fire(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  until?.then(
    () => fire("stop"),
    () => fire("stop"),
  );
  io.stdoutClosed?.then(() => fire("EPIPE"));
  return {
    get reason() {
      return reason;
    },
    get wait() {
      if (!reason) keepAlive ??= setInterval(() => {}, 1 << 30);
      return wait;
    },
    dispose() {
      clearInterval(keepAlive);
      for (const [s, h] of handlers) process.off(s, h);
    },
  };
}
