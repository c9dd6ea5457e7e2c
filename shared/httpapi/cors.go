package httpapi

import (
	"fmt"
	"regexp"
	"strings"
)

// The cross-origin policy for browser clients of the API on other origins: template.yaml's
// CorsConfiguration of the Api (its origins from the CorsAllowedOrigins parameter) and the local
// gateway's CORS_ALLOWED_ORIGINS say the same, and the tests hold both to these facts. The hosted
// pages need none: they are served from the API's own origin. Credentials (cookies) are never allowed,
// with a wildcard or without: the API reads tokens from headers only, so a browser client sends
// Authorization and appId, or ClientId and ClientSecret, as listed here.

// CORSAllowHeaders are the request headers a cross-origin client may send.
func CORSAllowHeaders() []string {
	return []string{"authorization", "content-type", "appid", "clientid", "clientsecret", "prefer"}
}

// CORSAllowMethods are the methods of the route table, which a cross-origin client may use.
func CORSAllowMethods() []string {
	return []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
}

// CORSExposeHeaders are the response headers a cross-origin client may read besides the safelisted
// ones: how long a 429 or 503 wants it to wait.
func CORSExposeHeaders() []string { return []string{"retry-after"} }

// CORSMaxAge is how long, in seconds, a browser may keep a preflight's answer.
const CORSMaxAge = 600

// CORSWildcard allows every origin (without credentials, as always).
const CORSWildcard = "*"

// CORSOriginsPattern is what a list of allowed origins looks like: empty (no cross-origin access),
// "*" alone (any origin), or origins scheme://host[:port], http or https, in lower case as browsers
// send them, without path, separated by commas. template.yaml's CorsAllowedOrigins has it as its
// AllowedPattern.
const CORSOriginsPattern = `^$|^\*$|^https?://[a-z0-9.-]+(:[0-9]{1,5})?(,https?://[a-z0-9.-]+(:[0-9]{1,5})?)*$`

var corsOrigins = regexp.MustCompile(CORSOriginsPattern)

// ParseCORSOrigins reads a list of allowed origins (CORSOriginsPattern): nil for an empty one.
func ParseCORSOrigins(list string) ([]string, error) {
	if !corsOrigins.MatchString(list) {
		return nil, fmt.Errorf("%q is not a comma-separated list of origins such as https://app.example.com,http://localhost:8080 (lower case, no path, no spaces), nor * alone", list)
	}
	if list == "" {
		return nil, nil
	}
	return strings.Split(list, ","), nil
}
