import assert from 'node:assert/strict';
import { test } from 'node:test';
import QRCode from 'qrcode';
import { qrCodeSvg } from '../../server/boot/qr-svg.js';

const URI =
  'otpauth://totp/Koa%20Users:ann%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Koa%20Users';

test('an SVG of the QR code: sized, labelled for screen readers, with the quiet zone', async () => {
  const svg = await qrCodeSvg(URI, { label: 'QR code for your authenticator app' });
  const modules = QRCode.create(URI, { errorCorrectionLevel: 'M' }).modules.size;
  assert.match(
    svg,
    new RegExp(
      `^<svg width="200" height="200" role="img" aria-label="QR code for your authenticator app" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${modules + 8} ${modules + 8}"`,
    ),
  );
  assert.match(svg, /^<svg[^>]*><title>QR code for your authenticator app<\/title><path /);
  assert.match(svg, /<\/svg>\s*$/);
  assert.match(await qrCodeSvg(URI, { label: 'x', size: 120 }), /^<svg width="120" height="120"/);
});

test('only svg, title and path elements; no script, style or event attribute; the label is escaped', async () => {
  const svg = await qrCodeSvg(URI, { label: '<script>alert(1)</script> & "quotes"' });
  const elements = new Set([...svg.matchAll(/<([a-z]+)/g)].map((match) => match[1]));
  assert.deepEqual([...elements].sort(), ['path', 'svg', 'title']);
  assert.doesNotMatch(svg, /<script|style=|\son[a-z]+=/i);
  assert.match(svg, /aria-label="&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot;"/);
});

test('the drawing depends on the text (a different secret, a different code)', async () => {
  const other = URI.replace('GEZDGNBVGY3TQOJQ', 'MFRGGZDFMZTWQ2LK');
  assert.notEqual(await qrCodeSvg(URI, { label: 'a' }), await qrCodeSvg(other, { label: 'a' }));
  assert.equal(await qrCodeSvg(URI, { label: 'a' }), await qrCodeSvg(URI, { label: 'a' }));
});
