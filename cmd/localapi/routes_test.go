package main

import (
	"net/http"
	"strings"
	"testing"

	"mfagateway/shared/httpapi"
)

// TestLocalServesTheTable walks every spelling of every row of httpapi's route table through the local
// gateway: a public row reaches its function, a protected one is refused by the gateway without a token
// and reaches its function, through the authorizer, with one.
func TestLocalServesTheTable(t *testing.T) {
	s := startLocal(t, "", nil)
	for _, r := range httpapi.Routes() {
		for _, spelling := range r.Paths {
			path := strings.ReplaceAll(spelling, "{appId}", demoPlain)
			if r.Method == http.MethodDelete { // an unknown application: the rows after still need demoPlain
				path = strings.ReplaceAll(spelling, "{appId}", "00000000-0000-4000-8000-000000000000")
			}
			t.Run(r.Method+" "+spelling, func(t *testing.T) {
				if r.Page() {
					checkLocalPage(t, s, r, spelling)
					return
				}
				status, body := s.call(t, r.Method, path, "", "", "{}")
				if !r.Protected() {
					// Every public handler refuses an empty object, before its service.
					if code, _ := errorAt(path, body); status != http.StatusBadRequest || code != "invalid_request" {
						t.Fatalf("public route: %d %v, want its function's 400 invalid_request", status, body)
					}
					return
				}
				// The authorizer has no identity sources, so it runs, and the function answers 401.
				if code, _ := errorAt(path, body); status != http.StatusUnauthorized || code != "invalid_token" {
					t.Fatalf("no token: %d %v, want the function's 401 invalid_token", status, body)
				}
				// A fresh token each time: the logout row revokes the one it is given.
				loginStatus, login := s.loginStatus(t, "ada@example.com", "ada-demo-password-1", demoPlain)
				if loginStatus != http.StatusOK {
					t.Fatalf("admin login: %d %v", loginStatus, login)
				}
				status, body = s.call(t, r.Method, path, login["token"].(string), demoPlain, "{}")
				code, msg := errorAt(path, body)
				switch {
				case status == http.StatusNotFound && msg == "No such route.":
					t.Fatalf("with a token: %d %v, the function does not serve the route", status, body)
				case status == http.StatusUnauthorized, status == http.StatusForbidden && code == "":
					t.Fatalf("with a token: %d %v, refused before the function", status, body)
				case status >= 500:
					t.Fatalf("with a token: %d %v", status, body)
				}
			})
		}
	}
}
