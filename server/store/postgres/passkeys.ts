import type { FeatureStore } from '../store.js';
import { lockUser } from './effects.js';
import { queryOnce } from './pool.js';
import { JOINED_USER_COLUMNS, joinedUser, PASSKEY_COLUMNS, type PasskeyRow, toPasskey } from './rows.js';
import { type Database, lockGuarded, VERSION_ONLY, writeLocked } from './user-change.js';

type Passkeys = Pick<
  FeatureStore,
  'addPasskey' | 'listPasskeys' | 'findPasskeyWithUser' | 'usePasskey' | 'renamePasskey' | 'removePasskey'
>;

/**
 * Issue 17's passkeys. The credential id is the primary key, unique across users (the 'passkey'
 * conflict); adding and removing one bump the user's version, recording a sign-in or a new name
 * does not (a request's bookkeeping never conflicts with a change to the account).
 */
export function createPasskeys({ pool, url, transaction }: Database): Passkeys {
  return {
    addPasskey: (userId, input, effects) =>
      transaction(async (client) => {
        await lockGuarded(client, userId, effects?.guard);
        const inserted = await client.query<PasskeyRow>(
          `INSERT INTO passkeys (credential_id, user_id, public_key, counter, transports, device_type,
                                 backed_up, name, created, last_used)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${PASSKEY_COLUMNS}`,
          [
            input.credentialId,
            userId,
            input.publicKey,
            input.counter,
            [...input.transports],
            input.deviceType,
            input.backedUp,
            input.name,
            input.created,
            input.lastUsed,
          ],
        );
        await writeLocked(client, userId, effects, VERSION_ONLY);
        return toPasskey(inserted.rows[0]!);
      }),

    async listPasskeys(userId) {
      const result = await queryOnce<PasskeyRow>(
        pool,
        url,
        `SELECT ${PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created, seq`,
        [userId],
      );
      return result.rows.map(toPasskey);
    },

    async findPasskeyWithUser(credentialId) {
      const result = await queryOnce<PasskeyRow & Record<string, unknown>>(
        pool,
        url,
        `SELECT p.credential_id, p.user_id, p.public_key, p.counter, p.transports, p.device_type,
                p.backed_up, p.name, p.created, p.last_used, ${JOINED_USER_COLUMNS}
         FROM passkeys p JOIN users u ON u.id = p.user_id WHERE p.credential_id = $1`,
        [credentialId],
      );
      const row = result.rows[0];
      return row ? { passkey: toPasskey(row), user: joinedUser(row) } : null;
    },

    async usePasskey(credentialId, use) {
      const result = await queryOnce(
        pool,
        url,
        'UPDATE passkeys SET counter = $2, last_used = $3 WHERE credential_id = $1',
        [credentialId, use.counter, use.at.toISOString()],
      );
      return result.rowCount === 1;
    },

    async renamePasskey(userId, credentialId, name) {
      const result = await queryOnce(
        pool,
        url,
        'UPDATE passkeys SET name = $3 WHERE credential_id = $1 AND user_id = $2',
        [credentialId, userId, name],
      );
      return result.rowCount === 1;
    },

    removePasskey: (userId, credentialId, effects) =>
      transaction(async (client) => {
        if (!(await lockUser(client, userId))) return false;
        const gone = await client.query('DELETE FROM passkeys WHERE credential_id = $1 AND user_id = $2', [
          credentialId,
          userId,
        ]);
        if (gone.rowCount !== 1) return false;
        // Checked after the ownership question, as on lowdb; a failed guard rolls the delete back.
        await lockGuarded(client, userId, effects?.guard);
        await writeLocked(client, userId, effects, VERSION_ONLY);
        return true;
      }),
  };
}
