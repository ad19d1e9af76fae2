import * as z from 'zod';

/**
 * Reads what a LoopBack 3 app leaves behind into plain rows the importer can take, and nothing
 * else: no store, no domain rule (email shape, uniqueness by canonical key, password policy) is
 * applied here, so those are written once, in auth/. Two shapes are read:
 *
 * - the memory connector's `file`: `{"ids": {"user": 9}, "models": {"user": {"1": "{…json…}"},
 *   "AccessToken": {"<token>": "{…json…}"}}}`, every record a JSON string under its id;
 * - a JSON array of user records (`id, email, username, password, emailVerified, realm`), as an
 *   export script dumps a LoopBack 3 model from any connector.
 *
 * A broken file (not JSON, neither shape, no user model) throws `Lb3FormatError`; a broken row is
 * reported in `problems` and left out, so one bad record never stops a migration. Problems name a
 * row by its model and position or user id, never by a token or a hash: the report is printed.
 */

/** A LoopBack 3 user as we import it. */
export type Lb3User = Readonly<{
  /** LoopBack 3's default id: a whole number from 1; kept, so clients' stored ids stay right. */
  id: number;
  email: string;
  username: string | null;
  /** The bcrypt hash exactly as LoopBack 3 stored it (`$2a$`/`$2b$`, any cost). */
  passwordHash: string;
  emailVerified: boolean;
  realm: string | null;
}>;

/** A LoopBack 3 AccessToken. LoopBack stored its secret in the clear as the record id. */
export type Lb3Token = Readonly<{
  /** The plain token a client holds; the importer stores only its hash. */
  id: string;
  userId: number;
  /** Seconds from `created`; -1 is LoopBack 3's eternal token (`allowEternalTokens`). */
  ttl: number;
  /** ISO-8601 instant. */
  created: string;
  /** `["reset-password"]` marks a reset link's token (`restrictResetPasswordTokenScope`). */
  scopes: readonly string[] | null;
}>;

/** A row left out, and why. `where` names the row without any secret. */
export type Lb3Problem = Readonly<{ where: string; reason: string }>;

export type Lb3Data = Readonly<{
  shape: 'memory-file' | 'user-array';
  /** The user model read (`user`, `User`, …); `null` for an array. */
  model: string | null;
  users: readonly Lb3User[];
  tokens: readonly Lb3Token[];
  problems: readonly Lb3Problem[];
  /**
   * The memory connector's next id for the user model (`ids[model]`): LoopBack 3 never reused the
   * id of a deleted user, so new ids after an import should start at least here. `null` if unknown.
   */
  nextId: number | null;
}>;

export type Lb3ParseOptions = {
  /** The user model's name in a memory file; default: the one whose records carry email and password. */
  model?: string;
  /** The token model's name in a memory file; default `AccessToken`. */
  tokenModel?: string;
};

/** The file as a whole cannot be read as LoopBack 3 data. The message is one line for the CLI. */
export class Lb3FormatError extends Error {
  override name = 'Lb3FormatError';
}

// ─── Row schemas ─────────────────────────────────────────────────────────────────────────────

/** LB3 wrote numbers; an export through CSV or a string-keyed connector may give digits. */
const wholeId = z
  .union([z.number(), z.string().regex(/^[1-9][0-9]*$/, { error: 'must be a whole number from 1' })], {
    error: 'must be a whole number from 1',
  })
  .transform(Number)
  .pipe(
    z.number().refine((n) => Number.isSafeInteger(n) && n >= 1, { error: 'must be a whole number from 1' }),
  );

const optionalText = z
  .string({ error: 'must be a string' })
  .nullish()
  .transform((value) => (value === undefined || value === null || value === '' ? null : value));

/**
 * What LoopBack 3 wrote: bcrypt's modular form with a two-digit cost and 53 characters of salt and
 * digest. `$2y$` (PHP) and anything else is not a hash LoopBack 3 could have checked.
 */
const BCRYPT = /^\$2[ab]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;

const NOT_AN_OBJECT = { error: 'the record is not an object' };

const userRow = z.object(
  {
    id: wholeId,
    email: z
      .string({ error: 'email must be a string' })
      .trim()
      .min(1, { error: "email can't be blank" })
      .max(254, { error: 'email is longer than 254 characters' })
      .refine((email) => email.includes('@'), { error: 'email has no @' }),
    username: optionalText,
    password: z
      .string({ error: 'password must be a string (the bcrypt hash)' })
      .regex(BCRYPT, { error: 'password is not a $2a$/$2b$ bcrypt hash' }),
    emailVerified: z
      .boolean({ error: 'emailVerified must be true or false' })
      .nullish()
      .transform((verified) => verified === true),
    realm: optionalText,
  },
  NOT_AN_OBJECT,
);

const tokenRow = z.object(
  {
    id: z
      .string({ error: 'id must be a string' })
      .min(1, { error: "id can't be blank" })
      .max(512, { error: 'id is longer than 512 characters' }),
    userId: wholeId,
    ttl: z
      .number({ error: 'ttl must be a number' })
      .refine((ttl) => ttl === -1 || (Number.isSafeInteger(ttl) && ttl > 0), {
        error: 'ttl must be a positive whole number of seconds or -1',
      }),
    created: z
      .union([z.string(), z.number()], { error: 'created must be a date' })
      .transform((value, ctx) => {
        const time = new Date(value).getTime();
        if (Number.isNaN(time)) {
          ctx.addIssue({ code: 'custom', message: 'created is not a date' });
          return z.NEVER;
        }
        return new Date(time).toISOString();
      }),
    scopes: z
      .array(z.string({ error: 'scopes must be strings' }), { error: 'scopes must be a list' })
      .nullish()
      .transform((scopes) => scopes ?? null),
    // Set when several user models share AccessToken through a polymorphic relation.
    principalType: z.string().nullish(),
  },
  NOT_AN_OBJECT,
);

/** The first thing wrong with a row, in one line. */
function reasonOf(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const field = issue.path.map(String).join('.');
  // Our messages already name their field; zod's own ones (wrong type of record) get the path.
  return field && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message;
}

// ─── File shapes ─────────────────────────────────────────────────────────────────────────────

const memoryFile = z.object({
  ids: z.record(z.string(), z.unknown()),
  models: z.record(z.string(), z.record(z.string(), z.unknown())),
});

/** A record in a memory file: juggler stores a JSON string; older versions kept the object. */
function recordValue(value: unknown, encoded = true): { ok: true; value: unknown } | { ok: false } {
  if (!encoded || typeof value !== 'string') return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch {
    return { ok: false };
  }
}

function carriesCredentials(value: unknown): boolean {
  const parsed = recordValue(value);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return false;
  const record = parsed.value as Record<string, unknown>;
  return typeof record.email === 'string' && typeof record.password === 'string';
}

function chooseUserModel(models: Record<string, Record<string, unknown>>, named?: string): string {
  const names = Object.keys(models);
  if (named !== undefined) {
    if (Object.hasOwn(models, named)) return named;
    throw new Lb3FormatError(`no model named "${named}" in the file (models: ${names.join(', ')})`);
  }
  const candidates = names.filter((name) => Object.values(models[name] ?? {}).some(carriesCredentials));
  if (candidates.length === 1 && candidates[0] !== undefined) return candidates[0];
  if (candidates.length === 0) {
    throw new Lb3FormatError(
      `no model whose records carry email and password; name it with --model (models: ${names.join(', ')})`,
    );
  }
  throw new Lb3FormatError(`several models hold users (${candidates.join(', ')}); choose one with --model`);
}

type Collected = { users: Lb3User[]; problems: Lb3Problem[] };

/**
 * Parses user rows, leaving out malformed ones and a second row with an id already taken. A row
 * with a key comes from a memory file (a JSON string under its id); one without, from an array.
 */
function collectUsers(rows: Iterable<[where: string, key: string | null, value: unknown]>): Collected {
  const users: Lb3User[] = [];
  const problems: Lb3Problem[] = [];
  const seen = new Set<number>();
  for (const [where, key, raw] of rows) {
    const parsed = recordValue(raw, key !== null);
    if (!parsed.ok) {
      problems.push({ where, reason: 'the record is not valid JSON' });
      continue;
    }
    const value = parsed.value;
    // The memory connector keys each record by its id; a record without one takes its key.
    const record =
      key !== null && typeof value === 'object' && value !== null && !('id' in value)
        ? { ...value, id: key }
        : value;
    const result = userRow.safeParse(record);
    if (!result.success) {
      problems.push({ where, reason: reasonOf(result.error) });
      continue;
    }
    const row = result.data;
    if (key !== null && String(row.id) !== key) {
      problems.push({ where, reason: `the record's id ${row.id} differs from its key` });
      continue;
    }
    if (seen.has(row.id)) {
      problems.push({ where, reason: `id ${row.id} appears twice` });
      continue;
    }
    seen.add(row.id);
    users.push({
      id: row.id,
      email: row.email,
      username: row.username,
      passwordHash: row.password,
      emailVerified: row.emailVerified,
      realm: row.realm,
    });
  }
  return { users, problems };
}

function collectTokens(
  records: Record<string, unknown>,
  tokenModel: string,
  userModel: string,
  userIds: ReadonlySet<number>,
): { tokens: Lb3Token[]; problems: Lb3Problem[] } {
  const tokens: Lb3Token[] = [];
  const problems: Lb3Problem[] = [];
  let position = 0;
  for (const [key, raw] of Object.entries(records)) {
    position += 1;
    // Never the key: it is the token itself.
    const where = `${tokenModel} #${position}`;
    const parsed = recordValue(raw);
    if (!parsed.ok) {
      problems.push({ where, reason: 'the record is not valid JSON' });
      continue;
    }
    const value = parsed.value;
    const record =
      typeof value === 'object' && value !== null && !('id' in value) ? { ...value, id: key } : value;
    const result = tokenRow.safeParse(record);
    if (!result.success) {
      problems.push({ where, reason: reasonOf(result.error) });
      continue;
    }
    const row = result.data;
    if (row.id !== key) {
      problems.push({ where, reason: "the record's id differs from its key" });
      continue;
    }
    if (row.principalType && row.principalType !== userModel) {
      problems.push({ where, reason: `belongs to model ${row.principalType}, not ${userModel}` });
      continue;
    }
    if (!userIds.has(row.userId)) {
      problems.push({ where, reason: `user ${row.userId} is not among the users read` });
      continue;
    }
    tokens.push({ id: row.id, userId: row.userId, ttl: row.ttl, created: row.created, scopes: row.scopes });
  }
  return { tokens, problems };
}

function parseMemoryFile(data: z.infer<typeof memoryFile>, options: Lb3ParseOptions): Lb3Data {
  const model = chooseUserModel(data.models, options.model);
  const records = data.models[model] ?? {};
  const { users, problems } = collectUsers(
    Object.entries(records).map(([key, value]) => [`${model} ${key}`, key, value]),
  );
  const tokenModel = options.tokenModel ?? 'AccessToken';
  const tokenRecords = data.models[tokenModel];
  if (options.tokenModel !== undefined && tokenRecords === undefined) {
    throw new Lb3FormatError(`no model named "${tokenModel}" in the file`);
  }
  const userIds = new Set(users.map((user) => user.id));
  const collected = collectTokens(tokenRecords ?? {}, tokenModel, model, userIds);
  const next = data.ids[model];
  return {
    shape: 'memory-file',
    model,
    users,
    tokens: collected.tokens,
    problems: [...problems, ...collected.problems],
    nextId: typeof next === 'number' && Number.isSafeInteger(next) && next >= 1 ? next : null,
  };
}

/**
 * Parses a LoopBack 3 memory-connector file or a JSON array of user records.
 * @throws Lb3FormatError when the text as a whole is neither.
 */
export function parseLb3Data(text: string, options: Lb3ParseOptions = {}): Lb3Data {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Lb3FormatError('the file is not JSON');
  }
  if (Array.isArray(json)) {
    if (options.model !== undefined || options.tokenModel !== undefined) {
      throw new Lb3FormatError('--model applies to a memory-connector file, not to an array of users');
    }
    const { users, problems } = collectUsers(json.map((value, index) => [`row ${index + 1}`, null, value]));
    return { shape: 'user-array', model: null, users, tokens: [], problems, nextId: null };
  }
  const file = memoryFile.safeParse(json);
  if (!file.success) {
    throw new Lb3FormatError(
      'neither a LoopBack 3 memory-connector file ({"ids", "models"}) nor a JSON array of users',
    );
  }
  return parseMemoryFile(file.data, options);
}
