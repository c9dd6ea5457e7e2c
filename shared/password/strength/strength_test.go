package strength_test

import (
	"strings"
	"testing"
	"time"

	"mfagateway/shared/password/strength"
)

// TestDictionarySize holds the frequency lists to a real dictionary, not a handful of words.
func TestDictionarySize(t *testing.T) {
	if n := strength.DictionarySize(); n < 10_000 {
		t.Errorf("DictionarySize = %d, want at least 10,000", n)
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name, password string
		inputs         []string
		want           string
	}{
		{"a listed password", "1qaz2wsx3edc4rfv", nil, strength.ReasonCommon},
		{"a listed password in capitals", "1QAZ2WSX3EDC4RFV", nil, strength.ReasonCommon},
		{"a listed English word", "interdisciplinary", nil, strength.ReasonCommon},
		{"a word repeated", "monkeymonkeymonkey", nil, strength.ReasonGuessed},
		{"a sequence", "abcdefghijklmnopqrstu", nil, strength.ReasonGuessed},
		// Accepted without the input (the next row): an input is a word tried first.
		{"a user input with a common word", "okaforsunshine", []string{"okafor"}, strength.ReasonGuessed},
		{"the same without the input", "okaforsunshine", nil, ""},
		{"a passphrase", "violet anchor marble tundra", nil, ""},
		{"random", "zq8#Lm2!vR7&xK4", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strength.Judge(tt.password, tt.inputs); got != tt.want {
				t.Errorf("Judge = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestJudgeLongPassword keeps a 1024-byte password from costing zxcvbn's quadratic matching in full.
func TestJudgeLongPassword(t *testing.T) {
	pw := strings.Repeat("zq8#Lm2!vR7&xK4.", 64)
	start := time.Now()
	if got := strength.Judge(pw, []string{"someone@example.com"}); got != "" {
		t.Errorf("Judge = %q, want accepted", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Judge took %v for 1024 bytes", d)
	}
	if got := strength.Judge(strings.Repeat("a", 1024), nil); got != strength.ReasonGuessed {
		t.Errorf("1024 a's: %q, want %q", got, strength.ReasonGuessed)
	}
}
