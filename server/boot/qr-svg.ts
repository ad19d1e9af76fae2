/**
 * A QR code as an inline SVG string, drawn on the server: the two-factor page shows the otpauth://
 * URI without a client-side QR library, an inline script or an image request (CSP unchanged). The
 * SVG holds only `<svg>`, `<title>` and `<path>` with fill/stroke attributes (no `style`, no
 * script), so it can be printed unescaped (`<%- qr %>`) in a view. The URI carries the TOTP secret:
 * the page showing it must be `Cache-Control: no-store`.
 */
export async function qrCodeSvg(
  text: string,
  options: Readonly<{ label: string; size?: number }>,
): Promise<string> {
  // Loaded on the first two-factor set-up, not at start: ~0.1 s of start-up CPU (issue 15).
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(text, {
    type: 'svg',
    // M (15% recovery): the usual level for authenticator apps; the code stays small enough to scan.
    errorCorrectionLevel: 'M',
    margin: 4, // the quiet zone the QR specification asks for
  });
  if (!svg.startsWith('<svg ')) throw new Error('qrcode did not produce an SVG');
  const size = options.size ?? 200;
  const label = escapeXml(options.label);
  return svg
    .replace(/^<svg /, `<svg width="${size}" height="${size}" role="img" aria-label="${label}" `)
    .replace(/^(<svg[^>]*>)/, `$1<title>${label}</title>`);
}

function escapeXml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char] ?? char,
  );
}
