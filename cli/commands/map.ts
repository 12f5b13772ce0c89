// `tsebpf map list|dump|get|set|delete`: the maps a program pinned (`run --pin`, `load({ pin })`),
// or any map by kernel id (`id:N`), read and written from the command line. Keys and values print as the maps' BTF types describe
// them (integers, structs with field names, arrays; per-CPU maps one value per CPU), `--hex` as
// bytes, `--json` one JSON object a line; keys and values are given as for `run --map`.
import type { Command } from "commander";
import type { Io } from "../io.js";

interface MapOpts {
  json?: boolean;
  hex?: boolean;
}

export function register(program: Command, io: Io): void {
  const map = program
    .command("map")
    .description(
      "list, dump, read and write pinned maps (a path on a bpf filesystem, e.g. /sys/fs/bpf/fw/BLOCKLIST) or maps by id (id:N)",
    );
  map
    .command("list")
    .description("the maps pinned in a directory: name, type, key and value sizes, max_entries")
    .requiredOption("--pin <dir>", "the pin directory (run --pin, load({ pin }))")
    .action(async (o: { pin: string }) => (await body()).list(o.pin, io));
  map
    .command("dump")
    .description("every entry of a pinned map")
    .argument("<path>", "the pinned map, or id:N for the map with kernel id N (as prog list shows)")
    .option("--json", "one JSON object a line: {key, value}")
    .option("--hex", "keys and values as hex bytes")
    .action(async (path: string, o: MapOpts) => (await body()).dump(path, o, io));
  map
    .command("get")
    .description("one entry of a pinned map")
    .argument("<path>", "the pinned map, or id:N for the map with kernel id N (as prog list shows)")
    .argument("<key>", "the key: a number, 0x…, an IPv4 address, a CIDR (LPM tries), JSON for a struct or hex:<bytes>")
    .option("--json", "as JSON")
    .option("--hex", "the value as hex bytes")
    .action(async (path: string, key: string, o: MapOpts) => io.stdout((await body()).get(path, key, o)));
  map
    .command("set")
    .description("write entries of a pinned map")
    .argument("<path>", "the pinned map, or id:N for the map with kernel id N (as prog list shows)")
    .argument(
      "<entries...>",
      'key=value (value: a number, 0x…, an IPv4 address, JSON for a struct ({"packets":0,…}) or hex:<bytes>)',
    )
    .action(async (path: string, entries: string[]) => (await body()).set(path, entries));
  map
    .command("delete")
    .description("remove an entry of a pinned map (exit 1 when it was not there)")
    .argument("<path>", "the pinned map, or id:N for the map with kernel id N (as prog list shows)")
    .argument("<key>", "the key, as for get")
    .action(async (path: string, key: string) => (await body()).del(path, key));
}

const body = () => import("./map-body.js");
