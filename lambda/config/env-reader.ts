import { ConfigError } from '../errors.js';

/** Environment as the process sees it; passed in so tests need no global state. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates environment variables, naming the variable and what it expected on failure. */
export class EnvReader {
  constructor(private readonly env: Env) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  required(name: string, expected: string): string {
    const value = this.optional(name);
    if (value === undefined) throw new ConfigError(`${name} is not set: expected ${expected}`);
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const value = this.optional(name) ?? fallback;
    if (value === undefined)
      throw new ConfigError(`${name} is not set: expected one of ${allowed.join(', ')}`);
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(`${name} is "${value}": expected one of ${allowed.join(', ')}`);
    }
    return value as T;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name} is "${raw}": expected a whole number from ${min} to ${max}`);
    }
    return value;
  }

  /** Comma-separated list; each item must match the pattern. */
  list(name: string, pattern: RegExp, expected: string, requireOne: boolean): string[] {
    const raw = this.optional(name);
    const items =
      raw === undefined
        ? []
        : raw
            .split(',')
            .map((item) => item.trim())
            .filter(Boolean);
    if (requireOne && items.length === 0) {
      throw new ConfigError(`${name} is not set: expected a comma-separated list of ${expected}`);
    }
    const bad = items.find((item) => !pattern.test(item));
    if (bad !== undefined) throw new ConfigError(`${name} contains "${bad}": expected ${expected}`);
    return items;
  }
}
