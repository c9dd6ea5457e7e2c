package auth_test

// Abuse tests, part 2: secrets. Whole flows run with a JSON logger at DEBUG writing to a buffer; then the
// buffer is searched for every secret the flows handled (passwords, binding codes, MFA tokens, auth
// tokens, application secrets, in full or as any 12-character piece) and for unmasked emails and phone numbers, and the
// whole table is scanned for raw codes and tokens and for passwords in any form but argon2id PHC strings.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/mask"
	"mfagateway/shared/testenv"
)

// abuseSecrets is everything the flows saw that must never reach a log.
type abuseSecrets struct {
	passwords  []string
	mfaTokens  []string
	authTokens []string
	appSecrets []string
}

// abusePieceLen is the shortest piece of a secret that counts as a leak.
const abusePieceLen = 12

// abusePieces are s and each of its substrings of abusePieceLen characters.
func abusePieces(s string) []string {
	if len(s) <= abusePieceLen {
		return []string{s}
	}
	out := []string{s}
	for i := 0; i+abusePieceLen <= len(s); i++ {
		out = append(out, s[i:i+abusePieceLen])
	}
	return out
}

func abuseWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-'
}

var abuseHexIDRE = regexp.MustCompile(`^[0-9a-f-]{12,}$`)

// abuseCodeIn reports whether code appears in s outside a hex identifier. Each occurrence is widened to
// its word ([0-9A-Za-z-]); a word that is a hex hash or UUID of 12+ characters (short challenge and
// token IDs, user IDs) may contain any six digits by chance, anything else holding the code is a leak.
// With exact, only a word that is the code itself counts (for stored values, where long digit strings
// such as phone numbers legitimately contain arbitrary digits).
func abuseCodeIn(s, code string, exact bool) bool {
	for from := 0; ; {
		j := strings.Index(s[from:], code)
		if j < 0 {
			return false
		}
		start := from + j
		l, r := start, start+len(code)
		for l > 0 && abuseWordByte(s[l-1]) {
			l--
		}
		for r < len(s) && abuseWordByte(s[r]) {
			r++
		}
		word := s[l:r]
		if word == code || !exact && !abuseHexIDRE.MatchString(word) {
			return true
		}
		from = start + 1
	}
}

// abuseCodes are the binding codes in the outbox: every code the flows sent.
func (w *abuseWorld) abuseCodes(tb testing.TB) []string {
	tb.Helper()
	seen := map[string]bool{}
	var codes []string
	for _, e := range w.Outbox.Entries() {
		if code := testenv.CodeIn(tb, e.Body); !seen[code] {
			seen[code] = true
			codes = append(codes, code)
		}
	}
	return codes
}

// abuseWant fails unless the answer has the status (and, when given, the code).
func abuseWant(tb testing.TB, what string, a abuseAnswer, status int, code string) abuseAnswer {
	tb.Helper()
	if a.Err != nil || a.Status != status || code != "" && a.Code != code {
		tb.Fatalf("%s: %s %s, want %d %s", what, a.outcome(), a.Raw, status, code)
	}
	return a
}

// TestAbuseSecretsStayOutOfLogsAndTable runs every flow, then searches the DEBUG log and the table.
func TestAbuseSecretsStayOutOfLogsAndTable(t *testing.T) {
	w := abuseNewWorld(t, abuseEmbedded)
	log := w.Log
	ctx := w.Ctx
	var sec abuseSecrets
	for _, u := range w.seed.Users {
		sec.passwords = append(sec.passwords, u.Password)
	}
	wrongPasswords := []string{"correct-horse-battery-staple-7", "Summer2031-guess-xyz", "not-adas-password-42"}
	sec.passwords = append(sec.passwords, wrongPasswords...)
	unknownEmail := "mallory.unknown@example.org"
	adaPW, gracePW, linusPW := w.password(t, abuseAda), w.password(t, abuseGrace), w.password(t, abuseLinus)

	// 1. Ada, SMS: wrong code, wrong channel, early resend, resend, old code, new code.
	a := abuseWant(t, "ada MFA login", w.login(abuseAda, adaPW, abuseAppMFA), http.StatusForbidden, "")
	adaMFA := a.Token
	sec.mfaTokens = append(sec.mfaTokens, adaMFA)
	if got := a.Body["destination"]; got != mask.Phone(abuseAdaMobile) {
		t.Errorf("destination %v, want %s", got, mask.Phone(abuseAdaMobile))
	}
	code1 := w.LastCode(t)
	abuseWant(t, "ada wrong code", w.verify(adaMFA, "SMS", abuseOtherCode(code1)), http.StatusUnauthorized, "invalid_code")
	abuseWant(t, "ada wrong channel", w.verify(adaMFA, "Email", code1), http.StatusBadRequest, "invalid_request")
	abuseWant(t, "ada malformed code", w.verify(adaMFA, "SMS", code1[:5]+"x"), http.StatusBadRequest, "invalid_request")
	abuseWant(t, "ada early resend", w.resend(adaMFA), http.StatusTooManyRequests, "too_many_requests")
	w.Clock.Advance(w.Deps.Policy.ResendCooldown + time.Second)
	abuseWant(t, "ada resend", w.resend(adaMFA), http.StatusOK, "")
	code2 := w.LastCode(t)
	if code2 != code1 {
		abuseWant(t, "ada old code", w.verify(adaMFA, "SMS", code1), http.StatusUnauthorized, "invalid_code")
	}
	a = abuseWant(t, "ada new code", w.verify(adaMFA, "SMS", code2), http.StatusOK, "")
	adaMFAToken := a.Token
	sec.authTokens = append(sec.authTokens, adaMFAToken)
	abuseWant(t, "ada used MFA token", w.verify(adaMFA, "SMS", code2), http.StatusUnauthorized, "invalid_mfa_token")
	abuseWant(t, "auth token as MFA token", w.verify(adaMFAToken, "SMS", code2), http.StatusUnauthorized, "invalid_mfa_token")

	// 2. Grace, email, application named by url: right code.
	a = abuseWant(t, "grace MFA login by url", w.loginURL(abuseGrace, gracePW, "https://Demo-MFA.localhost/"), http.StatusForbidden, "")
	sec.mfaTokens = append(sec.mfaTokens, a.Token)
	if got := a.Body["destination"]; got != mask.Email(abuseGrace) {
		t.Errorf("destination %v, want %s", got, mask.Email(abuseGrace))
	}
	a = abuseWant(t, "grace right code", w.verify(a.Token, "Email", w.LastCode(t)), http.StatusOK, "")
	graceToken := a.Token
	sec.authTokens = append(sec.authTokens, graceToken)

	// 3. Grace again: wrong codes until the challenge dies, then a resend of it.
	a = abuseWant(t, "grace MFA login", w.login(abuseGrace, gracePW, abuseAppMFA), http.StatusForbidden, "")
	graceMFA := a.Token
	sec.mfaTokens = append(sec.mfaTokens, graceMFA)
	wrong := abuseOtherCode(w.LastCode(t))
	for i := range w.Deps.Policy.MaxAttempts {
		abuseWant(t, fmt.Sprintf("grace wrong code %d", i+1), w.verify(graceMFA, "", wrong), http.StatusUnauthorized, "invalid_code")
	}
	abuseWant(t, "grace code past the attempts", w.verify(graceMFA, "", wrong), http.StatusTooManyRequests, "too_many_attempts")
	w.Clock.Advance(w.Deps.Policy.ResendCooldown + time.Second)
	abuseWant(t, "grace resend of a dead challenge", w.resend(graceMFA), http.StatusTooManyRequests, "too_many_attempts")

	// 4. Ada: an expired code, a resend, the new code.
	a = abuseWant(t, "ada MFA login (expiry)", w.login(abuseAda, adaPW, abuseAppMFA), http.StatusForbidden, "")
	expMFA := a.Token
	sec.mfaTokens = append(sec.mfaTokens, expMFA)
	old := w.LastCode(t)
	w.Clock.Advance(w.Deps.Policy.CodeTTL + time.Second)
	abuseWant(t, "ada expired code", w.verify(expMFA, "SMS", old), http.StatusUnauthorized, "code_expired")
	abuseWant(t, "ada resend after expiry", w.resend(expMFA), http.StatusOK, "")
	a = abuseWant(t, "ada code after expiry", w.verify(expMFA, "SMS", w.LastCode(t)), http.StatusOK, "")
	sec.authTokens = append(sec.authTokens, a.Token)

	// 5. MFA off: the auth token at once.
	a = abuseWant(t, "ada MFA-off login", w.login(abuseAda, adaPW, abuseAppPlain), http.StatusOK, "")
	adaPlainToken := a.Token
	sec.authTokens = append(sec.authTokens, adaPlainToken)

	// 6. Credential failures of every kind, a malformed body with a password in it, and Linus's wrong
	// passwords into the lock.
	abuseWant(t, "unknown email", w.login(unknownEmail, wrongPasswords[0], abuseAppPlain), http.StatusUnauthorized, "invalid_credentials")
	abuseWant(t, "not a member", w.login(abuseLinus, linusPW, abuseAppMFA), http.StatusUnauthorized, "invalid_credentials")
	abuseWant(t, "unknown application", w.login(abuseGrace, gracePW, "9e0c7d4e-0000-4000-8000-000000000000"), http.StatusUnauthorized, "invalid_credentials")
	abuseWant(t, "unknown url", w.loginURL(abuseGrace, gracePW, "nowhere.example.com"), http.StatusUnauthorized, "invalid_credentials")
	bad := httpapi.Request{RouteKey: httpapi.RouteLogin, Headers: map[string]string{"appid": abuseAppPlain},
		Body: `{"email": "` + abuseAda + `", "password": "` + adaPW + `"`}
	if resp, _ := w.api[httpapi.LoginFunction].Serve(ctx, bad); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("truncated JSON: %d, want 400", resp.StatusCode)
	}
	// Linus's not-a-member failure counted; a success forgets it before his run into the lock.
	a = abuseWant(t, "linus MFA-off login", w.login(abuseLinus, linusPW, abuseAppPlain), http.StatusOK, "")
	sec.authTokens = append(sec.authTokens, a.Token)
	for i := range w.Deps.Policy.LoginMaxFailures {
		abuseWant(t, fmt.Sprintf("linus wrong password %d", i+1), w.login(abuseLinus, wrongPasswords[i%len(wrongPasswords)], abuseAppPlain),
			http.StatusUnauthorized, "invalid_credentials")
	}
	abuseWant(t, "linus locked", w.login(abuseLinus, linusPW, abuseAppPlain), http.StatusTooManyRequests, "too_many_requests")

	// 7. The authorizer, directly and through its handler; logout; a revoked and an expired token.
	sessions := w.Sessions()
	sess, err := sessions.Authorize(ctx, adaPlainToken, abuseAppPlain)
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if _, err := sessions.Authorize(ctx, graceToken, abuseAppMFA); err != nil {
		t.Fatalf("Authorize grace: %v", err)
	}
	for _, c := range []struct{ bearer, app, why string }{
		{adaPlainToken, abuseAppMFA, "other application"},
		{adaMFA, abuseAppMFA, "an MFA token as bearer"},
		{"not-a-token", abuseAppPlain, "malformed"},
		{adaPlainToken, "", "no appId"},
	} {
		if _, err := sessions.Authorize(ctx, c.bearer, c.app); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("Authorize (%s): %v, want ErrInvalidToken", c.why, err)
		}
	}
	authorizer := httpapi.NewAuthorizer(sessions)
	verdict, err := authorizer.Handle(ctx, httpapi.AuthorizerRequest{Headers: map[string]string{
		"authorization": "bearer " + adaMFAToken, "appid": abuseAppMFA,
	}})
	if err != nil || verdict.Context["valid"] != true {
		t.Errorf("authorizer handler: %v %v, want a valid verdict", verdict.Context, err)
	}
	guard := httpapi.NewGuard(w.Clock.Now, log)
	me := guard.Wrap(httpapi.RouteMe, httpapi.NewSession(sessions, log).Me)
	if resp, _ := me(ctx, abuseRequest(httpapi.RouteMe, map[string]string{"authorization": "Bearer " + adaPlainToken}, nil)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("me without a verdict: %d, want 401", resp.StatusCode)
	}
	if err := sessions.Logout(ctx, sess); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := sessions.Authorize(ctx, adaPlainToken, abuseAppPlain); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Authorize after logout: %v, want ErrInvalidToken", err)
	}
	w.Clock.Advance(w.Deps.Policy.AuthTokenTTL + time.Minute)
	if _, err := sessions.Authorize(ctx, graceToken, abuseAppMFA); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Authorize after expiry: %v, want ErrInvalidToken", err)
	}

	// 8. Application secrets: issued through the handler (one answer each), three so the oldest is
	// dropped, then every kind of check of application credentials, through the authorizer handler.
	appsRouter := w.Routers(httpapi.ApplicationsFunction)[httpapi.ApplicationsFunction]
	adminCtx := map[string]any{"valid": true, "tokenId": auth.TokenID(adaMFAToken), "userId": "ada", "appId": abuseAppMFA,
		"admin": true, "expiresAt": float64(w.Clock.Now().Add(time.Hour).Unix())}
	for range auth.MaxAppSecrets + 1 {
		req := abuseRequest("GET /odata/applications/{appId}/getAppSecret", nil, nil)
		req.PathParameters = map[string]string{"appId": abuseAppPlain}
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: adminCtx}
		resp, _ := appsRouter.Serve(ctx, req)
		var body struct{ Value string }
		if err := json.Unmarshal([]byte(resp.Body), &body); resp.StatusCode != http.StatusOK || err != nil || body.Value == "" {
			t.Fatalf("getAppSecret: %d %s", resp.StatusCode, resp.Body)
		}
		sec.appSecrets = append(sec.appSecrets, body.Value)
	}
	for _, c := range []struct {
		headers map[string]string
		valid   bool
		why     string
	}{
		{map[string]string{"clientid": abuseAppPlain, "clientsecret": sec.appSecrets[2]}, true, "the newest secret"},
		{map[string]string{"ClientId": abuseAppPlain, "ClientSecret": sec.appSecrets[1]}, true, "the second, header names in another case"},
		{map[string]string{"clientid": abuseAppPlain, "clientsecret": sec.appSecrets[0]}, false, "the dropped oldest"},
		{map[string]string{"clientid": abuseAppMFA, "clientsecret": sec.appSecrets[2]}, false, "another application's id"},
		{map[string]string{"clientid": abuseAppPlain, "clientsecret": sec.appSecrets[2], "authorization": "Bearer " + adaMFAToken}, false, "a token as well"},
		{map[string]string{"clientid": abuseAppPlain, "clientsecret": sec.appSecrets[2] + "x"}, false, "malformed"},
	} {
		v, err := authorizer.Handle(ctx, httpapi.AuthorizerRequest{Headers: c.headers})
		if err != nil || (v.Context["valid"] == true) != c.valid {
			t.Errorf("client credentials (%s): %v %v, want valid %v", c.why, v.Context, err, c.valid)
		}
	}

	codes := w.abuseCodes(t)
	if len(codes) < 6 {
		t.Fatalf("only %d codes were sent; the flows did not run", len(codes))
	}
	logs := w.Logs.String()
	t.Logf("checked %d log lines (%d bytes) for %d passwords, %d codes, %d MFA tokens, %d auth tokens, %d application secrets",
		strings.Count(logs, "\n"), len(logs), len(sec.passwords), len(codes), len(sec.mfaTokens), len(sec.authTokens), len(sec.appSecrets))
	abuseCheckLog(t, w, logs, sec, codes, unknownEmail)
	abuseCheckTable(t, w, sec, codes)
}

// abuseCheckLog searches the log for secrets and unmasked addresses, and checks it logged the flows.
func abuseCheckLog(t *testing.T, w *abuseWorld, logs string, sec abuseSecrets, codes []string, unknownEmail string) {
	t.Helper()
	for i, line := range strings.Split(strings.TrimSuffix(logs, "\n"), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line %d is not JSON: %s", i+1, line)
		}
	}
	leak := func(kind string, secrets []string) {
		t.Helper()
		for _, s := range secrets {
			for _, piece := range abusePieces(s) {
				if strings.Contains(logs, piece) {
					t.Errorf("the log holds %s %q (piece %q of it)", kind, abuseRedact(s), piece)
					break
				}
			}
		}
	}
	leak("password", sec.passwords)
	leak("MFA token", sec.mfaTokens)
	leak("auth token", sec.authTokens)
	leak("application secret", sec.appSecrets)
	for _, code := range codes {
		if abuseCodeIn(logs, code, false) {
			t.Errorf("the log holds binding code %s", code)
		}
	}

	emails := []string{unknownEmail}
	for _, u := range w.seed.Users {
		emails = append(emails, u.Email)
	}
	for _, e := range emails {
		if strings.Contains(strings.ToLower(logs), strings.ToLower(e)) {
			t.Errorf("the log holds the full email %s", e)
		}
		if local, _, _ := strings.Cut(e, "@"); len(local) >= 4 && strings.Contains(logs, `"`+local) {
			t.Errorf("the log holds the local part of %s", e)
		}
		if !strings.Contains(logs, mask.Email(e)) {
			t.Errorf("the log never names %s masked (%s); the flows should have", e, mask.Email(e))
		}
	}
	digits := strings.TrimPrefix(abuseAdaMobile, "+")
	for _, p := range []string{abuseAdaMobile, digits, "0" + digits[2:], digits[2:], digits[3:]} {
		if strings.Contains(logs, p) {
			t.Errorf("the log holds the phone number as %q", p)
		}
	}
	if !strings.Contains(logs, mask.Phone(abuseAdaMobile)) {
		t.Errorf("the log never names the phone masked (%s)", mask.Phone(abuseAdaMobile))
	}
	for _, want := range []string{
		`"level":"DEBUG"`, `"outcome":"authorized"`, `"outcome":"code_sent"`, `"outcome":"token_issued"`,
		`"outcome":"invalid_code"`, `"outcome":"invalid_credentials"`, `"outcome":"locked"`, `"outcome":"revoked"`,
		`"outcome":"issued"`, `"reason":"wrong secret"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log has no %s; the check would be vacuous for it", want)
		}
	}
}

// abuseRedact names a secret in a failure message without printing it.
func abuseRedact(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return s[:2] + strings.Repeat("*", len(s)-4) + s[len(s)-2:]
}

var abusePHCRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$`)

// abuseValues flattens an attribute value into its strings (numbers included, as written).
func abuseValues(v types.AttributeValue) []string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return []string{v.Value}
	case *types.AttributeValueMemberN:
		return []string{v.Value}
	case *types.AttributeValueMemberB:
		return []string{string(v.Value)}
	case *types.AttributeValueMemberSS:
		return v.Value
	case *types.AttributeValueMemberNS:
		return v.Value
	case *types.AttributeValueMemberBS:
		out := make([]string, len(v.Value))
		for i, b := range v.Value {
			out[i] = string(b)
		}
		return out
	case *types.AttributeValueMemberL:
		var out []string
		for _, e := range v.Value {
			out = append(out, abuseValues(e)...)
		}
		return out
	case *types.AttributeValueMemberM:
		var out []string
		for k, e := range v.Value {
			out = append(out, k)
			out = append(out, abuseValues(e)...)
		}
		return out
	}
	return nil
}

// abuseCheckTable scans the table: no raw code or token anywhere, passwords only as argon2id PHC strings.
func abuseCheckTable(t *testing.T, w *abuseWorld, sec abuseSecrets, codes []string) {
	t.Helper()
	items := w.Items(t, "")
	byPK := map[string]map[string]types.AttributeValue{}
	users := 0
	for _, it := range items {
		pk := abusePK(it)
		byPK[pk] = it
		for name, v := range it {
			for _, s := range abuseValues(v) {
				for _, tok := range slices.Concat(sec.mfaTokens, sec.authTokens, sec.appSecrets) {
					for _, piece := range abusePieces(tok) {
						if strings.Contains(s, piece) || strings.Contains(name, piece) {
							t.Errorf("%s.%s holds a raw token (piece %q)", pk, name, piece)
						}
					}
				}
				for _, code := range codes {
					if abuseCodeIn(s, code, true) {
						t.Errorf("%s.%s holds the raw binding code %s", pk, name, code)
					}
				}
				for _, pw := range sec.passwords {
					for _, piece := range abusePieces(pw) {
						if strings.Contains(s, piece) {
							t.Errorf("%s.%s holds a password in clear (piece %q)", pk, name, piece)
						}
					}
				}
			}
			if strings.Contains(strings.ToLower(name), "password") {
				s, ok := v.(*types.AttributeValueMemberS)
				if !ok || !abusePHCRE.MatchString(s.Value) {
					t.Errorf("%s.%s is not an argon2id PHC string: %v", pk, name, v)
				}
			}
		}
		if strings.HasPrefix(pk, "USER#") {
			users++
			if _, ok := it["passwordHash"]; !ok {
				t.Errorf("%s has no passwordHash", pk)
			}
		}
		if strings.HasPrefix(pk, "MFA#") {
			if s, ok := it["codeHash"].(*types.AttributeValueMemberS); !ok || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(s.Value) {
				t.Errorf("%s.codeHash is not a hex HMAC-SHA256: %v", pk, it["codeHash"])
			}
		}
	}
	if users != len(w.seed.Users) {
		t.Errorf("%d USER# items, want %d", users, len(w.seed.Users))
	}
	// The tokens are there, under their SHA-256: the scan above looked where they live.
	for _, m := range sec.mfaTokens {
		if byPK["MFA#"+auth.TokenID(m)] == nil {
			t.Errorf("no MFA# item under the SHA-256 of an MFA token")
		}
	}
	for _, a := range sec.authTokens {
		if byPK["TOKEN#"+auth.TokenID(a)] == nil {
			t.Errorf("no TOKEN# item under the SHA-256 of an auth token")
		}
	}
	// The two newest application secrets are there, as their SHA-256, on the application's item only.
	hashes := abuseValues(byPK["APP#"+abuseAppPlain]["secretHashes"])
	if want := []string{auth.TokenID(sec.appSecrets[1]), auth.TokenID(sec.appSecrets[2])}; !slices.Equal(hashes, want) {
		t.Errorf("APP#%s.secretHashes = %v, want the SHA-256 of the two newest secrets", abuseAppPlain, hashes)
	}
	for pk, it := range byPK {
		if _, ok := it["secretHashes"]; ok && pk != "APP#"+abuseAppPlain {
			t.Errorf("%s holds secret hashes: only the application's own item may", pk)
		}
	}
	t.Logf("scanned %d items", len(items))
}
