import { describe, expect, it } from 'vitest';
import { bannerText, shellQuote } from '../../../local/banner.js';
import { generateSecret, localSettings } from '../../../local/local-settings.js';

let n = 0;
const counter = () => `gen${++n}`;

describe('localSettings', () => {
  it('defaults to dry-run on 127.0.0.1:8080 and generates what is missing', () => {
    n = 0;
    const settings = localSettings({}, counter);

    expect(settings).toMatchObject({ target: 'dry-run', host: '127.0.0.1', port: 8080, apiKey: 'gen1' });
    expect(settings.env).toMatchObject({
      LAUNCH_TARGET: 'dry-run',
      WEBHOOK_SECRET: 'gen2',
      AGENT_TOKEN: 'dry-run-dummy-gen3',
    });
    expect(settings.origins).toEqual({
      apiKey: 'generated',
      webhookSecret: 'generated',
      agentToken: 'dummy',
    });
  });

  it('keeps what the operator gave', () => {
    const settings = localSettings(
      { API_KEY: 'k', WEBHOOK_SECRET: 's', AGENT_TOKEN: 't', HOST: '0.0.0.0', PORT: '9000' },
      counter,
    );

    expect(settings).toMatchObject({ apiKey: 'k', host: '0.0.0.0', port: 9000 });
    expect(settings.env).toMatchObject({ WEBHOOK_SECRET: 's', AGENT_TOKEN: 't' });
    expect(settings.origins).toEqual({ apiKey: 'given', webhookSecret: 'given', agentToken: 'given' });
  });

  it('generates no dummy agent token for a target that starts real agents', () => {
    const settings = localSettings({ LAUNCH_TARGET: 'docker' }, counter);

    expect(settings.env.AGENT_TOKEN).toBeUndefined();
    expect(settings.origins.agentToken).toBe('missing');
  });

  it('leaves Secrets Manager sources to the shared configuration', () => {
    const settings = localSettings(
      { WEBHOOK_SECRET_ARN: 'webhook', AGENT_TOKEN_SECRET_ARN: 'token', LAUNCH_TARGET: 'ecs' },
      counter,
    );

    expect(settings.env.WEBHOOK_SECRET).toBeUndefined();
    expect(settings.origins).toMatchObject({
      webhookSecret: 'secrets-manager',
      agentToken: 'secrets-manager',
    });
  });

  it('generates secrets the printed trigger command takes as values: never a leading dash', () => {
    const secrets = Array.from({ length: 200 }, generateSecret);

    for (const secret of secrets) expect(secret).toMatch(/^[0-9a-f]{48}$/);
    expect(new Set(secrets).size).toBe(200);
  });

  it('names the variable when PORT or LAUNCH_TARGET is wrong', () => {
    expect(() => localSettings({ PORT: 'http' })).toThrow(
      'PORT is "http": expected a whole number from 0 to 65535',
    );
    expect(() => localSettings({ LAUNCH_TARGET: 'k8s' })).toThrow('LAUNCH_TARGET is "k8s"');
  });
});

describe('bannerText', () => {
  it('prints generated secrets literally in the curl command', () => {
    const settings = localSettings({}, () => 'g3n');

    const banner = bannerText(settings, 'http://127.0.0.1:8080/trigger');

    expect(banner).toContain("-H 'x-api-key: g3n' -H 'Authorization: Bearer g3n'");
    expect(banner).toContain(
      "npm run trigger -- --url 'http://127.0.0.1:8080/trigger' --api-key 'g3n' --secret 'g3n'",
    );
  });

  it('refers to given secrets by their variables instead of printing them', () => {
    const settings = localSettings({ API_KEY: 'given-key-1', WEBHOOK_SECRET: 'given-secret-1' });

    const banner = bannerText(settings, 'http://127.0.0.1:8080/trigger');

    expect(banner).not.toContain('given-key-1');
    expect(banner).not.toContain('given-secret-1');
    expect(banner).toContain('-H "x-api-key: $API_KEY" -H "Authorization: Bearer $WEBHOOK_SECRET"');
  });

  it('quotes values for POSIX shells', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
