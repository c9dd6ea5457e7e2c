// The account page: the signed-in user's second factors, an authenticator app enrolled by QR code and
// confirmed with a code, its recovery codes shown once, renewed, and the app removed. It signs in
// first, unless the sign-in page handed it its sign-in in memory.
(function () {
  'use strict';
  const G = window.Gateway;
  const byID = (id) => document.getElementById(id);
  let session = null; // {token, appId, app}: in this page's memory only
  let codes = [];

  const api = (method, path, body) => G.send(method, path, body, { Authorization: 'Bearer ' + session.token, appId: session.appId });

  // ended reports an answer that ends the sign-in: a token too old for the change, or one no longer
  // valid (invalid_token, or the authorizer's refusal, which carries no code). The page then offers
  // to sign in again.
  function ended(res) {
    const code = res.body.code;
    const old = res.status === 403 && code === 'reauthentication_required';
    const gone = (res.status === 401 || res.status === 403) && (!code || code === 'invalid_token');
    if (!old && !gone) {
      return false;
    }
    session = null;
    G.showOnly();
    byID('restart-link').href = G.data.accountHref;
    byID('restart').hidden = false;
    G.say('error', G.t(old ? 'err_reauthentication_required' : 'err_session_ended'));
    byID('restart-link').focus();
    return true;
  }

  // refused shows an answer that is neither a success nor the end of the sign-in.
  function refused(res, input) {
    if (ended(res)) {
      return;
    }
    G.say('error', G.errorText(res));
    if (input) {
      input.value = '';
      G.invalid(input, true);
    }
  }

  function date(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleDateString(G.data.lang, { year: 'numeric', month: 'long', day: 'numeric' });
  }

  // render lists the second factors of a GET /api/auth/mfa/authenticators answer, and offers what
  // can be done with the authenticator app.
  function render(list) {
    const ul = byID('factors');
    ul.replaceChildren();
    let app = null;
    for (const f of Array.isArray(list.authenticators) ? list.authenticators : []) {
      const li = document.createElement('li');
      const name = document.createElement('strong');
      name.textContent = G.t('authenticator_' + f.authenticatorCode);
      let detail;
      if (f.authenticatorCode === 'OTP') {
        app = f;
        detail = f.confirmed ? G.t('factor_app_since', { date: date(f.createDate) }) : G.t('factor_app_unconfirmed');
      } else {
        detail = String(f.destination || '') + (f.confirmed ? '' : ' ' + G.t('factor_waiting'));
      }
      li.append(name, ': ' + detail);
      ul.appendChild(li);
    }
    const confirmed = !!(app && app.confirmed);
    byID('recovery-count').textContent = confirmed ? G.t('recovery_left', { n: list.recoveryCodesRemaining || 0 }) : '';
    byID('app-none').hidden = confirmed;
    byID('app-manage').hidden = !confirmed;
  }

  // overview shows the second factors, with news announced.
  async function overview(news) {
    const res = await api('GET', '/api/auth/mfa/authenticators');
    if (res.status !== 200) {
      if (!ended(res)) {
        G.showOnly();
        G.say('error', G.errorText(res));
      }
      return;
    }
    render(res.body);
    G.showOnly('account');
    G.say('status', news || '');
    byID('account-title').focus();
  }

  // showCodes shows a new set of recovery codes, this once.
  function showCodes(list, news) {
    codes = Array.isArray(list) ? list.map(String) : [];
    const ol = byID('recovery-codes');
    ol.replaceChildren(...codes.map((c) => {
      const li = document.createElement('li');
      li.textContent = c;
      return li;
    }));
    G.showOnly('codes');
    G.say('status', news);
    byID('codes-title').focus();
  }

  // codeOf reads a 6-digit code from input, or says what is wrong with it.
  function codeOf(input) {
    const v = input.value.trim();
    if (!/^[0-9]{6}$/.test(v)) {
      G.say('error', G.t(v ? 'err_code_format' : 'err_code_required'));
      G.invalid(input, true);
      return '';
    }
    G.invalid(input, false);
    return v;
  }

  // once runs handler on click, one at a time.
  function once(button, handler) {
    let busy = false;
    button.addEventListener('click', async () => {
      if (busy) {
        return;
      }
      busy = true;
      try {
        await handler();
      } finally {
        busy = false;
      }
    });
  }

  function wire() {
    once(byID('enrol'), async () => {
      const res = await api('POST', '/api/auth/mfa/authenticators', { authenticatorCode: 'OTP' });
      const e = res.body;
      if (res.status !== 201 || !String(e.qrCode).startsWith('data:image/png;base64,') || !String(e.otpauthUri).startsWith('otpauth://')) {
        refused(res);
        return;
      }
      byID('qr').src = e.qrCode;
      byID('secret').textContent = String(e.secret).replace(/(.{4})(?=.)/g, '$1 ');
      byID('otpauth').href = e.otpauthUri;
      byID('confirm-code').value = '';
      G.showOnly('enrol-step');
      G.say('status', '');
      byID('enrol-title').focus();
    });
    byID('enrol-cancel').addEventListener('click', () => overview());

    // A form of one code from the app whose answer is a new set of recovery codes.
    const codesForm = (form, field, path, body, news) => G.guard(byID(form), async () => {
      const input = byID(field);
      const code = codeOf(input);
      if (!code) {
        return;
      }
      const res = await api('POST', path, Object.assign({ bindingCode: code }, body));
      if (res.status === 200) {
        input.value = '';
        showCodes(res.body.recoveryCodes, G.t(news));
        return;
      }
      refused(res, input);
    });
    codesForm('confirm-form', 'confirm-code', '/api/auth/mfa/authenticators/confirm', { authenticatorCode: 'OTP' }, 'app_added');
    codesForm('renew-form', 'renew-code', '/api/auth/mfa/recoveryCodes', {}, 'codes_renewed');

    G.guard(byID('remove-form'), async () => {
      const input = byID('remove-code');
      const code = input.value.trim();
      if (!code) {
        G.say('error', G.t('err_code_required'));
        G.invalid(input, true);
        return;
      }
      G.invalid(input, false);
      const res = await api('DELETE', '/api/auth/mfa/authenticators/OTP', { bindingCode: code });
      if (res.status === 204) {
        input.value = '';
        await overview(G.t('app_removed'));
        return;
      }
      refused(res, input);
    });

    once(byID('copy-codes'), async () => {
      try {
        await navigator.clipboard.writeText(codes.join('\n'));
        G.say('status', G.t('codes_copied'));
      } catch (e) {
        window.getSelection().selectAllChildren(byID('recovery-codes'));
        G.say('error', G.t('codes_copy_failed'));
      }
    });
    byID('codes-done').addEventListener('click', () => {
      codes = [];
      byID('recovery-codes').replaceChildren();
      overview();
    });
  }

  async function start() {
    wire();
    const handed = G.handed();
    if (handed) {
      session = handed;
      if (handed.app) {
        G.setTitle(G.t('account_title_app', { name: handed.app.name }));
      }
      await overview();
      return;
    }
    const ctx = await G.application('account_title_app');
    if (!ctx) {
      return;
    }
    ctx.redirect = null; // this page hands no token anywhere
    ctx.signedIn = async (result) => {
      session = { token: result.token, appId: ctx.appId, app: ctx.app };
      await overview();
    };
    G.signInForm(ctx);
    byID('email').focus();
  }

  start();
}());
