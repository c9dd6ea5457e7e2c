package strength_test

import (
	"strings"
	"testing"

	"mfagateway/shared/password/strength"
)

// TestJudgeUTF8: text that is not UTF-8 has a reason of its own, not "easy to guess"; a long password
// of four-byte characters (zxcvbn reads its first 100 bytes, cut at a character) is judged like any.
func TestJudgeUTF8(t *testing.T) {
	if got := strength.Judge("violet anchor \xff marble tundra", nil); got != strength.ReasonNotUTF8 {
		t.Errorf("invalid UTF-8: reason %q, want %q", got, strength.ReasonNotUTF8)
	}
	if got := strength.Judge(strings.Repeat("😀🂡𝄞", 340), nil); got == strength.ReasonNotUTF8 {
		t.Errorf("1020 four-byte characters: refused as not UTF-8")
	}
}
