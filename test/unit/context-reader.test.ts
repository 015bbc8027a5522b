import { describe, expect, it } from 'vitest';
import { ContextReader } from '../../lib/config/context-reader.js';

/** A reader over a plain object; keys not given fall back to CONTEXT_DEFAULTS. */
const reader = (context: Record<string, unknown>) => new ContextReader((key) => context[key]);

describe('ContextReader (valibot schemas behind the context keys)', () => {
  it('reads whole numbers given as numbers or as command-line strings, and refuses the rest with the value given', () => {
    const context = reader({
      apiRateLimit: ' 50 ',
      apiBurstLimit: '1.5',
      apiDailyQuota: '',
      functionMemoryMb: true,
    });

    expect(context.integer('apiRateLimit', 1, 100)).toBe(50);
    expect(context.integer('apiBurstLimit', 1, 100)).toBe(1);
    expect(context.integer('apiDailyQuota', 1, 100)).toBe(1);
    expect(context.integer('functionMemoryMb', 128, 256)).toBe(128);
    expect(context.problems).toEqual([
      'apiBurstLimit is "1.5": expected a whole number from 1 to 100',
      'apiDailyQuota is "": expected a whole number from 1 to 100',
      'functionMemoryMb is true: expected a whole number from 128 to 256',
    ]);
  });

  it('trims strings and choices, and keeps a mismatching string so later checks can name it', () => {
    const context = reader({ alarmEmail: '  ops@example.com ', target: ' aca ', apiStageName: ' bad-name ' });

    expect(context.string('alarmEmail', /^[^\s@]+@[^\s@]+$/, 'an email address')).toBe('ops@example.com');
    expect(context.oneOf('target', ['ecs', 'aca'])).toBe('aca');
    expect(context.string('apiStageName', /^\w+$/, 'a stage name')).toBe('bad-name');
    expect(context.problems).toEqual(['apiStageName is " bad-name ": expected a stage name']);
  });

  it('takes true and false as booleans or their exact strings only', () => {
    const context = reader({ containerInsights: 'true', manageApiGatewayAccountRole: 'TRUE' });

    expect(context.boolean('containerInsights')).toBe(true);
    expect(context.boolean('manageApiGatewayAccountRole')).toBe(false);
    expect(context.problems).toEqual(['manageApiGatewayAccountRole is "TRUE": expected true or false']);
  });

  it('reads lists from arrays or comma-separated strings, skips empty items and reports each wrong one', () => {
    const subnet = /^subnet-[0-9a-f]{8,17}$/;
    const context = reader({
      subnetIds: ' subnet-0123456789abcdef0 , ,subnet-x',
      failoverSubnetIds: ['subnet-0123456789abcdef1', 7, ''],
      securityGroupIds: 42,
    });

    expect(context.list('subnetIds', subnet, 'subnet ids')).toEqual(['subnet-0123456789abcdef0']);
    expect(context.list('failoverSubnetIds', subnet, 'subnet ids')).toEqual(['subnet-0123456789abcdef1']);
    expect(context.list('securityGroupIds', /^sg-/, 'security group ids')).toEqual([]);
    expect(context.problems).toEqual([
      'subnetIds contains "subnet-x": expected subnet ids',
      'failoverSubnetIds contains 7: expected subnet ids',
      'securityGroupIds is 42: expected a comma-separated list of security group ids',
    ]);
  });
});
