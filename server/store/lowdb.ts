import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { type Adapter, Low } from 'lowdb';
import {
  type MailRecord,
  normaliseKey,
  type Store,
  type StoreChange,
  StoreConflictError,
  StoreCorruptError,
  type TokenRecord,
  tokenExpiresAt,
  type UserRecord,
} from './store.js';

/** The file's shape. `version` lets a later release migrate old files instead of misreading them. */
type FileData = {
  version: 1;
  users: UserRecord[];
  tokens: TokenRecord[];
  mails: MailRecord[];
};

const RECORDS_PER_SLICE = 2000;

/**
 * A lowdb adapter that replaces the file atomically (temp file, fsync, rename, fsync of the folder)
 * and serialises in slices, awaiting a write between slices, so a 100k-user file never holds the
 * event loop for the whole `JSON.stringify`. Each record's JSON is cached by identity: records are
 * immutable, so only changed records are serialised again.
 */
class SlicedJsonFile implements Adapter<FileData> {
  private readonly cache = new WeakMap<object, string>();
  private writes = 0;

  constructor(private readonly file: string) {}

  async read(): Promise<FileData | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StoreCorruptError(`Cannot read ${this.file}: ${(error as Error).message}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new StoreCorruptError(
        `${this.file} is not valid JSON (${(error as Error).message}). It was left untouched: restore it from a backup or move it away.`,
      );
    }
    checkShape(this.file, data);
    return data;
  }

  async write(data: FileData): Promise<void> {
    const temp = `${this.file}.${process.pid}.${++this.writes}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.write(`{"version":${data.version}`);
      for (const section of ['users', 'tokens', 'mails'] as const) {
        await handle.write(`,"${section}":[`);
        const records: readonly object[] = data[section];
        for (let start = 0; start < records.length; start += RECORDS_PER_SLICE) {
          const slice = records
            .slice(start, start + RECORDS_PER_SLICE)
            .map((record) => this.serialise(record));
          await handle.write((start > 0 ? ',' : '') + slice.join(','));
        }
        await handle.write(']');
      }
      await handle.write('}\n');
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    await rename(temp, this.file);
    // The rename itself is only durable once the folder's entry is on disk.
    const folder = await open(path.dirname(this.file), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }

  private serialise(record: object): string {
    let json = this.cache.get(record);
    if (json === undefined) {
      json = JSON.stringify(record);
      this.cache.set(record, json);
    }
    return json;
  }
}

function checkShape(file: string, data: unknown): asserts data is FileData {
  const fail = (why: string): never => {
    throw new StoreCorruptError(`${file} is not a user store (${why}). It was left untouched.`);
  };
  if (typeof data !== 'object' || data === null) fail('not an object');
  const candidate = data as Record<string, unknown>;
  if (candidate.version !== 1) fail(`unknown version ${String(candidate.version)}`);
  for (const section of ['users', 'tokens', 'mails']) {
    if (!Array.isArray(candidate[section])) fail(`"${section}" is not a list`);
  }
  for (const user of candidate.users as unknown[]) {
    const u = user as Partial<UserRecord> | null;
    if (typeof u?.id !== 'string' || typeof u.email !== 'string' || typeof u.passwordHash !== 'string')
      fail('a user lacks id, email or passwordHash');
  }
  for (const token of candidate.tokens as unknown[]) {
    const t = token as Partial<TokenRecord> | null;
    if (typeof t?.hash !== 'string' || typeof t.userId !== 'string' || typeof t.ttl !== 'number')
      fail('a token lacks hash, userId or ttl');
  }
}

/**
 * Opens (or creates) the lowdb file and keeps every record in memory behind indexes by id, email,
 * username and token hash, so no request scans the file. Writes use group commit: changes that
 * arrive while a write is under way are applied in memory at once and go to disk together in the
 * next write; each caller is answered when the write holding its change has been renamed into place.
 *
 * Throws StoreCorruptError, without touching the file, when it cannot be read or parsed.
 */
export async function createLowdbStore(file: string): Promise<Store> {
  await mkdir(path.dirname(file), { recursive: true });
  const db = new Low<FileData>(new SlicedJsonFile(file), { version: 1, users: [], tokens: [], mails: [] });
  await db.read();

  const users = new Map<string, UserRecord>();
  const userIdByEmail = new Map<string, string>();
  const userIdByUsername = new Map<string, string>();
  const tokens = new Map<string, TokenRecord>();
  const tokenHashesByUser = new Map<string, Set<string>>();
  const mails = new Map<string, MailRecord>();

  const indexUser = (user: UserRecord) => {
    users.set(user.id, user);
    userIdByEmail.set(normaliseKey(user.email), user.id);
    if (user.username) userIdByUsername.set(normaliseKey(user.username), user.id);
  };
  const unindexUser = (user: UserRecord) => {
    users.delete(user.id);
    userIdByEmail.delete(normaliseKey(user.email));
    if (user.username) userIdByUsername.delete(normaliseKey(user.username));
  };
  const addToken = (token: TokenRecord) => {
    tokens.set(token.hash, token);
    const hashes = tokenHashesByUser.get(token.userId);
    if (hashes) hashes.add(token.hash);
    else tokenHashesByUser.set(token.userId, new Set([token.hash]));
  };
  const removeToken = (hash: string) => {
    const token = tokens.get(hash);
    if (!token) return;
    tokens.delete(hash);
    const hashes = tokenHashesByUser.get(token.userId);
    hashes?.delete(hash);
    if (hashes?.size === 0) tokenHashesByUser.delete(token.userId);
  };

  for (const user of db.data.users) indexUser(user);
  for (const token of db.data.tokens) addToken(token);
  for (const mail of db.data.mails) mails.set(mail.id, mail);

  const checkUnique = (changes: readonly StoreChange[]) => {
    for (const change of changes) {
      if (change.type !== 'putUser') continue;
      const { user } = change;
      const emailOwner = userIdByEmail.get(normaliseKey(user.email));
      if (emailOwner !== undefined && emailOwner !== user.id) throw new StoreConflictError('email');
      if (user.username) {
        const usernameOwner = userIdByUsername.get(normaliseKey(user.username));
        if (usernameOwner !== undefined && usernameOwner !== user.id)
          throw new StoreConflictError('username');
      }
    }
  };

  const apply = (change: StoreChange) => {
    switch (change.type) {
      case 'putUser': {
        const previous = users.get(change.user.id);
        if (previous) unindexUser(previous);
        indexUser(change.user);
        return;
      }
      case 'deleteUser': {
        const previous = users.get(change.userId);
        if (previous) unindexUser(previous);
        for (const hash of [...(tokenHashesByUser.get(change.userId) ?? [])]) removeToken(hash);
        return;
      }
      case 'putToken':
        addToken(change.token);
        return;
      case 'deleteToken':
        removeToken(change.hash);
        return;
      case 'deleteUserTokens': {
        for (const hash of [...(tokenHashesByUser.get(change.userId) ?? [])]) {
          const token = tokens.get(hash);
          if (!token || hash === change.exceptHash) continue;
          if (change.kinds && !change.kinds.includes(token.kind)) continue;
          removeToken(hash);
        }
        return;
      }
      case 'putMail':
        mails.set(change.mail.id, change.mail);
        return;
      case 'deleteMail':
        mails.delete(change.id);
        return;
    }
  };

  // Group commit: one write at a time; whoever arrives meanwhile rides on the next one.
  let waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  let writer: Promise<void> | null = null;
  const writeLoop = async () => {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      db.data = {
        version: 1,
        users: [...users.values()],
        tokens: [...tokens.values()],
        mails: [...mails.values()],
      };
      try {
        await db.write();
        for (const caller of batch) caller.resolve();
      } catch (error) {
        for (const caller of batch) caller.reject(error);
      }
    }
    writer = null;
  };
  const persist = () =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ resolve, reject });
      writer ??= writeLoop();
    });

  return {
    async findUserById(id) {
      return users.get(id) ?? null;
    },
    async findUserByEmail(email) {
      const id = userIdByEmail.get(normaliseKey(email));
      return id === undefined ? null : (users.get(id) ?? null);
    },
    async findUserByUsername(username) {
      const id = userIdByUsername.get(normaliseKey(username));
      return id === undefined ? null : (users.get(id) ?? null);
    },
    async findToken(hash) {
      return tokens.get(hash) ?? null;
    },
    async listUserTokens(userId) {
      return [...(tokenHashesByUser.get(userId) ?? [])].flatMap((hash) => tokens.get(hash) ?? []);
    },
    async listDueMail(now, limit) {
      const due = [...mails.values()]
        .filter((mail) => Date.parse(mail.nextAttempt) <= now.getTime())
        .sort((a, b) => a.created.localeCompare(b.created));
      return due.slice(0, limit);
    },
    async commit(changes) {
      checkUnique(changes);
      for (const change of changes) apply(change);
      await persist();
    },
    async sweepExpiredTokens(now) {
      const expired: string[] = [];
      for (const token of tokens.values())
        if (tokenExpiresAt(token) < now.getTime()) expired.push(token.hash);
      if (expired.length === 0) return 0;
      for (const hash of expired) removeToken(hash);
      await persist();
      return expired.length;
    },
    async close() {
      while (writer) await writer;
    },
  };
}
