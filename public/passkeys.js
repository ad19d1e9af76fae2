// Passkey buttons, wired by data attributes (the CSP forbids inline script). Load after
// /vendor/simplewebauthn-browser.umd.min.js, both with `defer`.
//
//   <form method="post" action="/no-js-fallback">
//     <input type="hidden" name="_csrf" value="…">   (and any other field, e.g. a passkey name)
//     <button type="button" data-passkey-register            (or data-passkey-login)
//             data-options-url="/account/passkeys/options" data-verify-url="/account/passkeys">
//     <p data-passkey-status role="status"></p>
//   </form>
//
// A click POSTs the form's fields (url-encoded, `_csrf` included) to data-options-url, which answers
// the WebAuthn options as JSON; the browser asks the authenticator; the result is POSTed with the
// same fields plus `response` (the JSON the library produced) to data-verify-url, which answers
// `{"redirect": "/path"}` (followed) or a 4xx `{"message": "…"}` (shown in the status element).
(() => {
  const webauthn = window.SimpleWebAuthnBrowser;

  function show(form, text) {
    const status = form?.querySelector('[data-passkey-status]');
    if (status) status.textContent = text;
  }

  function fields(form, extra) {
    const body = new URLSearchParams(form ? new FormData(form) : undefined);
    for (const [name, value] of Object.entries(extra)) body.set(name, value);
    return body;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      body,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.message || `The server answered ${response.status}.`);
    return data;
  }

  /** Only a path on this site: an answer can never send the browser elsewhere. */
  function isLocalPath(value) {
    return (
      typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.includes('\\')
    );
  }

  async function run(button) {
    const form = button.form;
    const registering = button.hasAttribute('data-passkey-register');
    button.disabled = true;
    show(
      form,
      registering ? 'Follow your browser’s prompt to create a passkey…' : 'Follow your browser’s prompt…',
    );
    try {
      const optionsJSON = await post(button.dataset.optionsUrl, fields(form, {}));
      const result = registering
        ? await webauthn.startRegistration({ optionsJSON })
        : await webauthn.startAuthentication({ optionsJSON });
      const answer = await post(button.dataset.verifyUrl, fields(form, { response: JSON.stringify(result) }));
      if (isLocalPath(answer.redirect)) {
        window.location.assign(answer.redirect);
        return;
      }
      show(form, answer.message || 'Done.');
    } catch (error) {
      // NotAllowedError: the person cancelled, or the prompt timed out.
      show(
        form,
        error && error.name === 'NotAllowedError'
          ? 'The passkey prompt was cancelled.'
          : String(error.message || error),
      );
    } finally {
      button.disabled = false;
    }
  }

  function wire() {
    const buttons = document.querySelectorAll('[data-passkey-register], [data-passkey-login]');
    for (const button of buttons) {
      if (!webauthn?.browserSupportsWebAuthn()) {
        button.disabled = true;
        show(button.form, 'This browser does not support passkeys.');
        continue;
      }
      button.addEventListener('click', (event) => {
        event.preventDefault();
        void run(button);
      });
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wire);
  else wire();
})();
