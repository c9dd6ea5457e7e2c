package main

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

func TestUserListBlockUnblock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	appID := e.must(t, "", "app", "create", "--name", "Plant", "--url", "plant.example.com")
	ada := e.seedUser(t, "ada@example.com", appID)
	e.seedUser(t, "grace@example.com")

	t.Run("list", func(t *testing.T) {
		lines := fields(e.must(t, "", "user", "list"))
		want := []string{"EMAIL STATUS ADMIN APPS", "ada@example.com Activated no " + appID, "grace@example.com Activated no none"}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("user list:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("block", func(t *testing.T) {
		if out := e.must(t, "", "user", "block", "ADA@example.com"); out != "user ada@example.com: blocked" {
			t.Errorf("block: %q", out)
		}
		if u := e.user(t, "ada@example.com"); u.State() != auth.StatusBlocked || u.ID != ada.ID {
			t.Errorf("after block %+v, want Blocked", u)
		}
		if byID, err := e.Store.GetUserByID(t.Context(), ada.ID); err != nil || byID.State() != auth.StatusBlocked {
			t.Errorf("copy by id %+v, %v; want Blocked too", byID, err)
		}
		if out := e.must(t, "", "user", "block", "ada@example.com"); !strings.Contains(out, "already blocked") {
			t.Errorf("second block: %q", out)
		}
		if lines := fields(e.must(t, "", "user", "list")); lines[1] != "ada@example.com Blocked no "+appID {
			t.Errorf("list after block: %q", lines[1])
		}
	})
	t.Run("unblock", func(t *testing.T) {
		e.CountAttempts(t, auth.PasswordAttempt{Email: "ada@example.com", Network: auth.NetworkOf("203.0.113.10")}, time.Now(), 3)
		if out := e.must(t, "", "user", "unblock", "ada@example.com"); out != "user ada@example.com: unblocked, failed logins cleared" {
			t.Errorf("unblock: %q", out)
		}
		if u := e.user(t, "ada@example.com"); u.State() != auth.StatusActivated {
			t.Errorf("after unblock %+v, want Activated", u)
		}
		if a, err := e.Store.GetLoginAttempts(t.Context(), "ada@example.com"); err != nil || a.Failures != 0 {
			t.Errorf("failed passwords after unblock %+v, %v; want none", a, err)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		e.cli(t, "", "user", "block", "nobody@example.com").want(t, exitFailure, "no user has email nobody@example.com")
		e.cli(t, "", "user", "unblock", "nobody@example.com").want(t, exitFailure, "no user has email nobody@example.com")
		e.cli(t, "", "user", "block", "not an email").want(t, exitUsage, "")
		e.cli(t, "", "user", "list", "extra").want(t, exitUsage, "")
	})
	t.Run("delete", func(t *testing.T) {
		e.must(t, "", "user", "delete", "grace@example.com")
		if lines := fields(e.must(t, "", "user", "list")); len(lines) != 2 {
			t.Errorf("list after delete: %q, want ada alone", lines)
		}
	})
}

func TestUserBackfill(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedUser(t, "ada@example.com") // written with its copy
	// A user as stored before copies by userId were kept: only its item by email.
	legacy := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "USER#old@example.com"}, "userId": &types.AttributeValueMemberS{Value: "u-old"},
		"email": &types.AttributeValueMemberS{Value: "old@example.com"}, "name": &types.AttributeValueMemberS{Value: "Old"},
		"passwordHash": &types.AttributeValueMemberS{Value: testUser("x").PasswordHash}, "admin": &types.AttributeValueMemberBOOL{Value: false},
	}
	if _, err := e.Raw.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &e.Table, Item: legacy}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.GetUserByID(t.Context(), "u-old"); err == nil {
		t.Fatal("the legacy user has a copy already")
	}
	if out := e.must(t, "", "user", "backfill"); out != "1 users copied" {
		t.Errorf("backfill: %q, want 1 copied", out)
	}
	if u, err := e.Store.GetUserByID(t.Context(), "u-old"); err != nil || u.Email != "old@example.com" || u.State() != auth.StatusActivated {
		t.Errorf("copy %+v, %v; want the legacy user, Activated", u, err)
	}
	if out := e.must(t, "", "user", "backfill"); out != "0 users copied" {
		t.Errorf("second backfill: %q, want 0 copied", out)
	}
	if lines := fields(e.must(t, "", "user", "list")); len(lines) != 3 {
		t.Errorf("list after backfill: %q, want both users", lines)
	}
}
