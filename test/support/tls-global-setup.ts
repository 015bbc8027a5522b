import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Creates a throw-away self-signed certificate for 127.0.0.1 and trusts it through
 * NODE_EXTRA_CA_CERTS. Node reads that variable only at start-up, so it is set here, before the
 * test forks are spawned (they inherit it); TLS verification stays on everywhere. Two projects
 * declare it: the second call keeps the first certificate, so every fork trusts the same one.
 */
export default function setup(): () => void {
  const existing = process.env.TEST_TLS_CERT;
  if (existing && existsSync(existing) && process.env.NODE_EXTRA_CA_CERTS === existing) return () => {};
  const dir = mkdtempSync(join(tmpdir(), 'dispatcher-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  process.env.NODE_EXTRA_CA_CERTS = cert;
  process.env.TEST_TLS_KEY = key;
  process.env.TEST_TLS_CERT = cert;
  return () => rmSync(dir, { recursive: true, force: true });
}
