/**
 * The logger the host writes to: the subset of pino it uses, so a pino logger fits and
 * tests can pass a recorder. The host never logs the token, request headers or query
 * strings.
 */
export interface HostLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: HostLogger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
};
