// TEMPORARY STUB (branch `cdk`): lets the CDK app bundle before the real handler is merged.
// Replaced by the dispatcher's real `lambda/handler.ts` at merge.
export const handler = async () => ({ statusCode: 503, body: '' });
