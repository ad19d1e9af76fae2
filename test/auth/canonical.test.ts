import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalEmail, canonicalUsername, emailKey } from '../../server/auth/canonical.js';

describe('auth/canonical', () => {
  test('each lookalike of bob@example.com is refused, never given a key of its own', () => {
    for (const lookalike of [
      'bob\u00ad@example.com', // soft hyphen
      'b\u200bob@example.com', // zero-width space
      'bob@ex\u00adample.com', // soft hyphen in the domain
      'bob@\uff45xample.com', // fullwidth e
      'bob\u202e@example.com', // right-to-left override
      'bob\u2066@example.com', // bidi isolate
      'bob\ufeff@example.com', // zero-width no-break space
    ]) {
      assert.equal(canonicalEmail(lookalike), 'characters', JSON.stringify(lookalike));
    }
  });

  test('a Kelvin sign cannot squat Kate\u2019s key', () => {
    assert.equal(canonicalEmail('\u212Aate@example.com'), 'characters');
    assert.deepEqual(canonicalEmail('Kate@example.com'), {
      address: 'Kate@example.com',
      key: 'kate@example.com',
    });
  });

  test('mail goes to the address as typed; the key is case-folded with an IDNA domain', () => {
    assert.deepEqual(canonicalEmail('  Ada@Exämple.COM '), {
      address: 'Ada@Exämple.COM',
      key: 'ada@xn--exmple-cua.com',
    });
    assert.equal(emailKey('STRASSE@example.com'), emailKey('straße@example.com'));
  });

  test('a decomposed accent is composed, not refused: the same key as the composed one', () => {
    const decomposed = canonicalEmail('rene\u0301@example.com');
    assert.notEqual(typeof decomposed, 'string');
    assert.equal(emailKey('rene\u0301@example.com'), emailKey('ren\u00e9@example.com'));
  });

  test('shape problems keep their codes', () => {
    assert.equal(canonicalEmail('   '), 'presence');
    assert.equal(canonicalEmail('no-at-sign'), 'custom.email');
    assert.equal(canonicalEmail('a@evil.example,b@example.com'), 'custom.email');
    assert.equal(canonicalEmail('a@b..com'), 'custom.email');
    assert.equal(canonicalEmail(`${'a'.repeat(250)}@example.com`), 'custom.email');
  });

  test('usernames follow the same rules', () => {
    assert.equal(canonicalUsername('ad\u200ba'), 'characters');
    assert.equal(canonicalUsername('\uff41da'), 'characters');
    assert.equal(canonicalUsername('\u212Aate'), 'characters');
    assert.equal(canonicalUsername('ad\u00ada'), 'characters');
    assert.equal(canonicalUsername('a@b'), 'format');
    assert.equal(canonicalUsername('has space'), 'format');
    assert.deepEqual(canonicalUsername(' Ada '), { name: 'Ada', key: 'ada' });
  });
});
