package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// The user writes of the users service (auth.Users). Their refusals are the domain's errors
// (auth.ErrUserExists, auth.ErrSameEmail, *auth.MissingApplicationError, auth.ErrConflict,
// auth.ErrNotFound), so callers need not know this package. Every change that touches more than one
// item, or depends on another item existing, is one TransactWriteItems, so a refused or failed change
// leaves nothing behind.
//
// Concurrent changes to a user are caught without a version attribute: a write is conditioned on the
// stored user still being exactly the one read (every attribute compared, the applications as a set),
// so a change in between turns into auth.ErrConflict and the users service reads again. A transaction
// that keeps colliding with another one on the same items is an auth.ErrConflict too. This keeps the
// user item the one items.go defines, so users written by PutUser or a seed need no migration.

var (
	_ auth.UserStore         = (*Store)(nil)
	_ auth.ApplicationLister = (*Store)(nil)
	_ auth.UserCopier        = (*Store)(nil)
)

// Attribute names of the user item used in conditions.
const (
	attrUserID       = "userId"
	attrEmail        = "email"
	attrName         = "name"
	attrPasswordHash = "passwordHash"
	attrMobile       = "mobile"
	attrAdmin        = "admin"
	attrApplications = "applications"
	attrStatus       = "status"
	attrCultureInfo  = "cultureInfo"
)

// GetUser reads a user by (normalised) email with a consistent read; auth.ErrNotFound when absent.
func (s *Store) GetUser(ctx context.Context, email string) (auth.User, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(prefixUser + email), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return auth.User{}, fmt.Errorf("get user: %w", err)
	}
	if len(out.Item) == 0 {
		return auth.User{}, auth.ErrNotFound
	}
	return decodeUser(out.Item)
}

func decodeUser(item map[string]types.AttributeValue) (auth.User, error) {
	var u userItem
	if err := attributevalue.UnmarshalMap(item, &u); err != nil {
		return auth.User{}, fmt.Errorf("decode user: %w", err)
	}
	return u.user(), nil
}

// CreateUser stores a new user and its copy by userId, provided no user has its email
// (auth.ErrUserExists) and every application it names exists (*auth.MissingApplicationError).
func (s *Store) CreateUser(ctx context.Context, u auth.User) error {
	u.Applications = added(nil, u.Applications) // a set: each application once
	put, err := s.putNew(newUserItem(u))
	if err != nil {
		return err
	}
	byID, err := s.putNew(newUserCopy(u))
	if err != nil {
		return err
	}
	items := append([]types.TransactWriteItem{put, byID}, s.appsExist(u.Applications)...)
	err = s.transact(ctx, items)
	if collided(err) {
		return auth.ErrConflict
	}
	if reasons, ok := cancelled(err); ok {
		if failedCondition(reasons, 0) {
			return auth.ErrUserExists
		}
		if id, ok := missingApp(reasons, 2, u.Applications); ok {
			return &auth.MissingApplicationError{ID: id}
		}
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// UpdateUser writes next over prev, provided the stored user is still prev (auth.ErrConflict when it
// changed, auth.ErrNotFound when it is gone) and every application next adds exists
// (*auth.MissingApplicationError). The email (the key) and the user ID cannot change here; MoveUser
// moves a user.
func (s *Store) UpdateUser(ctx context.Context, prev, next auth.User) error {
	if prev.Email != next.Email || prev.ID != next.ID {
		return errors.New("update user: email and user ID cannot change; use MoveUser")
	}
	return s.rewriteUser(ctx, "update user", prev, next)
}

// UnblockUser writes next over prev as UpdateUser does and forgets the failed passwords and the run of
// wrong codes of the email, in one transaction: the unblocked user and its counts never disagree.
func (s *Store) UnblockUser(ctx context.Context, prev, next auth.User) error {
	if prev.Email != next.Email || prev.ID != next.ID {
		return errors.New("unblock user: email and user ID cannot change")
	}
	return s.rewriteUser(ctx, "unblock user", prev, next, s.clearFailures(prev.Email), s.forgetRun(prev.Email))
}

// rewriteUser puts next over prev, by email (conditioned on prev) and by userId, checks that each
// application next adds exists, and runs extra in the same transaction.
func (s *Store) rewriteUser(ctx context.Context, what string, prev, next auth.User, extra ...types.TransactWriteItem) error {
	next.Applications = added(nil, next.Applications)
	put, err := s.putOver(prev, newUserItem(next))
	if err != nil {
		return err
	}
	byID, err := s.copyOver(prev, next)
	if err != nil {
		return err
	}
	joined := added(prev.Applications, next.Applications)
	items := append([]types.TransactWriteItem{put, byID}, extra...)
	first := len(items)
	items = append(items, s.appsExist(joined)...)
	err = s.transact(ctx, items)
	if collided(err) {
		return auth.ErrConflict
	}
	if reasons, ok := cancelled(err); ok {
		if failedCondition(reasons, 0) {
			return s.goneOrChanged(ctx, prev.Email, reasons[0].Item)
		}
		if failedCondition(reasons, 1) {
			return auth.ErrConflict
		}
		for i := range extra {
			if failedCondition(reasons, 2+i) {
				return extraRefused(i)
			}
		}
		if id, ok := missingApp(reasons, first, joined); ok {
			return &auth.MissingApplicationError{ID: id}
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// extraRefused is the condition of the i-th extra item of a rewriteUser that failed.
type extraRefused int

func (e extraRefused) Error() string { return fmt.Sprintf("condition of extra item %d failed", int(e)) }

// putOver is the put of item in place of the stored user prev, provided it is still exactly prev.
func (s *Store) putOver(prev auth.User, item userItem) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode user: %w", err)
	}
	cond, err := unchanged(prev)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: &s.table, Item: av, ConditionExpression: cond.Condition(),
		ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, nil
}

// copyOver is the put of next's copy by userId in place of prev's. The item by email, conditioned in
// the same transaction, is what guards the change; the copy must only be this user's (a user stored
// before copies were kept has none, and gets one).
func (s *Store) copyOver(prev, next auth.User) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(newUserCopy(next))
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode user: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR userId = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: prev.ID}},
	}}, nil
}

// ChangeEmail moves u to newEmail: MoveUser with nothing else changed.
func (s *Store) ChangeEmail(ctx context.Context, u auth.User, newEmail string) error {
	if newEmail == u.Email {
		return auth.ErrSameEmail
	}
	moved := u
	moved.Email, moved.Ticket = newEmail, auth.UserTicket{} // the ticket went to the old address
	return s.MoveUser(ctx, u, moved)
}

// MoveUser moves prev to next's email in one transaction: the item under the old email is deleted,
// provided it is still prev (auth.ErrConflict, or auth.ErrNotFound when gone), next is put under the
// new one, provided no user has it (auth.ErrUserExists), the copy by userId is rewritten, and each
// application next adds must exist (*auth.MissingApplicationError). The failed-password state of the
// old email is left to expire.
func (s *Store) MoveUser(ctx context.Context, prev, next auth.User) error {
	switch {
	case next.Email == prev.Email:
		return auth.ErrSameEmail
	case next.ID != prev.ID:
		return errors.New("move user: the user ID cannot change")
	}
	next.Applications = added(nil, next.Applications)
	cond, err := unchanged(prev)
	if err != nil {
		return err
	}
	del := types.TransactWriteItem{Delete: &types.Delete{
		TableName: &s.table, Key: key(prefixUser + prev.Email), ConditionExpression: cond.Condition(),
		ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
	put, err := s.putNew(newUserItem(next))
	if err != nil {
		return err
	}
	byID, err := s.copyOver(prev, next)
	if err != nil {
		return err
	}
	joined := added(prev.Applications, next.Applications)
	err = s.transact(ctx, append([]types.TransactWriteItem{del, put, byID}, s.appsExist(joined)...))
	if collided(err) {
		return auth.ErrConflict
	}
	if reasons, ok := cancelled(err); ok {
		switch {
		case failedCondition(reasons, 0):
			return s.goneOrChanged(ctx, prev.Email, reasons[0].Item)
		case failedCondition(reasons, 1):
			return auth.ErrUserExists
		case failedCondition(reasons, 2):
			return auth.ErrConflict
		}
		if id, ok := missingApp(reasons, 3, joined); ok {
			return &auth.MissingApplicationError{ID: id}
		}
	}
	if err != nil {
		return fmt.Errorf("change email: %w", err)
	}
	return nil
}

// DeleteUser removes u, its copy by userId and its authenticator app in one transaction, provided the
// stored user is still u (auth.ErrConflict, or auth.ErrNotFound when gone), so that a change made
// meanwhile is seen before the user goes. The user's tokens stop working with the copy. The failed-password state of the email
// is left to expire.
func (s *Store) DeleteUser(ctx context.Context, u auth.User) error {
	cond, err := unchanged(u)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: &s.table, Key: key(prefixUser + u.Email), ConditionExpression: cond.Condition(),
			ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(prefixUserID + u.ID)}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(prefixOTP + u.ID)}}, // the user's authenticator app goes too
	})
	if collided(err) {
		return auth.ErrConflict
	}
	if reasons, ok := cancelled(err); ok && failedCondition(reasons, 0) {
		return s.goneOrChanged(ctx, u.Email, reasons[0].Item)
	}
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// GetLoginAttempts reads the failed-password state of an email (zero when there is none).
func (s *Store) GetLoginAttempts(ctx context.Context, email string) (auth.LoginAttempts, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(prefixLogin + email), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return auth.LoginAttempts{}, fmt.Errorf("get login attempts: %w", err)
	}
	var l loginItem
	if err := attributevalue.UnmarshalMap(out.Item, &l); err != nil {
		return auth.LoginAttempts{}, fmt.Errorf("decode login attempts: %w", err)
	}
	return l.attempts(), nil
}

// Unlock forgets the failed passwords of an email, lifting any lock; it reports whether there were any.
func (s *Store) Unlock(ctx context.Context, email string) (bool, error) {
	out, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: key(prefixLogin + email), ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return false, fmt.Errorf("unlock: %w", err)
	}
	return len(out.Attributes) > 0, nil
}

// Scanner is the slice of *dynamodb.Client that listing needs; the store's API leaves Scan out because
// no request path may scan.
type Scanner interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// ListApplications returns every application, ordered by name then appId. It scans the store's
// client, which must also be a Scanner (a *dynamodb.Client is).
func (s *Store) ListApplications(ctx context.Context) ([]auth.Application, error) {
	db, ok := s.db.(Scanner)
	if !ok {
		return nil, errors.New("list applications: the store's client cannot scan")
	}
	return ListApplications(ctx, db, s.table)
}

// ListApplications scans the table for every application (the items keyed APP#), page by page.
func ListApplications(ctx context.Context, db Scanner, table string) ([]auth.Application, error) {
	expr, err := expression.NewBuilder().
		WithFilter(expression.Name(attrPK).BeginsWith(prefixApp)).Build()
	if err != nil {
		return nil, err
	}
	in := &dynamodb.ScanInput{
		TableName: &table, ConsistentRead: aws.Bool(true), FilterExpression: expr.Filter(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}
	var apps []auth.Application
	for {
		out, err := db.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list applications: %w", err)
		}
		for _, item := range out.Items {
			var a appItem
			if err := attributevalue.UnmarshalMap(item, &a); err != nil {
				return nil, fmt.Errorf("decode application: %w", err)
			}
			// The filter already keeps url copies (APPURL#) out; this guards against a looser engine.
			if strings.HasPrefix(a.PK, prefixApp) {
				apps = append(apps, a.application())
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	slices.SortFunc(apps, func(a, b auth.Application) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return apps, nil
}

// unchanged is the condition that the stored user is exactly u: the same attributes, with mobile and
// applications absent when u has none.
func unchanged(u auth.User) (expression.Expression, error) {
	cond := expression.Name(attrUserID).Equal(expression.Value(u.ID)).
		And(expression.Name(attrEmail).Equal(expression.Value(u.Email))).
		And(expression.Name(attrName).Equal(expression.Value(u.Name))).
		And(expression.Name(attrPasswordHash).Equal(expression.Value(u.PasswordHash))).
		And(expression.Name(attrAdmin).Equal(expression.Value(u.Admin)))
	// The attributes items.go leaves out when empty (omitempty): absent, or equal.
	item := newUserItem(u)
	for _, a := range []struct {
		name  string
		value any
		empty bool
	}{
		{attrMobile, u.Mobile, u.Mobile == ""},
		{attrStatus, string(u.Status), u.Status == ""},
		{attrCultureInfo, u.CultureInfo, u.CultureInfo == ""},
		{"sessionEpoch", item.Epoch, item.Epoch == 0},
		{"ticketHash", item.TicketHash, item.TicketHash == ""},
		{"ticketKind", item.TicketKind, item.TicketKind == ""},
		{"ticketApp", item.TicketApp, item.TicketApp == ""},
		{"ticketExpiresAt", item.TicketExpiresAt, item.TicketExpiresAt == 0},
		{"pendingMobile", item.PendingMobile, item.PendingMobile == ""},
		{"pendingMobileCountry", item.PendingMobileCountry, item.PendingMobileCountry == ""},
		{"pendingCodeHash", item.PendingCodeHash, item.PendingCodeHash == ""},
		{"pendingCodeExpiresAt", item.PendingCodeExpiresAt, item.PendingCodeExpiresAt == 0},
		{"pendingAttempts", item.PendingAttempts, item.PendingAttempts == 0},
		{"pendingSentAt", item.PendingSentAt, item.PendingSentAt == 0},
		{"otp", item.OTP, item.OTP == ""},
	} {
		if a.empty {
			cond = cond.And(expression.AttributeNotExists(expression.Name(a.name)))
		} else {
			cond = cond.And(expression.Name(a.name).Equal(expression.Value(a.value)))
		}
	}
	if len(u.Applications) == 0 {
		cond = cond.And(expression.AttributeNotExists(expression.Name(attrApplications)))
	} else {
		// Sets compare as sets, whatever the order; size() is avoided because some engines (minidyn's
		// interpreter, which the embedded engine uses) fail on the size of a missing attribute instead
		// of treating the comparison as false.
		set := &types.AttributeValueMemberSS{Value: slices.Clone(u.Applications)}
		cond = cond.And(expression.Name(attrApplications).Equal(expression.Value(set)))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return expression.Expression{}, fmt.Errorf("build user condition: %w", err)
	}
	return expr, nil
}

// goneOrChanged tells a deleted user from a changed one after a failed condition, from the item that
// came with the failure or, for engines that return none, from a fresh read.
func (s *Store) goneOrChanged(ctx context.Context, email string, item map[string]types.AttributeValue) error {
	if len(item) > 0 {
		return auth.ErrConflict
	}
	if _, err := s.GetUser(ctx, email); errors.Is(err, auth.ErrNotFound) {
		return auth.ErrNotFound
	}
	return auth.ErrConflict
}

// appsExist checks that each application exists, as part of a transaction.
func (s *Store) appsExist(ids []string) []types.TransactWriteItem {
	items := make([]types.TransactWriteItem, 0, len(ids))
	for _, id := range ids {
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &s.table, Key: key(prefixApp + id), ConditionExpression: aws.String("attribute_exists(pk)"),
		}})
	}
	return items
}

// missingApp names the first application whose existence check (from index first on) failed.
func missingApp(reasons []types.CancellationReason, first int, ids []string) (string, bool) {
	for i, id := range ids {
		if failedCondition(reasons, first+i) {
			return id, true
		}
	}
	return "", false
}

// added is what next holds that prev does not, each once.
func added(prev, next []string) []string {
	var out []string
	for _, id := range next {
		if !slices.Contains(prev, id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
