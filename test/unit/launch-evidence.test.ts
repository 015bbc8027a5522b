import { describe, expect, it } from 'vitest';
import { LaunchFailureError, mayHaveLaunched } from '../../lambda/launchers/ecs/ecs-errors.js';
import { isLaunchRuledOut, markLaunchRuledOut } from '../../lambda/launchers/launch-evidence.js';
import { LaunchRateLimitedError } from '../../lambda/launchers/pacing/launch-pacer.js';

const serviceError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('whether a failed RunTask attempt may have launched', () => {
  it('rules a launch out when ECS refused with a 4xx', () => {
    expect(mayHaveLaunched(serviceError('ThrottlingException', 400))).toBe(false);
    expect(mayHaveLaunched(serviceError('AccessDeniedException', 400))).toBe(false);
  });

  it('rules a launch out when ECS answered with a capacity failure', () => {
    expect(mayHaveLaunched(new LaunchFailureError('Capacity is unavailable', true))).toBe(false);
  });

  it('rules a launch out when the call never left: connection refused or the pacer gave up', () => {
    expect(mayHaveLaunched(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(mayHaveLaunched(new LaunchRateLimitedError(5_000))).toBe(false);
  });

  it('cannot rule a launch out after a 5xx, a timeout or a dropped connection', () => {
    expect(mayHaveLaunched(serviceError('ServerException', 500))).toBe(true);
    expect(mayHaveLaunched(Object.assign(new Error('aborted'), { name: 'TimeoutError' }))).toBe(true);
    expect(mayHaveLaunched(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
  });

  it('remembers the proof on the error object only', () => {
    const marked = markLaunchRuledOut(new Error('refused'));

    expect(isLaunchRuledOut(marked)).toBe(true);
    expect(isLaunchRuledOut(new Error('refused'))).toBe(false);
    expect(isLaunchRuledOut('refused')).toBe(false);
  });
});
