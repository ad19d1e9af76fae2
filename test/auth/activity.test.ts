import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listActivity, recordActivity, sweepActivity } from '../../server/auth/activity.js';
import { deviceName } from '../../server/auth/devices.js';
import { domainPerTest, verifiedUser } from '../helpers/domain.js';

describe('auth/activity', () => {
  const domain = domainPerTest({ securityLogMax: 5, securityLogDays: 2 });

  test('entries come back newest first, paged by the last id', async () => {
    const user = await verifiedUser(domain());
    for (const method of ['a', 'b', 'c']) {
      await recordActivity(domain().deps, user.id, { type: 'login', method, ip: '10.0.0.1' });
    }
    const first = await listActivity(domain().deps, user.id, { limit: 2 });
    assert.deepEqual(
      first.map((entry) => entry.method),
      ['c', 'b'],
    );
    const last = first.at(-1);
    assert.ok(last);
    const next = await listActivity(domain().deps, user.id, { before: last.id, limit: 2 });
    // The oldest entry is the verification that made the user (its emailed link).
    assert.deepEqual(
      next.map((entry) => entry.method),
      ['a', 'email-link'],
    );
  });

  test('a flood of failures keeps only the cap, the newest kept', async () => {
    const user = await verifiedUser(domain());
    for (let i = 0; i < 20; i += 1) {
      await recordActivity(domain().deps, user.id, { type: 'login-failed', detail: { n: String(i) } });
    }
    const kept = await listActivity(domain().deps, user.id, { limit: 100 });
    assert.equal(kept.length, 5);
    assert.equal(kept[0]?.detail?.n, '19');
  });

  test('entries older than SECURITY_LOG_DAYS are swept', async () => {
    const user = await verifiedUser(domain());
    await recordActivity(domain().deps, user.id, { type: 'logout' });
    domain().clock.advance(3 * 24 * 3600);
    await recordActivity(domain().deps, user.id, { type: 'login' });
    // The verification and the log-out are three days old: both go.
    assert.equal(await sweepActivity(domain().deps), 2);
    const kept = await listActivity(domain().deps, user.id, { limit: 10 });
    assert.deepEqual(
      kept.map((entry) => entry.type),
      ['login'],
    );
  });

  test('an unknown account records nothing and does not throw', async () => {
    await recordActivity(domain().deps, 9999, { type: 'login-failed' });
  });

  test('devices are named Browser on OS', () => {
    assert.equal(
      deviceName('Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0'),
      'Firefox on Linux',
    );
    assert.equal(deviceName(''), null);
    assert.equal(deviceName('curl/8.0'), null);
  });
});
