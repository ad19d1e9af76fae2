import * as z from 'zod';

/**
 * The JSON API's inputs and outputs, once. users.ts validates requests with these schemas and
 * openapi.ts describes the API from these same objects, so the document cannot drift from the
 * code. They check shapes and types only: the rules (email shape, password policy, uniqueness)
 * live in auth/ and are not written a second time here.
 *
 * Unknown fields are dropped (zod's default for objects), as LoopBack ignored them; so is
 * `emailVerified` in a body: only the emailed link verifies an address.
 */

const BLANK = "can't be blank";

/** A string field; a missing one says "can't be blank", another type says what was expected. */
const text = (description: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? BLANK : 'must be a string') })
    .meta({ description });

// ─── Requests ────────────────────────────────────────────────────────────────────────────────

export const createUserBody = z
  .object({
    email: text('The address the verification email goes to; unique, compared case-insensitively.'),
    password: text('From PASSWORD_MIN_LENGTH characters (default 12) to 72 bytes; not a common password.'),
    username: text('Optional; unique, compared case-insensitively; no spaces or @.').nullable().optional(),
  })
  .meta({
    description: 'A new account. `emailVerified` and unknown fields are ignored.',
    // The explorer's "Try it out" sends an example as it stands: each one is a request that works.
    examples: [{ email: 'ada@example.com', password: 'correct horse battery staple', username: 'ada' }],
  });

const TTL_MESSAGE = 'must be a positive whole number of seconds';
const ttlSeconds = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], { error: TTL_MESSAGE })
  .pipe(
    z
      .number({ error: TTL_MESSAGE })
      .positive({ error: TTL_MESSAGE })
      .refine(Number.isInteger, { error: TTL_MESSAGE }),
  )
  .meta({
    description:
      'Seconds the token lives; default ACCESS_TOKEN_TTL, capped at MAX_ACCESS_TOKEN_TTL. A numeric string is accepted.',
  });

export const loginBody = z
  .object({
    email: text('Log in by email (case-insensitive) …').optional(),
    username: text('… or by username.').optional(),
    password: text('The password.').optional(),
    ttl: ttlSeconds.optional(),
  })
  .meta({
    description: 'Credentials: `email` or `username`, and `password`.',
    examples: [{ email: 'ada@example.com', password: 'correct horse battery staple', ttl: 1209600 }],
  });

/** POST /users/login/two-factor: the second step of a two-factor account's API login (issue 17). */
export const twoFactorLoginBody = z
  .object({
    mfaToken: z
      .string({ error: 'must be a string' })
      .max(2000)
      .meta({ description: '`details.mfaToken` of the 401 MFA_REQUIRED that POST /users/login answered.' }),
    code: z
      .string({ error: 'must be a string' })
      .max(40)
      .meta({ description: 'The 6-digit code of the authenticator app, or a recovery code.' }),
  })
  .meta({ description: 'The second factor for a login whose password was right.' });

export const loginQuery = z.object({
  include: z
    .union([z.string(), z.array(z.string())], { error: 'must be a string' })
    .optional()
    .meta({
      description:
        '`user` adds the user object to the answer. Every LoopBack 3 form is accepted: `include=user`, `include[]=user`, `include[0]=user`, `include=["user"]`.',
    }),
  filter: z
    .union([z.string(), z.array(z.string())], { error: 'must be a string' })
    .optional()
    .meta({ description: 'LoopBack 3 filter JSON; `{"include":"user"}` adds the user.' }),
});

export const resetBody = z
  .object({
    email: text('The account address; the answer is the same whether or not it is known.')
      .nullable()
      .optional(),
  })
  .meta({ examples: [{ email: 'ada@example.com' }] });

export const resetPasswordBody = z
  .object({
    newPassword: text('The new password (same policy as sign-up).'),
  })
  .meta({ examples: [{ newPassword: 'a new and longer secret' }] });

export const changePasswordBody = z
  .object({
    oldPassword: text('The current password.'),
    newPassword: text('The new password (same policy as sign-up).'),
  })
  .meta({
    examples: [{ oldPassword: 'correct horse battery staple', newPassword: 'a new and longer secret' }],
  });

export const confirmQuery = z.object({
  uid: text('The user id from the verification link (a whole number).')
    .regex(/^[1-9]\d{0,15}$/, 'must be a whole number')
    .transform(Number),
  token: text('The token from the verification link.'),
  redirect: text(
    'A path on this site to redirect to (302) after confirming; anything else is a 400.',
  ).optional(),
});

export const patchUserBody = z
  .object({
    email: text(
      'A new address: unverified until its new link is followed; the other tokens are deleted.',
    ).optional(),
    username: text('A new username, or null to remove it.').nullable().optional(),
    password: z.unknown().optional().meta({
      description: 'Refused with 401 PASSWORD_CHANGE_NOT_ALLOWED: use change-password or reset-password.',
    }),
    currentPassword: text(
      'Needed for an email change unless the token was issued in the last 10 minutes; a wrong one is always a 401.',
    ).optional(),
  })
  .meta({
    description: 'The fields to change. `emailVerified` and unknown fields are ignored.',
    examples: [{ username: 'ada_lovelace' }],
  });

export const deleteUserBody = z
  .object({
    currentPassword: text(
      'Needed unless the token was issued in the last 10 minutes; a wrong one is always a 401.',
    ).optional(),
  })
  .meta({
    description: 'Re-authentication for deleting the account.',
    examples: [{ currentPassword: 'correct horse battery staple' }],
  });

export const userIdParam = z.object({
  id: text('The user id (a whole number from 1), or `me` for the user of the access token.'),
});

export const tokenIdParam = z.object({
  fk: text('A token id as GET accessTokens lists it.'),
});

// ─── Responses ───────────────────────────────────────────────────────────────────────────────

export const userSchema = z
  .object({
    id: z.number().int(),
    email: z.string(),
    username: z.string().nullable(),
    emailVerified: z.boolean(),
    created: z.string().meta({ format: 'date-time' }),
    providers: z.array(z.string()).optional().meta({
      description:
        'Issue 16: the ids of the OpenID Connect providers linked to the account (GET and PATCH of the user); never a provider token.',
    }),
  })
  .meta({ description: 'A user; never the password or its hash.' });

export const loginResultSchema = z
  .object({
    id: z.string().meta({ description: 'The access token itself: send it as `Authorization: <id>`.' }),
    ttl: z.number().int().meta({ description: 'Seconds from `created`.' }),
    created: z.string().meta({ format: 'date-time' }),
    userId: z.number().int(),
    user: userSchema.optional().meta({ description: 'With `?include=user`.' }),
  })
  .meta({ description: 'A new access token, as LoopBack returned it.' });

export const accessTokenSchema = z
  .object({
    id: z
      .string()
      .meta({ description: 'A random, non-secret identifier (`:fk` of DELETE accessTokens/:fk).' }),
    ttl: z.number().int(),
    created: z.string().meta({ format: 'date-time' }),
    expires: z.string().meta({ format: 'date-time' }),
    scopes: z.array(z.string()),
    userId: z.number().int(),
    current: z.boolean().meta({ description: 'The token this request was made with.' }),
    lastUsed: z
      .string()
      .nullable()
      .meta({ format: 'date-time', description: 'Its last use, recorded at most once a minute.' }),
    ip: z.string().nullable().meta({ description: 'The client address it was issued to.' }),
    device: z
      .string()
      .nullable()
      .meta({ description: 'The user agent it was issued to, e.g. "Firefox on Linux".' }),
    session: z.enum(['browser', 'api']).meta({ description: 'A browser (page) session or an API token.' }),
  })
  .meta({ description: "A token's metadata; never its secret." });

export const accessTokenListSchema = z.array(accessTokenSchema);

export const deleteCountSchema = z.object({ count: z.number().int() });

export const errorSchema = z
  .object({
    error: z.object({
      statusCode: z.number().int(),
      name: z.string(),
      message: z.string(),
      code: z.string(),
      details: z
        .object({
          // Absent only on 401 MFA_REQUIRED, whose details are `{mfaToken}` (issue 17).
          codes: z.record(z.string(), z.array(z.string())).default({}),
          messages: z.record(z.string(), z.array(z.string())).default({}),
          mfaToken: z.string().optional().meta({
            description:
              'With 401 MFA_REQUIRED from POST /users/login: send it with a code to POST /users/login/two-factor (5 minutes).',
          }),
        })
        .optional(),
    }),
  })
  .meta({ description: "LoopBack's error envelope; `details` lists the problems per field." });

export type UserView = z.infer<typeof userSchema>;
export type LoginResultView = z.infer<typeof loginResultSchema>;
export type AccessTokenView = z.infer<typeof accessTokenSchema>;
