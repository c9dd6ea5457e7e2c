package web_test

import (
	"strings"
	"testing"
)

// TestPageDataTexts: a page's data carries the texts its scripts read, those named whole and those
// the scripts complete ('err_' + a code), and not the ones only its HTML or another page shows.
func TestPageDataTexts(t *testing.T) {
	s := newSite(t)
	for _, tc := range []struct {
		path      string
		want, not []string
	}{
		{"/login", []string{"login_title_app", "forgot_sent", "mfa_sent", "channel_SMS", "switch_to_Email", "err_invalid_credentials", "err_channel_unavailable_SMS", "done_until"},
			[]string{"skip", "forgot_hint", "policy_own", "codes_copied", "enrol_scan"}},
		{"/reset-password", []string{"reset_title_app", "invite_title_app", "policy_length", "policy_length_ok", "reason_short", "err_weak_password", "err_ticket_missing", "password_set"},
			[]string{"new_password", "policy_free", "forgot_sent", "factor_waiting"}},
		{"/account", []string{"account_title_app", "authenticator_OTP", "authenticator_Email", "factor_app_since", "recovery_left", "app_added", "codes_renewed", "codes_copy_failed", "err_conflict", "err_session_ended", "mfa_otp"},
			[]string{"enrol_scan", "codes_hint", "app_intro", "forgot_sent", "policy_length"}},
	} {
		for _, lang := range []string{"en", "de"} {
			resp := get(t, s, tc.path, "lang="+lang, nil)
			texts, _ := pageData(t, resp.Body)["texts"].(map[string]any)
			all := readTexts(t, lang)
			for _, k := range tc.want {
				if texts[k] != all[k] {
					t.Errorf("%s %s: text %s is %v, want %q", tc.path, lang, k, texts[k], all[k])
				}
			}
			for _, k := range tc.not {
				if _, ok := texts[k]; ok {
					t.Errorf("%s %s: the page's data carries %s, which no script of the page reads", tc.path, lang, k)
				}
			}
			// What the data leaves out of the page's own texts, its HTML shows.
			for _, k := range []string{"skip", "languages"} {
				if !strings.Contains(resp.Body, all[k]) {
					t.Errorf("%s %s: the page does not show %s", tc.path, lang, k)
				}
			}
		}
	}
}
