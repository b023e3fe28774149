/** Exit codes of the `ossync` command (README "CLI"). */
export const EXIT = {
  ok: 0,
  /** A job failed, a file or key was refused, or the command could not run. */
  failed: 1,
  /** The command line is wrong (unknown option, bad value, bad oss:// URL). */
  usage: 2,
  /** Stopped by Ctrl+C or SIGTERM; queued work resumes when the same command runs again. */
  interrupted: 130,
} as const;

/** An error the CLI reports as one line (`ossync: MESSAGE`) before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
