import type { MailRecord, TokenRecord, UserId, UserRecord } from '../store.js';
import type { StoreChange } from './changes.js';
import { FeatureIndexes } from './feature-indexes.js';
import { DueMailIndex } from './mail-index.js';

/**
 * One string for a record's equal texts: a key equal to its address or name (typed in lower case)
 * and `passwordChanged` equal to `created` (never changed). A file read back holds a separate copy
 * of each; sharing them saves ~12 MB of heap at 100k users (issue 15's RSS target). The values are
 * equal, so no reader can tell; the record is the store's own (parsed from disk or just planned).
 */
function shareEqualTexts(user: UserRecord): void {
  if (Object.isFrozen(user)) return;
  const record = user as { -readonly [K in keyof UserRecord]: UserRecord[K] };
  if (record.emailKey === record.email) record.emailKey = record.email;
  if (record.usernameKey !== null && record.usernameKey === record.username)
    record.usernameKey = record.username;
  if (record.passwordChanged === record.created) record.passwordChanged = record.created;
}

/**
 * Every record in memory behind the indexes the domain's reads need (id, email key, username
 * key, token hash, a user's tokens and mail, due mail), so no request scans anything and token
 * checks never touch the disk. `apply` is the one way state changes: the journal replays through
 * it, and live writes apply through it after their checks (see operations.ts).
 */
export class StoreIndexes {
  readonly users = new Map<UserId, UserRecord>();
  readonly userIdByEmailKey = new Map<string, UserId>();
  readonly userIdByUsernameKey = new Map<string, UserId>();
  readonly tokens = new Map<string, TokenRecord>();
  // Most users hold one token: a bare string for them, a Set from the second on. At 100k users
  // that saves 100k Sets: ~25 ms of start-up and ~10 MB.
  private readonly tokenHashesByUser = new Map<UserId, string | Set<string>>();
  readonly mails = new Map<number, MailRecord>();
  private readonly mailIdsByUser = new Map<UserId, Set<number>>();
  readonly dueMail = new DueMailIndex((id) => this.mails.get(id));
  /** Passkeys, identities, activity, tokens by public id (issues 14, 16, 17). */
  readonly features = new FeatureIndexes();
  /** The id the next user gets: one past the highest ever given, so ids are never reused. */
  nextUserId = 1;
  nextMailId = 1;

  /** A copy of the hashes of a user's tokens: callers delete while they iterate. */
  tokenHashesOf(userId: UserId): string[] {
    const held = this.tokenHashesByUser.get(userId);
    return held === undefined ? [] : typeof held === 'string' ? [held] : [...held];
  }

  /** The user's tokens, oldest first. */
  tokensOf(userId: UserId): TokenRecord[] {
    return this.tokenHashesOf(userId)
      .flatMap((hash) => this.tokens.get(hash) ?? [])
      .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
  }

  apply(change: StoreChange): void {
    switch (change.type) {
      case 'putUser': {
        const previous = this.users.get(change.user.id);
        if (previous) this.unindexUser(previous);
        this.indexUser(change.user);
        return;
      }
      case 'deleteUser': {
        const previous = this.users.get(change.userId);
        if (previous) this.unindexUser(previous);
        for (const hash of this.tokenHashesOf(change.userId)) this.removeToken(hash);
        for (const id of [...(this.mailIdsByUser.get(change.userId) ?? [])]) this.removeMail(id);
        this.features.deleteUser(change.userId);
        return;
      }
      case 'putToken':
        this.addToken(change.token);
        return;
      case 'deleteToken':
        this.removeToken(change.hash);
        return;
      case 'deleteUserTokens': {
        for (const hash of this.tokenHashesOf(change.userId)) {
          const token = this.tokens.get(hash);
          if (!token || hash === change.exceptHash) continue;
          if (change.kinds && !change.kinds.includes(token.kind)) continue;
          this.removeToken(hash);
        }
        return;
      }
      case 'putMail':
        this.putMail(change.mail);
        return;
      case 'deleteMail':
        this.removeMail(change.id);
        return;
      case 'advanceUserId':
        if (change.next > this.nextUserId) this.nextUserId = change.next;
        return;
      default:
        this.features.apply(change);
    }
  }

  private indexUser(user: UserRecord): void {
    shareEqualTexts(user);
    this.users.set(user.id, user);
    this.userIdByEmailKey.set(user.emailKey, user.id);
    if (user.usernameKey !== null) this.userIdByUsernameKey.set(user.usernameKey, user.id);
    if (user.id >= this.nextUserId) this.nextUserId = user.id + 1;
  }

  private unindexUser(user: UserRecord): void {
    this.users.delete(user.id);
    if (this.userIdByEmailKey.get(user.emailKey) === user.id) this.userIdByEmailKey.delete(user.emailKey);
    if (user.usernameKey !== null && this.userIdByUsernameKey.get(user.usernameKey) === user.id)
      this.userIdByUsernameKey.delete(user.usernameKey);
  }

  private addToken(token: TokenRecord): void {
    const previous = this.tokens.get(token.hash);
    if (previous?.id !== undefined) this.features.tokenHashById.delete(previous.id);
    if (token.id !== undefined) this.features.tokenHashById.set(token.id, token.hash);
    this.tokens.set(token.hash, token);
    const held = this.tokenHashesByUser.get(token.userId);
    if (held === undefined || held === token.hash) this.tokenHashesByUser.set(token.userId, token.hash);
    else if (typeof held === 'string') this.tokenHashesByUser.set(token.userId, new Set([held, token.hash]));
    else held.add(token.hash);
  }

  private removeToken(hash: string): void {
    const token = this.tokens.get(hash);
    if (!token) return;
    this.tokens.delete(hash);
    if (token.id !== undefined && this.features.tokenHashById.get(token.id) === hash)
      this.features.tokenHashById.delete(token.id);
    const held = this.tokenHashesByUser.get(token.userId);
    if (held === hash) this.tokenHashesByUser.delete(token.userId);
    else if (typeof held === 'object') {
      held.delete(hash);
      if (held.size === 0) this.tokenHashesByUser.delete(token.userId);
    }
  }

  private putMail(mail: MailRecord): void {
    const previous = this.mails.get(mail.id);
    if (previous && previous.userId !== mail.userId) this.unlinkMail(previous);
    this.mails.set(mail.id, mail);
    if (mail.userId !== null) {
      let ids = this.mailIdsByUser.get(mail.userId);
      if (!ids) {
        ids = new Set();
        this.mailIdsByUser.set(mail.userId, ids);
      }
      ids.add(mail.id);
    }
    if (mail.id >= this.nextMailId) this.nextMailId = mail.id + 1;
    this.dueMail.added(mail);
    if (previous && (previous.toKey !== mail.toKey || previous.priority !== mail.priority))
      this.dueMail.removed(previous);
  }

  private removeMail(id: number): void {
    const mail = this.mails.get(id);
    if (!mail) return;
    this.mails.delete(id);
    this.unlinkMail(mail);
    this.dueMail.removed(mail);
  }

  private unlinkMail(mail: MailRecord): void {
    if (mail.userId === null) return;
    const ids = this.mailIdsByUser.get(mail.userId);
    ids?.delete(mail.id);
    if (ids?.size === 0) this.mailIdsByUser.delete(mail.userId);
  }
}
