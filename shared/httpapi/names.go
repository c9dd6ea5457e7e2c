package httpapi

import (
	"encoding/json"
	"strconv"
	"strings"
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
	atName bool                // in an object, the next string is a name
}

// repeatedName returns the first property name of the first JSON value in b that repeats a name of
// its object, names compared as foldName compares them. b must be valid JSON: the scan only finds
// where names and values begin.
func repeatedName(b []byte) (string, bool) {
	var stack []scope
	// value marks the start of a value in the innermost object: the next string there is a name.
	value := func() {
		if n := len(stack); n > 0 && stack[n-1].names != nil {
			stack[n-1].atName = true
		}
	}
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '{' || c == '[':
			value()
			s := scope{}
			if c == '{' {
				s = scope{names: map[string]struct{}{}, atName: true}
			}
			stack = append(stack, s)
			i++
		case c == '}' || c == ']':
			stack = stack[:len(stack)-1]
			i++
		case c == '"':
			end := stringEnd(b, i)
			if n := len(stack); n > 0 && stack[n-1].names != nil && stack[n-1].atName {
				s := &stack[n-1]
				name := unquote(b[i:end])
				folded := foldName(name)
				if _, seen := s.names[folded]; seen {
					return name, true
				}
				s.names[folded] = struct{}{}
				s.atName = false
			} else {
				value()
			}
			i = end
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == ',':
			i++
			continue
		default: // a number, true, false or null
			for i < len(b) && !strings.ContainsRune(" \t\n\r,]}", rune(b[i])) {
				i++
			}
			value()
		}
		if len(stack) == 0 {
			return "", false
		}
	}
	return "", false
}

// stringEnd is the index just past the JSON string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// unquote decodes a JSON string exactly as encoding/json decodes a property name: escapes, surrogate
// pairs, invalid UTF-8 replaced.
func unquote(quoted []byte) string {
	plain := true
	for _, c := range quoted {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return string(quoted[1 : len(quoted)-1])
	}
	var s string
	_ = json.Unmarshal(quoted, &s)
	return s
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
