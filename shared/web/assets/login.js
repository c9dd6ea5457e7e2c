// The sign-in page: email and password, then the second factor, or a reset link by email.
(function () {
  'use strict';
  const G = window.Gateway;
  const byID = (id) => document.getElementById(id);
  const looksLikeEmail = (s) => /^[^\s@]+@[^\s@]+$/.test(s);

  async function start() {
    const form = byID('login-form');
    const ctx = await G.context();
    if (!ctx) {
      G.showOnly();
      return;
    }
    if (!ctx.appId && !ctx.url) {
      G.showOnly();
      G.say('error', G.t('err_application_required'));
      return;
    }
    if (ctx.app) {
      G.setTitle(G.t('login_title_app', { name: ctx.app.name }));
    }
    // The application is named by its appId once known: the url only finds it.
    const named = () => (ctx.appId ? { headers: { appId: ctx.appId }, body: {} } : { headers: {}, body: { url: ctx.url } });

    const email = byID('email');
    const password = byID('password');
    G.showPassword(byID('show-password'), password);

    G.guard(form, async () => {
      const e = email.value.trim();
      if (!e) {
        G.say('error', G.t('err_email_required'));
        G.invalid(email, true);
        return;
      }
      if (!looksLikeEmail(e)) {
        G.say('error', G.t('err_email_invalid'));
        G.invalid(email, true);
        return;
      }
      G.invalid(email, false);
      if (!password.value) {
        G.say('error', G.t('err_password_required'));
        G.invalid(password, true);
        return;
      }
      G.invalid(password, false);
      const n = named();
      const res = await G.call('/api/auth/login', Object.assign({ email: e, password: password.value }, n.body), n.headers);
      if (await G.signedIn(res, ctx, password)) {
        return;
      }
      G.say('error', G.errorText(res));
      if (res.body.code === 'invalid_credentials') {
        G.invalid(password, true);
      }
    });

    const forgotOpen = byID('forgot-open');
    const forgotEmail = byID('forgot-email');
    forgotOpen.addEventListener('click', () => {
      G.showOnly('forgot');
      G.say('status', '');
      forgotOpen.setAttribute('aria-expanded', 'true');
      forgotEmail.value = email.value.trim();
      byID('forgot-title').focus();
    });
    byID('forgot-close').addEventListener('click', () => {
      G.showOnly('sign-in');
      forgotOpen.setAttribute('aria-expanded', 'false');
      email.focus();
    });
    G.guard(byID('forgot-form'), async () => {
      const e = forgotEmail.value.trim();
      if (!looksLikeEmail(e)) {
        G.say('error', G.t(e ? 'err_email_invalid' : 'err_email_required'));
        G.invalid(forgotEmail, true);
        return;
      }
      G.invalid(forgotEmail, false);
      const n = named();
      const res = await G.call('/odata/users/forgotPassword', Object.assign({ email: e }, n.body), n.headers);
      if (res.status === 200) {
        G.say('status', G.t('forgot_sent', { email: e }));
        return;
      }
      G.say('error', G.errorText(res));
    });
    email.focus();
  }

  start();
}());
