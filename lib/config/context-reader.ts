import * as v from 'valibot';
import { CONTEXT_DEFAULTS, type ContextKey, FORMER_CONTEXT_KEYS } from './context-defaults.js';
import {
  type ContextSchema,
  choiceSchema,
  FLAG_SCHEMA,
  listItemSchema,
  listSchema,
  textSchema,
  wholeNumberSchema,
} from './context-schemas.js';

/** How the stack reads one context key; `app.node.tryGetContext` in `bin/app.ts`. */
export type ContextLookup = (key: string) => unknown;

/** One or more context values are wrong; the message lists every key at fault. */
export class StackConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    /** First line of the message: what was invalid (the CDK context, or a construct's props). */
    heading = 'Invalid CDK context',
  ) {
    super(`${heading}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'StackConfigError';
  }
}

/**
 * Collects problems so one synth reports every wrong key at once. Each value is checked with a valibot
 * schema (context-schemas.ts); a wrong one is reported as `<key> is <value>: expected <what>` and read
 * as a harmless fallback, so the checks that compare keys can still run.
 */
export class ContextReader {
  readonly problems: string[] = [];

  constructor(private readonly lookup: ContextLookup) {}

  private raw(key: ContextKey): unknown {
    const value = this.given(key);
    if (value !== undefined) return value;
    return key in FORMER_CONTEXT_KEYS
      ? CONTEXT_DEFAULTS[FORMER_CONTEXT_KEYS[key as keyof typeof FORMER_CONTEXT_KEYS]]
      : CONTEXT_DEFAULTS[key as keyof typeof CONTEXT_DEFAULTS];
  }

  /** The value from the context, or undefined when it is not set. */
  given(key: ContextKey): unknown {
    const value = this.lookup(key);
    return value === null ? undefined : value;
  }

  /** The key's value (default applied) checked with `schema`; on failure the problem is recorded and `fallback(raw)` returned. */
  read<T>(key: ContextKey, schema: ContextSchema<T>, fallback: (raw: unknown) => T): T {
    const value = this.raw(key);
    const result = v.safeParse(schema, value);
    if (result.success) return result.output;
    this.problems.push(`${key} is ${JSON.stringify(value)}: expected ${result.issues[0].message}`);
    return fallback(value);
  }

  /** A trimmed string; with `pattern`, empty or matching it (a mismatch is reported and still returned). */
  string(key: ContextKey, pattern?: RegExp, expected?: string): string {
    return this.read(key, textSchema(pattern, expected), (raw) =>
      typeof raw === 'string' ? raw.trim() : '',
    );
  }

  oneOf<T extends string>(key: ContextKey, allowed: readonly T[]): T {
    return this.read(key, choiceSchema(allowed), () => allowed[0] as T);
  }

  integer(key: ContextKey, min: number, max: number): number {
    return this.read(key, wholeNumberSchema(min, max), () => min);
  }

  boolean(key: ContextKey): boolean {
    return this.read(key, FLAG_SCHEMA, () => false);
  }

  /**
   * A JSON array of strings or a comma-separated string; empty items are skipped and every other item
   * must match the pattern (each wrong one is reported, the rest kept).
   */
  list(key: ContextKey, pattern: RegExp, expected: string, check?: (item: string) => boolean): string[] {
    const items = this.read(key, listSchema(expected), () => []);
    const itemSchema = listItemSchema(pattern, expected, check);
    const result: string[] = [];
    for (const item of items) {
      const text = typeof item === 'string' ? item.trim() : item;
      if (text === '') continue;
      const parsed = v.safeParse(itemSchema, text);
      if (parsed.success) result.push(parsed.output);
      else
        this.problems.push(`${key} contains ${JSON.stringify(item)}: expected ${parsed.issues[0].message}`);
    }
    return result;
  }

  /** A setting the Lambda parses at start-up, checked here with the same parser so synth fails first. */
  parsedBy(key: ContextKey, parse: (text: string) => unknown): string {
    const text = this.string(key);
    try {
      parse(text);
    } catch (error) {
      this.problem(`${key}: ${(error as Error).message}`);
    }
    return text;
  }

  /** The raw value, default applied, without validating it. */
  peek(key: ContextKey): unknown {
    return this.raw(key);
  }

  problem(message: string): void {
    this.problems.push(message);
  }
}
