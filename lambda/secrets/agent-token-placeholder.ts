/**
 * The value the CDK stack stores in a newly created agent token secret. The dispatcher refuses to
 * launch while the secret still holds it: an agent without a real token cannot register with Scalr.
 */
export const AGENT_TOKEN_PLACEHOLDER = 'REPLACE_ME_WITH_THE_SCALR_AGENT_POOL_TOKEN';
