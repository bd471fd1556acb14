import { readFileSync } from 'node:fs';

/**
 * A secret from the environment (wins) or the first line of a file; null when neither is set.
 * Secrets are never logged: errors name the variable or the file, not the value.
 * @throws Error naming the file and the setting when the file cannot be read or is empty
 */
export function readSecret(
  envName: string,
  file: string | undefined,
  setting: string,
  env = process.env,
): string | null {
  const fromEnv = env[envName]?.trim();
  if (fromEnv) return fromEnv;
  if (!file) return null;
  let value: string;
  try {
    value = readFileSync(file, 'utf8').split('\n')[0].trim();
  } catch (err) {
    throw new Error(
      `${setting} ${file} cannot be read (${(err as NodeJS.ErrnoException).code}); create it with the secret on its first line, e.g. \`openssl rand -hex 32 > ${file}\`, or set ${envName}`,
    );
  }
  if (!value) throw new Error(`${setting} ${file} is empty; write the secret on its first line`);
  return value;
}
