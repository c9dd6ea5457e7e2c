package httpapi_test

// The language of the account emails: the user's cultureInfo, else the application's, else English.

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// subjectsTo are the subjects of the outbox's emails to the address, oldest first.
func (e *apiEnv) subjectsTo(to string) []string {
	var out []string
	for _, m := range e.emailsTo(to) {
		out = append(out, m.Subject)
	}
	return out
}

// storeCulture writes a cultureInfo on a user's two items behind the API's back, as a user stored by
// an older version or another tool may hold one the API would refuse.
func (e *apiEnv) storeCulture(t *testing.T, email, userID, culture string) {
	t.Helper()
	for _, pk := range []string{"USER#" + email, "USERID#" + userID} {
		_, err := e.Raw.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
			TableName: &e.Table, Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}},
			UpdateExpression:          aws.String("SET cultureInfo = :c"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: culture}},
		})
		if err != nil {
			t.Fatalf("set cultureInfo on %s: %v", pk, err)
		}
	}
}

func TestAccountEmailLanguages(t *testing.T) {
	// The invitation, the notification of the password set, and a reset, for a user of Demo (MFA off).
	lifecycle := func(t *testing.T, e *apiEnv, email, culture string) []string {
		t.Helper()
		body := `{"user": {"email": "` + email + `", "name": "Lang", "applications": ["` + demoPlain + `"]`
		if culture != "" {
			body += `, "cultureInfo": "` + culture + `"`
		}
		e.invite(t, body+`}}`)
		ticket, _, _ := e.mailedTicket(t, email)
		if a := e.changePassword(t, ticket, goodPassword, nil); a.Status != http.StatusOK {
			t.Fatalf("changePassword: %d %s", a.Status, a.Raw)
		}
		e.forgot(t, email, "demo.localhost")
		return e.subjectsTo(email)
	}
	english := []string{"Your invitation to Demo", "Your password was changed", "Reset your password for Demo"}
	dutch := []string{"Uw uitnodiging voor Demo", "Uw wachtwoord is gewijzigd", "Uw wachtwoord voor Demo opnieuw instellen"}
	german := []string{"Ihre Einladung zu Demo", "Ihr Passwort wurde geändert", "Ihr Passwort für Demo zurücksetzen"}

	for _, tc := range []struct {
		name, culture, appCulture string
		want                      []string
	}{
		{"none", "", "", english},
		{"Dutch", "nl-NL", "", dutch},
		{"Belgian Dutch", "nl-BE", "", dutch},
		{"a language without texts", "pt-BR", "", english},
		{"a language without texts, the application's German", "pt-BR", "de-DE", german},
		{"Dutch over the application's German", "nl-NL", "de-DE", dutch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAPIEnv(t)
			if tc.appCulture != "" {
				a := e.callUsers(t, e.admin(), http.MethodPatch, "/odata/Applications/"+demoPlain, "", `{"cultureInfo": "`+tc.appCulture+`"}`)
				if a.Status != http.StatusNoContent {
					t.Fatalf("patch application: %d %s", a.Status, a.Raw)
				}
			}
			if got := lifecycle(t, e, "lang@example.com", tc.culture); !slices.Equal(got, tc.want) {
				t.Errorf("subjects %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("a stored tag the API would refuse", func(t *testing.T) {
		e := newAPIEnv(t)
		for _, culture := range []string{"xx-YY", "not a tag"} {
			e.storeCulture(t, graceEmail, graceID, culture)
			e.forgot(t, graceEmail, "demo.localhost")
			if a := e.callAccount(t, routeResetPassword, e.admin(), nil, `{"userId": "`+graceID+`"}`); a.Status != http.StatusNoContent {
				t.Fatalf("resetPassword: %d %s", a.Status, a.Raw)
			}
		}
		want := []string{"Reset your password for Demo", "Reset your password for Demo", "Reset your password for Demo", "Reset your password for Demo"}
		if got := e.subjectsTo(graceEmail); !slices.Equal(got, want) {
			t.Errorf("subjects %q, want English: %q", got, want)
		}
		ticket, _, _ := e.mailedTicket(t, graceEmail)
		if a := e.changePassword(t, ticket, goodPassword, nil); a.Status != http.StatusOK {
			t.Fatalf("changePassword: %d %s", a.Status, a.Raw)
		}
		if got := e.subjectsTo(graceEmail); got[len(got)-1] != "Your password was changed" {
			t.Errorf("notification %q, want English", got[len(got)-1])
		}
	})
}
