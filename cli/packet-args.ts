// `--packet` arguments: takes hex text or the name of a file (pcap, pcapng, or raw bytes; read by
// loader/packets.ts) and produces Ethernet frames.
import { existsSync, readFileSync, statSync } from "node:fs";
import { packetsOfFile, type Warn } from "../loader/packets.js";
import { CliError } from "./errors.js";

/** Read a packet argument: a file (.pcap, .pcapng or raw bytes) or hex text. Returns one or more packets. */
export function readPackets(arg: string, warn: Warn = () => {}): Uint8Array[] {
  if (existsSync(arg) && statSync(arg).isFile()) return packetsOfFile(arg, new Uint8Array(readFileSync(arg)), warn);
  const hex = arg.replace(/^0x/i, "").replace(/[\s:,-]/g, "");
  if (!hex.length || !/^[0-9a-fA-F]+$/.test(hex) || hex.length % 2)
    throw new CliError(
      `--packet '${arg.length > 40 ? arg.slice(0, 40) + "…" : arg}': neither a file nor an even number of hex digits`,
    );
  return [new Uint8Array(Buffer.from(hex, "hex"))];
}
