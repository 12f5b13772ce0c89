// `tsebpf run`: placeholder until its issue lands.
import type { Command } from "commander";
import type { Io } from "../io.js";
import { CliError } from "../io.js";

export function register(program: Command, _io: Io, _setExit: (code: number) => void): void {
  program
    .command("run")
    .description("(not implemented yet)")
    .allowUnknownOption()
    .action(() => {
      throw new CliError("'run' is not implemented yet");
    });
}
