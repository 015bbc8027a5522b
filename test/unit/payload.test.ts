import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lambda/errors.js';
import { parseWebhookPayload } from '../../lambda/webhook/payload.js';

describe('parseWebhookPayload', () => {
  it('reads every Scalr field as a string', () => {
    const body = JSON.stringify({
      task_id: 'atask-v0abc',
      action: 'policy.check',
      run_id: 'run-v0abc',
      workspace_id: 'ws-v0abc',
      environment_id: 'env-v0abc',
      created_at: '2026-11-02T10:15:00+0000',
    });

    expect(parseWebhookPayload(body)).toMatchObject({ task_id: 'atask-v0abc', action: 'policy.check' });
  });

  it('ignores unknown fields', () => {
    expect(parseWebhookPayload('{"task_id":"atask-1","future_field":{"x":1}}').task_id).toBe('atask-1');
  });

  it('accepts {} as a manual trigger without a task id', () => {
    expect(parseWebhookPayload('{}').task_id).toBeUndefined();
  });

  it('accepts actions it has never seen', () => {
    expect(parseWebhookPayload('{"action":"drift-detection"}').action).toBe('drift-detection');
  });

  it('names the field of the wrong type', () => {
    const parse = () => parseWebhookPayload('{"task_id":"atask-1","run_id":5}');

    expect(parse).toThrow(InvalidRequestError);
    expect(parse).toThrow(/run_id must be a string/);
    try {
      parse();
    } catch (error) {
      expect((error as InvalidRequestError).field).toBe('run_id');
    }
  });

  it('refuses a body that is not a JSON object', () => {
    expect(() => parseWebhookPayload('[1]')).toThrow(/JSON object/);
    expect(() => parseWebhookPayload('{"a":')).toThrow(/not valid JSON/);
    expect(() => parseWebhookPayload('')).toThrow(/empty/);
  });
});
