/** Settings of the ACA target that parse and build a launcher; nothing here is contacted at start-up. */
export const ACA_TARGET_ENV = {
  ACA_SUBSCRIPTION_ID: '11111111-2222-4333-8444-555555555555',
  ACA_RESOURCE_GROUP: 'rg-agents',
  ACA_JOB_NAME: 'scalr-agent',
  AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  AZURE_CLIENT_ID: '0b1f4c6e-2a3d-4e5f-8a9b-0c1d2e3f4a5b',
  DEDUP_TABLE_NAME: 'dispatcher-dedup',
};

/** The same, selecting the ACA target. */
export const ACA_ENV = { LAUNCH_TARGET: 'aca', ...ACA_TARGET_ENV };
