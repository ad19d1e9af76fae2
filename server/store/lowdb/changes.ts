import type {
  ActivityRecord,
  IdentityRecord,
  MailRecord,
  PasskeyRecord,
  TokenKind,
  TokenRecord,
  UserId,
  UserRecord,
} from '../store.js';

/**
 * The journal's record of one change: private to the lowdb store. The domain's named writes
 * (operations.ts) are planned into these after their checks, applied to the indexes, and
 * appended to the journal, so a replay after a crash applies exactly what was acknowledged.
 */
export type StoreChange =
  | { type: 'putUser'; user: UserRecord }
  | { type: 'deleteUser'; userId: UserId }
  | { type: 'putToken'; token: TokenRecord }
  | { type: 'deleteToken'; hash: string }
  | { type: 'deleteUserTokens'; userId: UserId; kinds?: readonly TokenKind[]; exceptHash?: string }
  | { type: 'putMail'; mail: MailRecord }
  | { type: 'deleteMail'; id: number }
  // Stage B (issues 14, 16, 17, 18): indexed in feature-indexes.ts.
  | { type: 'putPasskey'; passkey: PasskeyRecord }
  | { type: 'deletePasskey'; credentialId: string }
  | { type: 'putIdentity'; identity: IdentityRecord }
  | { type: 'deleteIdentity'; issuer: string; subject: string }
  | { type: 'putActivity'; entry: ActivityRecord }
  | { type: 'deleteActivity'; id: number }
  /** The next user id is at least `next` (an import keeps ids; LoopBack never reused one). */
  | { type: 'advanceUserId'; next: number };
