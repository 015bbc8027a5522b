import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BAD_INPUTS } from '../support/bad-inputs.js';
import { Harness, json } from '../support/harness.js';

describe('bad input corpus', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await new Harness().start();
  });
  afterAll(() => h.stop());

  it('holds at least 30 cases', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(BAD_INPUTS.map((input) => [input.name, input] as const))(
    '%s: answers the right 4xx',
    async (_, input) => {
      const answer = await h.deliver(input.delivery);

      expect(answer.statusCode).toBe(input.status);
      const body = json(answer) as { error: { code: string; message: string; field?: string } };
      expect(body.error.message.length).toBeGreaterThan(10);
      if (input.field !== undefined) expect(body.error.field).toBe(input.field);
    },
  );

  it('launched nothing for any of them', () => {
    expect(h.standIn.calls.RunTask).toBe(0);
    expect(h.standIn.tasks).toHaveLength(0);
  });
});
