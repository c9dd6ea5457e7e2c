package auth

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// MaxAllowedOrigins bounds an application's allowedOrigins: a handful of sites, never a catalogue.
const MaxAllowedOrigins = 20

// CheckAllowedOrigins reads an application's allowedOrigins: each an origin as a browser writes it,
// https:// (or http://, for a developer's own machine) and a host with an optional port, no path,
// query, fragment, user or wildcard; none twice. It returns them as browsers compare them, lower case
// and without a default port (https://app.example.com:443/ is https://app.example.com). nil or empty
// is none: the hosted login page then hands a token to no other site.
func CheckAllowedOrigins(list []string) ([]string, error) {
	if len(list) > MaxAllowedOrigins {
		return nil, &PropertyError{"allowedOrigins", fmt.Sprintf("has %d origins; at most %d are allowed.", len(list), MaxAllowedOrigins)}
	}
	out := make([]string, 0, len(list))
	for _, raw := range list {
		origin, ok := origin(raw)
		if !ok {
			return nil, &PropertyError{"allowedOrigins", fmt.Sprintf("has %q; each must be an origin such as https://app.example.com.", clip(raw))}
		}
		if slices.Contains(out, origin) {
			return nil, &PropertyError{"allowedOrigins", fmt.Sprintf("names %s twice.", origin)}
		}
		out = append(out, origin)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// origin is raw as a browser's Origin: scheme://host[:port], lower case, no default port.
func origin(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "*?# \t") {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.ContainsFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':')
	}) {
		return "", false
	}
	if strings.Contains(host, ":") { // an IPv6 literal keeps its brackets
		host = "[" + host + "]"
	}
	port := u.Port()
	if port == "" && strings.HasSuffix(u.Host, ":") || (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		if len(port) > 5 || strings.TrimLeft(port, "0123456789") != "" {
			return "", false
		}
		host += ":" + port
	}
	return u.Scheme + "://" + host, true
}
