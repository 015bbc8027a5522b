import type { CheckResult } from './check.js';

const MARK: Record<CheckResult['status'], string> = {
  ok: 'ok  ',
  warn: 'warn',
  fail: 'FAIL',
  skipped: 'skip',
};

/** One line per check, the fix indented under it; then a summary line. */
export function formatReport(stackName: string, results: readonly CheckResult[]): string[] {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = [`doctor: stack ${stackName}`];
  for (const result of results) {
    lines.push(`${MARK[result.status]}  ${result.name.padEnd(width)}  ${result.detail}`);
    if (result.fix && result.status !== 'ok') lines.push(`${' '.repeat(width + 8)}fix: ${result.fix}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  lines.push(
    failed === 0 ? `no failures (${warned} warning(s))` : `${failed} failure(s), ${warned} warning(s)`,
  );
  return lines;
}
