package main

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"mfagateway/shared/httpapi"
)

// cors plays API Gateway's CORS configuration for browser clients on other origins
// (CORS_ALLOWED_ORIGINS, as the template's CorsAllowedOrigins): with origins configured it answers
// every preflight itself, 204, and adds the CORS headers to the preflights and answers of an allowed
// Origin only; an Origin it does not allow gets nothing extra, so the browser refuses. With none
// configured it does nothing, and an OPTIONS request is a route like any other (none exists).
type cors struct {
	origins []string // nil: no CORS
}

func (c cors) allowed(origin string) (string, bool) {
	if origin == "" || len(c.origins) == 0 {
		return "", false
	}
	if slices.Contains(c.origins, httpapi.CORSWildcard) {
		return httpapi.CORSWildcard, true
	}
	return origin, slices.Contains(c.origins, origin)
}

// preflight answers a CORS preflight request and reports whether r was one.
func (c cors) preflight(w http.ResponseWriter, r *http.Request) bool {
	if len(c.origins) == 0 || r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	if origin, ok := c.allowed(r.Header.Get("Origin")); ok {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", strings.Join(httpapi.CORSAllowMethods(), ","))
		h.Set("Access-Control-Allow-Headers", strings.Join(httpapi.CORSAllowHeaders(), ","))
		h.Set("Access-Control-Max-Age", strconv.Itoa(httpapi.CORSMaxAge))
		h.Set("Vary", "Origin")
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// annotate adds to an answer the headers that let a browser on an allowed Origin read it.
func (c cors) annotate(h http.Header, r *http.Request) {
	if origin, ok := c.allowed(r.Header.Get("Origin")); ok {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", strings.Join(httpapi.CORSExposeHeaders(), ","))
		h.Set("Vary", "Origin")
	}
}
