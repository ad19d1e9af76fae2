// Help for every form, loaded by layout.ejs with `defer` (the CSP forbids inline script). Every
// form works without it: this only adds to what the server already rendered.
//
// - Error summary (partials/error-summary.ejs): focus moves to it when the page loads, in case the
//   browser ignored its `autofocus`; a link in it focuses its field and scrolls the label into view.
// - Show/hide on every password field: a button after the input switches it between hidden and
//   readable text.
// - Strength as one types, on inputs marked `data-password-strength` (partials/field.ejs
//   `strength: true`): the rules the server applies (length, the common-password list, repeats and
//   runs, not the email or username in the same form) with the list from /password-rules.json, and
//   a rough estimate above them. It never blocks: the server's answer is the one that counts.
(() => {
  // ---------- error summary ----------
  const summary = document.querySelector('[data-error-summary]');
  if (summary && (document.activeElement === document.body || document.activeElement === null)) {
    summary.focus();
  }
  for (const link of document.querySelectorAll('[data-error-summary] a[href^="#"]')) {
    link.addEventListener('click', (event) => {
      const input = document.getElementById(link.getAttribute('href').slice(1));
      if (!input) return;
      event.preventDefault();
      const label = document.querySelector(`label[for="${input.id}"]`);
      (label ?? input).scrollIntoView({ block: 'start' });
      input.focus({ preventScroll: true });
    });
  }

  // ---------- show / hide ----------
  for (const input of document.querySelectorAll('input[type="password"]')) {
    const wrapper = document.createElement('div');
    wrapper.className = 'password-input';
    input.before(wrapper);
    wrapper.append(input);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'password-toggle';
    button.setAttribute('aria-controls', input.id);
    const word = document.createElement('span');
    const rest = document.createElement('span');
    rest.className = 'visually-hidden';
    rest.textContent = ' password';
    button.append(word, rest);
    const show = (visible) => {
      input.type = visible ? 'text' : 'password';
      word.textContent = visible ? 'Hide' : 'Show';
    };
    show(false);
    button.addEventListener('click', () => show(input.type === 'password'));
    // A password is never sent readable in a field of type text that a browser might remember.
    input.form?.addEventListener('submit', () => show(false));
    wrapper.append(button);
  }

  // ---------- strength ----------
  const meters = document.querySelectorAll('input[data-password-strength]');
  if (meters.length === 0) return;
  let rules = null;
  let asked = null;
  const loadRules = () => {
    asked ??= fetch('/password-rules.json', { credentials: 'same-origin' })
      .then((response) => (response.ok ? response.json() : null))
      .then((body) => {
        rules = body ? { minLength: body.minLength, common: new Set(body.common) } : null;
      })
      .catch(() => {});
    return asked;
  };

  const repetitiveOrSequential = (password) => {
    const chars = [...password];
    for (let size = 1; size <= chars.length / 2; size++) {
      if (chars.length % size !== 0) continue;
      const unit = chars.slice(0, size).join('');
      if (unit.repeat(chars.length / size) === password && (size <= 4 || rules?.common.has(unit)))
        return true;
    }
    const codes = chars.map((char) => char.codePointAt(0) ?? 0);
    const step = (codes[1] ?? 0) - (codes[0] ?? 0);
    return (step === 1 || step === -1) && codes.every((code, i) => i === 0 || code - codes[i - 1] === step);
  };

  // Bits if every character were drawn at random from the classes used: an upper bound, so it
  // is discounted for characters used more than once.
  const estimateBits = (password) => {
    const chars = [...password];
    let pool = 0;
    if (/[a-z]/.test(password)) pool += 26;
    if (/[A-Z]/.test(password)) pool += 26;
    if (/[0-9]/.test(password)) pool += 10;
    if (/[ !-/:-@[-`{-~]/.test(password)) pool += 33;
    if (/[^\x20-\x7e]/.test(password)) pool += 100;
    const distinct = new Set(chars).size;
    return Math.min(chars.length, distinct * 1.5) * Math.log2(Math.max(pool, 2));
  };

  const sameForm = (input, selector) => {
    const other = input.form?.querySelector(selector);
    return other && other !== input ? other.value.trim().toLowerCase() : '';
  };

  const judge = (input) => {
    const password = input.value;
    if (!password) return null;
    const minLength = rules?.minLength ?? Number(input.dataset.minLength || 12);
    const length = [...password].length;
    if (length < minLength) {
      const missing = minLength - length;
      return { level: 0, text: `Too short: ${missing} more character${missing === 1 ? '' : 's'}` };
    }
    const lowered = password.toLowerCase();
    if (rules?.common.has(lowered))
      return { level: 0, text: 'Too common: it is on the list of most used passwords' };
    if (repetitiveOrSequential(lowered)) return { level: 0, text: 'Too easy to guess: a repeat or a run' };
    const email = sameForm(input, 'input[autocomplete="email"], input[type="email"]');
    const username = sameForm(input, 'input[autocomplete="username"]');
    for (const name of [email, email.split('@')[0], username]) {
      if (name && lowered === name) return { level: 0, text: 'Not allowed: it is your email or username' };
    }
    const bits = estimateBits(password);
    if (bits < 60) return { level: 1, text: 'Fair: a longer password is harder to guess' };
    if (bits < 80) return { level: 2, text: 'Good' };
    return { level: 3, text: 'Strong' };
  };

  for (const input of meters) {
    const output = document.getElementById(`${input.id}-strength`);
    if (!output) continue;
    const words = output.querySelector('.strength__text');
    const update = () => {
      const verdict = judge(input);
      if (verdict) output.dataset.level = String(verdict.level);
      else delete output.dataset.level;
      words.textContent = verdict ? `Strength: ${verdict.text}` : '';
    };
    input.addEventListener('focus', loadRules, { once: true });
    input.addEventListener('input', () => {
      update();
      if (!rules) loadRules().then(update);
    });
  }
})();
