package httpapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Property names match fields regardless of letter case, as encoding/json matches them (and as the
// platform's binding does). A body that gives one name twice in an object, in any spelling, is
// ambiguous: encoding/json takes the last, another reader may take the first. Such a body is refused.

// ambiguousName refuses the body b when one of its objects, at any depth, gives a property name that
// matches an earlier one of the same object. b has already been decoded, so it is valid JSON; the
// scan is one pass with one set per object, linear in the size of the body.
func ambiguousName(b []byte) *Error {
	if name, ok := repeatedName(b); ok {
		return invalid("Property %s is given more than once (property names match regardless of letter case).", quoteName(name))
	}
	return nil
}

// scope is an open object or array of the scan.
type scope struct {
	names  map[string]struct{} // the folded names seen so far; nil for an array
	atName bool                // in an object, the next token is a name (or the closing brace)
}

// repeatedName returns the first property name of the first JSON value in b that repeats a name of
// its object, names compared as foldName compares them.
func repeatedName(b []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers are only skipped: no float parsing
	var stack []scope
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if top := len(stack) - 1; top >= 0 && stack[top].names != nil {
			s := &stack[top]
			if name, isName := tok.(string); isName && s.atName {
				folded := foldName(name)
				if _, seen := s.names[folded]; seen {
					return name, true
				}
				s.names[folded] = struct{}{}
				s.atName = false
				continue
			}
			// A value (whatever it holds, the next token of this object after it is a name), or the end.
			s.atName = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, scope{names: map[string]struct{}{}, atName: true})
		case json.Delim('['):
			stack = append(stack, scope{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			return "", false
		}
	}
}

// foldName folds a property name as encoding/json does to match it to a field (its fold.go): ASCII
// letters to upper case, any other rune to the smallest rune of its Unicode simple-folding orbit, so
// that the Kelvin sign "K" matches "k" and the long s "ſ" matches "s". Two names match exactly when
// their folds are equal (as bytes.EqualFold would say). The name is already unquoted, escapes and all.
func foldName(name string) string {
	out := make([]byte, 0, len(name))
	for i := 0; i < len(name); {
		if c := name[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(name[i:])
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	return string(out)
}

func foldRune(r rune) rune {
	for {
		next := unicode.SimpleFold(r)
		if next <= r {
			return next
		}
		r = next
	}
}

// maxNameEcho bounds how much of a client's property name an answer repeats.
const maxNameEcho = 64

// quoteName quotes a property name for a message, shortened to maxNameEcho bytes on a rune boundary.
func quoteName(name string) string {
	if len(name) > maxNameEcho {
		cut := maxNameEcho
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		return strconv.Quote(name[:cut]) + "…"
	}
	return strconv.Quote(name)
}
