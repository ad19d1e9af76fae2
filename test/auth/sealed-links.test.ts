import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLinkSealer } from '../../server/auth/sealed-links.js';

const link =
  'https://users.example.com/reset-password?access_token=abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ01';

test('a sealed link shows nothing of its token and opens to the same link', () => {
  const sealer = createLinkSealer(['first key']);
  const sealed = sealer.seal(link);
  assert.doesNotMatch(sealed, /access_token|abcdefghij/);
  assert.notEqual(sealer.seal(link), sealed, 'a fresh IV each time');
  assert.equal(sealer.open(sealed), link);
});

test('rotated keys still open old links; unknown keys and tampering are refused', () => {
  const sealed = createLinkSealer(['old key']).seal(link);
  assert.equal(createLinkSealer(['new key', 'old key']).open(sealed), link);
  assert.throws(() => createLinkSealer(['other key']).open(sealed), /no longer configured/);
  const [version, iv, tag, body = ''] = sealed.split('.');
  const flipped = `${body.startsWith('A') ? 'B' : 'A'}${body.slice(1)}`;
  assert.throws(() => createLinkSealer(['old key']).open([version, iv, tag, flipped].join('.')));
  assert.throws(() => createLinkSealer(['old key']).open('plain text'), /not a sealed link/);
});
