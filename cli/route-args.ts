// `tsebpf test --route`: takes route specs as `ip route` spells them, e.g.
// "203.0.113.0/24 dev 3 via 203.0.113.254 smac 02:00:00:00:00:01 dmac 02:00:00:00:00:02 mtu 1500
// metric 0" or "blackhole 192.0.2.0/24", and produces the VM's route table entries for
// bpf_fib_lookup (loader/vm/fib.ts), refusing a bad one with a CliError naming it.
import { CliError } from "./errors.js";
import { FibTable, type FibRoute } from "../loader/vm/fib.js";

const TYPES = ["unicast", "local", "blackhole", "unreachable", "prohibit"] as const;
const INTS = { dev: "ifindex", mtu: "mtu", metric: "metric" } as const;
const TEXTS = { via: "gateway", smac: "smac", dmac: "dmac" } as const;

export function parseRoutes(specs: readonly string[]): FibRoute[] {
  const routes = specs.map(parseRoute);
  try {
    new FibTable(routes);
  } catch (e) {
    throw new CliError(`--route: ${(e as Error).message}`);
  }
  return routes;
}

function parseRoute(spec: string): FibRoute {
  const words = spec.trim().split(/\s+/);
  const bad = (why: string) => new CliError(`--route '${spec}': ${why}`);
  const type = (TYPES as readonly string[]).includes(words[0] ?? "") ? (words.shift() as FibRoute["type"]) : undefined;
  const dst = words.shift();
  if (!dst) throw bad("expected a destination prefix, e.g. '203.0.113.0/24 dev 3 dmac 02:00:00:00:00:02'");
  const r: FibRoute = { dst, ...(type && { type }) };
  while (words.length) {
    const [k, v] = [words.shift()!, words.shift()];
    if (v === undefined) throw bad(`'${k}' needs a value`);
    if (Object.hasOwn(INTS, k)) {
      if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) throw bad(`${k} '${v}' is not a u32`);
      r[INTS[k as keyof typeof INTS]] = Number(v);
    } else if (Object.hasOwn(TEXTS, k)) r[TEXTS[k as keyof typeof TEXTS]] = v;
    else throw bad(`unknown word '${k}' (expected dev, via, smac, dmac, mtu, metric)`);
  }
  if ((r.type ?? "unicast") === "unicast" && r.ifindex === undefined) throw bad("a unicast route needs 'dev IFINDEX'");
  return r;
}
