// The sign-in page: email and password, then the second factor, or a reset link by email.
(function () {
  'use strict';
  const G = window.Gateway;
  const byID = (id) => document.getElementById(id);

  async function start() {
    const ctx = await G.application('login_title_app');
    if (!ctx) {
      return;
    }
    const { email, named, looksLikeEmail } = G.signInForm(ctx);

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
