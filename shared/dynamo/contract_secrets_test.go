package dynamo_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
)

// contractSecretsConcurrent: two issues of an application secret at once, each a read and a write
// conditioned on the application's version, both commit (one after a retry) and leave exactly the two
// new secrets: the older one dropped, neither new one lost, never three. Rounds repeat it for more
// interleavings. The secrets live on the item by appId only, never on the url copy.
func contractSecretsConcurrent(t *testing.T, e storeEnv) {
	ctx := t.Context()
	apps := auth.NewApplications(e.Store, nil, uuid.NewString, nil)
	operator := auth.Session{UserID: "contract", Admin: true}
	app, err := apps.Create(ctx, operator, auth.Application{Name: "Secrets", URL: "secrets-" + contractID(t)[:8] + ".example.com"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := apps.IssueSecret(ctx, operator, app.ID); err != nil {
		t.Fatalf("IssueSecret: %v", err)
	}
	const rounds = 5
	for round := range rounds {
		before, err := e.Store.GetApplication(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		secrets := make([]string, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range secrets {
			wg.Go(func() { secrets[i], errs[i] = apps.IssueSecret(ctx, operator, app.ID) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: concurrent IssueSecret %d: %v", round, i, err)
			}
		}
		after, err := e.Store.GetApplication(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{auth.TokenID(secrets[0]), auth.TokenID(secrets[1])}
		got := slices.Clone(after.SecretHashes)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("round %d: stored hashes %v, want exactly the two issued at once %v", round, after.SecretHashes, want)
		}
		if after.Version != before.Version+2 {
			t.Errorf("round %d: version %d, want %d (two committed writes)", round, after.Version, before.Version+2)
		}
	}
	copyItem := e.Item(t, "APPURL#"+app.URL)
	if copyItem == nil {
		t.Fatal("no url copy")
	}
	if _, ok := copyItem["secretHashes"]; ok {
		t.Error("the url copy holds secret hashes")
	}
	if _, ok := e.Item(t, "APP#"+app.ID)["secretHashes"]; !ok {
		t.Error("the application's item holds no secret hashes")
	}
}
