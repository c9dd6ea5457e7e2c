// The hosted pages' shared script: texts, calls to the public API, the second factor and the result.
// A token lives in this page's memory only: never in a URL, a cookie or storage. It leaves the page
// in one way, an HTML form POST to an origin the application allows; a move to the account page keeps
// it in memory by replacing the page's content instead of loading a new document.
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('page-data').textContent);
  const byID = (id) => document.getElementById(id);
  const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

  // t is the text named key in the page's language, its {name} placeholders filled from vars.
  function t(key, vars) {
    let s = has(data.texts, key) ? data.texts[key] : key;
    for (const k of Object.keys(vars || {})) {
      s = s.split('{' + k + '}').join(String(vars[k]));
    }
    return s;
  }

  // send sends a JSON body (none when body is undefined) to the API and reads the answer; an OData
  // error is unwrapped, so that every error reads {code, message, ...}. A network failure is status 0.
  async function send(method, path, body, headers) {
    let resp;
    try {
      resp = await fetch(path, {
        method: method, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store', redirect: 'error',
        headers: Object.assign({ 'Content-Type': 'application/json' }, headers || {}),
      });
    } catch (e) {
      return { status: 0, body: {}, retryAfter: 0 };
    }
    let json = {};
    try {
      json = await resp.json();
    } catch (e) {
      json = {};
    }
    if (json && typeof json.error === 'object' && json.error) {
      json = json.error;
    }
    const wait = parseInt(resp.headers.get('Retry-After') || '', 10);
    return { status: resp.status, body: json || {}, retryAfter: wait > 0 ? wait : 0 };
  }

  // call POSTs a JSON body to the public API.
  const call = (path, body, headers) => send('POST', path, body, headers);

  // get is call for a GET with headers only.
  async function get(path, headers) {
    try {
      const resp = await fetch(path, { credentials: 'omit', cache: 'no-store', redirect: 'error', headers: headers });
      return { status: resp.status, body: await resp.json().catch(() => ({})) };
    } catch (e) {
      return { status: 0, body: {} };
    }
  }

  // The reasons a new password is refused, as the account routes word them, and the page's words.
  const weakReasons = [
    ['shorter than ', 'reason_short'], ['longer than ', 'reason_long'], ['empty or only spaces', 'reason_blank'],
    ['built from the email address', 'reason_email'], ['built from the application name', 'reason_app'],
    ['among commonly used passwords', 'reason_common'], ['easy to guess', 'reason_guessed'],
  ];

  function weakReason(message) {
    const reason = String(message || '').replace(/^The password is /, '').replace(/\.$/, '');
    for (const [prefix, key] of weakReasons) {
      if (reason.startsWith(prefix)) {
        return t(key, { n: data.minLength });
      }
    }
    return reason;
  }

  // errorText is an answer's error in plain words.
  function errorText(res) {
    const code = String((res.body && res.body.code) || '');
    switch (code) {
      case 'too_many_requests':
        return res.retryAfter ? t('err_too_many_requests_wait', { n: res.retryAfter }) : t('err_too_many_requests');
      case 'unavailable':
        return t('err_unavailable', { n: res.retryAfter || 1 });
      case 'weak_password':
        return t('err_weak_password', { reason: weakReason(res.body.message) });
      case 'invalid_code': {
        const n = res.body.attemptsRemaining;
        return t('err_invalid_code') + (typeof n === 'number' ? ' ' + attemptsText(n) : '');
      }
    }
    if (res.status === 0) {
      return t('err_network');
    }
    if (code && has(data.texts, 'err_' + code)) {
      return t('err_' + code);
    }
    return res.status >= 500 ? t('err_internal') : t('err_invalid_request');
  }

  function attemptsText(n) {
    return n === 1 ? t('attempt_left') : t('attempts_left', { n: n });
  }

  // say puts a message in the page's live regions: errors in the alert, news in the status. Emptied
  // first, so that the same words said twice are announced twice.
  function say(kind, text) {
    const [target, other] = kind === 'error' ? [byID('error'), byID('status')] : [byID('status'), byID('error')];
    other.textContent = '';
    target.textContent = '';
    if (text) {
      window.setTimeout(() => { target.textContent = text; }, 50);
    }
  }

  // invalid marks a field as wrong (or right again) for assistive technology, and moves to it.
  function invalid(input, on) {
    input.setAttribute('aria-invalid', on ? 'true' : 'false');
    if (on) {
      input.focus();
    }
  }

  // guard runs handler on each submit of form, one at a time: a double click sends one request.
  function guard(form, handler) {
    let busy = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      form.setAttribute('aria-busy', 'true');
      try {
        await handler();
      } finally {
        busy = false;
        form.removeAttribute('aria-busy');
      }
    });
  }

  function showOnly(...ids) {
    for (const el of document.querySelectorAll('main > section')) {
      el.hidden = !ids.includes(el.id);
    }
  }

  function setTitle(text) {
    byID('title').textContent = text;
    document.title = text;
  }

  // context reads what the page was opened with: the application (by ?appId= or ?url=, the latter
  // looked up for its name and the origins it allows), and where a token may go (?redirect_uri=,
  // ?state=). A redirect_uri whose origin the application does not list stops the page before anyone
  // types a password: no open redirect. It answers null when the page cannot go on.
  async function context() {
    const q = new URLSearchParams(window.location.search);
    const ctx = { appId: q.get('appId') || '', url: q.get('url') || '', app: null, redirect: null, state: q.get('state') || '' };
    if (ctx.url) {
      const res = await call('/odata/applications/url', { url: ctx.url });
      if (res.status !== 200) {
        say('error', res.status === 404 || res.status === 400 ? t('err_application_unknown') : errorText(res));
        return null;
      }
      ctx.app = res.body;
      if (ctx.appId && ctx.appId !== ctx.app.appId) { // two different applications named: trust neither
        say('error', t('err_application_unknown'));
        return null;
      }
      ctx.appId = ctx.app.appId;
    }
    const target = q.get('redirect_uri');
    if (target !== null) {
      if (!ctx.app) {
        say('error', t('err_redirect_needs_url'));
        return null;
      }
      let u = null;
      try {
        u = new URL(target);
      } catch (e) {
        u = null;
      }
      const origins = Array.isArray(ctx.app.allowedOrigins) ? ctx.app.allowedOrigins : [];
      if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password || !origins.includes(u.origin)) {
        say('error', t('err_redirect_refused', { origin: u ? u.origin : target, name: ctx.app.name }));
        return null;
      }
      ctx.redirect = u;
    }
    return ctx;
  }

  // application is context for a page that signs in: it needs an application, and titles the page
  // with its name (the text titleKey) when the url lookup found it. null, with the page emptied, when
  // it cannot go on.
  async function application(titleKey) {
    const ctx = await context();
    if (ctx && !ctx.appId && !ctx.url) {
      say('error', t('err_application_required'));
    }
    if (!ctx || (!ctx.appId && !ctx.url)) {
      showOnly();
      return null;
    }
    if (ctx.app) {
      setTitle(t(titleKey, { name: ctx.app.name }));
    }
    return ctx;
  }

  // finish ends a sign-in with its auth token: handed to the page's own next step (ctx.signedIn),
  // posted to the redirect_uri, or shown as done. Before a token is posted anywhere, /api/auth/me
  // proves it is a token of the application whose origins were checked.
  async function finish(result, ctx, restartHref, news) {
    if (ctx && ctx.signedIn) {
      await ctx.signedIn(result, news);
      return;
    }
    if (ctx && ctx.redirect) {
      const me = await get('/api/auth/me', { Authorization: 'Bearer ' + result.token, appId: ctx.appId });
      if (me.status !== 200 || me.body.appId !== ctx.appId) {
        say('error', t('err_redirect_refused', { origin: ctx.redirect.origin, name: ctx.app.name }));
        return;
      }
      handoff(ctx.redirect, result, ctx.state);
      return;
    }
    showOnly('done');
    say('status', news || '');
    // The answer's name is the user's; the application's comes from the url lookup, when there was one.
    byID('done-text').textContent = ctx && ctx.app ? t('done_app', { name: ctx.app.name }) : '';
    byID('done-user').textContent = result.name ? t('done_user', { name: result.name }) : '';
    if (result.expiresIn > 0) {
      const until = new Date(Date.now() + result.expiresIn * 1000);
      byID('done-until').textContent = t('done_until', { time: until.toLocaleTimeString(data.lang, { hour: '2-digit', minute: '2-digit' }) });
    }
    if (typeof result.recoveryCodesRemaining === 'number') {
      byID('done-recovery').textContent = t('recovery_left', { n: result.recoveryCodesRemaining });
    }
    byID('restart-link').href = restartHref || data.loginHref;
    if (ctx && ctx.appId) {
      const link = byID('account-link');
      link.href = data.accountHref;
      link.addEventListener('click', (ev) => {
        ev.preventDefault();
        open(data.accountHref, { token: result.token, appId: ctx.appId, app: ctx.app });
      });
      byID('done-account').hidden = false;
    }
    byID('done-title').focus();
  }

  // handed is the sign-in a page was opened with by open, or null.
  let handed = null;

  // open goes to another hosted page of this site without unloading this one, so that the sign-in
  // goes along in memory: the page is fetched, its main put in place of this one's, its address
  // pushed and its script run. Going back loads the earlier address anew (the sign-in stays behind).
  async function open(href, session) {
    let doc = null;
    try {
      const resp = await fetch(href, { credentials: 'omit', cache: 'no-store', redirect: 'error' });
      doc = resp.ok ? new DOMParser().parseFromString(await resp.text(), 'text/html') : null;
    } catch (e) {
      doc = null;
    }
    const scripts = doc ? Array.from(doc.querySelectorAll('head script[src]')) : [];
    const main = doc && doc.querySelector('main');
    const pageData = doc && doc.getElementById('page-data');
    if (!main || !pageData || scripts.length < 2) {
      window.location.assign(href);
      return;
    }
    handed = session;
    Object.assign(data, JSON.parse(pageData.textContent));
    document.title = doc.title;
    document.querySelector('main').replaceWith(document.adoptNode(main));
    window.history.pushState(null, '', href);
    window.addEventListener('popstate', () => window.location.reload());
    const script = document.createElement('script');
    script.src = scripts[scripts.length - 1].getAttribute('src');
    document.head.appendChild(script);
  }

  // handoff posts the token to the application's page, the way OpenID Connect's form_post response
  // mode does: in a request body, never in a URL.
  function handoff(target, result, state) {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = target.href;
    const fields = { token: result.token, expiresIn: String(result.expiresIn || 0) };
    if (state) {
      fields.state = state;
    }
    for (const [name, value] of Object.entries(fields)) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    const button = document.createElement('button');
    button.type = 'submit';
    button.className = 'primary';
    button.textContent = t('handoff_button', { origin: target.origin });
    form.appendChild(button);
    showOnly();
    say('status', t('handoff', { origin: target.origin }));
    byID('main').appendChild(form);
    form.submit();
  }

  // secondFactor runs the second step of a sign-in from the challenge of a 403 answer, until finish
  // gets the auth token or the challenge dies (then the page offers to start again).
  function secondFactor(challenge, ctx, restartHref, news) {
    const codeInput = byID('code');
    const recoveryInput = byID('recovery');
    const resend = byID('resend');
    const other = byID('switch');
    const useRecovery = byID('use-recovery');
    const state = { token: challenge.token, channel: challenge.authenticatorCode, mode: 'code', unavailable: new Set(), timer: 0 };

    function describe(switched) {
      byID('mfa-sent').textContent = state.channel === 'OTP'
        ? t('mfa_otp')
        : t(switched ? 'mfa_sent_switched' : 'mfa_sent', { channel: t('channel_' + state.channel), destination: challenge.destination || '' });
      resend.hidden = state.channel === 'OTP';
      const next = ['SMS', 'Email'].find((c) => c !== state.channel && !state.unavailable.has(c));
      other.hidden = !next;
      other.dataset.channel = next || '';
      other.textContent = next ? t('switch_to_' + next) : '';
    }

    // cooldown keeps the send buttons off for seconds, counting down on the resend button.
    function cooldown(seconds) {
      window.clearInterval(state.timer);
      const until = Date.now() + seconds * 1000;
      const tick = () => {
        const left = Math.ceil((until - Date.now()) / 1000);
        const waiting = left > 0;
        for (const b of [resend, other]) {
          b.disabled = waiting;
        }
        resend.textContent = waiting ? t('resend_wait', { n: left }) : t('resend');
        if (!waiting) {
          window.clearInterval(state.timer);
        }
      };
      tick();
      state.timer = window.setInterval(tick, 250);
    }

    function dead(res) {
      window.clearInterval(state.timer);
      byID('code-form').hidden = true;
      document.querySelector('#mfa .actions').hidden = true;
      byID('restart-link').href = restartHref || data.loginHref;
      byID('restart').hidden = false;
      say('error', errorText(res));
    }

    function ended(res) {
      const code = res.body.code;
      return code === 'invalid_mfa_token' || code === 'too_many_attempts' || (code === 'too_many_requests' && !res.retryAfter);
    }

    async function send(via) {
      const res = await call('/api/auth/resendMultifactorBindingCode', { token: state.token, authenticator: via });
      if (res.status === 200) {
        state.channel = res.body.authenticatorCode;
        challenge.destination = res.body.destination;
        describe(true);
        say('status', byID('mfa-sent').textContent);
        cooldown(data.cooldown);
        codeInput.value = '';
        codeInput.focus();
        return;
      }
      if (res.body.code === 'channel_unavailable' && via !== 'Default') {
        state.unavailable.add(via);
        describe(false);
        say('error', t('err_channel_unavailable_' + via));
        codeInput.focus();
        return;
      }
      if (res.body.code === 'too_many_requests' && res.retryAfter) {
        cooldown(res.retryAfter);
        codeInput.focus();
      }
      if (res.body.code === 'too_many_requests' && !res.retryAfter) { // the challenge's sends are used up
        resend.hidden = true;
        other.hidden = true;
        say('error', errorText(res));
        return;
      }
      if (ended(res)) {
        dead(res);
        return;
      }
      say('error', errorText(res));
    }

    let sending = false;
    const sendOnce = (via) => async () => {
      if (sending) {
        return;
      }
      sending = true;
      try {
        await send(via);
      } finally {
        sending = false;
      }
    };
    resend.addEventListener('click', sendOnce('Default'));
    other.addEventListener('click', () => sendOnce(other.dataset.channel)());

    useRecovery.addEventListener('click', () => {
      state.mode = state.mode === 'code' ? 'recovery' : 'code';
      byID('code-field').hidden = state.mode !== 'code';
      byID('recovery-field').hidden = state.mode !== 'recovery';
      useRecovery.textContent = state.mode === 'code' ? t('use_recovery') : t('use_code');
      (state.mode === 'code' ? codeInput : recoveryInput).focus();
    });

    guard(byID('code-form'), async () => {
      const recovery = state.mode === 'recovery';
      const input = recovery ? recoveryInput : codeInput;
      const value = input.value.trim();
      if (!value) {
        say('error', t('err_code_required'));
        invalid(input, true);
        return;
      }
      if (!recovery && !/^[0-9]{6}$/.test(value)) {
        say('error', t('err_code_format'));
        invalid(input, true);
        return;
      }
      invalid(input, false);
      const res = await call('/api/auth/verifyMultifactorBindingCode',
        { token: state.token, authenticatorCode: recovery ? 'RecoveryCode' : state.channel, bindingCode: value });
      if (res.status === 200) {
        window.clearInterval(state.timer);
        await finish(res.body, ctx, restartHref);
        return;
      }
      if (ended(res)) {
        dead(res);
        return;
      }
      if (res.body.code === 'invalid_code' && typeof res.body.attemptsRemaining === 'number') {
        byID('attempts').textContent = attemptsText(res.body.attemptsRemaining);
      }
      input.value = '';
      say('error', errorText(res));
      invalid(input, true);
    });

    showOnly('mfa');
    describe(false);
    if (state.channel !== 'OTP') {
      cooldown(data.cooldown);
    }
    say('status', news || '');
    codeInput.focus(); // the field's description reads out where the code went
  }

  // signedIn goes on from an answer that logs in, a login's or a changePassword's: the second factor
  // for a 403 challenge, the result for a 200 auth token. The password field is emptied either way, and
  // news, if any, is announced. It reports whether the answer was one of those.
  async function signedIn(res, ctx, passwordInput, news) {
    if ((res.status !== 403 && res.status !== 200) || !res.body.token) {
      return false;
    }
    passwordInput.value = '';
    if (res.status === 403) {
      secondFactor(res.body, ctx, undefined, news);
    } else {
      await finish(res.body, ctx, undefined, news);
    }
    return true;
  }

  // showPassword ties a "show password" checkbox to its field.
  function showPassword(box, input) {
    box.addEventListener('change', () => { input.type = box.checked ? 'text' : 'password'; });
  }

  const looksLikeEmail = (s) => /^[^\s@]+@[^\s@]+$/.test(s);

  // signInForm runs the email-and-password form for the application of ctx, and what follows.
  function signInForm(ctx) {
    const email = byID('email');
    const password = byID('password');
    showPassword(byID('show-password'), password);
    // The application is named by its appId once known: the url only finds it.
    const named = () => (ctx.appId ? { headers: { appId: ctx.appId }, body: {} } : { headers: {}, body: { url: ctx.url } });
    guard(byID('login-form'), async () => {
      const e = email.value.trim();
      if (!e) {
        say('error', t('err_email_required'));
        invalid(email, true);
        return;
      }
      if (!looksLikeEmail(e)) {
        say('error', t('err_email_invalid'));
        invalid(email, true);
        return;
      }
      invalid(email, false);
      if (!password.value) {
        say('error', t('err_password_required'));
        invalid(password, true);
        return;
      }
      invalid(password, false);
      const n = named();
      const res = await call('/api/auth/login', Object.assign({ email: e, password: password.value }, n.body), n.headers);
      if (await signedIn(res, ctx, password)) {
        return;
      }
      say('error', errorText(res));
      if (res.body.code === 'invalid_credentials') {
        invalid(password, true);
      }
    });
    return { email, named, looksLikeEmail };
  }

  window.Gateway = {
    data, t, send, call, get, say, invalid, guard, showOnly, setTitle, context, application, finish, secondFactor, signedIn, errorText,
    showPassword, signInForm, handed: () => handed,
  };
}());
