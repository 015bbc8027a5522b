/**
 * EventBridge event patterns as the synthesized template has them, matched against an event the way
 * EventBridge documents it (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html),
 * for the subset the stack uses: value lists, `prefix`, `anything-but`, `exists`, nested objects,
 * arrays of objects (any element), and `$or`. A test can then ask "does this rule see this event?".
 */

type Pattern = Record<string, unknown>;

/** Account, Region and partition an env-agnostic template leaves as references. */
export const PSEUDO = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'us-east-1',
};

/** Resolves `Fn::Join` and the pseudo parameters; anything else (a `Fn::GetAtt`) stays unresolved. */
export function resolvePseudo(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolvePseudo);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if ('Ref' in record && typeof record.Ref === 'string' && record.Ref in PSEUDO) {
    return PSEUDO[record.Ref as keyof typeof PSEUDO];
  }
  if ('Fn::Join' in record) {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    const resolved = parts.map(resolvePseudo);
    return resolved.every((part) => typeof part === 'string') ? resolved.join(separator) : '<unresolved>';
  }
  if ('Fn::GetAtt' in record || 'Ref' in record) return '<unresolved>';
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, resolvePseudo(inner)]));
}

function matchesValue(rule: unknown, value: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return value === rule;
  const filter = rule as Record<string, unknown>;
  if ('prefix' in filter) return typeof value === 'string' && value.startsWith(String(filter.prefix));
  if ('anything-but' in filter) {
    const excluded = ([] as unknown[]).concat(filter['anything-but']);
    return value !== undefined && !excluded.includes(value);
  }
  throw new Error(`event-pattern: unsupported filter ${JSON.stringify(rule)}`);
}

/** Whether `event` matches `pattern` (both as plain JSON). */
export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  if (Array.isArray(event)) return event.some((element) => matchesPattern(pattern, element));
  const fields = (event ?? {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === '$or') return (rule as Pattern[]).some((alternative) => matchesPattern(alternative, event));
    const value = fields[key];
    if (Array.isArray(rule)) {
      if (rule.length === 1 && typeof rule[0] === 'object' && rule[0] !== null && 'exists' in rule[0]) {
        return (value !== undefined) === (rule[0] as { exists: boolean }).exists;
      }
      const values = Array.isArray(value) ? value : [value];
      return values.some((v) => v !== undefined && rule.some((r) => matchesValue(r, v)));
    }
    return value !== undefined && matchesPattern(rule as Pattern, value);
  });
}
