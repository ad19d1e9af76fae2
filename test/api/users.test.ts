import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accessTokenListSchema } from '../../server/api/schemas.js';
import { startApp, type TestApp } from '../helpers/app.js';
import {
  ApiClient,
  assertError,
  errorOf,
  linkFrom,
  logInToken,
  PASSWORD,
  signUpVerified,
  strictLogin,
  strictUser,
} from './client.js';

const NEW_PASSWORD = 'purple elephant dances quietly';

let app: TestApp;
let api: ApiClient;
before(async () => {
  app = await startApp();
  api = new ApiClient(app.url);
});
after(async () => {
  await app.close();
});

describe('POST /api/users (sign up)', () => {
  test('200: the user, never the password or its hash; emailVerified and unknown fields are ignored', async () => {
    const created = await api.post('/api/users', {
      body: {
        email: 'create@example.com',
        password: PASSWORD,
        username: 'creator',
        emailVerified: true,
        isAdmin: true,
      },
    });
    assert.equal(created.status, 200, created.text);
    const user = strictUser.parse(created.json);
    assert.equal(user.email, 'create@example.com');
    assert.equal(user.username, 'creator');
    assert.equal(user.emailVerified, false, 'only the emailed link verifies an address');
    assert.doesNotMatch(created.text, /password|hash|\$2[aby]\$/i);
    const link = await linkFrom(app, 'create@example.com', '/verify');
    assert.equal(link.searchParams.get('uid'), String(user.id));
  });

  test('422 ValidationError for a taken email (any case) or username, with details per field', async () => {
    await api.post('/api/users', {
      body: { email: 'taken@example.com', password: PASSWORD, username: 'taken' },
    });
    const sameEmail = await api.post('/api/users', {
      body: { email: 'TAKEN@example.com', password: PASSWORD },
    });
    assertError(sameEmail, 422, 'VALIDATION_ERROR');
    const error = errorOf(sameEmail);
    assert.equal(error.name, 'ValidationError');
    assert.deepEqual(error.details?.codes, { email: ['uniqueness'] });
    const sameUsername = await api.post('/api/users', {
      body: { email: 'other@example.com', password: PASSWORD, username: 'TAKEN' },
    });
    assertError(sameUsername, 422, 'VALIDATION_ERROR');
    assert.deepEqual(errorOf(sameUsername).details?.codes, { username: ['uniqueness'] });
  });

  test('422 for an invalid email and a bad password, each field named', async () => {
    const response = await api.post('/api/users', { body: { email: 'not-an-email', password: 'short' } });
    assertError(response, 422, 'VALIDATION_ERROR');
    const codes = errorOf(response).details?.codes ?? {};
    assert.deepEqual(codes.email, ['custom.email']);
    assert.deepEqual(codes.password, ['password.tooShort']);
  });

  test('422 PASSWORD_TOO_LONG over 72 bytes, never cut silently', async () => {
    const response = await api.post('/api/users', {
      body: { email: 'long@example.com', password: `${'é'.repeat(36)}x` },
    });
    assertError(response, 422, 'PASSWORD_TOO_LONG');
  });
});

describe('POST /api/users/login', () => {
  before(async () => {
    await signUpVerified(app, api, 'login@example.com', { username: 'loginname' });
  });

  test('200 {id, ttl, created, userId}: id is the token, ttl the default ACCESS_TOKEN_TTL', async () => {
    const response = await api.post('/api/users/login', {
      body: { email: 'LOGIN@example.com', password: PASSWORD },
    });
    assert.equal(response.status, 200, response.text);
    const login = strictLogin.parse(response.json);
    assert.match(login.id, /^[A-Za-z0-9_-]{64}$/);
    assert.equal(login.ttl, 1_209_600);
    assert.equal(login.user, undefined);
    assert.ok(!Number.isNaN(Date.parse(login.created)));
    const me = await api.get('/api/users/me', { token: login.id });
    assert.equal(strictUser.parse(me.json).id, login.userId);
  });

  test('?include=user adds the user; login by username works too', async () => {
    const response = await api.post('/api/users/login?include=user', {
      body: { username: 'LoginName', password: PASSWORD },
    });
    assert.equal(response.status, 200, response.text);
    const login = strictLogin.parse(response.json);
    assert.equal(login.user?.email, 'login@example.com');
    assert.equal(login.user?.id, login.userId);
  });

  test('ttl: a positive number or numeric string is used, capped at MAX_ACCESS_TOKEN_TTL', async () => {
    const ttlOf = async (ttl: unknown) => {
      const response = await api.post('/api/users/login', {
        body: { email: 'login@example.com', password: PASSWORD, ttl },
      });
      assert.equal(response.status, 200, response.text);
      return strictLogin.parse(response.json).ttl;
    };
    assert.equal(await ttlOf(60), 60);
    assert.equal(await ttlOf('120'), 120);
    assert.equal(await ttlOf(10 ** 12), 31_556_926);
  });

  test('422 for a ttl that is not a positive whole number', async () => {
    for (const ttl of [0, -5, 'abc', 1.5, true, '']) {
      const response = await api.post('/api/users/login', {
        body: { email: 'login@example.com', password: PASSWORD, ttl },
      });
      assertError(response, 422, 'VALIDATION_ERROR');
      assert.ok(errorOf(response).details?.codes.ttl, `ttl ${JSON.stringify(ttl)} is named`);
    }
  });

  test('401 LOGIN_FAILED, the same for a wrong password and an unknown user', async () => {
    const wrong = await api.post('/api/users/login', {
      body: { email: 'login@example.com', password: 'not the password at all' },
    });
    const unknown = await api.post('/api/users/login', {
      body: { email: 'nobody@example.com', password: PASSWORD },
    });
    assertError(wrong, 401, 'LOGIN_FAILED');
    assertError(unknown, 401, 'LOGIN_FAILED');
    assert.deepEqual(wrong.json, unknown.json);
  });

  test('400 USERNAME_EMAIL_REQUIRED without email or username', async () => {
    assertError(
      await api.post('/api/users/login', { body: { password: PASSWORD } }),
      400,
      'USERNAME_EMAIL_REQUIRED',
    );
    assertError(
      await api.post('/api/users/login', { body: { email: '', password: PASSWORD } }),
      400,
      'USERNAME_EMAIL_REQUIRED',
    );
  });

  test('401 LOGIN_FAILED_EMAIL_NOT_VERIFIED before the link is followed', async () => {
    await api.post('/api/users', { body: { email: 'unverified@example.com', password: PASSWORD } });
    const response = await api.post('/api/users/login', {
      body: { email: 'unverified@example.com', password: PASSWORD },
    });
    assertError(response, 401, 'LOGIN_FAILED_EMAIL_NOT_VERIFIED');
  });
});

describe('POST /api/users/logout', () => {
  test('204, and the token is refused afterwards', async () => {
    await signUpVerified(app, api, 'logout@example.com');
    const token = await logInToken(api, 'logout@example.com');
    const response = await api.post('/api/users/logout', { token });
    assert.equal(response.status, 204, response.text);
    assertError(await api.get('/api/users/me', { token }), 401, 'AUTHORIZATION_REQUIRED');
  });

  test('401 without a token or with an unknown one', async () => {
    assertError(await api.post('/api/users/logout'), 401, 'AUTHORIZATION_REQUIRED');
    assertError(
      await api.post('/api/users/logout', { token: 'x'.repeat(64) }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
  });
});

describe('POST /api/users/reset and /reset-password', () => {
  before(async () => {
    await signUpVerified(app, api, 'reset@example.com');
  });

  const resetTokenFor = async (email: string) => {
    const response = await api.post('/api/users/reset', { body: { email } });
    assert.equal(response.status, 204, response.text);
    const link = await linkFrom(app, email, '/reset-password');
    const token = link.searchParams.get('access_token');
    assert.ok(token);
    return token;
  };

  test('reset: 204 for a known email (a link is emailed) and for an unknown one alike', async () => {
    const unknown = await api.post('/api/users/reset', { body: { email: 'nobody-here@example.com' } });
    assert.equal(unknown.status, 204);
    assert.equal(unknown.text, '');
    const token = await resetTokenFor('RESET@example.com'.toLowerCase());
    assert.match(token, /^[A-Za-z0-9_-]{64}$/);
  });

  test('reset: 400 EMAIL_REQUIRED without an email', async () => {
    assertError(await api.post('/api/users/reset', { body: {} }), 400, 'EMAIL_REQUIRED');
    assertError(await api.post('/api/users/reset', { body: { email: '' } }), 400, 'EMAIL_REQUIRED');
    assertError(await api.post('/api/users/reset', { body: { email: null } }), 400, 'EMAIL_REQUIRED');
    assertError(await api.post('/api/users/reset'), 400, 'EMAIL_REQUIRED');
  });

  test('reset-password: 204 with the reset token; the token is spent and every login token deleted', async () => {
    const before = await logInToken(api, 'reset@example.com');
    const token = await resetTokenFor('reset@example.com');
    const response = await api.post(`/api/users/reset-password?access_token=${token}`, {
      body: { newPassword: NEW_PASSWORD },
    });
    assert.equal(response.status, 204, response.text);
    assertError(await api.get('/api/users/me', { token: before }), 401, 'AUTHORIZATION_REQUIRED');
    const again = await api.post(`/api/users/reset-password?access_token=${token}`, {
      body: { newPassword: 'yet another fine passphrase' },
    });
    assertError(again, 401, 'AUTHORIZATION_REQUIRED');
    assertError(
      await api.post('/api/users/login', { body: { email: 'reset@example.com', password: PASSWORD } }),
      401,
      'LOGIN_FAILED',
    );
    await logInToken(api, 'reset@example.com', NEW_PASSWORD);
  });

  test('reset-password: 422 for a bad new password leaves the link usable', async () => {
    const token = await resetTokenFor('reset@example.com');
    const weak = await api.post('/api/users/reset-password', { token, body: { newPassword: 'short' } });
    assertError(weak, 422, 'VALIDATION_ERROR');
    const tooLong = await api.post('/api/users/reset-password', {
      token,
      body: { newPassword: 'a'.repeat(73) },
    });
    assertError(tooLong, 422, 'PASSWORD_TOO_LONG');
    const missing = await api.post('/api/users/reset-password', { token, body: {} });
    assertError(missing, 400, 'INVALID_ARGUMENT');
    assert.deepEqual(errorOf(missing).details?.codes, { newPassword: ['presence'] });
    const good = await api.post('/api/users/reset-password', { token, body: { newPassword: PASSWORD } });
    assert.equal(good.status, 204, good.text);
  });

  test('reset-password: 401 without a token, with a login token, or a bad one', async () => {
    const login = await logInToken(api, 'reset@example.com');
    const body = { newPassword: 'a login token must not do this' };
    assertError(await api.post('/api/users/reset-password', { body }), 401, 'AUTHORIZATION_REQUIRED');
    assertError(
      await api.post('/api/users/reset-password', { token: login, body }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
    assertError(
      await api.post(`/api/users/reset-password?access_token=${login}`, { body }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
    assertError(
      await api.post('/api/users/reset-password?access_token=nonsense', { body }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
    // The login token was not spent or changed by any of this.
    assert.equal((await api.get('/api/users/me', { token: login })).status, 200);
  });

  test('a reset token opens nothing but reset-password', async () => {
    const token = await resetTokenFor('reset@example.com');
    assertError(await api.get('/api/users/me', { token }), 401, 'AUTHORIZATION_REQUIRED');
    assertError(await api.get(`/api/users/me?access_token=${token}`), 401, 'AUTHORIZATION_REQUIRED');
    assertError(
      await api.post('/api/users/change-password', {
        token,
        body: { oldPassword: PASSWORD, newPassword: NEW_PASSWORD },
      }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
    assertError(await api.get('/api/users/me/accessTokens', { token }), 401, 'AUTHORIZATION_REQUIRED');
    assertError(await api.post('/api/users/logout', { token }), 401, 'AUTHORIZATION_REQUIRED');
    // …and it still works where it belongs.
    const used = await api.post('/api/users/reset-password', { token, body: { newPassword: PASSWORD } });
    assert.equal(used.status, 204, used.text);
  });
});

describe('POST /api/users/change-password', () => {
  test("204: the caller's token stays, every other token goes, the new password logs in", async () => {
    await signUpVerified(app, api, 'change@example.com');
    const mine = await logInToken(api, 'change@example.com');
    const other = await logInToken(api, 'change@example.com');
    const response = await api.post('/api/users/change-password', {
      token: mine,
      body: { oldPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    assert.equal(response.status, 204, response.text);
    assert.equal((await api.get('/api/users/me', { token: mine })).status, 200);
    assertError(await api.get('/api/users/me', { token: other }), 401, 'AUTHORIZATION_REQUIRED');
    assertError(
      await api.post('/api/users/login', { body: { email: 'change@example.com', password: PASSWORD } }),
      401,
      'LOGIN_FAILED',
    );
    await logInToken(api, 'change@example.com', NEW_PASSWORD);
  });

  test('400 INVALID_PASSWORD for a wrong old password, 422 for a weak new one, 400 for a missing one', async () => {
    await signUpVerified(app, api, 'change2@example.com');
    const token = await logInToken(api, 'change2@example.com');
    assertError(
      await api.post('/api/users/change-password', {
        token,
        body: { oldPassword: 'not my password at all', newPassword: NEW_PASSWORD },
      }),
      400,
      'INVALID_PASSWORD',
    );
    assertError(
      await api.post('/api/users/change-password', {
        token,
        body: { oldPassword: PASSWORD, newPassword: 'password1234' },
      }),
      422,
      'VALIDATION_ERROR',
    );
    const missing = await api.post('/api/users/change-password', {
      token,
      body: { newPassword: NEW_PASSWORD },
    });
    assertError(missing, 400, 'INVALID_ARGUMENT');
    assert.deepEqual(errorOf(missing).details?.codes, { oldPassword: ['presence'] });
  });

  test('401 without a token', async () => {
    assertError(
      await api.post('/api/users/change-password', {
        body: { oldPassword: PASSWORD, newPassword: NEW_PASSWORD },
      }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
  });
});

describe('GET /api/users/confirm', () => {
  const linkOf = async (email: string) => {
    await api.post('/api/users', { body: { email, password: PASSWORD } });
    const link = await linkFrom(app, email, '/verify');
    return { uid: link.searchParams.get('uid') ?? '', token: link.searchParams.get('token') ?? '' };
  };

  test('204 verifies the email; the link works once', async () => {
    const { uid, token } = await linkOf('confirm@example.com');
    const response = await api.get(`/api/users/confirm?${new URLSearchParams({ uid, token })}`);
    assert.equal(response.status, 204, response.text);
    await logInToken(api, 'confirm@example.com');
    const again = await api.get(`/api/users/confirm?${new URLSearchParams({ uid, token })}`);
    assertError(again, 400, 'INVALID_TOKEN');
  });

  test('302 to a same-origin redirect', async () => {
    const { uid, token } = await linkOf('confirm-redirect@example.com');
    const response = await api.get(
      `/api/users/confirm?${new URLSearchParams({ uid, token, redirect: '/verified?from=api' })}`,
    );
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), '/verified?from=api');
  });

  test('400 INVALID_REDIRECT for another origin, and the link is not spent', async () => {
    const { uid, token } = await linkOf('confirm-evil@example.com');
    for (const redirect of [
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      const response = await api.get(`/api/users/confirm?${new URLSearchParams({ uid, token, redirect })}`);
      assertError(response, 400, 'INVALID_REDIRECT');
    }
    const response = await api.get(`/api/users/confirm?${new URLSearchParams({ uid, token })}`);
    assert.equal(response.status, 204, response.text);
  });

  test('400 INVALID_TOKEN for a wrong token, 404 USER_NOT_FOUND for an unknown uid, 400 without them', async () => {
    const { uid } = await linkOf('confirm-bad@example.com');
    assertError(
      await api.get(`/api/users/confirm?${new URLSearchParams({ uid, token: 'x'.repeat(64) })}`),
      400,
      'INVALID_TOKEN',
    );
    assertError(
      await api.get(`/api/users/confirm?${new URLSearchParams({ uid: '999999', token: 'x'.repeat(64) })}`),
      404,
      'USER_NOT_FOUND',
    );
    // Ids are whole numbers (LoopBack 3's default): anything else is a clear 400.
    assertError(
      await api.get(`/api/users/confirm?${new URLSearchParams({ uid: 'NaN', token: 'x'.repeat(64) })}`),
      400,
      'INVALID_ARGUMENT',
    );
    const missing = await api.get('/api/users/confirm');
    assertError(missing, 400, 'INVALID_ARGUMENT');
    assert.deepEqual(errorOf(missing).details?.codes, { uid: ['presence'], token: ['presence'] });
    assertError(await api.get(`/api/users/confirm?uid=${uid}&uid=${uid}&token=x`), 400, 'INVALID_ARGUMENT');
  });
});

describe('/api/users/:id — the owner only', () => {
  let ada: { id: number; token: string };
  let bob: { id: number; token: string };
  before(async () => {
    const adaUser = await signUpVerified(app, api, 'ada@example.com', { username: 'ada' });
    const bobUser = await signUpVerified(app, api, 'bob@example.com');
    ada = { id: adaUser.id, token: await logInToken(api, 'ada@example.com') };
    bob = { id: bobUser.id, token: await logInToken(api, 'bob@example.com') };
  });

  test('GET: 200 for me and for the own id', async () => {
    const me = await api.get('/api/users/me', { token: ada.token });
    assert.equal(me.status, 200);
    assert.equal(me.headers.get('cache-control'), 'no-store');
    const user = strictUser.parse(me.json);
    assert.equal(user.email, 'ada@example.com');
    const byId = await api.get(`/api/users/${ada.id}`, { token: ada.token });
    assert.deepEqual(byId.json, me.json);
  });

  test("401 AUTHORIZATION_REQUIRED for another user's id, an unknown id, or no token", async () => {
    for (const [method, path] of [
      ['GET', `/api/users/${bob.id}`],
      ['PATCH', `/api/users/${bob.id}`],
      ['DELETE', `/api/users/${bob.id}`],
      ['GET', `/api/users/${bob.id}/accessTokens`],
      ['DELETE', `/api/users/${bob.id}/accessTokens`],
      ['GET', '/api/users/999999'],
    ] as const) {
      const body = method === 'PATCH' ? { username: 'stolen' } : undefined;
      const response = await api.request(method, path, { token: ada.token, body });
      assertError(response, 401, 'AUTHORIZATION_REQUIRED');
    }
    for (const [method, path] of [
      ['GET', '/api/users/me'],
      ['PATCH', '/api/users/me'],
      ['DELETE', '/api/users/me'],
      ['GET', '/api/users/me/accessTokens'],
      ['DELETE', '/api/users/me/accessTokens'],
      ['GET', `/api/users/${ada.id}`],
    ] as const) {
      const body = method === 'PATCH' ? {} : undefined;
      assertError(await api.request(method, path, { body }), 401, 'AUTHORIZATION_REQUIRED');
    }
    // An id a client turned into NaN (or any non-number) is a clear 400, token or not.
    for (const id of ['NaN', 'undefined', '1.5', '-1', 'no-such-id']) {
      assertError(await api.get(`/api/users/${id}`, { token: ada.token }), 400, 'INVALID_ARGUMENT');
      assertError(await api.get(`/api/users/${id}`), 400, 'INVALID_ARGUMENT');
    }
    // Bob's account and tokens are untouched.
    const bobNow = strictUser.parse((await api.get('/api/users/me', { token: bob.token })).json);
    assert.equal(bobNow.username, null);
  });

  test('PATCH: 200 with a new username; emailVerified and unknown fields are ignored', async () => {
    const response = await api.patch('/api/users/me', {
      token: ada.token,
      body: { username: 'ada-l', emailVerified: false, id: 'other-id' },
    });
    assert.equal(response.status, 200, response.text);
    const user = strictUser.parse(response.json);
    assert.equal(user.username, 'ada-l');
    assert.equal(user.emailVerified, true);
    assert.equal(user.id, ada.id);
  });

  test('PATCH with a password: 401 PASSWORD_CHANGE_NOT_ALLOWED, and the password is unchanged', async () => {
    for (const password of [NEW_PASSWORD, '', null, 5]) {
      const response = await api.patch('/api/users/me', { token: ada.token, body: { password } });
      assertError(response, 401, 'PASSWORD_CHANGE_NOT_ALLOWED');
    }
    await logInToken(api, 'ada@example.com');
  });

  test('PATCH: a taken email answers as a free one (issue 10.3); 422 for a wrong type', async () => {
    const free = await api.patch('/api/users/me', {
      token: ada.token,
      body: { email: 'nobody-has-this@example.com', username: 'not valid' },
    });
    const taken = await api.patch('/api/users/me', {
      token: ada.token,
      body: { email: 'BOB@example.com', username: 'not valid' },
    });
    assertError(taken, 422, 'VALIDATION_ERROR');
    assert.deepEqual(errorOf(taken).details?.codes, { username: ['format'] });
    assert.deepEqual(taken.json, free.json, 'the answer never says whether the address has an account');
    const pending = await api.patch('/api/users/me', {
      token: ada.token,
      body: { email: 'BOB@example.com' },
    });
    assert.equal(pending.status, 200, pending.text);
    assert.equal(strictUser.parse(pending.json).email, 'ada@example.com', 'the change is only pending');
    const wrongType = await api.patch('/api/users/me', { token: ada.token, body: { username: 5 } });
    assertError(wrongType, 422, 'VALIDATION_ERROR');
    assert.deepEqual(errorOf(wrongType).details?.codes, { username: ['type'] });
  });

  test('PATCH email: pending until the link sent to the new address is followed; the old one is told', async () => {
    await signUpVerified(app, api, 'mover@example.com');
    const mine = await logInToken(api, 'mover@example.com');
    const response = await api.patch('/api/users/me', { token: mine, body: { email: 'moved@example.com' } });
    assert.equal(response.status, 200, response.text);
    const user = strictUser.parse(response.json);
    // Issue 10.1: the old address keeps working (login, reset) until the new one is confirmed.
    assert.equal(user.email, 'mover@example.com');
    assert.equal(user.emailVerified, true);
    await app.mail.waitFor('mover@example.com');
    const link = await linkFrom(app, 'moved@example.com', '/verify');
    assert.equal(link.searchParams.get('uid'), String(user.id));
    await logInToken(api, 'mover@example.com');
    const query = new URLSearchParams({
      uid: link.searchParams.get('uid') ?? '',
      token: link.searchParams.get('token') ?? '',
    });
    assert.equal((await api.get(`/api/users/confirm?${query}`)).status, 204);
    const moved = strictUser.parse((await api.get('/api/users/me', { token: mine })).json);
    assert.equal(moved.email, 'moved@example.com');
    await logInToken(api, 'moved@example.com');
  });

  test('GET accessTokens: metadata of live login tokens, the current one marked, never a secret', async () => {
    await signUpVerified(app, api, 'lister@example.com');
    const first = await logInToken(api, 'lister@example.com');
    const second = await logInToken(api, 'lister@example.com');
    const response = await api.get('/api/users/me/accessTokens', { token: second });
    assert.equal(response.status, 200, response.text);
    const tokens = accessTokenListSchema.parse(response.json);
    assert.equal(tokens.length, 2);
    assert.equal(tokens.filter((token) => token.current).length, 1);
    for (const token of tokens) {
      assert.deepEqual(token.scopes, ['DEFAULT']);
      // Issue 14: the id is the token's random public id (`:fk`), no longer a prefix of its hash.
      assert.match(token.id, /^[A-Za-z0-9_-]{12}$/);
    }
    for (const secret of [first, second])
      assert.ok(!response.text.includes(secret), 'no token secret is listed');
    for (const item of response.json as object[]) {
      assert.deepEqual(Object.keys(item).sort(), [
        'created',
        'current',
        'device',
        'expires',
        'id',
        'ip',
        'lastUsed',
        'scopes',
        'session',
        'ttl',
        'userId',
      ]);
    }
  });

  test('DELETE accessTokens: 204, every login token of the user is gone', async () => {
    await signUpVerified(app, api, 'everywhere@example.com');
    const first = await logInToken(api, 'everywhere@example.com');
    const second = await logInToken(api, 'everywhere@example.com');
    const response = await api.delete('/api/users/me/accessTokens', { token: first });
    assert.equal(response.status, 204, response.text);
    assertError(await api.get('/api/users/me', { token: first }), 401, 'AUTHORIZATION_REQUIRED');
    assertError(await api.get('/api/users/me', { token: second }), 401, 'AUTHORIZATION_REQUIRED');
  });

  test("DELETE: 200 {count: 1}; the account and its tokens are gone, another user's is refused", async () => {
    const doomed = await signUpVerified(app, api, 'doomed@example.com');
    const token = await logInToken(api, 'doomed@example.com');
    assertError(
      await api.delete(`/api/users/${doomed.id}`, { token: bob.token }),
      401,
      'AUTHORIZATION_REQUIRED',
    );
    const response = await api.delete(`/api/users/${doomed.id}`, { token });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json, { count: 1 });
    assertError(await api.get('/api/users/me', { token }), 401, 'AUTHORIZATION_REQUIRED');
    assertError(
      await api.post('/api/users/login', { body: { email: 'doomed@example.com', password: PASSWORD } }),
      401,
      'LOGIN_FAILED',
    );
  });
});
