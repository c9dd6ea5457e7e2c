package web_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/web"
)

func newSite(t *testing.T) *web.Site {
	t.Helper()
	s, err := web.New(web.Options{MinPasswordLength: 17, ResendCooldown: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get is a GET of path?query as API Gateway hands it to the function.
func get(t *testing.T, s *web.Site, path, query string, headers map[string]string) httpapi.Response {
	t.Helper()
	req := httpapi.Request{RawPath: path, RawQueryString: query, Headers: headers, RouteKey: "GET " + path}
	req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = http.MethodGet, path
	resp, err := s.Serve(context.Background(), req)
	if err != nil {
		t.Fatalf("GET %s?%s: %v", path, query, err)
	}
	return resp
}

// pageData is the JSON block a page hands its script.
func pageData(t *testing.T, body string) map[string]any {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="page-data">(.*?)</script>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no page-data block")
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
		t.Fatalf("page-data: %v", err)
	}
	return d
}

var (
	scriptTag   = regexp.MustCompile(`<script\b[^>]*>`)
	assetRef    = regexp.MustCompile(`(?:src|href)="(/assets/[^"?]+)\?v=[0-9a-f]+"`)
	eventAttr   = regexp.MustCompile(`(?i)\son[a-z]+=`)
	styleAttr   = regexp.MustCompile(`(?i)\sstyle=`)
	otherOrigin = regexp.MustCompile(`(?i)(?:src|href|action)="(?:https?:)?//`)
)

// TestPages serves every page: HTML in the language asked for, under the headers that keep it from
// being framed, sniffed or leaking its address, running only its own files, and small.
func TestPages(t *testing.T) {
	s := newSite(t)
	for _, p := range web.Pages() {
		t.Run(p.Path, func(t *testing.T) {
			resp := get(t, s, p.Path, "", map[string]string{"accept-language": "de-CH,de;q=0.9,en;q=0.5"})
			if resp.StatusCode != http.StatusOK || resp.Headers["Content-Type"] != "text/html; charset=utf-8" {
				t.Fatalf("%d %q, want 200 text/html", resp.StatusCode, resp.Headers["Content-Type"])
			}
			for name, want := range map[string]string{
				"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
				"Cache-Control": "no-store", "Cross-Origin-Opener-Policy": "same-origin",
			} {
				if got := resp.Headers[name]; got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			csp := directives(resp.Headers["Content-Security-Policy"])
			for name, want := range map[string]string{
				"default-src": "'none'", "script-src": "'self'", "style-src": "'self'", "connect-src": "'self'",
				"form-action": "'self'", "frame-ancestors": "'none'", "base-uri": "'none'",
			} {
				if csp[name] != want {
					t.Errorf("Content-Security-Policy %s = %q, want %q", name, csp[name], want)
				}
			}
			body := resp.Body
			if !strings.Contains(body, `<html lang="de">`) {
				t.Errorf("Accept-Language de-CH: the page is not in German")
			}
			for _, tag := range scriptTag.FindAllString(body, -1) {
				if !strings.Contains(tag, ` src="/assets/`) && !strings.Contains(tag, `type="application/json"`) {
					t.Errorf("%s: a script that is neither a file of this site nor data", tag)
				}
			}
			if m := eventAttr.FindString(body); m != "" {
				t.Errorf("an inline event handler (%s): the policy would block it", m)
			}
			if m := styleAttr.FindString(body); m != "" {
				t.Errorf("an inline style (%s): the policy would block it", m)
			}
			if m := otherOrigin.FindString(body); m != "" {
				t.Errorf("a reference to another origin: %s", m)
			}
			// What a browser loads for the page: the page and each file it names.
			size := len(body)
			refs := assetRef.FindAllStringSubmatch(body, -1)
			if len(refs) < 3 {
				t.Errorf("the page names %d files, want its style sheet and two scripts", len(refs))
			}
			for _, ref := range refs {
				a := get(t, s, ref[1], "", nil)
				if a.StatusCode != http.StatusOK {
					t.Errorf("%s: %d", ref[1], a.StatusCode)
				}
				size += len(a.Body)
			}
			if size > 50_000 {
				t.Errorf("the page and its files weigh %d bytes, over 50,000", size)
			}
			t.Logf("%s: %d bytes with its files", p.Path, size)
			d := pageData(t, body)
			if d["minLength"] != float64(17) || d["cooldown"] != float64(2) || d["lang"] != "de" {
				t.Errorf("page data minLength %v cooldown %v lang %v, want the options' 17, 2 (1.5 s rounded up) and de", d["minLength"], d["cooldown"], d["lang"])
			}
		})
	}
}

// directives splits a Content-Security-Policy into its directives.
func directives(csp string) map[string]string {
	out := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		out[name] = value
	}
	return out
}

// TestPageLanguage: ?lang= first, then the best of Accept-Language, then English; English only for a
// tag of English, as in the messages.
func TestPageLanguage(t *testing.T) {
	s := newSite(t)
	for _, tc := range []struct{ query, accept, want string }{
		{"", "", "en"},
		{"", "nl-BE", "nl"},
		{"", "fr-CA,fr;q=0.8", "fr"},
		{"", "cy,nl;q=0.5", "nl"},
		{"", "pt-BR", "en"},
		{"", "en-GB,de;q=0.5", "en"},
		{"lang=fr", "de", "fr"},
		{"lang=xx", "de", "de"},
		{"lang=%3Cb%3E", "", "en"},
	} {
		resp := get(t, s, "/login", tc.query, map[string]string{"accept-language": tc.accept})
		if got := pageData(t, resp.Body)["lang"]; got != tc.want {
			t.Errorf("?%s, Accept-Language %q: %v, want %s", tc.query, tc.accept, got, tc.want)
		}
	}
}

// TestPageQueryEscaped: what the address holds reaches the page only escaped, in the language links,
// and never widens the policy beyond one origin of a well-formed redirect_uri.
func TestPageQueryEscaped(t *testing.T) {
	s := newSite(t)
	evil := `"><script>alert(1)</script>`
	resp := get(t, s, "/login", "appId="+urlEscape(evil)+"&url="+urlEscape("<img src=x onerror=alert(1)>")+"&redirect_uri="+urlEscape("https://app.example.com/cb?x=1"), nil)
	if strings.Contains(resp.Body, "<script>alert") || strings.Contains(resp.Body, "<img src=x") {
		t.Fatal("a query parameter reached the page unescaped")
	}
	if got := directives(resp.Headers["Content-Security-Policy"])["form-action"]; got != "'self' https://app.example.com" {
		t.Errorf("form-action %q, want 'self' and the redirect_uri's origin", got)
	}
	for _, bad := range []string{"javascript:alert(1)", "https://a.example.com;script-src *", "https://u:p@a.example.com/", "//a.example.com/", "data:text/html,x", "https://a.example.com'/"} {
		resp := get(t, s, "/login", "redirect_uri="+urlEscape(bad), nil)
		if got := directives(resp.Headers["Content-Security-Policy"])["form-action"]; got != "'self'" {
			t.Errorf("redirect_uri %q: form-action %q, want 'self' alone", bad, got)
		}
		if got := directives(resp.Headers["Content-Security-Policy"])["script-src"]; got != "'self'" {
			t.Errorf("redirect_uri %q: script-src %q", bad, got)
		}
	}
	// The ticket stays in the language links of the password pages, so that switching keeps the link working.
	resp = get(t, s, "/reset-password", "ticket=abc-DEF_1&lang=nl", nil)
	if !strings.Contains(resp.Body, `href="/reset-password?lang=fr&amp;ticket=abc-DEF_1"`) {
		t.Errorf("the French link of a reset page does not keep the ticket")
	}
	if d := pageData(t, resp.Body); d["loginHref"] != "/login?lang=nl" {
		t.Errorf("loginHref %v, want the login page without the ticket", d["loginHref"])
	}
}

func urlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "=", "%3D", "#", "%23", "+", "%2B", " ", "%20", "?", "%3F")
	return r.Replace(s)
}

// TestAssets: the files under /assets/ with their types; nothing else is a file.
func TestAssets(t *testing.T) {
	s := newSite(t)
	for path, ct := range map[string]string{
		"/assets/site.css": "text/css; charset=utf-8", "/assets/gateway.js": "text/javascript; charset=utf-8",
		"/assets/login.js": "text/javascript; charset=utf-8", "/assets/password.js": "text/javascript; charset=utf-8",
	} {
		resp := get(t, s, path, "", nil)
		if resp.StatusCode != http.StatusOK || resp.Headers["Content-Type"] != ct || resp.Headers["X-Content-Type-Options"] != "nosniff" {
			t.Errorf("%s: %d %q, want 200 %s, nosniff", path, resp.StatusCode, resp.Headers["Content-Type"], ct)
		}
	}
	for _, path := range []string{"/assets/", "/assets/nope.js", "/assets/../web.go", "/assets/texts/en.json", "/templates/layout.html", "/accounts", "/"} {
		if resp := get(t, s, path, "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
}

func readTexts(t *testing.T, lang string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("texts/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("texts/%s.json: %v", lang, err)
	}
	return m
}

var placeholder = regexp.MustCompile(`\{[a-z]+\}`)

// TestTextsComplete: every language has every text, none empty, with the same placeholders as English.
func TestTextsComplete(t *testing.T) {
	en := readTexts(t, "en")
	for _, lang := range web.Languages {
		texts := readTexts(t, lang)
		if got, want := slices.Sorted(maps.Keys(texts)), slices.Sorted(maps.Keys(en)); !slices.Equal(got, want) {
			t.Errorf("%s: keys differ from English's", lang)
		}
		for k, v := range texts {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", lang, k)
			}
			got, want := placeholder.FindAllString(v, -1), placeholder.FindAllString(en[k], -1)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s has placeholders %v, English %v", lang, k, got, want)
			}
		}
	}
}

// TestTextsMatchMessages: where the pages and the messages the gateway sends say the same thing, they
// say it in the same words: the second factors' names and the titles of an invitation and a reset.
func TestTextsMatchMessages(t *testing.T) {
	for _, lang := range web.Languages {
		texts := readTexts(t, lang)
		tmpl := template.Must(template.ParseFiles("../auth/messages/" + lang + ".tmpl"))
		run := func(name string, data any) string {
			var b strings.Builder
			if err := tmpl.ExecuteTemplate(&b, name, data); err != nil {
				t.Fatalf("%s %s: %v", lang, name, err)
			}
			return b.String()
		}
		for _, c := range []string{"OTP", "SMS", "Email"} {
			if got, want := texts["authenticator_"+c], run("authenticator", c); got != want {
				t.Errorf("%s authenticator_%s = %q, the messages say %q", lang, c, got, want)
			}
		}
		app := struct{ AppName string }{"{name}"}
		if got, want := texts["invite_title_app"], run("invitation.subject", app); got != want {
			t.Errorf("%s invite_title_app = %q, the invitation's subject is %q", lang, got, want)
		}
		if got, want := texts["reset_title_app"], run("passwordReset.subject", app); got != want {
			t.Errorf("%s reset_title_app = %q, the reset email's subject is %q", lang, got, want)
		}
	}
}
