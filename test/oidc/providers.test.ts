import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { createOidcProviders } from '../../server/oidc/providers.js';
import { createFakeClock } from '../helpers/clock.js';
import { createOidcProvider } from '../helpers/oidc-provider.js';
import { until } from '../helpers/until.js';

/** A log that keeps its lines, as pino would write them. */
function keptLog() {
  const lines: Array<{ level: string; message: string; object: object }> = [];
  const at = (level: string) => (object: object, message: string) => lines.push({ level, message, object });
  return { lines, log: { warn: at('warn'), info: at('info'), error: at('error') } };
}

/**
 * Stands on a down provider's port: takes each connection and cuts it at once, so discovery fails
 * as it would against a dead host, and counts the connections, so a test can tell how many
 * discovery tries were made instead of guessing from a pause.
 */
async function cutEveryConnection(port: number) {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('a provider down at start: logged once however many retries, retried, and said when it is back', async () => {
  const provider = await createOidcProvider({ accounts: [] });
  const down = await cutEveryConnection(provider.port);
  const { lines, log } = keptLog();
  const providers = createOidcProviders([{ ...provider.entry('idp', 'IdP') }], {
    appUrl: 'http://localhost:3999',
    production: false,
    clock: createFakeClock(new Date()),
    log,
    retryMs: 30,
    discovery: { attempts: 2, wait: async () => {} },
  });
  try {
    assert.equal(providers.find('idp')?.status, 'pending');
    await until('the provider marked unavailable', () => providers.find('idp')?.status === 'unavailable');
    // Several background retries (the first discovery's two tries, then one per retry), counted:
    // a fixed pause could end on a loaded machine before any retry, and test nothing.
    await until('five discovery tries on the dead port', () => down.connections() >= 5);
    const warnings = lines.filter((line) => line.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.message, /did not answer discovery/);
    assert.doesNotMatch(
      JSON.stringify(lines),
      new RegExp(provider.clientSecret),
      'the secret reached the log',
    );
    assert.deepEqual(await providers.begin('idp'), { ok: false, code: 'OIDC_PROVIDER_UNAVAILABLE' });

    await down.close();
    await provider.start();
    await until('the provider ready again', () => providers.find('idp')?.status === 'ready');
    assert.ok(lines.some((line) => line.level === 'info' && /answers again/.test(line.message)));
    const started = await providers.begin('idp');
    assert.ok(started.ok && started.url.startsWith(`${provider.issuer}/`));
    assert.deepEqual(await providers.begin('nope'), { ok: false, code: 'OIDC_WRONG_PROVIDER' });
  } finally {
    providers.close();
    await down.close();
    await provider.stop();
  }
});
