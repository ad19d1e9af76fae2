import type pg from 'pg';
import { type FeatureStore, type NewIdentity, StoreConflictError, type UserId } from '../store.js';
import { lockUser } from './effects.js';
import { queryOnce } from './pool.js';
import { type IdentityRow, JOINED_USER_COLUMNS, joinedUser, toIdentity } from './rows.js';
import { type Database, insertNewUser, lockGuarded, VERSION_ONLY, writeLocked } from './user-change.js';

type Identities = Pick<
  FeatureStore,
  'findUserByIdentity' | 'listIdentities' | 'linkIdentity' | 'unlinkIdentity' | 'createUserWithIdentity'
>;

/** Refuses an (issuer, subject) linked to anyone already: the primary key still decides a race. */
async function checkUnlinked(client: pg.PoolClient, identity: NewIdentity): Promise<void> {
  const held = await client.query('SELECT 1 FROM identities WHERE issuer = $1 AND subject = $2', [
    identity.issuer,
    identity.subject,
  ]);
  if (held.rowCount) throw new StoreConflictError('identity');
}

async function insertIdentity(client: pg.PoolClient, userId: UserId, identity: NewIdentity) {
  const result = await client.query<IdentityRow>(
    `INSERT INTO identities (issuer, subject, user_id, provider_id, email, linked_at)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [identity.issuer, identity.subject, userId, identity.providerId, identity.email, identity.linkedAt],
  );
  return toIdentity(result.rows[0]!);
}

/**
 * Issue 16's linked provider accounts. (issuer, subject) is the primary key, so two instances
 * linking the same provider account at once cannot both win (the loser is the 'identity'
 * conflict); linking and unlinking bump the user's version like any other change to the account.
 */
export function createIdentities({ pool, url, transaction }: Database): Identities {
  return {
    async findUserByIdentity(issuer, subject) {
      const result = await queryOnce<IdentityRow & Record<string, unknown>>(
        pool,
        url,
        `SELECT i.*, ${JOINED_USER_COLUMNS}
         FROM identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2`,
        [issuer, subject],
      );
      const row = result.rows[0];
      return row ? { identity: toIdentity(row), user: joinedUser(row) } : null;
    },

    async listIdentities(userId) {
      const result = await queryOnce<IdentityRow>(
        pool,
        url,
        'SELECT * FROM identities WHERE user_id = $1 ORDER BY linked_at, seq',
        [userId],
      );
      return result.rows.map(toIdentity);
    },

    linkIdentity: (userId, input, effects) =>
      transaction(async (client) => {
        await checkUnlinked(client, input);
        await lockGuarded(client, userId, effects?.guard);
        const identity = await insertIdentity(client, userId, input);
        await writeLocked(client, userId, effects, VERSION_ONLY);
        return identity;
      }),

    unlinkIdentity: (userId, issuer, subject, effects) =>
      transaction(async (client) => {
        if (!(await lockUser(client, userId))) return false;
        const gone = await client.query(
          'DELETE FROM identities WHERE issuer = $1 AND subject = $2 AND user_id = $3',
          [issuer, subject, userId],
        );
        if (gone.rowCount !== 1) return false;
        // Checked after the ownership question, as on lowdb; a failed guard rolls the delete back.
        await lockGuarded(client, userId, effects?.guard);
        await writeLocked(client, userId, effects, VERSION_ONLY);
        return true;
      }),

    createUserWithIdentity: (input, identity, effects) =>
      transaction(async (client) => {
        await checkUnlinked(client, identity);
        const user = await insertNewUser(client, input, effects);
        await insertIdentity(client, user.id, identity);
        return user;
      }),
  };
}
