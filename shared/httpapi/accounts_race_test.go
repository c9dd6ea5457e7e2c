package httpapi_test

// One ticket, two changePassword requests at once, against the embedded engine: the ticket sets one
// password and answers one login, however the requests interleave.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/testenv"
)

func TestChangePasswordRace(t *testing.T) {
	// Latency on every request makes both requests read the live ticket before either writes.
	latent := func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, roundtrip.Latency(5*time.Millisecond)) }
	e := newAPIEnv(t, testenv.WithClientOptions(latent))
	serve := e.routers[httpapi.AccountFunction].Serve
	passwords := [2]string{goodPassword, otherPassword}

	for round := range 8 {
		app, won := demoPlain, http.StatusOK
		if round%2 == 1 {
			app, won = demoMFA, http.StatusForbidden
		}
		email := fmt.Sprintf("racer%d@example.com", round)
		id := str(t, e.invite(t, inviteBody(email, "Racer", app)).Body, "id")
		ticket, _, _ := e.mailedTicket(t, email)

		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			answers [2]httpapi.Response
			errs    [2]error
		)
		for i := range 2 {
			wg.Go(func() {
				<-start
				req := event(routeChangePassword, nil, jsonOf(map[string]any{"password": passwords[i], "ticket": ticket}))
				answers[i], errs[i] = serve(context.Background(), req)
			})
		}
		close(start)
		wg.Wait()

		winner := -1
		for i, resp := range answers {
			if errs[i] != nil {
				t.Fatalf("round %d: handler error %v", round, errs[i])
			}
			var body map[string]any
			_ = json.Unmarshal([]byte(resp.Body), &body)
			switch inner, _ := body["error"].(map[string]any); {
			case resp.StatusCode == won && inner == nil:
				if winner >= 0 {
					t.Errorf("round %d: both requests set the password", round)
				}
				winner = i
			case resp.StatusCode == http.StatusUnauthorized && inner["code"] == httpapi.CodeInvalidTicket:
			default:
				t.Errorf("round %d: %d %s, want %d or 401 invalid_ticket", round, resp.StatusCode, resp.Body, won)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no request set the password: %d %s / %d %s", round,
				answers[0].StatusCode, answers[0].Body, answers[1].StatusCode, answers[1].Body)
		}
		hash := attrS(e.userItem(t, email), "passwordHash")
		for i, pw := range passwords {
			if ok, _ := e.Hasher.Verify(pw, hash); ok != (i == winner) {
				t.Errorf("round %d: the stored hash verifies %q: %v; want only the winner's password", round, pw, ok)
			}
		}
		if got := attrS(e.Item(t, "USERID#"+id), "passwordHash"); got != hash {
			t.Errorf("round %d: the user's copy by id holds another hash", round)
		}
		// One login's worth of answer: one token or one challenge for the user.
		issued := 0
		for _, it := range e.Items(t, "") {
			if pk := attrS(it, "pk"); attrS(it, "userId") == id && (strings.HasPrefix(pk, "TOKEN#") || strings.HasPrefix(pk, "MFA#")) {
				issued++
			}
		}
		if issued != 1 {
			t.Errorf("round %d: %d tokens and challenges for the user, want 1", round, issued)
		}
	}
}
