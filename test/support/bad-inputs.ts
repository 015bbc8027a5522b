import type { Delivery } from './harness.js';

/** A request the dispatcher must refuse with `status`, launching nothing. */
export interface BadInput {
  readonly name: string;
  readonly delivery: Delivery;
  readonly status: number;
  /** The `error.field` the answer must name, when the fault is one field. */
  readonly field?: string;
}

const valid = {
  task_id: 'atask-ok',
  action: 'plan',
  run_id: 'run-1',
  workspace_id: 'ws-1',
  environment_id: 'env-1',
};
const withField = (field: string, value: unknown) => ({ body: { ...valid, [field]: value } });

/** Bad deliveries, each with the answer it must get. Shared by the unit, integration and load tests. */
export const BAD_INPUTS: readonly BadInput[] = [
  { name: 'broken JSON', delivery: { rawBody: '{"task_id": "atask-1",' }, status: 400 },
  { name: 'JSON with trailing garbage', delivery: { rawBody: '{"task_id":"atask-1"} x' }, status: 400 },
  { name: 'single-quoted JSON', delivery: { rawBody: "{'task_id':'atask-1'}" }, status: 400 },
  { name: 'empty body', delivery: { rawBody: '' }, status: 400 },
  { name: 'whitespace body', delivery: { rawBody: '   \n ' }, status: 400 },
  { name: 'JSON array', delivery: { rawBody: '[{"task_id":"atask-1"}]' }, status: 400 },
  { name: 'JSON string', delivery: { rawBody: '"atask-1"' }, status: 400 },
  { name: 'JSON null', delivery: { rawBody: 'null' }, status: 400 },
  { name: 'JSON number', delivery: { rawBody: '42' }, status: 400 },
  { name: 'task_id is a number', delivery: withField('task_id', 12345), status: 400, field: 'task_id' },
  { name: 'task_id is null', delivery: withField('task_id', null), status: 400, field: 'task_id' },
  {
    name: 'task_id is an object',
    delivery: withField('task_id', { id: 'x' }),
    status: 400,
    field: 'task_id',
  },
  { name: 'task_id is empty', delivery: withField('task_id', ''), status: 400, field: 'task_id' },
  { name: 'task_id has spaces', delivery: withField('task_id', 'atask 1'), status: 400, field: 'task_id' },
  {
    name: 'task_id full of characters a clientToken cannot hold',
    delivery: withField('task_id', 'ätask-💥-\u0000-\t'),
    status: 400,
    field: 'task_id',
  },
  {
    name: 'task_id too long',
    delivery: withField('task_id', `atask-${'a'.repeat(200)}`),
    status: 400,
    field: 'task_id',
  },
  { name: 'action is a list', delivery: withField('action', ['plan']), status: 400, field: 'action' },
  { name: 'action is boolean', delivery: withField('action', true), status: 400, field: 'action' },
  { name: 'action with unicode', delivery: withField('action', 'plän'), status: 400, field: 'action' },
  { name: 'run_id is a number', delivery: withField('run_id', 7), status: 400, field: 'run_id' },
  {
    name: 'workspace_id is an array',
    delivery: withField('workspace_id', []),
    status: 400,
    field: 'workspace_id',
  },
  {
    name: 'environment_id is false',
    delivery: withField('environment_id', false),
    status: 400,
    field: 'environment_id',
  },
  {
    name: 'created_at is a number',
    delivery: withField('created_at', 1730000000),
    status: 400,
    field: 'created_at',
  },
  {
    name: 'created_at with a newline',
    delivery: withField('created_at', '2026-11-02\n'),
    status: 400,
    field: 'created_at',
  },
  { name: 'body over 64 KiB', delivery: { body: { ...valid, padding: 'x'.repeat(70 * 1024) } }, status: 413 },
  {
    name: 'invalid UTF-8 bytes',
    delivery: { rawBody: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
    status: 400,
  },
  { name: 'no content type', delivery: { body: valid, headers: { 'content-type': '' } }, status: 415 },
  {
    name: 'form content type',
    delivery: { body: valid, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    status: 415,
  },
  {
    name: 'text/plain content type',
    delivery: { body: valid, headers: { 'content-type': 'text/plain' } },
    status: 415,
  },
  {
    name: 'JSON in latin-1',
    delivery: { body: valid, headers: { 'content-type': 'application/json; charset=iso-8859-1' } },
    status: 415,
  },
  { name: 'no Authorization header', delivery: { body: valid, auth: null }, status: 401 },
  { name: 'wrong webhook secret', delivery: { body: valid, auth: 'Bearer not-the-secret' }, status: 401 },
  { name: 'Basic instead of Bearer', delivery: { body: valid, auth: 'Basic dXNlcjpwYXNz' }, status: 401 },
  { name: 'Bearer without a value', delivery: { body: valid, auth: 'Bearer ' }, status: 401 },
  { name: 'GET instead of POST', delivery: { body: valid, method: 'GET' }, status: 405 },
  {
    name: 'empty Idempotency-Key',
    delivery: { body: valid, headers: { 'idempotency-key': '  ' } },
    status: 400,
    field: 'Idempotency-Key',
  },
  {
    name: 'Idempotency-Key with control characters',
    delivery: { body: valid, headers: { 'idempotency-key': 'key\u0001x' } },
    status: 400,
    field: 'Idempotency-Key',
  },
  {
    name: 'Idempotency-Key over 256 characters',
    delivery: { body: valid, headers: { 'idempotency-key': 'k'.repeat(300) } },
    status: 400,
    field: 'Idempotency-Key',
  },
];
