package docs_test

import (
	"strconv"
	"strings"
	"testing"

	"mfagateway/shared/auth"
)

// TestUserApplicationsLimitDocumented holds the "user applications" row of the limits table to the
// bound the users service keeps, so that neither changes alone.
func TestUserApplicationsLimitDocumented(t *testing.T) {
	tb := tableUnder(t, apiDoc, "Limits")
	for _, r := range tb.rows {
		if tb.column(t, r, "what") != "user applications" {
			continue
		}
		want := strconv.Itoa(auth.MaxUserApplications) + " appIds per user (`MaxUserApplications`)"
		if got := tb.column(t, r, "limit"); !strings.HasPrefix(got, want) {
			t.Errorf("%s:%d: limit %q, want it to start %q", apiDoc, r.line, got, want)
		}
		return
	}
	t.Errorf("%s: the limits table has no row \"user applications\"", apiDoc)
}
