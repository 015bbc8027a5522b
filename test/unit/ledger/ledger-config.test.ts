import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lambda/errors.js';
import { loadLedgerConfig } from '../../../lambda/ledger/ledger-config.js';

describe('loadLedgerConfig', () => {
  it('uses DynamoDB when LEDGER_TABLE_NAME is set, with a 7-day TTL', () => {
    expect(loadLedgerConfig({ LEDGER_TABLE_NAME: 'pool-ledger' }, 'ecs/x')).toEqual({
      kind: 'dynamodb',
      tableName: 'pool-ledger',
      ttlSeconds: 604_800,
      scope: 'ecs/x',
    });
  });

  it('still reads the former DEDUP_TABLE_NAME and DEDUP_TTL_SECONDS', () => {
    expect(loadLedgerConfig({ DEDUP_TABLE_NAME: 'dedup', DEDUP_TTL_SECONDS: '86400' }, 's')).toMatchObject({
      tableName: 'dedup',
      ttlSeconds: 86_400,
    });
  });

  it('keeps the ledger in memory outside Lambda (local mode)', () => {
    expect(loadLedgerConfig({}, 's').kind).toBe('memory');
  });

  it('refuses to run in Lambda without a table, naming LEDGER_TABLE_NAME', () => {
    expect(() => loadLedgerConfig({ AWS_LAMBDA_FUNCTION_NAME: 'dispatcher' }, 's')).toThrowError(
      /LEDGER_TABLE_NAME is not set/,
    );
  });

  it.each([
    ['LEDGER_TABLE_NAME', 'a'],
    ['LEDGER_TTL_SECONDS', '3600'],
  ])('names %s when it is %j', (name, value) => {
    const env = { LEDGER_TABLE_NAME: 'ledger', [name]: value };
    expect(() => loadLedgerConfig(env, 's')).toThrowError(ConfigError);
    expect(() => loadLedgerConfig(env, 's')).toThrowError(name);
  });
});
