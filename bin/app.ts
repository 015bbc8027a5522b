import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { dispatcherStackFromContext } from '../lib/app-from-context.js';
import { StackConfigError } from '../lib/config/stack-config.js';

const app = new App();
try {
  dispatcherStackFromContext(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (error) {
  if (!(error instanceof StackConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
