import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import { issuerProblem } from './oidc/issuer.js';

/** The development cookie key: fine on a laptop, refused in production (anyone can forge sessions with it). */
export const DEVELOPMENT_SESSION_KEY = 'development-only-session-key-change-me';

export type Config = Readonly<{
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  host: string;
  /** Public base URL without a trailing slash; `undefined` only while PORT=0 waits for its port. */
  appUrl: string | undefined;
  secureCookies: boolean;
  dbFile: string;
  sessionKeys: readonly string[];
  usingDevelopmentSessionKey: boolean;
  smtpUrl: string | undefined;
  outboxDir: string;
  mailFrom: string;
  /**
   * How long an instance's claim on a queued mail lasts (MAIL_CLAIM_SECONDS): mail claimed by an
   * instance that died is sent by another after this; it must exceed the longest SMTP send.
   */
  mailClaimMs: number;
  emailVerificationRequired: boolean;
  accessTokenTtl: number;
  maxAccessTokenTtl: number;
  resetTokenTtl: number;
  verifyTokenTtl: number;
  bcryptRounds: number;
  passwordMinLength: number;
  rateLimits: boolean;
  trustProxy: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  apiExplorer: boolean;
  hashWorkers: number;
  /** PostgreSQL instead of the lowdb file (several instances may share it); TLS via `?sslmode=`. */
  databaseUrl: string | undefined;
  /** Connections per instance (DATABASE_POOL_SIZE). */
  databasePoolSize: number;
  /** PostgreSQL cancels a statement after this many ms (DATABASE_STATEMENT_TIMEOUT). */
  databaseStatementTimeoutMs: number;
  /** A shared rate-limit store; otherwise PostgreSQL (with DATABASE_URL) or memory. */
  redisUrl: string | undefined;
  /** Origins (scheme://host[:port]) whose scripts may call /api; none by default. */
  corsOrigins: readonly string[];
  /** Milliseconds a client has to send a whole request (headers and body): a trickled body is cut off. */
  requestTimeoutMs: number;
  /** Days the account's security activity is kept, then swept (issue 14). */
  securityLogDays: number;
  /** The most security-activity entries one account keeps; the oldest go first (issue 14). */
  securityLogMax: number;
  /** Issue 16: OpenID Connect providers (OIDC_PROVIDERS or OIDC_PROVIDERS_FILE); none by default. */
  oidcProviders: readonly OidcProviderEntry[];
}>;

/** One OIDC_PROVIDERS entry; the redirect URI to register is APP_URL/auth/ID/callback. */
export type OidcProviderEntry = Readonly<{
  id: string;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes?: readonly string[];
}>;

/** A configuration value that cannot start the app; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .optional()
    .transform((value) => (value === undefined ? fallback : ['true', '1', 'yes', 'on'].includes(value)));

const optionalFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .optional()
  .transform((value) => (value === undefined ? undefined : ['true', '1', 'yes', 'on'].includes(value)));

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .optional()
    .transform((value) => (value === undefined ? fallback : Number(value)))
    .pipe(z.number().int().min(min).max(max));

const seconds = (fallback: number) => integer(fallback, 1, 10 * 31_556_926);

const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must start with http:// or https://')
  .transform((value) => value.replace(/\/+$/, ''));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: integer(3000, 0, 65_535),
  HOST: z.string().min(1).default('127.0.0.1'),
  APP_URL: httpUrl.optional(),
  DB_FILE: z.string().min(1).default('data/db.json'),
  SESSION_KEYS: z
    .string()
    .optional()
    .transform((value) =>
      value
        ?.split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    ),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  OUTBOX_DIR: z.string().min(1).optional(),
  MAIL_FROM: z.string().min(3).default('no-reply@localhost'),
  MAIL_CLAIM_SECONDS: integer(60, 5, 3_600),
  EMAIL_VERIFICATION_REQUIRED: booleanFlag(true),
  ACCESS_TOKEN_TTL: seconds(1_209_600),
  MAX_ACCESS_TOKEN_TTL: seconds(31_556_926),
  RESET_TOKEN_TTL: seconds(900),
  VERIFY_TOKEN_TTL: seconds(86_400),
  BCRYPT_ROUNDS: integer(10, 4, 15),
  PASSWORD_MIN_LENGTH: integer(12, 8, 64),
  RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  TRUST_PROXY: booleanFlag(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  API_EXPLORER: optionalFlag,
  HASH_WORKERS: integer(0, 0, 64),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: integer(10, 1, 1_000),
  DATABASE_STATEMENT_TIMEOUT: integer(5_000, 100, 600_000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  REQUEST_TIMEOUT: integer(30, 1, 300),
  SECURITY_LOG_DAYS: integer(90, 1, 3650),
  SECURITY_LOG_MAX: integer(1000, 10, 100_000),
  OIDC_PROVIDERS: z.string().optional(),
  OIDC_PROVIDERS_FILE: z.string().optional(),
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .refine(
      (origins) => origins.every(isOrigin),
      'must be comma-separated origins like https://app.example.com (scheme, host and port only; no *, path or slash)',
    ),
});

/** `https://app.example.com[:port]` exactly: a CORS allow-list entry is compared as a string. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

type Env = Record<string, string | undefined>;

/**
 * One zod issue as a person would say it ("must be at most 15"), not as zod does ("Too big:
 * expected number to be <=15"): the line follows the variable's name at start-up.
 */
function inPlainWords(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${issue.maximum} characters long`
        : `must be at most ${issue.maximum}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `must be at least ${issue.minimum} characters long`
        : `must be at least ${issue.minimum}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a URL like https://example.com' : issue.message;
    case 'invalid_type':
      return issue.expected === 'number' ? 'must be a number' : issue.message;
    default:
      // Our own refinements already read "must …".
      return issue.message.startsWith('must') ? issue.message : `is not valid: ${issue.message}`;
  }
}

/**
 * Reads and validates the environment once, at start. Empty strings count as unset, so
 * `PORT= npm start` behaves like no PORT at all. Throws ConfigError naming every bad variable.
 */
export function loadConfig(env: Env, availableCores = 2): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${inPlainWords(issue)}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const problems: string[] = [];

  if (e.ACCESS_TOKEN_TTL > e.MAX_ACCESS_TOKEN_TTL) {
    problems.push('ACCESS_TOKEN_TTL: must not exceed MAX_ACCESS_TOKEN_TTL');
  }
  const sessionKeys = e.SESSION_KEYS && e.SESSION_KEYS.length > 0 ? e.SESSION_KEYS : undefined;
  if (isProduction) {
    if (!sessionKeys) problems.push('SESSION_KEYS: required with NODE_ENV=production');
    else if (sessionKeys.includes(DEVELOPMENT_SESSION_KEY))
      problems.push('SESSION_KEYS: the development key is refused with NODE_ENV=production');
    else if (sessionKeys.some((key) => key.length < 32))
      problems.push('SESSION_KEYS: each key must be at least 32 characters with NODE_ENV=production');
    if (!e.SMTP_URL)
      problems.push('SMTP_URL: required with NODE_ENV=production (the dev outbox is never used there)');
    if (e.RATE_LIMITS === 'off') problems.push('RATE_LIMITS: off is refused with NODE_ENV=production');
    if (!e.APP_URL)
      problems.push('APP_URL: required with NODE_ENV=production (email links are built from it)');
  }
  const oidcProviders = readOidcProviders(e.OIDC_PROVIDERS, e.OIDC_PROVIDERS_FILE, isProduction, problems);
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);

  const appUrl = e.APP_URL ?? (e.PORT === 0 ? undefined : `http://localhost:${e.PORT}`);
  const dbFile = path.resolve(e.DB_FILE);
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    appUrl,
    secureCookies: appUrl?.startsWith('https://') ?? false,
    dbFile,
    sessionKeys: Object.freeze(sessionKeys ?? [DEVELOPMENT_SESSION_KEY]),
    usingDevelopmentSessionKey: !sessionKeys,
    smtpUrl: e.SMTP_URL,
    outboxDir: path.resolve(e.OUTBOX_DIR ?? path.join(path.dirname(dbFile), 'outbox')),
    mailFrom: e.MAIL_FROM,
    mailClaimMs: e.MAIL_CLAIM_SECONDS * 1000,
    emailVerificationRequired: e.EMAIL_VERIFICATION_REQUIRED,
    accessTokenTtl: e.ACCESS_TOKEN_TTL,
    maxAccessTokenTtl: e.MAX_ACCESS_TOKEN_TTL,
    resetTokenTtl: e.RESET_TOKEN_TTL,
    verifyTokenTtl: e.VERIFY_TOKEN_TTL,
    bcryptRounds: e.BCRYPT_ROUNDS,
    passwordMinLength: e.PASSWORD_MIN_LENGTH,
    rateLimits: e.RATE_LIMITS === 'on',
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    apiExplorer: e.API_EXPLORER ?? !isProduction,
    hashWorkers: e.HASH_WORKERS || Math.max(1, availableCores),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT,
    redisUrl: e.REDIS_URL,
    corsOrigins: Object.freeze(e.CORS_ORIGINS),
    requestTimeoutMs: e.REQUEST_TIMEOUT * 1000,
    securityLogDays: e.SECURITY_LOG_DAYS,
    securityLogMax: e.SECURITY_LOG_MAX,
    oidcProviders,
  });
}

// An id is a path segment (/auth/ID) and a key in the store: short, lower-case, no escaping needed.
const oidcEntrySchema = z.strictObject({
  id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,31}$/,
      'must be 1-32 of a-z, 0-9, - and _ (it is part of the callback path)',
    ),
  name: z.string().trim().min(1).max(60),
  issuer: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be OAuth scope tokens'))
    .max(20)
    .optional(),
});

/**
 * OIDC_PROVIDERS (JSON) or OIDC_PROVIDERS_FILE (a path to the same JSON), checked entry by entry:
 * a problem names the variable, the entry's place and its id, and never echoes a client secret.
 */
function readOidcProviders(
  inline: string | undefined,
  file: string | undefined,
  production: boolean,
  problems: string[],
): OidcProviderEntry[] {
  if (inline !== undefined && file !== undefined) {
    problems.push('OIDC_PROVIDERS_FILE: set either OIDC_PROVIDERS or OIDC_PROVIDERS_FILE, not both');
    return [];
  }
  const variable = file !== undefined ? `OIDC_PROVIDERS_FILE (${file})` : 'OIDC_PROVIDERS';
  let text = inline;
  if (file !== undefined) {
    try {
      text = readFileSync(path.resolve(file), 'utf8');
    } catch (error) {
      problems.push(
        `${variable}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
      return [];
    }
  }
  if (text === undefined || text.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push(`${variable}: must be a JSON array of {id, name, issuer, clientId, clientSecret, scopes?}`);
    return [];
  }
  if (!Array.isArray(json)) {
    problems.push(`${variable}: must be a JSON array of {id, name, issuer, clientId, clientSecret, scopes?}`);
    return [];
  }
  const entries: OidcProviderEntry[] = [];
  const seen = new Set<string>();
  json.forEach((raw: unknown, index) => {
    const label = (raw as { id?: unknown } | null)?.id;
    const where = `${variable}[${index}]${typeof label === 'string' ? ` (${label})` : ''}`;
    const parsed = oidcEntrySchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${where}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
      return;
    }
    const entry = parsed.data;
    const insecure = issuerProblem(entry.issuer, production);
    if (insecure) problems.push(`${where}.issuer: ${insecure}`);
    if (seen.has(entry.id)) problems.push(`${where}.id: ${entry.id} is used by an earlier entry`);
    seen.add(entry.id);
    entries.push(
      Object.freeze({ ...entry, ...(entry.scopes ? { scopes: Object.freeze(entry.scopes) } : {}) }),
    );
  });
  return entries;
}

/** The same config with its public URL fixed once the listening port is known (PORT=0). */
export function withAppUrl(config: Config, appUrl: string): Config {
  return Object.freeze({ ...config, appUrl, secureCookies: appUrl.startsWith('https://') });
}

/** The configuration of this process: the one place that reads `process.env`. */
export function loadConfigFromProcess(): Config {
  return loadConfig(process.env, os.availableParallelism());
}
