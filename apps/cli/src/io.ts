/** The streams a command talks through; tests pass in-memory ones. */
export interface CommandIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export type Command = (args: string[], io: CommandIO) => Promise<number>;

/** A CLI error: printed as `gatehouse: <message>` with no stack, and exit code 2 unless said otherwise. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
