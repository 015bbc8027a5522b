/**
 * The valibot schemas every context key is checked with (the webhook body's library, lambda/webhook),
 * and the patterns more than one concern shares. A schema's message is what the key expected; the
 * reader adds the key and the value given (`agentCpu is "lots": expected a whole number from 256 to
 * 16384`).
 */

import * as v from 'valibot';

/** A schema of one context value; its issues' message says what was expected. */
export type ContextSchema<T> = v.GenericSchema<unknown, T>;

/** A string, trimmed; when `pattern` is given, empty or matching it. */
export function textSchema(pattern?: RegExp, expected = 'a string'): ContextSchema<string> {
  return v.message(
    v.pipe(
      v.string(),
      v.trim(),
      v.check((text) => text === '' || pattern === undefined || pattern.test(text)),
    ),
    expected,
  );
}

/** One of a fixed set of strings, trimmed. */
export function choiceSchema<T extends string>(allowed: readonly T[]): ContextSchema<T> {
  return v.message(
    v.pipe(v.string(), v.trim(), v.picklist(allowed as T[])),
    `one of ${allowed.join(', ')}`,
  ) as ContextSchema<T>;
}

/** A whole number from min to max: a number, or a string holding one (`-c key=value` gives strings). */
export function wholeNumberSchema(min: number, max: number): ContextSchema<number> {
  return v.message(
    v.pipe(
      v.union([
        v.number(),
        v.pipe(
          v.string(),
          v.check((text) => text.trim() !== ''),
          v.transform(Number),
        ),
      ]),
      v.integer(),
      v.minValue(min),
      v.maxValue(max),
    ),
    `a whole number from ${min} to ${max}`,
  );
}

/** `true` or `false`, as a boolean or as the string the command line gives. */
export const FLAG_SCHEMA: ContextSchema<boolean> = v.message(
  v.union([
    v.boolean(),
    v.pipe(
      v.picklist(['true', 'false']),
      v.transform((text) => text === 'true'),
    ),
  ]),
  'true or false',
);

/** The shape of a list: a JSON array, or a comma-separated string (split here, items checked one by one). */
export function listSchema(expected: string): ContextSchema<unknown[]> {
  return v.message(
    v.union([
      v.array(v.unknown()),
      v.pipe(
        v.string(),
        v.transform((text) => text.split(',')),
      ),
    ]),
    `a comma-separated list of ${expected}`,
  );
}

/** One item of a list: a string matching the pattern (and `check`, when given). */
export function listItemSchema(
  pattern: RegExp,
  expected: string,
  check?: (item: string) => boolean,
): ContextSchema<string> {
  return v.message(
    v.pipe(
      v.string(),
      v.regex(pattern),
      v.check((item) => check === undefined || check(item)),
    ),
    expected,
  );
}

/** An AWS Region name such as `us-west-2`. */
export const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;
export const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
export const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
export const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/;
// Complete ARNs only: the name plus the "-" and six characters Secrets Manager appends. A partial ARN
// would be granted as if complete, and every read would then be denied.
export const SECRET_ARN =
  /^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;
export const COMPLETE_ARN_HINT =
  'the complete ARN, ending in "-" and six characters (aws secretsmanager describe-secret --secret-id <name> --query ARN)';

/** An IPv4 address or CIDR block whose octets and prefix are in range. */
export function validCidr(text: string): boolean {
  const match = IPV4_CIDR.exec(text);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefix = match[6] === undefined ? 32 : Number(match[6]);
  return octets.every((octet) => octet <= 255) && prefix <= 32;
}

/** An https:// URL with no path, query or fragment. */
export function httpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && url.pathname === '/' && !url.search && !url.hash;
  } catch {
    return false;
  }
}
