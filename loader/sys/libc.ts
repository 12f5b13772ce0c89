// The libc functions the loader needs, bound through koffi (FFI) on first use — not when the module
// is evaluated, so the module can sit in the start-up snapshot (scripts/build-snapshot.js) and the
// native addon is loaded after deserialisation. Takes nothing; exports thin callables that return
// raw results (-1 on failure) and `lastErrno()` for koffi's saved errno.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { default as Koffi, LibraryHandle } from "koffi";
import { BpfError } from "./errors.js";

let koffiModule: typeof Koffi | undefined;
function koffi(): typeof Koffi {
  koffiModule ??= loadKoffi();
  return koffiModule;
}

/**
 * koffi's prebuilt native module for this platform, loaded directly: koffi's own entry finds it by
 * reading node's ELF header for the libc kind and through an ESM wrapper, which costs about as much
 * again as loading the addon (start → attached, bench/loader.js). libc.so.6 is glibc, so the glibc
 * build, looked for in the node_modules folders above this file as npm installs it beside koffi
 * (found with a stat per folder: node's resolver takes longer than the addon takes to load), else
 * through koffi's own location; koffi itself when it is in neither.
 */
function loadKoffi(): typeof Koffi {
  const { platform, arch } = process;
  const addon = `@koromix/koffi-${platform}-${arch}/${platform}_${arch}/koffi.node`;
  const require = () => createRequire(import.meta.url); // for the fallbacks only
  // import.meta.dirname: node ≥ 20.11 and the run bundle (no URL to make and parse at start-up)
  const here = import.meta.dirname ?? dirname(fileURLToPath(import.meta.url));
  // from two folders up (the package root, or dist/ once built): the ones below never hold node_modules
  const found = [() => findUp(join(here, "../.."), join("node_modules", addon))];
  found.push(() => createRequire(require().resolve("koffi")).resolve(addon));
  for (const path of found)
    try {
      const m = { exports: {} as typeof Koffi };
      process.dlopen(m, path()!);
      if (typeof m.exports.load === "function" && typeof m.exports.errno === "function") return m.exports;
    } catch {
      // not installed there
    }
  return require()("koffi") as typeof Koffi;
}

/** `rel` in `dir` or the nearest folder above it that has it. */
function findUp(dir: string, rel: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, rel))) return join(d, rel);
    if (dirname(d) === d) return undefined;
  }
}

/** The libc functions the loader calls, by their C prototypes (koffi's syntax). */
const PROTOTYPES = {
  syscall: "long syscall(long nr, int cmd, void *attr, unsigned int size)",
  close: "int close(int fd)",
  mmap: "void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)",
  munmap: "int munmap(void *addr, size_t len)",
  socket: "int socket(int domain, int type, int protocol)",
  bind: "int bind(int fd, void *addr, unsigned int len)",
  setsockopt: "int setsockopt(int fd, int level, int name, void *val, unsigned int len)",
  sendto: "long sendto(int fd, void *buf, size_t len, int flags, void *addr, unsigned int alen)",
  recv: "long recv(int fd, _Out_ void *buf, size_t len, int flags)",
  if_nametoindex: "unsigned int if_nametoindex(const char *name)",
  getpagesize: "int getpagesize()",
  statfs: "int statfs(const char *path, _Out_ void *buf)",
} as const;

type Libc = Record<keyof typeof PROTOTYPES, ReturnType<LibraryHandle["func"]>>;
let lib: LibraryHandle | undefined;
const bound: Partial<Libc> = {};

/** libc's functions, each bound on its first call (`run` needs three before it attaches). */
export const libc: Libc = new Proxy({} as Libc, {
  get: (_, name: keyof Libc) => {
    let f = bound[name];
    if (!f) {
      lib ??= koffi().load("libc.so.6");
      f = bound[name] = lib.func(PROTOTYPES[name]);
    }
    return f;
  },
});

/** Whether libc's functions are bound already (the native addon is loaded): callers that have a
 * cheaper way without it can ask. */
export function libcBound(): boolean {
  return lib !== undefined;
}

const MSG_DONTWAIT = 0x40,
  MSG_NOSIGNAL = 0x4000;

/** Sends what it can of `b` on socket `fd` without blocking: the bytes sent, or -errno (-EAGAIN
 * when the socket's buffer is full). */
export function sendNow(fd: number, b: Uint8Array): number {
  const n = Number(libc.sendto(fd, b, b.length, MSG_DONTWAIT | MSG_NOSIGNAL, null, 0));
  return n < 0 ? -lastErrno() : n;
}

export function lastErrno(): number {
  return koffi().errno();
}

/** The address of a Buffer's bytes, for pointer fields inside bpf_attr. */
export function addr(b: Uint8Array | null | undefined): bigint {
  return b && b.length ? BigInt(koffi().address(b)) : 0n;
}

export const PROT_READ = 1,
  PROT_WRITE = 2;
const MAP_SHARED = 1;

/** A shared mapping of `len` bytes of a BPF map's fd at `off` (ring buffers, mmapable arrays);
 * release it with libc.munmap(ptr, len). */
export function mapShared(fd: number, len: number, prot: number, off: number, context: string): unknown {
  const p = libc.mmap(null, len, prot, MAP_SHARED, fd, off);
  if (isNullPtr(p)) throw new BpfError(context, lastErrno());
  return p;
}

/** An ArrayBuffer over foreign memory (an mmap'ed ring buffer). */
export function viewOf(ptr: unknown, len: number): ArrayBuffer {
  return koffi().view(ptr, len);
}

export function isNullPtr(ptr: unknown): boolean {
  return ptr === null || koffi().address(ptr) === 0n || koffi().address(ptr) === 0xffffffffffffffffn;
}

/** The file system type (statfs f_type, e.g. 0xcafe4a11 for bpffs) of the file system holding path; -1 on error. */
export function fsMagic(path: string): number {
  const buf = Buffer.alloc(256); // struct statfs is 120 bytes on 64-bit Linux; f_type is its first long
  if (libc.statfs(path, buf) !== 0) return -1;
  return Number(buf.readBigUInt64LE(0) & 0xffffffffn);
}

export const SYS_bpf = process.arch === "arm64" ? 280 : 321;

export function closeFd(fd: number): void {
  if (fd >= 0) libc.close(fd);
}
