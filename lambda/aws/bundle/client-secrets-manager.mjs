// `@aws-sdk/client-secrets-manager` in the Lambda bundle: only what the dispatcher uses (see client-ecs.mjs).

export { DescribeSecretCommand } from '../../../node_modules/@aws-sdk/client-secrets-manager/dist-es/commands/DescribeSecretCommand.js';
export { GetSecretValueCommand } from '../../../node_modules/@aws-sdk/client-secrets-manager/dist-es/commands/GetSecretValueCommand.js';
export { SecretsManagerClient } from '../../../node_modules/@aws-sdk/client-secrets-manager/dist-es/SecretsManagerClient.js';
