package main

import (
	"strings"
	"testing"
	"time"
)

// TestCapacity: the section works the sizes and the cost out of the measured hash, and says so when
// there is none.
func TestCapacity(t *testing.T) {
	got := capacity([]time.Duration{30 * time.Millisecond, 34 * time.Millisecond, 32 * time.Millisecond})
	for _, want := range []string{"| 512 MB | 0.29 |", "| 1024 MB | 0.58 |", "| 1769 MB | 1.00 |", "**login and account functions get 1024 MB**", "Cost per million logins"} {
		if !strings.Contains(got, want) {
			t.Errorf("capacity lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(capacity(nil), "Not worked out") {
		t.Error("capacity without a measured hash does not say so")
	}
}
