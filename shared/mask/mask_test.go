package mask_test

import (
	"testing"
	"unicode/utf8"

	"mfagateway/shared/mask"
)

func TestPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+31612345678", "+31******78"},
		{"+14155552671", "+14******71"},
		{"+442071838750123", "+44******23"}, // longer number, same mask length
		{"+123456", "+12******56"},          // exactly six digits
		{"+12345", "******"},                // too short to reveal anything
		{"+1", "******"},
		{"+", "******"},
		{"", "******"},
		{"abc", "******"},
		{"31612345678", "31******78"},        // no '+' is not invented
		{" +31 6 1234 5678 ", "+31******78"}, // formatting ignored
		{"+٣١٦١٢٣٤٥٦٧٨", "******"},           // non-ASCII digits are not digits here
		{"+31６12345678", "+31******78"},      // stray full-width digit dropped
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := mask.Phone(tt.in); got != tt.want {
				t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sam@example.com", "s***@example.com"},
		{"a@b.c", "a***@b.c"},
		{"émile@example.fr", "é***@example.fr"},
		{"李雷@例子.中国", "李***@例子.中国"},
		{"👩‍💻dev@example.com", "👩***@example.com"},
		{"\"a@b\"@example.com", "\"***@example.com"}, // last '@' splits
		{"@example.com", "***@example.com"},
		{"sam@", "s***@"},
		{"sam", "***"},
		{"", "***"},
		{"\xffam@example.com", "\uFFFD***@example.com"}, // invalid UTF-8 never leaks a partial byte
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := mask.Email(tt.in)
			if got != tt.want {
				t.Errorf("MaskEmail(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("MaskEmail(%q) = %q is not valid UTF-8", tt.in, got)
			}
		})
	}
}
