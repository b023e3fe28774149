import { TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET } from './osslocal.js';

/**
 * The environment for an `ossync` child process in a test: this process's, without any
 * inherited OSS_* variable or NODE_OPTIONS, with the local server's test AccessKey pair
 * (unless `credentials` is false), then `extra` (a value of undefined removes the variable).
 */
export function cliEnv(
  extra: Record<string, string | undefined> = {},
  credentials = true,
): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env))
    if (name.startsWith('OSS_') || name === 'NODE_OPTIONS') delete env[name];
  if (credentials) {
    env['OSS_ACCESS_KEY_ID'] = TEST_ACCESS_KEY_ID;
    env['OSS_ACCESS_KEY_SECRET'] = TEST_ACCESS_KEY_SECRET;
  }
  Object.assign(env, extra);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) result[name] = value;
  return result;
}
