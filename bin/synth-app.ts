import { type App, Validations } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { dispatcherStackFromContext } from '../lib/app-from-context.js';
import { StackConfigError } from '../lib/config/stack-config.js';

/**
 * What `cdk synth` runs (`bin/app.ts`): the stack from the app's context, checked by cdk-nag, synthesized.
 * A wrong context is reported through `report` as its message only (no stack trace) and gives
 * `undefined`, for `bin/app.ts` to exit 1; any other error is thrown.
 */
export function synthFromContext(app: App, report: (message: string) => void): CloudAssembly | undefined {
  try {
    dispatcherStackFromContext(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return app.synth();
  } catch (error) {
    if (!(error instanceof StackConfigError)) throw error;
    report(error.message);
    return undefined;
  }
}
