// What the Lambda bundle imports for `@aws-sdk/client-ecs` (alias in lib/lambda-bundling.ts): the
// client and the commands the dispatcher sends, from their own files. The package's index also
// exports the aggregated `ECS` client, every command, paginator and waiter; in a bundle whose launch
// targets load lazily esbuild cannot drop them, so they were evaluated at every cold start. A name
// missing here fails the build (esbuild: no matching export), never at run time. Relative paths, so
// the alias does not apply to them again.

export { DescribeTasksCommand } from '../../../node_modules/@aws-sdk/client-ecs/dist-es/commands/DescribeTasksCommand.js';
export { RunTaskCommand } from '../../../node_modules/@aws-sdk/client-ecs/dist-es/commands/RunTaskCommand.js';
export { ECSClient } from '../../../node_modules/@aws-sdk/client-ecs/dist-es/ECSClient.js';
