package auth

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"

	"mfagateway/shared/odata"
)

// MaxListedApplications is how many applications a list reads when it cannot page by key (an order
// other than createDate, $skip or $count): the first this many by creation, in one read of the list
// index. Filters, sorting and paging apply to them; an application created after them is in no such
// list; the service logs that and reports it in ApplicationPage.Capped. Every other list pages by key
// (odata.Query.Keyset) and reaches every application.
const MaxListedApplications = odata.MaxTop

// ApplicationSchema is what a list of applications may filter and sort on. What it may select is the
// properties of the entity as the API shows it, which the HTTP layer adds.
var ApplicationSchema = odata.Schema{
	Filter:  map[string]odata.Kind{"name": odata.String, "url": odata.String, "enableMultiFactorAuthentication": odata.Bool},
	OrderBy: []string{"name", "createDate"},
}

// ApplicationPage is one page of a list.
type ApplicationPage struct {
	Apps    []Application
	Matched int  // applications that pass the filter, over every page; counted only for $count
	More    bool // pages remain after this one
	Capped  bool // there are more applications than a list in memory reads
	// Next is the $skiptoken of the page after this one, when the list pages by key and more remain.
	Next string
}

// ListPage returns the page of applications q asks for. A query that pages by key (q.Keyset) is one
// read of the list index: the first q.Top applications after q.SkipToken that pass the filter.
// Any other is answered from the first MaxListedApplications: those that pass its filter, in its order
// (then by creation and appId), after skipping q.Skip, at most q.Top.
func (a *Applications) ListPage(ctx context.Context, who Session, q odata.Query) (ApplicationPage, error) {
	if err := a.admin(ctx, who, "list"); err != nil {
		return ApplicationPage{}, err
	}
	if q.Keyset() {
		apps, next, err := a.store.ApplicationsAfter(ctx, q.SkipToken, q.Top, q.Filter)
		if refusedQuery(ctx, a.log, "applications", err) {
			return ApplicationPage{}, err
		}
		if err != nil {
			return ApplicationPage{}, a.fail(ctx, who, "list", err)
		}
		return ApplicationPage{Apps: apps, Matched: len(apps), More: next != "", Next: next}, nil
	}
	apps, capped, err := a.store.ApplicationsByCreateDate(ctx, MaxListedApplications)
	if err != nil {
		return ApplicationPage{}, a.fail(ctx, who, "list", err)
	}
	if capped {
		a.log.WarnContext(ctx, "list capped", "event", "applications", "action", "list", "limit", MaxListedApplications)
	}
	page := ApplicationPage{Capped: capped}
	page.Apps, page.Matched, page.More = pageOf(apps, q, func(app Application) bool { return q.Matches(app.property) }, compareApps)
	return page, nil
}

// refusedQuery reports (and logs) whether err is the store's refusal of the query: a $skiptoken it
// did not hand out, or a $filter its database would not take. A client's error, passed back as it is;
// the option's text is not logged: it is the client's.
func refusedQuery(ctx context.Context, log *slog.Logger, event string, err error) bool {
	var bad *odata.Error
	if !errors.As(err, &bad) {
		return false
	}
	outcome := "invalid_filter"
	if bad.Option == "$skiptoken" {
		outcome = "invalid_skiptoken"
	}
	log.InfoContext(ctx, "refused", "event", event, "action", "list", "outcome", outcome)
	return true
}

// pageOf is the page of items that q asks for: those keep passes, in q's order (cmp compares two by
// one property; ties keep the order they were read in), after skipping q.Skip, at most q.Top. matched
// counts those keep passed, over every page; more tells whether any come after the page.
func pageOf[T any](items []T, q odata.Query, keep func(T) bool, cmp func(property string, x, y T) int) (page []T, matched int, more bool) {
	items = slices.DeleteFunc(items, func(it T) bool { return !keep(it) })
	slices.SortStableFunc(items, func(x, y T) int {
		for _, o := range q.OrderBy {
			c := cmp(o.Property, x, y)
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0 // stable: the order of creation decides
	})
	start := min(q.Skip, len(items))
	end := min(start+q.Top, len(items))
	return items[start:end], len(items), end < len(items)
}

// property is the value of a filterable property, as $filter compares it.
func (app Application) property(name string) odata.Value {
	switch name {
	case "name":
		return odata.Value{Kind: odata.String, Str: app.Name}
	case "url":
		return odata.Value{Kind: odata.String, Str: app.URL}
	case "enableMultiFactorAuthentication":
		return odata.Value{Kind: odata.Bool, Bool: app.MFA}
	}
	return odata.Value{}
}

func compareApps(property string, x, y Application) int {
	switch property {
	case "name":
		return strings.Compare(x.Name, y.Name)
	case "createDate":
		return x.CreateDate.Compare(y.CreateDate)
	}
	return 0
}

// Delete removes an application and its url: logins to it fail from then on, and the authorizer
// refuses its tokens.
func (a *Applications) Delete(ctx context.Context, who Session, id string) error {
	if err := a.admin(ctx, who, "delete"); err != nil {
		return err
	}
	tries, err := retryConflicts(ctx, func() error {
		app, err := a.store.GetApplication(ctx, id)
		if err != nil {
			return err
		}
		return a.store.DeleteApplication(ctx, app)
	})
	if err != nil {
		return a.fail(ctx, who, "delete", err)
	}
	a.log.InfoContext(ctx, "application deleted", "event", "applications", "action", "delete", "outcome", "deleted",
		"appId", id, "tries", tries, "userId", who.UserID)
	return nil
}
