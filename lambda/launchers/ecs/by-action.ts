/** A Scalr action (`plan`, `apply`, `policy.check`, ...) and its setting: `<action>=<value>`. */
const ENTRY = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(.+)$/;

/**
 * Parses `action=value,...` into a map. `readValue` returns undefined for a value of the wrong shape
 * (the entry is then named with `expected`) and throws for a value that is well-formed but not
 * allowed (the message is prefixed with the action). Empty text is an empty map.
 */
export function parseByAction<T>(
  text: string,
  expected: string,
  readValue: (value: string) => T | undefined,
): ReadonlyMap<string, T> {
  const map = new Map<string, T>();
  for (const item of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = ENTRY.exec(item);
    let value: T | undefined;
    try {
      value = match === null ? undefined : readValue(match[2] ?? '');
    } catch (error) {
      throw new Error(`${match?.[1]}: ${(error as Error).message}`);
    }
    if (match === null || value === undefined) {
      throw new Error(`"${item.slice(0, 80)}" is not <action>=${expected}`);
    }
    const action = match[1] ?? '';
    if (map.has(action)) throw new Error(`${action} is given twice`);
    map.set(action, value);
  }
  return map;
}
