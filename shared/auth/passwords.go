package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrWeakPassword is what every *WeakPasswordError is for errors.Is.
var ErrWeakPassword = errors.New("weak password")

// WeakPasswordError is a new password the policy refuses, with why. Reason is one plain English
// phrase that follows "The password is": "shorter than 15 characters", "among commonly used
// passwords", "built from the email address". It never quotes the password.
type WeakPasswordError struct {
	Reason string
	err    error // ErrPasswordEmpty or ErrPasswordTooLong, for callers that tell those apart
}

func (e *WeakPasswordError) Error() string { return "weak password: " + e.Reason }

// Is makes the error match ErrWeakPassword.
func (e *WeakPasswordError) Is(target error) bool { return target == ErrWeakPassword }

func (e *WeakPasswordError) Unwrap() error { return e.err }

// MinPasswordLength is the lowest PASSWORD_MIN_LENGTH accepted: NIST SP 800-63B-4's floor for a
// password used alone. Its floor with a second factor is 8, but MFA is a per-application switch, so any
// password may end up as its user's only factor.
const MinPasswordLength = 15

// Guessable judges a password against lists of common and breached passwords and a guess estimate,
// with userInputs (the email, its parts, the application names) as words an attacker would try first.
// It returns "" for a password that is hard to guess, or the reason it is not, worded as a
// WeakPasswordError's Reason. It is a port because its dictionaries weigh megabytes and take tens of
// milliseconds to load: only the programs that set passwords link them (shared/password/strength).
type Guessable func(password string, userInputs []string) (reason string)

// PasswordPolicy is the one rule for a new password, wherever one is set: at least MinLength
// characters (Unicode code points), at most MaxPasswordBytes, no composition rules, not blank, not
// built from the user's email or application names, and not guessable. Existing passwords are never
// checked against it: a login only verifies the hash.
type PasswordPolicy struct {
	MinLength int // PASSWORD_MIN_LENGTH; 0 means DefaultPolicy's
	Guessable Guessable
}

// ErrNoPasswordRule is a program that sets passwords without the Guessable port: a wiring fault, not
// the caller's, so that no door can set a password under a weaker rule than the others.
var ErrNoPasswordRule = errors.New("password policy has no Guessable rule")

// Check applies the policy to a new password of the user with email, a member of the applications
// named appNames. The error is a *WeakPasswordError, or ErrNoPasswordRule.
func (p PasswordPolicy) Check(pw, email string, appNames ...string) error {
	minLength := cmp.Or(p.MinLength, DefaultPolicy.PasswordMinLength)
	switch {
	case len(pw) > MaxPasswordBytes: // first, so that nothing below reads a pasted file
		return &WeakPasswordError{Reason: fmt.Sprintf("longer than %d bytes", MaxPasswordBytes), err: ErrPasswordTooLong}
	case strings.TrimSpace(pw) == "":
		return &WeakPasswordError{Reason: "empty or only spaces", err: ErrPasswordEmpty}
	case utf8.RuneCountInString(pw) < minLength:
		// NIST counts characters, and a character is a code point: "pässwörd" is 8 of them, not 10 bytes.
		return &WeakPasswordError{Reason: fmt.Sprintf("shorter than %d characters", minLength)}
	}
	emailWords, appWords := contextWords(emailParts(email)...), contextWords(appNames...)
	switch {
	case builtFrom(pw, emailWords):
		return &WeakPasswordError{Reason: "built from the email address"}
	case builtFrom(pw, appWords):
		return &WeakPasswordError{Reason: "built from the application name"}
	}
	if p.Guessable == nil {
		return ErrNoPasswordRule
	}
	inputs := append(append(emailParts(email), appNames...), append(emailWords, appWords...)...)
	if reason := p.Guessable(pw, inputs); reason != "" {
		return &WeakPasswordError{Reason: reason}
	}
	return nil
}

// minContextWord is the fewest letters a word of the email or an application name has to have to
// count: "nl" or "co" in a domain would otherwise make half of all passwords "built from" it.
const minContextWord = 3

// emailParts are the email, its local part and each label of its domain.
func emailParts(email string) []string {
	email = NormalizeEmail(email)
	if email == "" {
		return nil
	}
	local, domain, _ := strings.Cut(email, "@")
	return append([]string{email, local}, strings.Split(domain, ".")...)
}

// letters is s case-folded with everything but letters left out: separators, digits, symbols and
// spaces are what people add around a word to pass a rule, so they do not make it another word.
func letters(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// contextWords are the words a password must not be built from: the letters of each input as a whole
// (adalovelace of ada.lovelace) and of each run of letters in it (ada, lovelace), each of at least
// minContextWord letters, longest first.
func contextWords(inputs ...string) []string {
	var words []string
	add := func(w string) {
		if utf8.RuneCountInString(w) >= minContextWord && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	for _, in := range inputs {
		add(letters(in))
		for _, f := range strings.FieldsFunc(in, func(r rune) bool { return !unicode.IsLetter(r) }) {
			add(letters(f))
		}
	}
	slices.SortStableFunc(words, func(a, b string) int { return len(b) - len(a) })
	return words
}

// builtFrom reports whether a password is built from words. Its letters (case-folded, all else left
// out) are taken: it is built from them when those letters, at least minContextWord of them, lie
// within one of the words, or when the words, cut out of them wherever they occur (longest first),
// leave less than half of them. "Ada.Lovelace2024!" and "lovelace-lovelace" are built from
// ada.lovelace@example.com; "ada-purple-tractor-17" is not (ada is 3 of its 16 letters). A password
// mostly of other characters is not built from words ("48#19!72@ers&63%" is not built from
// "university", whatever its three letters): the guess estimate judges it instead.
func builtFrom(pw string, words []string) bool {
	core := letters(pw)
	n := utf8.RuneCountInString(core)
	if n == 0 || len(words) == 0 || 2*n < utf8.RuneCountInString(pw) {
		return false
	}
	rest := core
	for _, w := range words {
		if n >= minContextWord && strings.Contains(w, core) {
			return true
		}
		rest = strings.ReplaceAll(rest, w, "")
	}
	return 2*utf8.RuneCountInString(rest) < n
}

// CheckNewPassword applies the policy to a new password of u, with the names of u's applications (an
// application that no longer exists has no name to refuse). Every operation that sets a password
// calls it before hashing.
func (s *Users) CheckNewPassword(ctx context.Context, u User, pw string) error {
	var names []string
	for _, id := range u.Applications {
		app, err := s.d.Store.GetApplication(ctx, id)
		switch {
		case err == nil:
			names = append(names, app.Name)
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("read application %s for the password policy: %w", id, err)
		}
	}
	return s.d.Passwords.Check(pw, u.Email, names...)
}
