/** What the stack stores in a newly created env0 token secret; the poller does not poll with it. */
export const ENV0_TOKEN_PLACEHOLDER = 'REPLACE_ME_WITH_THE_ENV0_AGENT_ACCESS_TOKEN';
