import type { Context } from 'aws-lambda';
import { sdkAwsAccess } from './aws-access.js';
import { onEvent, type RegistrationEvent, type RegistrationResult } from './registration.js';
import { ScalrApi } from './scalr-api.js';

// Built once per container; the Scalr client is made per event with that event's token and deadline.
const aws = sdkAwsAccess();

/** Lambda entry of the `ScalrRegistration` custom resource (CDK Provider framework `onEvent`). */
export async function handler(
  event: RegistrationEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<RegistrationResult> {
  const remainingMs = () => context.getRemainingTimeInMillis();
  return onEvent(event, {
    aws,
    scalr: (url, token) => new ScalrApi({ url, token, remainingMs }),
  });
}
