/** The shape every CLI command shares, so the dispatcher can list, explain and run them alike. */

/** What a command may touch: its streams, the environment, and the interrupt signal. */
export interface CliContext {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted by the first Ctrl-C or SIGTERM. */
  readonly signal: AbortSignal;
  /** The repository's examples/ folder (inventory, manifests, policies, events) for the dev commands. */
  readonly examplesDir: string;
}

/** One `tag-cleanup <name>` command. */
export interface CliCommand {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** What `tag-cleanup <name> --help` prints. */
  readonly usage: string;
  /** Runs the command; returns the exit code. Flag and config errors are thrown as ConfigError (exit 2). */
  main(args: readonly string[], context: CliContext): Promise<number>;
}
