// `tsebpf run`'s command line parsed from cli/commands/run-options.ts alone, without commander:
// takes argv after `run`, gives the program argument and RunOpts as commander would give them, or
// undefined for anything it leaves to commander (--help, an unknown or variadic option, a missing
// value, `--`, grouped short flags, a second program), which then parses and reports it.
import type { RunOpts } from "./commands/run-program.js";
import { RUN_OPTIONS, type RunOption } from "./commands/run-options.js";

/** The option named by `-s` or `--long` (variadic ones are left to commander). */
function optionOf(arg: string): RunOption | undefined {
  for (const o of RUN_OPTIONS) if ((o.long === arg || o.short === arg) && !o.variadic) return o;
  return undefined;
}

export function parseRunArgs(args: readonly string[]): { file?: string; opts: RunOpts } | undefined {
  const opts: Record<string, string | string[] | boolean> = {};
  for (const o of RUN_OPTIONS) if (o.default !== undefined) opts[o.key] = o.default;
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("-") || a === "-") {
      if (file !== undefined) return undefined;
      file = a;
      continue;
    }
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const o = optionOf(eq > 0 ? a.slice(0, eq) : a);
    if (!o) return undefined;
    if (!o.value) {
      if (eq > 0) return undefined;
      opts[o.key] = true;
      continue;
    }
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) return undefined;
    const prev = opts[o.key];
    opts[o.key] = o.repeat ? [...((prev as string[] | undefined) ?? []), value] : value;
  }
  return { file, opts: opts as unknown as RunOpts };
}
