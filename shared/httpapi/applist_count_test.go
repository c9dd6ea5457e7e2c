package httpapi_test

import (
	"net/http"
	"testing"
)

// TestApplicationsCountAlone: $top=0&$count=true answers the count with no entities and no nextLink
// (a link to a page of none would point at itself).
func TestApplicationsCountAlone(t *testing.T) {
	e, names := listEnv(t)
	status, body, raw := e.callApps(t, http.MethodGet, "/odata/Applications?$top=0&$count=true", true)
	if status != http.StatusOK {
		t.Fatalf("%d %s, want 200", status, raw)
	}
	if v, _ := body["value"].([]any); v == nil || len(v) != 0 {
		t.Errorf("value %v, want an empty list", body["value"])
	}
	if n, _ := body["@odata.count"].(float64); int(n) != len(names) {
		t.Errorf("@odata.count %v, want %d", body["@odata.count"], len(names))
	}
	if link, ok := body["@odata.nextLink"]; ok {
		t.Errorf("@odata.nextLink %v on a page of none", link)
	}
}
