import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  listSessions,
  revokeOtherSessions,
  revokeSession,
  touchSession,
} from '../../server/auth/account-centre.js';
import { listActivity } from '../../server/auth/activity.js';
import { authenticate, logIn } from '../../server/auth/sessions.js';
import { code, domainPerTest, PASSWORD, verifiedUser } from '../helpers/domain.js';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0';

describe('auth/account-centre sessions', () => {
  const domain = domainPerTest();

  test('a sign-in records its device and address; the list never carries the hash', async () => {
    const user = await verifiedUser(domain());
    const here = await logIn(domain().deps, {
      email: 'ada@example.com',
      password: PASSWORD,
      client: { ip: '203.0.113.7', userAgent: FIREFOX, session: 'browser' },
    });
    await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const sessions = await listSessions(domain().deps, user.id, here.token);
    assert.equal(sessions.length, 2);
    const mine = sessions.find((session) => session.current);
    assert.ok(mine);
    assert.equal(mine.device, 'Firefox on Linux');
    assert.equal(mine.ip, '203.0.113.7');
    assert.equal(mine.session, 'browser');
    assert.ok(!JSON.stringify(sessions).includes(here.token.hash));
    assert.ok(!JSON.stringify(sessions).includes(here.secret));
  });

  test('a use is recorded at most once a minute', async () => {
    await verifiedUser(domain());
    const here = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const first = here.token.lastUsed;
    domain().clock.advance(30);
    await touchSession(domain().deps, here.token);
    let found = await authenticate(domain().deps, here.secret);
    assert.equal(found?.token.lastUsed, first, 'not written within the minute');
    domain().clock.advance(31);
    await touchSession(domain().deps, here.token);
    found = await authenticate(domain().deps, here.secret);
    assert.equal(found?.token.lastUsed, domain().clock.now().toISOString());
  });

  test('revoking one by its id ends it on its next request; another account cannot', async () => {
    const user = await verifiedUser(domain());
    const other = await verifiedUser(domain(), 'bob@example.com');
    const here = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const there = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const id = there.token.id;
    assert.ok(id);
    assert.equal(await revokeSession(domain().deps, other.id, id), false);
    assert.ok(await authenticate(domain().deps, there.secret));
    assert.equal(await revokeSession(domain().deps, user.id, id), true);
    assert.equal(await authenticate(domain().deps, there.secret), null);
    assert.ok(await authenticate(domain().deps, here.secret));
    const types = (await listActivity(domain().deps, user.id, { limit: 10 })).map((entry) => entry.type);
    assert.deepEqual(types.slice(0, 1), ['session-revoked']);
  });

  test('everywhere else ends all but this one', async () => {
    const user = await verifiedUser(domain());
    const here = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const a = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const b = await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    assert.equal(await revokeOtherSessions(domain().deps, user.id, here.token), 2);
    assert.equal(await authenticate(domain().deps, a.secret), null);
    assert.equal(await authenticate(domain().deps, b.secret), null);
    assert.ok(await authenticate(domain().deps, here.secret));
  });

  test('failed and successful sign-ins show in the owner log only', async () => {
    const user = await verifiedUser(domain());
    await assert.rejects(
      logIn(domain().deps, {
        email: 'ada@example.com',
        password: 'wrong password!',
        client: { ip: '198.51.100.2', session: 'api' },
      }),
      code('LOGIN_FAILED'),
    );
    await logIn(domain().deps, { email: 'ada@example.com', password: PASSWORD });
    const entries = await listActivity(domain().deps, user.id, { limit: 10 });
    assert.deepEqual(
      entries.map((entry) => [entry.type, entry.method]),
      [
        ['login', 'password'],
        ['login-failed', 'password'],
        ['email-verified', 'email-link'],
      ],
    );
    assert.equal(entries[1]?.ip, '198.51.100.2');
    assert.ok(!JSON.stringify(entries).includes('wrong password'));
  });
});
