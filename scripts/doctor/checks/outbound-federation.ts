import { GetOutboundWebIdentityFederationInfoCommand, type IAMClient } from '@aws-sdk/client-iam';
import { awsFailure, type CheckResult, fail, ok, type StackFacts, skipped, within } from '../check.js';

const NAME = 'outbound identity federation';
const ENABLE = 'aws iam enable-outbound-web-identity-federation (once per account)';

/**
 * The aca target with AWS federation has IAM issue JWTs (`sts:GetWebIdentityToken`) that Entra ID
 * trusts: that needs outbound identity federation enabled in the account. The stack says it uses
 * federation through its AzureFederatedCredential* outputs; the function's settings are the fallback.
 */
export function usesFederation(facts: StackFacts): boolean {
  if (Object.keys(facts.outputs).some((key) => key.startsWith('AzureFederatedCredential'))) return true;
  const env = facts.functionEnv;
  return env.LAUNCH_TARGET === 'aca' && (env.AZURE_AUTH ?? 'aws-federation') === 'aws-federation';
}

export async function checkOutboundFederation(
  iam: IAMClient,
  facts: StackFacts,
  timeoutMs: number,
): Promise<CheckResult> {
  if (!usesFederation(facts)) {
    return skipped(
      NAME,
      'the stack does not sign in to Azure with AWS federation (no AzureFederatedCredential* output)',
    );
  }
  try {
    const info = await iam.send(new GetOutboundWebIdentityFederationInfoCommand({}), {
      abortSignal: within(timeoutMs),
    });
    if (info.JwtVendingEnabled === false) return fail(NAME, 'disabled in this account', ENABLE);
    return ok(NAME, `enabled; issuer ${info.IssuerIdentifier ?? '(not shown)'}`);
  } catch (error) {
    // IAM answers FeatureDisabledException while the feature is off.
    if (/Disabled/.test((error as { name?: string }).name ?? '')) {
      return fail(NAME, 'disabled in this account', ENABLE);
    }
    return awsFailure(
      NAME,
      'read the federation settings',
      error,
      'iam:GetOutboundWebIdentityFederationInfo',
      timeoutMs,
    );
  }
}
