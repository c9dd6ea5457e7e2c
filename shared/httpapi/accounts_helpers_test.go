package httpapi_test

// What the account lifecycle tests share: the account function's routes called as API Gateway calls
// them (public, or behind the verdict the real authorizer gives a real token), the tickets and codes
// read from the outbox, and the secrets a test saw, which the log must never hold.

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/notify"
)

// The account function's routes, as their rows first spell them.
const (
	routeInvite         = "POST /odata/users/invite"
	routeForgotPassword = "POST /odata/users/forgotPassword"
	routeChangePassword = "POST /odata/users/changePassword"
	routeUpdatePassword = "POST /odata/users/updatePassword"
	routeResetPassword  = "POST /odata/users/resetPassword"
)

// Passwords the policy takes for the users of these tests.
const (
	goodPassword  = "copper-lantern-meadow-42"
	otherPassword = "violet-harbor-tundra-77"
	thirdPassword = "granite-orchid-saddle-19"
)

// callAccount sends body to the account function's route as API Gateway would, with the authorizer's
// verdict for a protected route (nil for a public one), and decodes the answer: an OData error's inner
// object, a success as it is. No input here is our fault: a 5xx fails the test.
func (e *apiEnv) callAccount(t *testing.T, routeKey string, verdict map[string]any, headers map[string]string, body string) answer {
	t.Helper()
	req := event(routeKey, headers, body)
	if verdict != nil {
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: verdict}
	}
	resp, err := e.routers[httpapi.AccountFunction].Serve(e.Ctx, req)
	if err != nil {
		t.Fatalf("%s: handler error (API Gateway would answer 500): %v", routeKey, err)
	}
	a := answer{Status: resp.StatusCode, Headers: resp.Headers, Raw: resp.Body}
	if resp.Body != "" {
		dec := json.NewDecoder(strings.NewReader(resp.Body))
		dec.UseNumber()
		if err := dec.Decode(&a.Body); err != nil {
			t.Fatalf("%s: body %q is not a JSON object: %v", routeKey, resp.Body, err)
		}
	}
	if a.Status >= 500 {
		t.Errorf("%s: %d %s for client input", routeKey, a.Status, a.Raw)
	}
	if _, nested := a.Body["error"]; nested {
		a = odataAnswer(t, a)
	}
	return a
}

// verdictOfToken is what the authorizer hands the functions for a bearer token of appID; it fails the
// test when the token is refused.
func (e *apiEnv) verdictOfToken(t *testing.T, bearer, appID string) map[string]any {
	t.Helper()
	v := e.verdictOrRefusal(t, bearer, appID)
	if v["valid"] != true {
		t.Fatalf("the authorizer refused a token that should be good: %v", v)
	}
	return v
}

func (e *apiEnv) verdictOrRefusal(t *testing.T, bearer, appID string) map[string]any {
	t.Helper()
	resp, err := e.Authorizer().Handle(e.Ctx, httpapi.AuthorizerRequest{Headers: map[string]string{
		"authorization": "Bearer " + bearer, "appid": appID}})
	if err != nil {
		t.Fatalf("authorizer: %v", err)
	}
	return resp.Context
}

// me is GET /api/auth/me with the bearer token, through the authorizer and the login function.
func (e *apiEnv) me(t *testing.T, bearer, appID string) answer {
	t.Helper()
	req := event(httpapi.RouteMe, map[string]string{"authorization": "Bearer " + bearer, "appid": appID}, "")
	req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: e.verdictOrRefusal(t, bearer, appID)}
	return e.serve(t, req)
}

// tokenOf logs in to an application with MFA off and returns the auth token.
func (e *apiEnv) tokenOf(t *testing.T, email, pw, appID string) string {
	t.Helper()
	a := e.login(t, appHeader(appID), loginBody(email, pw))
	if a.Status != http.StatusOK {
		t.Fatalf("login of %s: %d %s, want 200", email, a.Status, a.Raw)
	}
	return str(t, a.Body, "token")
}

// inviteBody is an invitation of a user with email and name to the applications.
func inviteBody(email, name string, apps ...string) string {
	u := map[string]any{"email": email, "name": name}
	if apps != nil {
		u["applications"] = apps
	}
	return jsonOf(map[string]any{"user": u})
}

// invite asks the account function, as an admin, to invite a user; it wants 201.
func (e *apiEnv) invite(t *testing.T, body string) answer {
	t.Helper()
	a := e.callAccount(t, routeInvite, e.admin(), nil, body)
	if a.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s, want 201", a.Status, a.Raw)
	}
	return a
}

// forgot is a forgotPassword for email on the application with url; it wants 200 {}.
func (e *apiEnv) forgot(t *testing.T, email, url string) answer {
	t.Helper()
	a := e.callAccount(t, routeForgotPassword, nil, nil, jsonOf(map[string]any{"email": email, "url": url}))
	if a.Status != http.StatusOK || a.Raw != "{}\n" {
		t.Fatalf("forgotPassword %s: %d %q, want 200 {}", email, a.Status, a.Raw)
	}
	return a
}

// changePassword sets pw with the ticket in the body.
func (e *apiEnv) changePassword(t *testing.T, ticket, pw string, headers map[string]string) answer {
	t.Helper()
	return e.callAccount(t, routeChangePassword, nil, headers, jsonOf(map[string]any{"password": pw, "ticket": ticket}))
}

// ticketLink matches the ticket in a link of an invitation or reset email.
var ticketLink = regexp.MustCompile(`https://([^/\s]+)/(accept-invite|reset-password)\?ticket=([A-Za-z0-9_-]+)`)

// mailedTicket is the newest email to the address, which must carry a ticket link: the ticket, the
// host and the page the link opens.
func (e *apiEnv) mailedTicket(t *testing.T, to string) (ticket, host, page string) {
	t.Helper()
	mails := e.emailsTo(to)
	if len(mails) == 0 {
		t.Fatalf("no email to %s", to)
	}
	m := ticketLink.FindStringSubmatch(mails[len(mails)-1].Body)
	if m == nil {
		t.Fatalf("the newest email to %s holds no ticket link: %q", to, mails[len(mails)-1].Body)
	}
	if len(m[3]) != auth.TicketLen {
		t.Errorf("ticket %d characters long, want %d", len(m[3]), auth.TicketLen)
	}
	return m[3], m[1], m[2]
}

// emailsTo are the outbox's emails to the address, oldest first.
func (e *apiEnv) emailsTo(to string) []notify.Entry {
	var out []notify.Entry
	for _, m := range e.Outbox.Entries() {
		if m.Channel == "Email" && m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// ticketsTo counts the outbox's emails to the address that carry a ticket link.
func (e *apiEnv) ticketsTo(to string) int {
	n := 0
	for _, m := range e.emailsTo(to) {
		if ticketLink.MatchString(m.Body) {
			n++
		}
	}
	return n
}

// userItem is the stored user with the email (its item by email); nil when there is none.
func (e *apiEnv) userItem(t *testing.T, email string) map[string]types.AttributeValue {
	t.Helper()
	return e.Item(t, "USER#"+email)
}

// attrN is a number attribute of an item, "" when absent.
func attrN(item map[string]types.AttributeValue, name string) string {
	if n, ok := item[name].(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}

// secrets collects what a test saw that is a secret: passwords, tickets, codes, tokens.
type secrets []string

func (s *secrets) add(v ...string) { *s = append(*s, v...) }

// wantNoSecretsLogged fails the test when the log holds a secret, in full or the random part of a
// ticket, or a binding code as a word of its own.
func (e *apiEnv) wantNoSecretsLogged(t *testing.T, seen secrets) {
	t.Helper()
	logs := e.Logs.String()
	if logs == "" {
		t.Fatal("the log is empty: nothing to check")
	}
	for _, s := range seen {
		pieces := []string{s}
		if len(s) == auth.TicketLen {
			pieces = append(pieces, s[len(s)-43:], s[len(s)-43:len(s)-20]) // the random part, and a piece of it
		}
		for _, p := range pieces {
			if len(p) == 6 && strings.Trim(p, "0123456789") == "" {
				if regexp.MustCompile(`\b` + p + `\b`).MatchString(logs) {
					t.Errorf("the log holds the binding code %s", p)
				}
				continue
			}
			if strings.Contains(logs, p) {
				t.Errorf("the log holds the secret %.12s…", p)
			}
		}
	}
}
