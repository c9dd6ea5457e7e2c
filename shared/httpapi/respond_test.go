package httpapi_test

import (
	"net/http"
	"testing"

	"mfagateway/shared/httpapi"
)

// TestAnswersEndWithNewline: a JSON answer ends with one newline, so that curl's output ends its line.
func TestAnswersEndWithNewline(t *testing.T) {
	for _, tt := range []struct {
		name string
		resp httpapi.Response
		want string
	}{
		{"no such route", httpapi.NotFound(), `{"code":"not_found","message":"No such route."}` + "\n"},
		{"an error with extras", httpapi.ErrorResponse(&httpapi.Error{Status: http.StatusUnauthorized, Code: httpapi.CodeInvalidCode,
			Message: "The binding code is wrong.", Extra: map[string]any{"attemptsRemaining": 4}}),
			`{"attemptsRemaining":4,"code":"invalid_code","message":"The binding code is wrong."}` + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.resp.Body != tt.want {
				t.Errorf("body %q, want %q", tt.resp.Body, tt.want)
			}
		})
	}
}
