import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

// @simplewebauthn/server and its ASN.1 libraries are ~0.35 s of start-up CPU (issue 15's
// start-up profile): loaded on the first passkey ceremony, once, not before every first answer.
let webauthnLoading: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthn = () => {
  webauthnLoading ??= import('@simplewebauthn/server');
  return webauthnLoading;
};

/**
 * Passkeys (WebAuthn) over @simplewebauthn/server 14: the options a browser passes to
 * `navigator.credentials.create/get`, and the checks of what it sends back. Discoverable
 * credentials and user verification are required everywhere, so a passkey alone is two factors
 * (the device and its PIN or biometric). Pure rules: challenges are returned for the caller to keep
 * in the page session (one use, a few minutes), passkeys are plain JSON for the store.
 */

/** Who the browser is talking to: the relying party id (a domain) and the exact origin. */
export type PasskeyRelyingParty = Readonly<{ rpID: string; origin: string; rpName: string }>;

/** APP_URL cannot carry passkeys (an IP address, or plain http off localhost). Stop or turn them off. */
export class PasskeyConfigError extends Error {
  override readonly name = 'PasskeyConfigError';
}

/**
 * Why passkeys cannot work with this APP_URL, or null. WebAuthn's relying party id must be a
 * domain name (browsers refuse an IP address: "This is an invalid domain"), and the page must be a
 * secure context: https, or http on localhost (which browsers treat as secure, for development).
 */
export function passkeyProblem(appUrl: string): string | null {
  const url = new URL(appUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    return `APP_URL ${appUrl} uses an IP address; passkeys need a domain name (use http://localhost:PORT locally)`;
  }
  const localhost = host === 'localhost' || host.endsWith('.localhost');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && localhost)) {
    return `APP_URL ${appUrl} is not https; passkeys need https (or http://localhost for development)`;
  }
  return null;
}

/** The relying party for APP_URL; throws {@link PasskeyConfigError} with {@link passkeyProblem}'s reason. */
export function passkeyRelyingParty(appUrl: string, rpName: string): PasskeyRelyingParty {
  const problem = passkeyProblem(appUrl);
  if (problem) throw new PasskeyConfigError(problem);
  const url = new URL(appUrl);
  return { rpID: url.hostname, origin: url.origin, rpName };
}

/** A registered passkey as the store keeps it (base64url strings, JSON-safe). */
export type StoredPasskey = Readonly<{
  /** The credential id (base64url), unique across users. */
  credentialId: string;
  /** The COSE public key (base64url). */
  publicKey: string;
  /** The signature counter last seen (0 for authenticators that do not count, as most passkeys). */
  counter: number;
  transports: readonly string[];
  /** `multiDevice` when the passkey syncs (a password manager), `singleDevice` for a security key. */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
}>;

/**
 * A new WebAuthn user handle: 32 random bytes (base64url), stored once per user. Never the user id
 * or email: the handle is kept by the authenticator and sent back on every discoverable login.
 */
export function createUserHandle(): string {
  return randomBytes(32).toString('base64url');
}

const ALL_USER_VERIFICATION = 'required' as const;

/** Registration options for `startRegistration({optionsJSON})`; keep `challenge` for the check. */
export async function passkeyRegistrationOptions(
  rp: PasskeyRelyingParty,
  user: Readonly<{
    userHandle: string;
    userName: string;
    displayName?: string;
    existing: readonly StoredPasskey[];
  }>,
): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; challenge: string }> {
  const options = await (await webauthn()).generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpID,
    userID: Buffer.from(user.userHandle, 'base64url'),
    userName: user.userName,
    userDisplayName: user.displayName ?? user.userName,
    attestationType: 'none',
    // The same authenticator twice would be one factor counted as two passkeys.
    excludeCredentials: user.existing.map((passkey) => ({
      id: passkey.credentialId,
      transports: [...passkey.transports],
    })),
    authenticatorSelection: {
      residentKey: 'required',
      requireResidentKey: true,
      userVerification: ALL_USER_VERIFICATION,
    },
  });
  return { options, challenge: options.challenge };
}

/** A check that failed; `reason` is for the log, never for the person (it can name internals). */
export type PasskeyRefusal = Readonly<{ verified: false; reason: string }>;

const refuse = (error: unknown): PasskeyRefusal => ({
  verified: false,
  reason: error instanceof Error ? error.message : String(error),
});

/**
 * Checks a registration response (what `startRegistration` resolved to) against the challenge this
 * session was given, the origin, the rp id and user verification. Malformed input is a refusal,
 * never an exception.
 */
export async function verifyPasskeyRegistration(
  rp: PasskeyRelyingParty,
  input: Readonly<{ response: unknown; expectedChallenge: string }>,
): Promise<{ verified: true; passkey: StoredPasskey } | PasskeyRefusal> {
  try {
    const result = await (await webauthn()).verifyRegistrationResponse({
      response: input.response as RegistrationResponseJSON,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      requireUserVerification: true,
    });
    if (!result.verified) return { verified: false, reason: 'registration not verified' };
    const { credential, credentialDeviceType, credentialBackedUp } = result.registrationInfo;
    return {
      verified: true,
      passkey: {
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: credential.transports ?? [],
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
      },
    };
  } catch (error) {
    return refuse(error);
  }
}

/**
 * Options for `startAuthentication({optionsJSON})`. Without `allow` (the index page's "Log in with
 * a passkey") the browser offers any discoverable passkey for this site; with it (the second step
 * after a password) only that account's.
 */
export async function passkeyAuthenticationOptions(
  rp: PasskeyRelyingParty,
  allow?: readonly StoredPasskey[],
): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; challenge: string }> {
  const options = await (await webauthn()).generateAuthenticationOptions({
    rpID: rp.rpID,
    userVerification: ALL_USER_VERIFICATION,
    ...(allow
      ? {
          allowCredentials: allow.map((passkey) => ({
            id: passkey.credentialId,
            transports: [...passkey.transports],
          })),
        }
      : {}),
  });
  return { options, challenge: options.challenge };
}

/**
 * Which passkey an authentication response claims to be, to look it up before checking it:
 * the credential id, and the user handle a discoverable passkey returns (compare it with the
 * owner's stored handle). Null when the input is not shaped like a response.
 */
export function describePasskeyAssertion(
  response: unknown,
): { credentialId: string; userHandle: string | null } | null {
  if (typeof response !== 'object' || response === null) return null;
  const { id, response: inner } = response as { id?: unknown; response?: unknown };
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(id)) return null;
  const userHandle =
    typeof inner === 'object' && inner !== null ? (inner as { userHandle?: unknown }).userHandle : undefined;
  return { credentialId: id, userHandle: typeof userHandle === 'string' ? userHandle : null };
}

/**
 * Checks an authentication response against the challenge, origin, rp id, user verification and
 * the stored passkey's public key and counter (a counter that goes back means a cloned
 * authenticator). On success returns the new counter to store; the caller records when it was used.
 */
export async function verifyPasskeyAuthentication(
  rp: PasskeyRelyingParty,
  input: Readonly<{ response: unknown; expectedChallenge: string; passkey: StoredPasskey }>,
): Promise<{ verified: true; counter: number; backedUp: boolean } | PasskeyRefusal> {
  try {
    const result = await (await webauthn()).verifyAuthenticationResponse({
      response: input.response as AuthenticationResponseJSON,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      requireUserVerification: true,
      credential: {
        id: input.passkey.credentialId,
        publicKey: new Uint8Array(Buffer.from(input.passkey.publicKey, 'base64url')),
        counter: input.passkey.counter,
        transports: [...input.passkey.transports],
      },
    });
    if (!result.verified) return { verified: false, reason: 'authentication not verified' };
    if (result.authenticationInfo.credentialID !== input.passkey.credentialId) {
      return { verified: false, reason: 'the response is for another credential' };
    }
    return {
      verified: true,
      counter: result.authenticationInfo.newCounter,
      backedUp: result.authenticationInfo.credentialBackedUp,
    };
  } catch (error) {
    return refuse(error);
  }
}
