// Package web serves the hosted pages, for people rather than programs: sign-in, password reset,
// invitation and the account's second factors, as plain HTML, CSS and a little JavaScript built into
// the binary, in four languages, each answer under a strict Content-Security-Policy. The pages call
// only the public API and the caller's own /api/auth/mfa routes.
package web

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
)

//go:embed assets templates texts
var files embed.FS

// Page is one hosted page: the path it is served on and what it is made of.
type Page struct {
	Path     string
	name     string // what the page's script reads in its data: login, reset, invite or account
	template string // the file under templates/ that defines its "content"
	script   string // its script under assets/, after the shared gateway.js
	title    string // the text key of its heading
}

// pages are the hosted pages; each has its row in httpapi's route table.
var pages = []Page{
	{Path: "/login", name: "login", template: "login.html", script: "login.js", title: "login_title"},
	{Path: "/reset-password", name: "reset", template: "password.html", script: "password.js", title: "reset_title"},
	{Path: "/accept-invite", name: "invite", template: "password.html", script: "password.js", title: "invite_title"},
	{Path: "/account", name: "account", template: "account.html", script: "account.js", title: "account_title"},
}

// AssetsPrefix is where the style sheet and scripts are served, one file per path segment.
const AssetsPrefix = "/assets/"

// Pages lists the hosted pages, for the route table's tests.
func Pages() []Page { return slices.Clone(pages) }

// Languages are the languages of the pages' texts, the default first: the same as the messages the
// gateway sends.
var Languages = []string{"en", "nl", "de", "fr"}

// Options are the settings the pages explain to their users.
type Options struct {
	MinPasswordLength int           // PASSWORD_MIN_LENGTH
	ResendCooldown    time.Duration // RESEND_COOLDOWN: the resend button waits this long after a send
}

// Site serves the pages and their files. Everything is parsed once, by New.
type Site struct {
	opts      Options
	texts     map[string]map[string]string // by language, by key
	templates map[string]*template.Template
	assets    map[string]asset // by file name
	// scriptTexts are the keys of the texts each page's scripts read, by script; the page's data
	// carries only these, since the template has put the rest in its HTML already.
	scriptTexts map[string][]string
	matcher     language.Matcher
}

type asset struct {
	body, contentType, version string
}

var contentTypes = map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}

// New parses the built-in files. An error is a broken build, found by the tests.
func New(opts Options) (*Site, error) {
	opts.MinPasswordLength = cmp.Or(opts.MinPasswordLength, auth.DefaultPolicy.PasswordMinLength)
	opts.ResendCooldown = cmp.Or(opts.ResendCooldown, auth.DefaultPolicy.ResendCooldown)
	s := &Site{opts: opts, texts: map[string]map[string]string{}, templates: map[string]*template.Template{}, assets: map[string]asset{}}
	for _, lang := range Languages {
		raw, err := files.ReadFile("texts/" + lang + ".json")
		if err != nil {
			return nil, err
		}
		var t map[string]string
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf("texts/%s.json: %w", lang, err)
		}
		s.texts[lang] = t
	}
	names, err := fs.Glob(files, "assets/*")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		raw, _ := files.ReadFile(name)
		sum := sha256.Sum256(raw)
		s.assets[path.Base(name)] = asset{body: string(raw), contentType: contentTypes[path.Ext(name)], version: hex.EncodeToString(sum[:5])}
	}
	s.scriptTexts = map[string][]string{}
	for _, p := range pages {
		s.scriptTexts[p.script] = textsNamed(s.texts[Languages[0]], s.assets["gateway.js"].body, s.assets[p.script].body)
	}
	funcs := template.FuncMap{"asset": s.assetURL}
	for _, p := range pages {
		if _, ok := s.templates[p.template]; ok {
			continue
		}
		t, err := template.New(p.template).Option("missingkey=error").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+p.template)
		if err != nil {
			return nil, err
		}
		s.templates[p.template] = t
	}
	tags := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		tags[i] = language.MustParse(l)
	}
	s.matcher = language.NewMatcher(tags)
	return s, nil
}

// textLiteral is a string literal of a script that may name a text: the whole key, or its start
// ending in "_" where the script adds the rest ('err_' + code).
var textLiteral = regexp.MustCompile(`'([a-z][A-Za-z0-9_]*)'`)

// textsNamed are the keys of texts that the scripts name, sorted.
func textsNamed(texts map[string]string, scripts ...string) []string {
	var literals []string
	for _, src := range scripts {
		for _, m := range textLiteral.FindAllStringSubmatch(src, -1) {
			literals = append(literals, m[1])
		}
	}
	var keys []string
	for key := range texts {
		if slices.ContainsFunc(literals, func(l string) bool {
			return l == key || strings.HasSuffix(l, "_") && strings.HasPrefix(key, l)
		}) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}

// MustNew is New for programs whose files a test has parsed already: the local server and the test
// stacks. It panics on a broken build.
func MustNew(opts Options) *Site {
	s, err := New(opts)
	if err != nil {
		panic("hosted pages: " + err.Error())
	}
	return s
}

// assetURL is the address of a file of assets/, with its content's hash so that a new build is
// fetched anew.
func (s *Site) assetURL(name string) (string, error) {
	a, ok := s.assets[name]
	if !ok {
		return "", fmt.Errorf("no asset %q", name)
	}
	return AssetsPrefix + name + "?v=" + a.version, nil
}

// Serve answers a GET of a page or of a file under AssetsPrefix, and 404 for any other path.
func (s *Site) Serve(_ context.Context, req httpapi.Request) (httpapi.Response, error) {
	p := req.RawPath
	if name, ok := strings.CutPrefix(p, AssetsPrefix); ok {
		if a, ok := s.assets[name]; ok && !strings.Contains(name, "/") {
			return httpapi.Response{StatusCode: http.StatusOK, Headers: headers(a.contentType, "public, max-age=3600", ""), Body: a.body}, nil
		}
		return httpapi.NotFoundAt(p), nil
	}
	for _, pg := range pages {
		if pg.Path == strings.TrimSuffix(p, "/") || pg.Path == p {
			return s.page(pg, req)
		}
	}
	return httpapi.NotFoundAt(p), nil
}

// view is what a page's template reads.
type view struct {
	Lang      string
	Page      string
	Title     string
	Script    string
	T         map[string]string
	Languages []languageLink
	Data      pageData
}

type languageLink struct {
	Tag, Name, Href string
	Current         bool
}

// pageData is the page's script's data, in a JSON block: the texts its scripts read and the settings
// it explains.
type pageData struct {
	Lang      string            `json:"lang"`
	Page      string            `json:"page"`
	Texts     map[string]string `json:"texts"`
	MinLength int               `json:"minLength"`
	Cooldown  int               `json:"cooldown"` // seconds
	LoginHref string            `json:"loginHref"`
	// AccountHref is the account page of the same application, which a finished sign-in links to.
	AccountHref string `json:"accountHref"`
}

func (s *Site) page(pg Page, req httpapi.Request) (httpapi.Response, error) {
	query, _ := url.ParseQuery(req.RawQueryString) // what does not parse is left out
	lang := s.language(query.Get("lang"), httpapi.Header(req, "accept-language"))
	texts := s.texts[lang]
	scriptTexts := make(map[string]string, len(s.scriptTexts[pg.script]))
	for _, k := range s.scriptTexts[pg.script] {
		scriptTexts[k] = texts[k]
	}
	v := view{
		Lang: lang, Page: pg.name, Title: texts[pg.title], Script: pg.script, T: texts,
		Data: pageData{
			Lang: lang, Page: pg.name, Texts: scriptTexts, MinLength: s.opts.MinPasswordLength,
			Cooldown:    int(math.Ceil(s.opts.ResendCooldown.Seconds())),
			LoginHref:   "/login" + withQuery(query, "lang", lang, "appId", "url", "redirect_uri", "state"),
			AccountHref: "/account" + withQuery(query, "lang", lang, "appId", "url"),
		},
	}
	for _, l := range Languages {
		v.Languages = append(v.Languages, languageLink{Tag: l, Name: s.texts[l]["language_name"], Current: l == lang,
			Href: pg.Path + withQuery(query, "lang", l, "appId", "url", "redirect_uri", "state", "ticket")})
	}
	var body bytes.Buffer
	if err := s.templates[pg.template].ExecuteTemplate(&body, "layout", v); err != nil {
		return httpapi.Response{}, fmt.Errorf("page %s: %w", pg.Path, err)
	}
	h := headers("text/html; charset=utf-8", "no-store", formOrigin(query.Get("redirect_uri")))
	h["Vary"] = "Accept-Language"
	return httpapi.Response{StatusCode: http.StatusOK, Headers: h, Body: body.String()}, nil
}

// withQuery is "?..." of the parameters kept of q, lang set to the language chosen.
func withQuery(q url.Values, langKey, lang string, keep ...string) string {
	out := url.Values{}
	for _, k := range keep {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	out.Set(langKey, lang)
	return "?" + out.Encode()
}

// language is the page's language: the one asked for by ?lang=, else the best of Accept-Language,
// else English. As in the messages the gateway sends, English answers only a tag of English: a reader
// who prefers Welsh and then Dutch reads Dutch.
func (s *Site) language(asked, accept string) string {
	if slices.Contains(Languages, asked) {
		return asked
	}
	tags, _, _ := language.ParseAcceptLanguage(accept)
	for _, tag := range tags {
		_, i, conf := s.matcher.Match(tag)
		if conf == language.No {
			continue
		}
		if base, _ := tag.Base(); Languages[i] == "en" && base.String() != "en" {
			continue
		}
		return Languages[i]
	}
	return Languages[0]
}

// formOrigin is the origin of a redirect_uri, for the pages' form-action: the one other origin a form
// of the page may post to. The page's script decides whether it does, against the application's
// allowedOrigins; this only keeps every other origin out, whatever the script did. "" when the
// redirect_uri is no absolute http(s) address.
func formOrigin(redirect string) string {
	if redirect == "" {
		return ""
	}
	u, err := url.Parse(redirect)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return ""
	}
	host := strings.ToLower(u.Host)
	if strings.ContainsFunc(host, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r))
	}) {
		return ""
	}
	return u.Scheme + "://" + host
}

// headers are every answer's: no framing, no referrer, no sniffing, and a policy under which the page
// runs only its own files and talks only to its own origin.
func headers(contentType, cacheControl, formTarget string) map[string]string {
	formAction := "'self'"
	if formTarget != "" {
		formAction += " " + formTarget
	}
	return map[string]string{
		"Content-Type":  contentType,
		"Cache-Control": cacheControl,
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"connect-src 'self'; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'",
		"X-Frame-Options":              "DENY",
		"Referrer-Policy":              "no-referrer",
		"X-Content-Type-Options":       "nosniff",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), payment=()",
	}
}
