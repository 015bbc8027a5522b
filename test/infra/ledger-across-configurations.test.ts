import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACA_LEDGER_LOGICAL_ID } from '../../lib/constructs/aca-target.js';
import {
  ACA_CONTEXT,
  buildStack,
  FAILOVER_CONTEXT,
  functionEnvironment,
  ledgerTableIds,
} from './stack-fixture.js';

/**
 * A key's ledger record must outlive a redeploy that changes the launch path (issue 20, case 1): the
 * table is in every configuration, under the same logical ID (so CloudFormation neither replaces nor
 * deletes it when the capacity or the failover changes), retained if it ever leaves the template, and
 * named to the function, which then consults it for every launch.
 */
const CONFIGURATIONS = {
  'plain ECS (FARGATE)': {},
  'plain ECS (FARGATE_SPOT)': { capacity: 'FARGATE_SPOT' },
  'Spot then on-demand': { capacity: 'FARGATE_SPOT_THEN_FARGATE' },
  'capacity per action': { capacityByAction: 'plan=FARGATE_SPOT_THEN_FARGATE,apply=FARGATE' },
  'failover to a second Region': { ...FAILOVER_CONTEXT, capacity: 'FARGATE' },
} as const;

/** No esbuild run: these facts do not depend on the function's code (`aws:cdk:bundling-stacks`). */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

type Resource = { DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Sid?: string; Action?: unknown; Resource?: unknown };

function ledgerFacts(template: Template) {
  const ids = ledgerTableIds(template);
  const [id] = ids;
  const table = (template.toJSON().Resources as Record<string, Resource>)[id ?? ''];
  const statements = Object.values(
    template.findResources('AWS::IAM::Policy') as Record<
      string,
      { Properties: { PolicyDocument: { Statement: Statement[] } } }
    >,
  ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
  return {
    ids,
    deletionPolicy: table?.DeletionPolicy,
    updateReplacePolicy: table?.UpdateReplacePolicy,
    tableNameVariable: functionEnvironment(template).LEDGER_TABLE_NAME,
    ledgerGrants: statements.filter((s) => s.Sid === 'KeepLaunchLedger'),
  };
}

describe('the launch ledger table across ECS configurations', () => {
  const facts: Record<string, ReturnType<typeof ledgerFacts>> = {};
  beforeAll(() => {
    for (const [name, context] of Object.entries(CONFIGURATIONS)) {
      facts[name] = ledgerFacts(buildStack({ ...context, ...NO_BUNDLING }).template);
    }
  }, 300_000);

  it('has one table under the same logical ID in every configuration', () => {
    const ids = Object.values(facts).map((f) => f.ids);

    expect(ids[0]).toHaveLength(1);
    expect(ids[0]?.[0]).toMatch(/^LedgerTable/);
    for (const each of ids) expect(each).toEqual(ids[0]);
  });

  it.each(Object.keys(CONFIGURATIONS))(
    '%s: retains the table, names it to the function, grants on it only',
    (name) => {
      const f = facts[name];
      const id = f?.ids[0];

      expect(f?.deletionPolicy).toBe('Retain');
      expect(f?.updateReplacePolicy).toBe('Retain');
      expect(f?.tableNameVariable).toEqual({ Ref: id });
      expect(f?.ledgerGrants).toEqual([
        {
          Sid: 'KeepLaunchLedger',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          Resource: { 'Fn::GetAtt': [id, 'Arn'] },
        },
      ]);
    },
  );
});

describe('the launch ledger table of the aca target', () => {
  it('keeps the former de-duplication table (its logical ID), retained, named to the function, granted on it only', () => {
    const f = ledgerFacts(buildStack({ ...ACA_CONTEXT, ...NO_BUNDLING }).template);

    expect(f.ids).toEqual([ACA_LEDGER_LOGICAL_ID]);
    expect(f.deletionPolicy).toBe('Retain');
    expect(f.updateReplacePolicy).toBe('Retain');
    expect(f.tableNameVariable).toEqual({ Ref: ACA_LEDGER_LOGICAL_ID });
    expect(f.ledgerGrants).toEqual([
      expect.objectContaining({ Resource: { 'Fn::GetAtt': [ACA_LEDGER_LOGICAL_ID, 'Arn'] } }),
    ]);
  }, 120_000);
});
