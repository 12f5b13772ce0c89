// `tsebpf prog list`: the XDP programs loaded in the kernel (loader/prog-list.ts), one line each —
// id, name, tag, the interfaces they are attached to, their maps as id:name — or, with --json,
// one JSON object a line.
import type { Command } from "commander";
import type { Io } from "../io.js";

export function register(program: Command, io: Io): void {
  const prog = program.command("prog").description("the XDP programs loaded in the kernel");
  prog
    .command("list")
    .description("XDP programs: id, name, tag, the interfaces they are attached to, their maps (id:name)")
    .option("--json", "one JSON object a line: {id, name, tag, interfaces, maps: [{id, name}]}")
    .addHelpText("after", "\nNeeds root or CAP_SYS_ADMIN (the kernel lists program ids only to it).")
    .action(async (o: { json?: boolean }) => {
      const { listXdpPrograms } = await import("../../loader/prog-list.js");
      for (const p of listXdpPrograms()) {
        if (o.json) io.stdout(JSON.stringify(p) + "\n");
        else {
          const maps = p.maps.map((m) => `${m.id}:${m.name}`).join(",") || "-";
          io.stdout(`${p.id}  ${p.name || "-"}  tag ${p.tag}  ifaces ${p.interfaces.join(",") || "-"}  maps ${maps}\n`);
        }
      }
    });
}
