// `tsebpf run`'s command line parsed from cli/commands/run-options.ts alone, without commander:
// takes argv after `run`, gives the program argument and RunOpts as commander would give them, or
// undefined for anything it leaves to commander (--help, an unknown or variadic option, a missing
// value, `--`, grouped short flags, a second program), which then parses and reports it.
import type { RunOpts } from "./commands/run-program.js";
import { RUN_OPTIONS, type RunOption } from "./commands/run-options.js";

interface Flag {
  key: string;
  takesValue: boolean;
  option: RunOption;
}

let table: Map<string, Flag> | undefined;

/** `-i` and `--iface` → { key: "iface", … }; variadic options are left out (commander parses them). */
function flags(): Map<string, Flag> {
  if (table) return table;
  table = new Map();
  for (const option of RUN_OPTIONS) {
    const m = /^(?:(-\w), )?--([\w-]+)(?: <([^>]+)>)?$/.exec(option.flags);
    if (!m) throw new Error(`run option '${option.flags}': not a flags string run-args reads`);
    if (m[3]?.endsWith("...")) continue;
    const flag = { key: m[2].replace(/-(\w)/g, (_, c: string) => c.toUpperCase()), takesValue: !!m[3], option };
    table.set(`--${m[2]}`, flag);
    if (m[1]) table.set(m[1], flag);
  }
  return table;
}

export function parseRunArgs(args: readonly string[]): { file?: string; opts: RunOpts } | undefined {
  const opts: Record<string, string | string[] | boolean> = {};
  for (const o of RUN_OPTIONS) if (o.default !== undefined) opts[flags().get(longName(o))!.key] = o.default;
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("-") || a === "-") {
      if (file !== undefined) return undefined;
      file = a;
      continue;
    }
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const flag = flags().get(eq > 0 ? a.slice(0, eq) : a);
    if (!flag) return undefined;
    if (!flag.takesValue) {
      if (eq > 0) return undefined;
      opts[flag.key] = true;
      continue;
    }
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) return undefined;
    const prev = opts[flag.key];
    opts[flag.key] = flag.option.repeat ? [...((prev as string[] | undefined) ?? []), value] : value;
  }
  return { file, opts: opts as unknown as RunOpts };
}

function longName(o: RunOption): string {
  return o.flags.replace(/^-\w, /, "").replace(/ .*$/, "");
}
