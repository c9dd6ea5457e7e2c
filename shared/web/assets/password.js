// The pages that set a password from a ticket: a reset link or an invitation. The policy is explained
// as the password is typed; the server's verdict (a common or breached password) comes on saving.
(function () {
  'use strict';
  const G = window.Gateway;
  const byID = (id) => document.getElementById(id);
  const invite = G.data.page === 'invite';
  const chars = (s) => Array.from(s).length; // code points, as the policy counts them

  async function start() {
    const ticket = new URLSearchParams(window.location.search).get('ticket') || '';
    const input = byID('new-password');
    const length = byID('policy-length');
    const min = G.data.minLength;
    const explain = () => {
      const n = chars(input.value);
      length.dataset.ok = String(n >= min);
      length.textContent = G.t(n >= min ? 'policy_length_ok' : 'policy_length', { n: min, count: n });
    };
    explain();
    input.addEventListener('input', explain);
    G.showPassword(byID('show-password'), input);

    if (!ticket) {
      G.showOnly();
      G.say('error', G.t('err_ticket_missing'));
      return;
    }
    const ctx = await G.context();
    if (!ctx) {
      G.showOnly();
      return;
    }
    if (ctx.app) {
      G.setTitle(G.t(invite ? 'invite_title_app' : 'reset_title_app', { name: ctx.app.name }));
    }

    G.guard(byID('password-form'), async () => {
      const pw = input.value;
      if (!pw.trim()) {
        G.say('error', G.t('err_weak_password', { reason: G.t('reason_blank') }));
        G.invalid(input, true);
        return;
      }
      if (chars(pw) < min) {
        G.say('error', G.t('err_weak_password', { reason: G.t('reason_short', { n: min }) }));
        G.invalid(input, true);
        return;
      }
      G.invalid(input, false);
      const res = await G.call('/odata/users/changePassword', { password: pw, invite: invite, ticket: ticket });
      if (await G.signedIn(res, ctx, input, G.t('password_set'))) {
        return;
      }
      G.say('error', G.errorText(res));
      if (res.body.code === 'invalid_ticket') {
        G.showOnly();
        byID('restart').hidden = false;
        byID('restart-link').href = G.data.loginHref;
        return;
      }
      G.invalid(input, true);
    });
    input.focus();
  }

  start();
}());
