import { GetOutboundWebIdentityFederationInfoCommand, type IAMClient } from '@aws-sdk/client-iam';
import { type CheckResult, describeError, fail, ok, type StackFacts, skipped, within } from '../check.js';

const NAME = 'outbound identity federation';
const ENABLE = 'aws iam enable-outbound-web-identity-federation (once per account)';

/** The ACA target with AWS federation needs IAM to issue JWTs (sts:GetWebIdentityToken). */
export async function checkOutboundFederation(
  iam: IAMClient,
  facts: StackFacts,
  timeoutMs: number,
): Promise<CheckResult> {
  const env = facts.functionEnv;
  if (env.LAUNCH_TARGET !== 'aca') return skipped(NAME, 'only the aca target calls Azure');
  if ((env.AZURE_AUTH ?? 'aws-federation') !== 'aws-federation') {
    return skipped(NAME, `AZURE_AUTH=${env.AZURE_AUTH}: no federation needed`);
  }
  try {
    const info = await iam.send(new GetOutboundWebIdentityFederationInfoCommand({}), {
      abortSignal: within(timeoutMs),
    });
    if (info.JwtVendingEnabled === false) return fail(NAME, 'disabled in this account', ENABLE);
    return ok(NAME, `enabled; issuer ${info.IssuerIdentifier ?? '(not shown)'}`);
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (/Disabled/.test(name)) return fail(NAME, 'disabled in this account', ENABLE);
    return fail(
      NAME,
      `cannot read it: ${describeError(error)}`,
      'allow iam:GetOutboundWebIdentityFederationInfo',
    );
  }
}
