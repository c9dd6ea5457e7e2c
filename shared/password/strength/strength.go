// Package strength judges how easy a new password is to guess, with the dictionaries and the guess
// estimate of zxcvbn (github.com/trustelem/zxcvbn, a port of Dropbox's). It is the auth.Guessable
// port of the programs that set passwords; the functions that only log users in do not link it, since
// its dictionaries weigh about ten megabytes in memory and take tens of milliseconds to load.
package strength

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/frequency"
)

// MinScore is the lowest zxcvbn score accepted. zxcvbn scores 3 from 10^8 estimated guesses ("safely
// unguessable: modest protection from offline attacks" in its own words) and 4 from 10^10. Online,
// the login's backoff already makes 10^8 guesses out of reach; 3 is chosen for the day a table copy
// leaks, when only the argon2id cost slows an attacker and a password of score 2 (at most 10^8
// guesses, a few common words or a word with digits) would fall within days on one GPU. 4 would also
// refuse many long passphrases of ordinary words that NIST wants accepted.
const MinScore = 3

// maxJudged is how many bytes of a password zxcvbn reads (cut at a character boundary): its matching
// works on bytes and grows with the square of the length (1024 take half a minute), so the bound is in
// bytes, whatever the characters. A password whose start is hard to guess is no easier as a whole,
// and one whose start is easy is refused, as zxcvbn's authors advise. The dictionaries are looked up
// with the whole password.
const maxJudged = 100

// ReasonNotUTF8 is the refusal of a password that is not valid UTF-8, which zxcvbn would score 0.
const ReasonNotUTF8 = "not valid UTF-8 text"

// Reasons, worded to follow "The password is".
const (
	ReasonCommon  = "among commonly used passwords"
	ReasonGuessed = "easy to guess: common words, names, dates, repeats or keyboard patterns make up most of it"
)

// common is every entry of zxcvbn's frequency lists (common passwords, English words, names,
// surnames, film and TV words), case-folded, built on first use.
var common = sync.OnceValue(func() map[string]struct{} {
	set := map[string]struct{}{}
	for _, list := range frequency.FrequencyLists {
		for _, w := range list {
			set[strings.ToLower(w)] = struct{}{}
		}
	}
	return set
})

// DictionarySize is how many distinct case-folded entries the frequency lists hold.
func DictionarySize() int { return len(common()) }

// Judge is an auth.Guessable: "" for a password that is hard to guess, or the reason it is not. A
// password is refused when, case-folded, it is an entry of the frequency lists, or when zxcvbn, told
// the userInputs, scores it below MinScore.
func Judge(password string, userInputs []string) string {
	if _, ok := common()[strings.ToLower(password)]; ok {
		return ReasonCommon
	}
	if !utf8.ValidString(password) {
		return ReasonNotUTF8
	}
	if zxcvbn.PasswordStrength(firstBytes(password, maxJudged), userInputs).Score < MinScore {
		return ReasonGuessed
	}
	return ""
}

// firstBytes is s cut to at most n bytes, at the start of a character.
func firstBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
