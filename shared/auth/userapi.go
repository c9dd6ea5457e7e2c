package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"mfagateway/shared/mask"
	"mfagateway/shared/odata"
)

// The users API's operations: users by userId, as /odata/users names them. Who may do what:
//
//   - an admin session, everything;
//   - a Client session (an application by its own credentials), only on users that are members of its
//     application: read, list (only its members), create (a member of it alone), change and unblock;
//     never delete, never make a user an admin, never change an admin user, and of a user's
//     applications it may add or remove only its own; the email, mobile number and status of a user
//     (unblock included) only while the user is a member of its application alone, since they
//     decide where every application's codes go and whether the user may log in to any of them;
//   - any other session, nothing (ErrForbidden), but its own user through Me, ChangeMe and
//     ConfirmMobile (selfservice.go).

// UserPatch holds the properties a change of a user sets; nil leaves a property as it is.
type UserPatch struct {
	Email        *string
	Name         *string
	Mobile       *string // empty clears the number
	CultureInfo  *string // empty clears the tag
	Status       *UserStatus
	Admin        *bool
	Applications *[]string // a list, even empty, replaces the one stored

	mobileCountry string // what the validator found for Mobile
}

// UserView is a user as the users API shows it: without the password hash, with its failed logins.
type UserView struct {
	User         User // PasswordHash empty
	FailedLogins int
}

// MaxListedUsers is how many users a list reads when it cannot page by key (an order other than
// createDate, $skip or $count): the first this many by creation, in one read of the list index.
// Filters, sorting and paging apply to them; a user created after them is in no such list; the
// service logs that and reports it in UserPage.Capped. Every other list pages by key
// (odata.Query.Keyset) and reaches every user.
const MaxListedUsers = odata.MaxTop

// UserSchema is what a list of users may filter and sort on; "appId eq '...'" is membership.
var UserSchema = odata.Schema{
	Filter:  map[string]odata.Kind{"email": odata.String, "status": odata.String, "admin": odata.Bool, "appId": odata.String},
	OrderBy: []string{"email", "createDate"},
}

// UserPage is one page of a list of users.
type UserPage struct {
	Users   []UserView
	Matched int  // users that pass the filter, over every page; counted only for $count
	More    bool // pages remain after this one
	Capped  bool // there are more users than a list in memory reads
	// Next is the $skiptoken of the page after this one, when the list pages by key and more remain.
	Next string
}

// State is the user's status, Activated for a user stored before statuses were kept.
func (u User) State() UserStatus {
	if u.Status == "" {
		return StatusActivated
	}
	return u.Status
}

// ParseStatus reads a status in any letter case and returns it as spelled in Statuses.
func ParseStatus(raw string) (UserStatus, error) {
	for _, st := range Statuses {
		if strings.EqualFold(strings.TrimSpace(raw), string(st)) {
			return st, nil
		}
	}
	return "", &PropertyError{"status", fmt.Sprintf("must be Pending, Activated or Blocked, not %q.", clip(raw))}
}

// FailedLogins is the count of failed passwords as of now: for the account's count, those of the
// clock hour from every network. A count past its expiry is none. A count below zero (a right
// password's attempt taken back after an unblock forgot the count) is none too.
func (a LoginAttempts) FailedLogins(now time.Time) int {
	if a.Stale(now) {
		return 0
	}
	return max(a.Failures, 0)
}

func (s *Users) now() time.Time { return s.d.Clock().UTC().Truncate(time.Second) }

// gate refuses, before anything is read, a session that may use none of the users API.
func (s *Users) gate(ctx context.Context, who Session, action string) error {
	if who.Admin || who.Client {
		return nil
	}
	return s.forbidden(ctx, who, action, User{}, "not an admin")
}

// may decides whether who may act on the stored user u: read it, or (write) change it.
func (s *Users) may(ctx context.Context, who Session, action string, u User, write bool) error {
	switch {
	case who.Admin:
		return nil
	case !who.Client:
		return s.forbidden(ctx, who, action, u, "not an admin")
	case !u.MemberOf(who.AppID):
		return s.forbidden(ctx, who, action, u, "not a member of the client's application")
	case write && u.Admin:
		return s.forbidden(ctx, who, action, u, "an admin user")
	}
	return nil
}

// clientChange decides whether a Client session may turn prev into next: no admin made, of the
// applications only its own added or removed, and the email, mobile number and status changed only of
// a user that is a member of its application alone.
func (s *Users) clientChange(ctx context.Context, who Session, action string, prev, next User) error {
	if !who.Client || who.Admin {
		return nil
	}
	if next.Admin {
		return s.forbidden(ctx, who, action, prev, "would make an admin")
	}
	if next.Email != prev.Email || next.Mobile != prev.Mobile || next.State() != prev.State() {
		if err := s.clientAlone(ctx, who, action, prev); err != nil {
			return err
		}
	}
	for _, id := range append(slices.Clone(prev.Applications), next.Applications...) {
		if id != who.AppID && prev.MemberOf(id) != next.MemberOf(id) {
			return s.forbidden(ctx, who, action, prev, "would change another application's membership")
		}
	}
	return nil
}

// clientAlone refuses a Client session acting on a user that is a member of another application too:
// the user's email and mobile number are where that application's codes go, and its status whether
// the user may log in to it, so they are not one application's to change.
func (s *Users) clientAlone(ctx context.Context, who Session, action string, u User) error {
	if !who.Client || who.Admin || slices.Equal(appSet(nil, u.Applications), []string{who.AppID}) {
		return nil
	}
	return s.forbidden(ctx, who, action, u, "a member of another application too")
}

func (s *Users) forbidden(ctx context.Context, who Session, action string, u User, why string) error {
	s.d.Log.InfoContext(ctx, "refused", "event", "users", "action", action, "outcome", "forbidden", "reason", why,
		"userId", u.ID, "email", mask.Email(u.Email), "actor", actor(who))
	return ErrForbidden
}

// actor names the caller in log lines: a user, or an application acting by its credentials.
func actor(who Session) string {
	if who.Client {
		return "app:" + who.AppID
	}
	return who.UserID
}

// byID reads the user of a userId: ErrUserNotFound or the user.
func (s *Users) byID(ctx context.Context, id string) (User, error) {
	u, err := s.d.Store.GetUserByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return User{}, ErrUserNotFound
	}
	return u, err
}

// view is u as the API shows it, with its failed logins as of now.
func (s *Users) view(u User, a LoginAttempts) UserView {
	u.PasswordHash = ""
	u.PendingMobile.CodeHash = ""
	return UserView{User: u, FailedLogins: a.FailedLogins(s.d.Clock())}
}

// GetByID reads a user and its failed logins: two reads.
func (s *Users) GetByID(ctx context.Context, who Session, id string) (UserView, error) {
	if err := s.gate(ctx, who, "get"); err != nil {
		return UserView{}, err
	}
	u, err := s.byID(ctx, id)
	if err != nil {
		return UserView{}, s.fail(ctx, who, "get", "", err)
	}
	if err := s.may(ctx, who, "get", u, false); err != nil {
		return UserView{}, err
	}
	a, err := s.d.Store.GetLoginAttempts(ctx, u.Email)
	if err != nil {
		return UserView{}, fmt.Errorf("get user: %w", err)
	}
	return s.view(u, a), nil
}

// Me reads the session's own user: any user's token may, an application acting by its credentials
// has no user (ErrForbidden).
func (s *Users) Me(ctx context.Context, who Session) (UserView, error) {
	if who.Client || who.UserID == "" {
		return UserView{}, s.forbidden(ctx, who, "me", User{}, "no user")
	}
	u, err := s.byID(ctx, who.UserID)
	if err != nil {
		return UserView{}, s.fail(ctx, who, "me", "", err)
	}
	a, err := s.d.Store.GetLoginAttempts(ctx, u.Email)
	if err != nil {
		return UserView{}, fmt.Errorf("me: %w", err)
	}
	return s.view(u, a), nil
}

// ListPage returns the page of users q asks for, each with its failed logins (read in one batch per
// 100 users of the page). A Client session sees only members of its application. A query that pages
// by key (q.Keyset) is one read of the list index: the first q.Top users after q.SkipToken that pass
// the filter. Any other is answered from the first MaxListedUsers by creation: those that pass
// its filter, in its order (then by creation), after q.Skip, at most q.Top.
func (s *Users) ListPage(ctx context.Context, who Session, q odata.Query) (UserPage, error) {
	if err := s.gate(ctx, who, "list"); err != nil {
		return UserPage{}, err
	}
	var (
		page  UserPage
		found []User
		err   error
	)
	if q.Keyset() {
		found, page.Next, err = s.d.Store.UsersAfter(ctx, q.SkipToken, q.Top, listFilter(who, q))
		if refusedQuery(ctx, s.d.Log, "users", err) {
			return UserPage{}, err
		}
		page.Matched, page.More = len(found), page.Next != ""
	} else {
		found, page, err = s.listInMemory(ctx, who, q)
	}
	if err != nil {
		return UserPage{}, fmt.Errorf("list users: %w", err)
	}
	emails := make([]string, len(found))
	for i, u := range found {
		emails[i] = u.Email
	}
	attempts, err := s.d.Store.LoginAttemptsOf(ctx, emails)
	if err != nil {
		return UserPage{}, fmt.Errorf("list users: %w", err)
	}
	page.Users = make([]UserView, len(found))
	for i, u := range found {
		page.Users[i] = s.view(u, attempts[u.Email])
	}
	return page, nil
}

// listFilter is q's filter, for a Client session with membership of its application added.
func listFilter(who Session, q odata.Query) []odata.Comparison {
	if who.Admin {
		return q.Filter
	}
	member := odata.Comparison{Property: "appId", Op: odata.Eq, Value: odata.Value{Kind: odata.String, Str: who.AppID}}
	return append(slices.Clone(q.Filter), member)
}

// listInMemory is the page of q from the first MaxListedUsers by creation, sorted and paged here.
func (s *Users) listInMemory(ctx context.Context, who Session, q odata.Query) ([]User, UserPage, error) {
	users, capped, err := s.d.Store.UsersByCreateDate(ctx, MaxListedUsers)
	if err != nil {
		return nil, UserPage{}, err
	}
	if capped {
		s.d.Log.WarnContext(ctx, "list capped", "event", "users", "action", "list", "limit", MaxListedUsers)
	}
	keep := func(u User) bool { return (who.Admin || u.MemberOf(who.AppID)) && u.matches(q) }
	page := UserPage{Capped: capped}
	var found []User
	found, page.Matched, page.More = pageOf(users, q, keep, compareUsers)
	return found, page, nil
}

// matches is q's filter on u, where "appId" compares with each of the user's applications: eq is
// membership, ne its absence.
func (u User) matches(q odata.Query) bool {
	rest := q
	rest.Filter = nil
	for _, c := range q.Filter {
		if c.Property == "appId" {
			if u.MemberOf(c.Value.Str) != (c.Op == odata.Eq) {
				return false
			}
			continue
		}
		rest.Filter = append(rest.Filter, c)
	}
	return rest.Matches(u.property)
}

// property is the value of a filterable property, as $filter compares it.
func (u User) property(name string) odata.Value {
	switch name {
	case "email":
		return odata.Value{Kind: odata.String, Str: u.Email}
	case "status":
		return odata.Value{Kind: odata.String, Str: string(u.State())}
	case "admin":
		return odata.Value{Kind: odata.Bool, Bool: u.Admin}
	}
	return odata.Value{}
}

func compareUsers(property string, x, y User) int {
	switch property {
	case "email":
		return strings.Compare(x.Email, y.Email)
	case "createDate":
		return x.CreateDate.Compare(y.CreateDate)
	}
	return 0
}

// CreatePending stores a new user from the API: status Pending, no password, nothing sent. For a Client
// session the user's applications are its own application alone (none given is that), and it is no
// admin.
func (s *Users) CreatePending(ctx context.Context, who Session, n NewUser) (UserView, error) {
	if err := s.gate(ctx, who, "create"); err != nil {
		return UserView{}, err
	}
	n, err := s.normalize(n)
	if err != nil {
		return UserView{}, s.fail(ctx, who, "create", n.Email, err)
	}
	if who.Client && !who.Admin {
		if len(n.Applications) == 0 {
			n.Applications = []string{who.AppID}
		}
		if err := s.clientChange(ctx, who, "create", User{Email: n.Email, Applications: []string{who.AppID}},
			User{Admin: n.Admin, Applications: n.Applications}); err != nil {
			return UserView{}, err
		}
	}
	now := s.now()
	u := User{ID: s.d.NewID(), Email: n.Email, Name: n.Name, Mobile: n.Mobile, MobileCountry: n.MobileCountry,
		Admin: n.Admin, Applications: n.Applications, Status: StatusPending, CultureInfo: n.CultureInfo,
		CreateDate: now, UpdateDate: now}
	if err := s.d.Store.CreateUser(ctx, u); err != nil {
		return UserView{}, s.fail(ctx, who, "create", n.Email, err)
	}
	s.decided(ctx, who, "create", "created", u, "status", u.Status, "admin", u.Admin, "applications", len(u.Applications))
	return s.view(u, LoginAttempts{}), nil
}

// checkPatch holds each property a change sets to its rule and puts it in its stored form.
func (s *Users) checkPatch(p UserPatch) (UserPatch, error) {
	var err error
	if p.Email, err = checkSet(p.Email, ParseEmail); err != nil {
		return p, err
	}
	if p.Name, err = checkSet(p.Name, CheckName); err != nil {
		return p, err
	}
	if p.Mobile != nil {
		m, country, err := s.NormalizeMobile(*p.Mobile)
		if err != nil {
			return p, err
		}
		p.Mobile, p.mobileCountry = &m, country
	}
	if p.CultureInfo, err = checkSet(p.CultureInfo, CheckCultureInfo); err != nil {
		return p, err
	}
	if p.Applications != nil {
		apps, err := checkApplications(*p.Applications)
		if err != nil {
			return p, err
		}
		p.Applications = &apps
	}
	return p, nil
}

// apply sets on u what the patch gives.
func (p UserPatch) apply(u *User) {
	set(&u.Email, p.Email)
	set(&u.Name, p.Name)
	if p.Mobile != nil {
		u.Mobile, u.MobileCountry = *p.Mobile, p.mobileCountry
	}
	set(&u.CultureInfo, p.CultureInfo)
	set(&u.Status, p.Status)
	set(&u.Admin, p.Admin)
	if p.Applications != nil {
		u.Applications = slices.Clone(*p.Applications)
	}
}

// checkStatus is the rule of a status change: Pending is only kept (a user becomes Pending by
// invitation), and only a user with a password can be Activated.
func checkStatus(prev User, next UserStatus) error {
	switch {
	case next == StatusPending && prev.State() != StatusPending:
		return &PropertyError{"status", "can be Pending only while the user is: a user becomes Pending by invitation, never by a change."}
	case next == StatusActivated && prev.PasswordHash == "":
		return &PropertyError{"status", "can be Activated only for a user with a password; an invited user is Activated by setting one."}
	}
	return nil
}

// Change applies p to the user with the userId (PATCH; PUT with every property given) and returns it
// as stored, without its failed logins (WithFailedLogins reads them, for an answer that shows the
// user). A new email moves the user, under the rules of ChangeEmail. A new email is told to the old
// address, a new mobile number (which drops any number the user asked for and has not confirmed) to
// the user's email as it was. action names it in the log.
func (s *Users) Change(ctx context.Context, who Session, action, id string, p UserPatch) (UserView, error) {
	if err := s.gate(ctx, who, action); err != nil {
		return UserView{}, err
	}
	masked := p.takeMasked() // the masked forms of answers about others stand for the stored values
	p, err := s.checkPatch(p)
	if err != nil {
		return UserView{}, s.fail(ctx, who, action, "", err)
	}
	var prev, next User
	tries, err := retryConflicts(ctx, func() error {
		var err error
		prev, err = s.byID(ctx, id)
		if err != nil {
			return err
		}
		if err := s.may(ctx, who, action, prev, true); err != nil {
			return err
		}
		if err := masked.unchangedFrom(prev); err != nil {
			return err
		}
		next = prev
		next.Applications = slices.Clone(prev.Applications)
		p.apply(&next)
		if next.Mobile != prev.Mobile {
			next.PendingMobile = PendingMobile{}
		}
		if p.Status != nil && *p.Status != prev.State() {
			if err := checkStatus(prev, *p.Status); err != nil {
				return err
			}
		}
		if err := s.clientChange(ctx, who, action, prev, next); err != nil {
			return err
		}
		if next.Email != prev.Email || next.State() == StatusBlocked {
			// A ticket went to the old address, or lets a user who may no longer log in set a
			// password: either way it must not outlive the change.
			next.Ticket = UserTicket{}
		}
		next.UpdateDate = s.now()
		if next.Email != prev.Email {
			return vanished(s.d.Store.MoveUser(ctx, prev, next))
		}
		return vanished(s.d.Store.UpdateUser(ctx, prev, next))
	})
	if errors.Is(err, ErrForbidden) {
		return UserView{}, err // logged where it was decided
	}
	if err != nil {
		return UserView{}, s.fail(ctx, who, action, next.Email, err)
	}
	s.decided(ctx, who, action, "changed", next, "status", next.State(), "admin", next.Admin, "tries", tries)
	s.notifyChange(ctx, who, prev, next)
	return s.view(next, LoginAttempts{}), nil
}

// WithFailedLogins is v with the user's failed logins as stored now: one read.
func (s *Users) WithFailedLogins(ctx context.Context, v UserView) (UserView, error) {
	a, err := s.d.Store.GetLoginAttempts(ctx, v.User.Email)
	if err != nil {
		return UserView{}, fmt.Errorf("read failed logins: %w", err)
	}
	return s.view(v.User, a), nil
}

// DeleteByID removes a user (admins only): its tokens stop working, its email is free. A user that is
// already gone is ErrUserNotFound.
func (s *Users) DeleteByID(ctx context.Context, who Session, id string) error {
	if !who.Admin {
		return s.forbidden(ctx, who, "delete", User{ID: id}, "not an admin")
	}
	var u User
	tries, err := retryConflicts(ctx, func() error {
		var err error
		if u, err = s.byID(ctx, id); err != nil {
			return err
		}
		return vanished(s.d.Store.DeleteUser(ctx, u))
	})
	if err != nil {
		return s.fail(ctx, who, "delete", u.Email, err)
	}
	s.decided(ctx, who, "delete", "deleted", u, "tries", tries)
	return nil
}

// Unblock forgets the user's failed passwords and sets a Blocked user back to Activated (Pending when
// it has no password yet), in one write.
func (s *Users) Unblock(ctx context.Context, who Session, id string) error {
	if err := s.gate(ctx, who, "unblock"); err != nil {
		return err
	}
	var next User
	tries, err := retryConflicts(ctx, func() error {
		prev, err := s.byID(ctx, id)
		if err != nil {
			return err
		}
		if err := s.may(ctx, who, "unblock", prev, true); err != nil {
			return err
		}
		if err := s.clientAlone(ctx, who, "unblock", prev); err != nil {
			return err
		}
		next = prev
		if prev.State() == StatusBlocked {
			next.Status, next.UpdateDate = StatusActivated, s.now()
			if prev.PasswordHash == "" {
				next.Status = StatusPending
			}
		}
		return vanished(s.d.Store.UnblockUser(ctx, prev, next))
	})
	if errors.Is(err, ErrForbidden) {
		return err
	}
	if err != nil {
		return s.fail(ctx, who, "unblock", next.Email, err)
	}
	s.decided(ctx, who, "unblock", "unblocked", next, "status", next.State(), "tries", tries)
	return nil
}

// UserCopier is a store that can give every user stored before the copy by userId was kept its copy.
// It scans the table, which no request path may do, so it is not part of UserStore: only operator
// tools get a store with it.
type UserCopier interface {
	CopyUsers(ctx context.Context) (int, error)
}

// Backfill writes the copy by userId of every user that has none, so that its tokens work and it is
// listed, and reports how many it wrote (admins only, when the service's store can scan).
func (s *Users) Backfill(ctx context.Context, who Session) (int, error) {
	if !who.Admin {
		return 0, s.forbidden(ctx, who, "backfill", User{}, "not an admin")
	}
	copier, ok := s.d.Store.(UserCopier)
	if !ok {
		return 0, errors.New("backfill users: the store cannot scan")
	}
	n, err := copier.CopyUsers(ctx)
	if err != nil {
		return n, fmt.Errorf("backfill users: %w", err)
	}
	s.d.Log.InfoContext(ctx, "users copied", "event", "users", "action", "backfill", "outcome", "copied", "users", n, "actor", actor(who))
	return n, nil
}
