// `tsebpf test`: placeholder until its issue lands.
import type { Command } from "commander";
import type { Io } from "../io.js";
import { CliError } from "../io.js";

export function register(program: Command, _io: Io, _setExit: (code: number) => void): void {
  program
    .command("test")
    .description("(not implemented yet)")
    .allowUnknownOption()
    .action(() => {
      throw new CliError("'test' is not implemented yet");
    });
}
