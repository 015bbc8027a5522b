import { expect, it } from 'vitest';
import { BAD_INPUTS } from '../support/bad-inputs.js';
import { toRequest } from '../support/harness.js';
import { HttpClient } from './http-client.js';
import { NO_FAULTS, runLoadScenario } from './load-scenario.js';

it('refuses the whole bad-input corpus fired concurrently with a burst, launching only the valid tasks', async () => {
  const answers: { name: string; expected: number; status: number }[] = [];
  const fireCorpus = async (url: string) => {
    const client = new HttpClient();
    await Promise.all(
      BAD_INPUTS.flatMap((bad) =>
        [1, 2, 3].map(async () => {
          const status = (await client.send(url, toRequest(bad.delivery))).status;
          answers.push({ name: bad.name, expected: bad.status, status });
        }),
      ),
    );
    client.close();
  };

  const report = await runLoadScenario({
    tasks: 100,
    seed: 3,
    faults: NO_FAULTS,
    pacing: true,
    containers: 1,
    alongside: fireCorpus,
  });

  expect(answers).toHaveLength(BAD_INPUTS.length * 3);
  expect(answers.filter((answer) => answer.status !== answer.expected)).toEqual([]);
  expect(report.launchedExactlyOnce).toBe(100);
  expect(report.strayLaunches).toBe(0);
  expect(report.acceptedWithoutLaunch).toBe(0);
  expect(report.secretLeaks).toBe(0);
}, 60_000);
