package functions_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// selfServiceMobile is the number grace confirms here: not users-me-patch-mobile.json's, whose code
// the events run leaves waiting within its cooldown.
const (
	selfServiceMobile       = "+31634567890"
	selfServiceMobileMasked = "+31******90"
)

// messagesSince are the messages of now to `to` that are not in before.
func messagesSince(now, before []sent, to string) []sent {
	return slices.DeleteFunc(slices.Clone(now), func(m sent) bool {
		return m.To != to || slices.ContainsFunc(before, func(b sent) bool { return b.ID == m.ID })
	})
}

// testSelfService runs a user's change of their own mobile number through the applications function's
// bootstrap: the new number waits while its code goes out by SNS, a wrong code is counted, the right
// one moves the number and SES carries the notice; removing the number puts grace back as seeded, so
// that the other tests find her without one.
func testSelfService(t *testing.T, g *gateway) {
	me := func(t *testing.T) response {
		t.Helper()
		r := g.invoke(t, readEvent(t, "users-me.json"))
		r.want(t, http.StatusOK, "")
		return r
	}
	confirm := func(t *testing.T, code string) response {
		t.Helper()
		return g.invoke(t, withBody(t, readEvent(t, "users-confirm-mobile.json"), map[string]string{"bindingCode": code}))
	}
	// noticeSince is the one new email to grace; it must name the number masked, if at all.
	noticeSince := func(t *testing.T, before []sent) sent {
		t.Helper()
		_, now := g.backend.sent(t)
		fresh := messagesSince(now, before, graceEmail)
		if len(fresh) != 1 {
			t.Fatalf("want one new email to %s, got %d: %+v", graceEmail, len(fresh), fresh)
		}
		if strings.Contains(fresh[0].Body, selfServiceMobile) || strings.Contains(fresh[0].Body, selfServiceMobile[1:]) {
			t.Errorf("the notice shows the number in full: %q", fresh[0].Body)
		}
		return fresh[0]
	}

	smsBefore, _ := g.backend.sent(t)
	ask := withBody(t, readEvent(t, "users-me-patch-mobile.json"), map[string]string{"mobilePhone": "+31 6 3456 7890"})
	g.invoke(t, ask).want(t, http.StatusNoContent, "")
	smsNow, _ := g.backend.sent(t)
	code := newCode(t, smsNow, smsBefore, selfServiceMobile)

	waiting := me(t)
	if waiting.Body["mobilePhone"] != nil || waiting.Body["pendingMobilePhone"] != selfServiceMobileMasked {
		t.Errorf("GET me while the number waits: %s; want no mobilePhone and pendingMobilePhone %s", waiting.Raw, selfServiceMobileMasked)
	}

	wrong := "111111"
	if code == wrong {
		wrong = "222222"
	}
	r := confirm(t, wrong)
	r.want(t, http.StatusUnauthorized, "invalid_code")
	if n, _ := r.Body["attemptsRemaining"].(float64); n != 4 {
		t.Errorf("attemptsRemaining = %v, want 4 after one wrong code of 5 allowed; body %s", r.Body["attemptsRemaining"], r.Raw)
	}

	_, emailBefore := g.backend.sent(t)
	confirm(t, code).want(t, http.StatusNoContent, "")
	if notice := noticeSince(t, emailBefore); !strings.Contains(notice.Body, selfServiceMobileMasked) {
		t.Errorf("the notice of the confirmed number does not name it masked (%s): %q", selfServiceMobileMasked, notice.Body)
	}
	confirmed := me(t)
	if _, still := confirmed.Body["pendingMobilePhone"]; confirmed.Body["mobilePhone"] != selfServiceMobile || still {
		t.Errorf("GET me after the confirmation: %s; want mobilePhone %s and nothing waiting", confirmed.Raw, selfServiceMobile)
	}
	confirm(t, code).want(t, http.StatusBadRequest, "invalid_request")

	_, emailBefore = g.backend.sent(t)
	remove := withBody(t, readEvent(t, "users-me-patch-mobile.json"), map[string]any{"mobilePhone": nil})
	g.invoke(t, remove).want(t, http.StatusNoContent, "")
	noticeSince(t, emailBefore)
	if r := me(t); r.Body["mobilePhone"] != nil {
		t.Errorf("GET me after removing the number: %s; want mobilePhone null", r.Raw)
	}
}
