import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { test } from 'node:test';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import {
  createUserHandle,
  describePasskeyAssertion,
  PasskeyConfigError,
  type PasskeyRelyingParty,
  passkeyAuthenticationOptions,
  passkeyProblem,
  passkeyRegistrationOptions,
  passkeyRelyingParty,
  type StoredPasskey,
  verifyPasskeyAuthentication,
  verifyPasskeyRegistration,
} from '../../server/auth/passkeys.js';

/**
 * A software authenticator (ES256, "none" attestation), built from the WebAuthn spec with
 * node:crypto, so the checks run on real signatures without a browser. The browser path (CDP
 * virtual authenticator) is the Playwright spec's job.
 */
class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  private readonly key: KeyObject;
  private readonly publicJwk: { x?: string; y?: string };
  counter = 0;

  constructor(
    readonly userHandle: string,
    public userVerified = true,
  ) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = pair.privateKey;
    this.publicJwk = pair.publicKey.export({ format: 'jwk' });
  }

  get id(): string {
    return this.credentialId.toString('base64url');
  }

  private authData(rpID: string, attested: boolean): Buffer {
    // Flags: UP (0x01), UV (0x04), BE (0x08) and BS (0x10) as a synced passkey, AT (0x40) on creation.
    const flags = 0x01 | (this.userVerified ? 0x04 : 0) | 0x08 | 0x10 | (attested ? 0x40 : 0);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const parts = [createHash('sha256').update(rpID).digest(), Buffer.from([flags]), counter];
    if (attested) {
      const cose = new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(this.publicJwk.x!, 'base64url')],
        [-3, Buffer.from(this.publicJwk.y!, 'base64url')],
      ]);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(this.credentialId.length);
      parts.push(Buffer.alloc(16), length, this.credentialId, Buffer.from(isoCBOR.encode(cose)));
    }
    return Buffer.concat(parts);
  }

  create(options: { challenge: string; rpID: string; origin: string }) {
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin: options.origin }),
    );
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', this.authData(options.rpID, true)],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  get(options: { challenge: string; rpID: string; origin: string }) {
    this.counter += 1;
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin: options.origin }),
    );
    const authenticatorData = this.authData(options.rpID, false);
    const signed = Buffer.concat([authenticatorData, createHash('sha256').update(clientDataJSON).digest()]);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authenticatorData.toString('base64url'),
        signature: sign('sha256', signed, this.key).toString('base64url'),
        userHandle: this.userHandle,
      },
      clientExtensionResults: {},
    };
  }
}

const REASONS: Record<string, RegExp> = {
  challenge: /challenge/,
  origin: /origin/,
  'rp id': /RP ID/,
  uv: /User verification/,
  'another key under this id': /not verified/,
};

const rp: PasskeyRelyingParty = passkeyRelyingParty('http://localhost:3999', 'Koa Users');

async function registered(authenticator: SoftAuthenticator): Promise<StoredPasskey> {
  const { challenge } = await passkeyRegistrationOptions(rp, {
    userHandle: authenticator.userHandle,
    userName: 'ann@example.com',
    existing: [],
  });
  const result = await verifyPasskeyRegistration(rp, {
    response: authenticator.create({ challenge, rpID: rp.rpID, origin: rp.origin }),
    expectedChallenge: challenge,
  });
  assert.ok(result.verified, result.verified ? '' : result.reason);
  return result.passkey;
}

test('the relying party comes from APP_URL; an IP address or plain http off localhost is refused clearly', () => {
  assert.deepEqual(passkeyRelyingParty('https://app.example.com/', 'Koa Users'), {
    rpID: 'app.example.com',
    origin: 'https://app.example.com',
    rpName: 'Koa Users',
  });
  assert.deepEqual(passkeyRelyingParty('http://localhost:3000', 'K'), {
    rpID: 'localhost',
    origin: 'http://localhost:3000',
    rpName: 'K',
  });
  assert.equal(passkeyProblem('https://example.com:8443/base'), null);
  for (const ip of ['http://127.0.0.1:3000', 'https://10.0.0.5', 'http://[::1]:3000']) {
    assert.match(passkeyProblem(ip) ?? '', /IP address.*localhost/, ip);
    assert.throws(() => passkeyRelyingParty(ip, 'K'), PasskeyConfigError);
  }
  assert.match(passkeyProblem('http://app.example.com') ?? '', /not https/);
});

test('registration options ask for a discoverable credential with user verification', async () => {
  const userHandle = createUserHandle();
  const existing = await registered(new SoftAuthenticator(userHandle));
  const { options, challenge } = await passkeyRegistrationOptions(rp, {
    userHandle,
    userName: 'ann@example.com',
    displayName: 'Ann',
    existing: [existing],
  });
  assert.equal(options.challenge, challenge);
  assert.ok(Buffer.from(challenge, 'base64url').length >= 16);
  assert.deepEqual(options.rp, { name: 'Koa Users', id: 'localhost' });
  assert.equal(options.user.id, userHandle);
  assert.equal(options.user.name, 'ann@example.com');
  assert.equal(options.user.displayName, 'Ann');
  assert.equal(options.authenticatorSelection?.residentKey, 'required');
  assert.equal(options.authenticatorSelection?.userVerification, 'required');
  assert.equal(options.attestation, 'none');
  assert.deepEqual(
    options.excludeCredentials?.map((credential) => credential.id),
    [existing.credentialId],
  );
  assert.notEqual(createUserHandle(), userHandle);
  assert.equal(Buffer.from(userHandle, 'base64url').length, 32);
});

test('a registration is verified and gives a storable passkey', async () => {
  const authenticator = new SoftAuthenticator(createUserHandle());
  const passkey = await registered(authenticator);
  assert.equal(passkey.credentialId, authenticator.id);
  assert.equal(passkey.counter, 0);
  assert.deepEqual(passkey.transports, ['internal']);
  assert.equal(passkey.deviceType, 'multiDevice');
  assert.equal(passkey.backedUp, true);
  assert.deepEqual(JSON.parse(JSON.stringify(passkey)), passkey);
});

test('a registration is refused for another challenge, another origin, another rp id, without UV, or malformed', async () => {
  const { challenge } = await passkeyRegistrationOptions(rp, {
    userHandle: createUserHandle(),
    userName: 'ann@example.com',
    existing: [],
  });
  const authenticator = new SoftAuthenticator(createUserHandle());
  const cases: [string, unknown][] = [
    ['challenge', authenticator.create({ challenge: 'b3RoZXI', rpID: rp.rpID, origin: rp.origin })],
    ['origin', authenticator.create({ challenge, rpID: rp.rpID, origin: 'http://localhost:4000' })],
    ['rp id', authenticator.create({ challenge, rpID: 'evil.example', origin: rp.origin })],
    ['uv', new SoftAuthenticator('h', false).create({ challenge, rpID: rp.rpID, origin: rp.origin })],
    ['malformed', { id: 'x', response: {} }],
    ['not an object', 'nope'],
  ];
  for (const [name, response] of cases) {
    const result = await verifyPasskeyRegistration(rp, { response, expectedChallenge: challenge });
    assert.equal(result.verified, false, name);
    // Refused for the reason under test, not because the fixture broke something else.
    assert.match(result.verified ? '' : result.reason, REASONS[name] ?? /./, name);
  }
});

test('an authentication is verified with the stored key; the counter moves forward only', async () => {
  const authenticator = new SoftAuthenticator(createUserHandle());
  let passkey = await registered(authenticator);

  const discoverable = await passkeyAuthenticationOptions(rp);
  assert.equal(discoverable.options.rpId, 'localhost');
  assert.equal(discoverable.options.userVerification, 'required');
  assert.equal(discoverable.options.allowCredentials, undefined);

  const response = authenticator.get({ challenge: discoverable.challenge, rpID: rp.rpID, origin: rp.origin });
  assert.deepEqual(describePasskeyAssertion(response), {
    credentialId: passkey.credentialId,
    userHandle: authenticator.userHandle,
  });
  const first = await verifyPasskeyAuthentication(rp, {
    response,
    expectedChallenge: discoverable.challenge,
    passkey,
  });
  assert.deepEqual(first, { verified: true, counter: 1, backedUp: true });
  passkey = { ...passkey, counter: 1 };

  // The same signed response again (a replay): its counter is not above the stored one.
  const replayed = await verifyPasskeyAuthentication(rp, {
    response,
    expectedChallenge: discoverable.challenge,
    passkey,
  });
  assert.equal(replayed.verified, false);

  const forAccount = await passkeyAuthenticationOptions(rp, [passkey]);
  assert.deepEqual(
    forAccount.options.allowCredentials?.map((credential) => credential.id),
    [passkey.credentialId],
  );
  const second = await verifyPasskeyAuthentication(rp, {
    response: authenticator.get({ challenge: forAccount.challenge, rpID: rp.rpID, origin: rp.origin }),
    expectedChallenge: forAccount.challenge,
    passkey,
  });
  assert.deepEqual(second, { verified: true, counter: 2, backedUp: true });
});

test('an authentication is refused for another key, challenge, origin, without UV, or malformed', async () => {
  const authenticator = new SoftAuthenticator(createUserHandle());
  const passkey = await registered(authenticator);
  const { challenge } = await passkeyAuthenticationOptions(rp);
  const other = new SoftAuthenticator(authenticator.userHandle);
  const otherResponse = other.get({ challenge, rpID: rp.rpID, origin: rp.origin });
  const cases: [string, unknown][] = [
    [
      'another key under this id',
      { ...otherResponse, id: passkey.credentialId, rawId: passkey.credentialId },
    ],
    ['challenge', authenticator.get({ challenge: 'b3RoZXI', rpID: rp.rpID, origin: rp.origin })],
    ['origin', authenticator.get({ challenge, rpID: rp.rpID, origin: 'https://evil.example' })],
    ['rp id', authenticator.get({ challenge, rpID: 'evil.example', origin: rp.origin })],
    ['malformed', { id: passkey.credentialId, response: { signature: 'AA' } }],
    ['null', null],
  ];
  for (const [name, response] of cases) {
    const result = await verifyPasskeyAuthentication(rp, { response, expectedChallenge: challenge, passkey });
    assert.equal(result.verified, false, name);
    // Refused for the reason under test, not because the fixture broke something else.
    assert.match(result.verified ? '' : result.reason, REASONS[name] ?? /./, name);
  }
  // The same authenticator, asked without its PIN or biometric this time.
  authenticator.userVerified = false;
  const noUv = await verifyPasskeyAuthentication(rp, {
    response: authenticator.get({ challenge, rpID: rp.rpID, origin: rp.origin }),
    expectedChallenge: challenge,
    passkey,
  });
  assert.equal(noUv.verified, false, 'no user verification');
  assert.equal(describePasskeyAssertion({ id: 'not base64url!' }), null);
  assert.equal(describePasskeyAssertion(42), null);
});
