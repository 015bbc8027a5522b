import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  InvalidRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  TemporarilyUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../../lambda/errors.js';
import { errorAnswer } from '../../lambda/http/answers.js';

describe('errorAnswer', () => {
  it.each([
    [new InvalidRequestError('bad', 'task_id'), 400, 'invalid_request'],
    [new UnauthorizedError(), 401, 'unauthorized'],
    [new MethodNotAllowedError('no'), 405, 'method_not_allowed'],
    [new PayloadTooLargeError('big'), 413, 'payload_too_large'],
    [new UnsupportedMediaTypeError('type'), 415, 'unsupported_media_type'],
    [new ConfigError('fix it'), 500, 'configuration_error'],
    [new TemporarilyUnavailableError('later', 7), 503, 'temporarily_unavailable'],
  ])('maps %o to %i', (error, status, code) => {
    const answer = errorAnswer(error);

    expect(answer.statusCode).toBe(status);
    expect(JSON.parse(answer.body).error.code).toBe(code);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
  });

  it('sends Retry-After with a 503 and WWW-Authenticate with a 401', () => {
    expect(errorAnswer(new TemporarilyUnavailableError('later', 7)).headers['retry-after']).toBe('7');
    expect(errorAnswer(new UnauthorizedError()).headers['www-authenticate']).toBe('Bearer');
  });

  it('names the field at fault', () => {
    expect(JSON.parse(errorAnswer(new InvalidRequestError('bad', 'run_id')).body).error.field).toBe('run_id');
  });

  it('hides the message and stack of unexpected errors', () => {
    const answer = errorAnswer(new TypeError('secret-ish internal detail at /var/task/index.mjs:1'));

    expect(answer.statusCode).toBe(500);
    expect(answer.body).not.toContain('internal detail');
    expect(answer.body).not.toContain('index.mjs');
  });
});
