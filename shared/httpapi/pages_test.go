package httpapi_test

// Lists that page by key ($skiptoken), on both engines: every entity is reached however many there
// are, filters are applied by DynamoDB, and a token the list did not hand out is refused unread.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/odata"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/testenv"
)

// pagesCase is one engine, how many users and applications it is seeded with beyond the demo's, and
// the largest $top its cases ask for.
type pagesCase struct {
	name        string
	users, apps int
	maxTop      int
	opts        func(t *testing.T) []testenv.Option
}

// TestListsPageByKey seeds more users and applications than a list in memory reads and follows
// nextLink through them, on the embedded engine. moto takes about 15 ms a write and longer for a
// Query of a large table, so there the same cases run over a few dozen of each, in pages of a few.
func TestListsPageByKey(t *testing.T) {
	for _, pc := range []pagesCase{
		{"embedded", 1205, 1030, odata.MaxTop, func(*testing.T) []testenv.Option { return nil }},
		{"moto", 30, 30, 7, func(t *testing.T) []testenv.Option { return []testenv.Option{testenv.OnMoto(testenv.StartMoto(t))} }},
	} {
		t.Run(pc.name, func(t *testing.T) {
			opts := pc.opts(t) // skips moto under -short
			start := time.Now()
			counter := roundtrip.New()
			e := newAPIEnv(t, append(opts, testenv.WithClientOptions(counter.Attach), testenv.DiscardLogs())...)
			users := seedUsers(t, e, pc.users)
			apps := seedApps(t, e, pc.apps)
			t.Logf("seeded %d users and %d applications in %v", pc.users, pc.apps, time.Since(start))
			t.Run("users", func(t *testing.T) { testUserPages(t, e, users, pc.maxTop) })
			t.Run("applications", func(t *testing.T) { testAppPages(t, e, apps, pc.maxTop) })
			t.Run("tokens refused unread", func(t *testing.T) { testBadTokens(t, e, counter) })
			t.Logf("%s: %v in all", pc.name, time.Since(start))
		})
	}
}

// listed is an entity as the index orders it: its id, its gsi1sk and what the filters look at.
type listed struct {
	id, sk string
	url    string          // of an application
	status auth.UserStatus // "" when the item has none (read as Activated)
	member bool            // of demoMFA
}

// seedUsers writes n users straight to the store (LoadUser: two plain puts each), created in pairs a
// second apart after the demo's users, so that ties in createDate are ordered by userId. Every
// seventh is Blocked, every eleventh has no status, every third is a member of demoMFA. It returns
// every user of the table in the order of the list index.
func seedUsers(t *testing.T, e *apiEnv, n int) []listed {
	t.Helper()
	parallel(t, n, func(i int) error {
		at := epoch.Add(time.Duration(i/2+1) * time.Second)
		u := auth.User{ID: uuid.NewString(), Email: fmt.Sprintf("user%04d@example.com", i), Name: fmt.Sprintf("User %d", i),
			Status: auth.StatusActivated, Applications: []string{demoPlain}, CreateDate: at, UpdateDate: at}
		switch {
		case i%7 == 0:
			u.Status = auth.StatusBlocked
		case i%11 == 0:
			u.Status = ""
		}
		if i%3 == 0 {
			u.Applications = append(u.Applications, demoMFA)
		}
		return e.Store.LoadUser(e.Ctx, u)
	})
	var out []listed
	for _, item := range e.Items(t, "USERID#") {
		l := listed{id: attrS(item, "userId"), sk: attrS(item, "gsi1sk"), status: auth.UserStatus(attrS(item, "status"))}
		if apps, ok := item["applications"].(*types.AttributeValueMemberSS); ok {
			l.member = slices.Contains(apps.Value, demoMFA)
		}
		out = append(out, l)
	}
	return sortedBySK(t, out, n)
}

// seedApps writes n applications straight to the store, created a second apart after the demo's;
// every fifth has MFA on. It returns every application in the order of the list index.
func seedApps(t *testing.T, e *apiEnv, n int) []listed {
	t.Helper()
	parallel(t, n, func(i int) error {
		at := epoch.Add(time.Duration(i+1) * time.Second)
		return e.Store.LoadApplication(e.Ctx, auth.Application{ID: uuid.NewString(), Name: fmt.Sprintf("App %d", i),
			URL: fmt.Sprintf("app%d.example.com", i), MFA: i%5 == 0, CreateDate: at, UpdateDate: at})
	})
	var out []listed
	for _, item := range e.Items(t, "APP#") {
		l := listed{id: attrS(item, "appId"), sk: attrS(item, "gsi1sk"), url: attrS(item, "url")}
		if mfa, ok := item["enableMultiFactorAuthentication"].(*types.AttributeValueMemberBOOL); ok && mfa.Value {
			l.status = "MFA"
		}
		out = append(out, l)
	}
	return sortedBySK(t, out, n)
}

func sortedBySK(t *testing.T, out []listed, seeded int) []listed {
	t.Helper()
	slices.SortFunc(out, func(a, b listed) int { return strings.Compare(a.sk, b.sk) })
	if len(out) <= seeded || len(out) <= odata.MaxTop && seeded > odata.MaxTop {
		t.Fatalf("%d entities in the table after seeding %d", len(out), seeded)
	}
	return out
}

// parallel runs write(0..n-1) on a few goroutines; the first error fails the test.
func parallel(t *testing.T, n int, write func(i int) error) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		fail error
		next = make(chan int)
	)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if err := write(i); err != nil {
					mu.Lock()
					fail = err
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if fail != nil {
		t.Fatalf("seed: %v", fail)
	}
}

func attrS(item map[string]types.AttributeValue, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// ids are the ids of the entities that keep passes, in order.
func ids(all []listed, keep func(listed) bool) []string {
	var out []string
	for _, l := range all {
		if keep(l) {
			out = append(out, l.id)
		}
	}
	return out
}

// page is one answer of a list: the entities' ids and the next link.
type page struct {
	ids  []string
	next string
}

// follow lists from target on, following nextLink, and returns the ids in the order they came. Each
// page holds at most top entities and its nextLink keeps every option of target but $skiptoken.
func follow(t *testing.T, get func(target string) page, target string, top int) []string {
	t.Helper()
	_, query, _ := strings.Cut(target, "?")
	first, _ := url.ParseQuery(query)
	var got []string
	for pages := 0; target != ""; pages++ {
		if pages > 2000/top+2 {
			t.Fatalf("nextLink does not end (page %d: %s)", pages, target)
		}
		p := get(target)
		if len(p.ids) > top {
			t.Fatalf("%s: %d entities, want at most %d", target, len(p.ids), top)
		}
		got = append(got, p.ids...)
		if p.next != "" {
			path, query, _ := strings.Cut(p.next, "?")
			opts, err := url.ParseQuery(query)
			if err != nil || opts.Get("$skiptoken") == "" || !strings.HasPrefix(path, "/odata/") {
				t.Fatalf("nextLink %q: want the list's path with a $skiptoken (%v)", p.next, err)
			}
			opts.Del("$skiptoken")
			want := url.Values{}
			for k, v := range first {
				if k != "$skiptoken" {
					want[k] = v
				}
			}
			if opts.Encode() != want.Encode() {
				t.Fatalf("nextLink %q keeps %v, want the options %v", p.next, opts, want)
			}
		}
		target = p.next
	}
	return got
}

func testUserPages(t *testing.T, e *apiEnv, all []listed, maxTop int) {
	get := func(who map[string]any) func(string) page {
		return func(target string) page {
			t.Helper()
			path, query, _ := strings.Cut(target, "?")
			a := e.callUsers(t, who, http.MethodGet, path, query, "")
			if a.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", target, a.Status, a.Raw)
			}
			return pageOf(t, a.Body, "id")
		}
	}
	q := url.QueryEscape
	everyone := func(listed) bool { return true }
	for _, tc := range []struct {
		name, options string // options after $top
		top           int
		keep          func(listed) bool
	}{
		{"every user once, in the order of creation", "", 100, everyone},
		{"orderby createDate pages by key too", "&$orderby=createDate&$select=id,email", 250, everyone},
		{"Blocked users, also after the 1000th", "&$filter=" + q("status eq 'Blocked'"), 100,
			func(l listed) bool { return l.status == auth.StatusBlocked }},
		{"Activated includes users without a status", "&$filter=" + q("status eq 'Activated'"), 300,
			func(l listed) bool { return l.status == auth.StatusActivated || l.status == "" }},
		{"not Activated", "&$filter=" + q("status ne 'Activated'"), 300,
			func(l listed) bool { return l.status != auth.StatusActivated && l.status != "" }},
		{"membership and a status", "&$filter=" + q("appId eq '"+demoMFA+"' and status ne 'Blocked'"), 100,
			func(l listed) bool { return l.member && l.status != auth.StatusBlocked }},
		{"no membership", "&$filter=" + q("appId ne '"+demoMFA+"'"), 400,
			func(l listed) bool { return !l.member }},
		{"a string literal is a value, not syntax", "&$filter=" + q("email eq 'x'' or ''1'' eq ''1'"), 100,
			func(listed) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			top := min(tc.top, maxTop)
			got := follow(t, get(e.admin()), fmt.Sprintf("/odata/users?$top=%d%s", top, tc.options), top)
			want := ids(all, tc.keep)
			if !slices.Equal(got, want) {
				t.Fatalf("%d users (first %v), want %d (first %v)", len(got), head(got), len(want), head(want))
			}
			if len(want) > 0 && len(all) > odata.MaxTop && slices.Index(ids(all, everyone), want[len(want)-1]) < odata.MaxTop {
				t.Fatalf("the case reaches no user after the %dth", odata.MaxTop)
			}
		})
	}
	if len(all) > odata.DefaultTop {
		t.Run("default top", func(t *testing.T) {
			if got := follow(t, get(e.admin()), "/odata/users", odata.DefaultTop); !slices.Equal(got, ids(all, everyone)) {
				t.Fatalf("%d users, want %d", len(got), len(all))
			}
		})
	}

	t.Run("a client session sees its members, on every page", func(t *testing.T) {
		got := follow(t, asClient(t, e, demoMFA), fmt.Sprintf("/odata/users?$top=%d&$filter=%s", min(200, maxTop), q("status eq 'Blocked'")), min(200, maxTop))
		want := ids(all, func(l listed) bool { return l.member && l.status == auth.StatusBlocked })
		if !slices.Equal(got, want) {
			t.Fatalf("%d users, want the %d Blocked members of the client's application", len(got), len(want))
		}
	})

	t.Run("the store lists no password hash", func(t *testing.T) {
		users, next, err := e.Store.UsersAfter(e.Ctx, "", 10, nil)
		if err != nil || len(users) != 10 || next == "" {
			t.Fatalf("UsersAfter = %d users, next %q, %v", len(users), next, err)
		}
		hashed := 0
		for _, u := range users {
			if u.PasswordHash != "" {
				t.Errorf("user %s listed with its password hash", u.ID)
			}
			if stored, err := e.Store.GetUserByID(e.Ctx, u.ID); err == nil && stored.PasswordHash != "" {
				hashed++
			}
		}
		if hashed == 0 {
			t.Fatal("none of the first users has a password hash: the case proves nothing")
		}
	})

	t.Run("queries read in memory are unchanged", func(t *testing.T) {
		a := e.callUsers(t, e.admin(), http.MethodGet, "/odata/users", "$orderby=email&$top=2&$count=true", "")
		if n := min(len(all), odata.MaxTop); a.Status != http.StatusOK || a.Body["@odata.count"] != float64(n) {
			t.Fatalf("$count over the users read in memory: %d %v, want the first %d counted", a.Status, a.Body["@odata.count"], n)
		}
		if next, _ := a.Body["@odata.nextLink"].(string); !strings.Contains(next, "%24skip=2") || strings.Contains(next, "skiptoken") {
			t.Errorf("nextLink %q, want $skip=2", next)
		}
	})
}

func testAppPages(t *testing.T, e *apiEnv, all []listed, maxTop int) {
	get := func(target string) page {
		t.Helper()
		status, body, raw := e.callApps(t, http.MethodGet, target, true)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", target, status, raw)
		}
		return pageOf(t, body, "appId")
	}
	everyone := func(listed) bool { return true }
	mfa := func(l listed) bool { return l.status == "MFA" }
	for _, tc := range []struct {
		name, target string // target before $top
		top          int
		keep         func(listed) bool
	}{
		{"every application once, in the order of creation", "/odata/Applications?", 100, everyone},
		{"MFA on", "/odata/applications?$select=appId,name&$filter=" + url.QueryEscape("enableMultiFactorAuthentication eq true") + "&", 50, mfa},
		{"MFA off and not one url", "/odata/Applications?$filter=" + url.QueryEscape("enableMultiFactorAuthentication ne true and url ne 'app3.example.com'") + "&", 500,
			func(l listed) bool { return !mfa(l) && l.url != "app3.example.com" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			top := min(tc.top, maxTop)
			got := follow(t, get, fmt.Sprintf("%s$top=%d", tc.target, top), top)
			if want := ids(all, tc.keep); !slices.Equal(got, want) {
				t.Fatalf("%d applications (first %v), want %d (first %v)", len(got), head(got), len(want), head(want))
			}
			if len(all) > odata.MaxTop && !slices.Contains(got, all[odata.MaxTop].id) && tc.keep(all[odata.MaxTop]) {
				t.Fatalf("the %dth application was not listed", odata.MaxTop+1)
			}
		})
	}
}

func testBadTokens(t *testing.T, e *apiEnv, counter *roundtrip.Counter) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	good := "2031-05-06T09:00:01Z#" + adaID
	for _, tc := range []struct{ name, list, query string }{
		{"garbled", "users", "$skiptoken=%21%21%21"},
		{"padded base64", "users", "$skiptoken=" + url.QueryEscape(base64.URLEncoding.EncodeToString([]byte("USER#"+good)))}, // 62 bytes: one "="
		{"standard base64", "users", "$skiptoken=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("USER#"+good+"??")))},
		{"the applications' partition", "users", "$skiptoken=" + b64("APP#"+good)},
		{"the users' partition", "Applications", "$skiptoken=" + b64("USER#"+good)},
		{"a table key", "users", "$skiptoken=" + b64("USERID#"+adaID)},
		{"no id", "users", "$skiptoken=" + b64("USER#2031-05-06T09:00:01Z#")},
		{"not a date", "users", "$skiptoken=" + b64("USER#yesterday#"+adaID)},
		{"a date in another form", "users", "$skiptoken=" + b64("USER#2031-05-06T11:00:01+02:00#"+adaID)},
		{"a control character", "users", "$skiptoken=" + b64("USER#"+good+"\n")},
		{"a long id", "users", "$skiptoken=" + b64("USER#2031-05-06T09:00:01Z#"+strings.Repeat("a", 200))},
		{"too long", "users", "$skiptoken=" + strings.Repeat("A", odata.MaxSkipTokenLen+1)},
		{"empty", "Applications", "$skiptoken="},
		{"with $orderby=email", "users", "$orderby=email&$skiptoken=" + b64("USER#"+good)},
		{"with $orderby=createDate desc", "Applications", "$orderby=createDate%20desc&$skiptoken=" + b64("APP#"+good)},
		{"with $skip", "users", "$skip=1&$skiptoken=" + b64("USER#"+good)},
		{"with $count", "Applications", "$count=true&$skiptoken=" + b64("APP#"+good)},
		{"twice", "users", "$skiptoken=" + b64("USER#"+good) + "&$SkipToken=" + b64("USER#"+good)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a answer
			calls := counter.Measure(func() {
				a = e.callUsers(t, e.admin(), http.MethodGet, "/odata/"+tc.list, tc.query, "")
			})
			if a.Status != http.StatusBadRequest || a.Body["code"] != "invalid_request" || !strings.Contains(strings.ToLower(fmt.Sprint(a.Body["message"])), "$skiptoken") {
				t.Errorf("%s: %d %s, want 400 invalid_request naming $skiptoken", tc.query, a.Status, a.Raw)
			}
			if calls.N() != 0 {
				t.Errorf("%s: %s DynamoDB operations, want none", tc.query, calls)
			}
		})
	}
}

// asClient gets a page of users as the application appID acting by its credentials.
func asClient(t *testing.T, e *apiEnv, appID string) func(target string) page {
	h := httpapi.NewUsers(e.Users(), e.Log)
	client := auth.Session{AppID: appID, Client: true}
	return func(target string) page {
		t.Helper()
		req := event("GET /odata/users", nil, "")
		req.RawPath, req.RawQueryString, _ = strings.Cut(target, "?")
		resp, err := h.List(e.Ctx, req, client)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s as a client: %d %s (%v)", target, resp.StatusCode, resp.Body, err)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Fatal(err)
		}
		return pageOf(t, body, "id")
	}
}

func pageOf(t *testing.T, body map[string]any, idKey string) page {
	t.Helper()
	value, ok := body["value"].([]any)
	if !ok {
		t.Fatalf("body %v has no value array", body)
	}
	p := page{ids: []string{}}
	for _, v := range value {
		p.ids = append(p.ids, v.(map[string]any)[idKey].(string))
	}
	p.next, _ = body["@odata.nextLink"].(string)
	return p
}

func head(s []string) []string { return s[:min(len(s), 3)] }

// TestPageTokensAreSealed: a token names only an entity the caller was answered, and tells nothing
// of it: an application listing its members a user at a time learns no other user's id or creation
// date from the tokens. A token opens only for the list that sealed it, unaltered; one that does not
// is refused unread. An application stored without a creation date pages on like any other.
func TestPageTokensAreSealed(t *testing.T) {
	counter := roundtrip.New()
	e := newAPIEnv(t, testenv.WithClientOptions(counter.Attach), testenv.DiscardLogs())
	all := seedUsers(t, e, 40)
	skOf := map[string]string{}
	for _, l := range all {
		skOf[l.id] = l.sk
	}

	t.Run("a client's tokens name only its members", func(t *testing.T) {
		get, tokens := asClient(t, e, demoMFA), 0
		got := follow(t, func(target string) page {
			p := get(target)
			if p.next == "" {
				return p
			}
			tokens++
			link, _ := url.Parse(p.next)
			token := link.Query().Get("$skiptoken")
			mark, ok := e.Pages.Open("USER", token)
			if !ok {
				t.Fatalf("token %q of %s does not open", token, target)
			}
			// A page that filled resumes after its own user; one that did not, where the read stopped,
			// which may be any user, and so must not be readable.
			if len(p.ids) == 1 && mark != skOf[p.ids[0]] {
				t.Fatalf("the token after %s names %q, not the user the page answered", p.ids[0], mark)
			}
			if strings.Contains(token, "USER") || strings.Contains(strings.ToLower(token), "2031") {
				t.Fatalf("token %q shows what it names", token)
			}
			return p
		}, "/odata/users?$top=1", 1)
		want := ids(all, func(l listed) bool { return l.member })
		if !slices.Equal(got, want) || tokens < len(want)-1 {
			t.Fatalf("%d users over %d tokens, want the %d members of the client's application", len(got), tokens, len(want))
		}
	})

	a := e.callUsers(t, e.admin(), http.MethodGet, "/odata/users", "$top=1", "")
	userToken := ""
	if next, _ := a.Body["@odata.nextLink"].(string); next != "" {
		link, _ := url.Parse(next)
		userToken = link.Query().Get("$skiptoken")
	}
	if userToken == "" {
		t.Fatalf("no token after the first user: %s", a.Raw)
	}
	altered := []byte(userToken)
	altered[len(altered)/2] ^= 'A' ^ 'B'
	forged := odata.NewSealer([]byte("another secret of at least 32 bytes....")).Seal("USER", all[0].sk)
	for _, tc := range []struct{ name, list, token string }{
		{"a users' token to the applications", "Applications", userToken},
		{"altered", "users", string(altered)},
		{"sealed under another secret", "users", forged},
		{"plain base64 of an index key", "users", base64.RawURLEncoding.EncodeToString([]byte("USER#" + all[0].sk))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a answer
			calls := counter.Measure(func() {
				a = e.callUsers(t, e.admin(), http.MethodGet, "/odata/"+tc.list, "$skiptoken="+url.QueryEscape(tc.token), "")
			})
			if a.Status != http.StatusBadRequest || a.Body["code"] != "invalid_request" || !strings.Contains(fmt.Sprint(a.Body["message"]), "$skiptoken") {
				t.Errorf("%d %s, want 400 invalid_request naming $skiptoken", a.Status, a.Raw)
			}
			if calls.N() != 0 {
				t.Errorf("%s DynamoDB operations, want none", calls)
			}
		})
	}

	t.Run("an application without a creation date", func(t *testing.T) {
		if err := e.Store.LoadApplication(e.Ctx, auth.Application{ID: "undated", Name: "Undated", URL: "undated.example.com"}); err != nil {
			t.Fatal(err)
		}
		got := follow(t, func(target string) page {
			status, body, raw := e.callApps(t, http.MethodGet, target, true)
			if status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", target, status, raw)
			}
			return pageOf(t, body, "appId")
		}, "/odata/Applications?$top=1", 1)
		if len(got) < 3 || got[0] != "undated" {
			t.Fatalf("applications %v, want the undated one first and the demo's after it", got)
		}
	})
}

// TestFilterOfTooManyComparisons: a $filter of more comparisons than a list takes is refused, naming
// $filter, before anything is read; the most it takes is answered.
func TestFilterOfTooManyComparisons(t *testing.T) {
	counter := roundtrip.New()
	e := newAPIEnv(t, testenv.WithClientOptions(counter.Attach), testenv.DiscardLogs())
	filter := func(term string, n int) string {
		return "$filter=" + url.QueryEscape(strings.Join(slices.Repeat([]string{term}, n), " and "))
	}
	for _, tc := range []struct{ list, term string }{
		{"users", "status ne 'Activated'"},
		{"users", "appId ne 'x'"},
		{"Applications", "url ne 'x'"},
	} {
		for _, query := range []string{filter(tc.term, odata.MaxComparisons+1), filter(tc.term, odata.MaxComparisons+1) + "&$orderby=email"} {
			if tc.list == "Applications" {
				query = strings.ReplaceAll(query, "email", "name")
			}
			var a answer
			calls := counter.Measure(func() { a = e.callUsers(t, e.admin(), http.MethodGet, "/odata/"+tc.list, query, "") })
			if a.Status != http.StatusBadRequest || a.Body["code"] != "invalid_request" || !strings.Contains(fmt.Sprint(a.Body["message"]), "$filter") {
				t.Errorf("%s %.80s: %d %s, want 400 invalid_request naming $filter", tc.list, query, a.Status, a.Raw)
			}
			if calls.N() != 0 {
				t.Errorf("%s %.80s: %s DynamoDB operations, want none", tc.list, query, calls)
			}
		}
		if a := e.callUsers(t, e.admin(), http.MethodGet, "/odata/"+tc.list, filter(tc.term, odata.MaxComparisons), ""); a.Status != http.StatusOK {
			t.Errorf("%s, %d comparisons: %d %s, want 200", tc.list, odata.MaxComparisons, a.Status, a.Raw)
		}
	}
}
