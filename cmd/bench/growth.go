package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/localdynamo"
	"mfagateway/shared/password"
	"mfagateway/shared/seed"
)

// The growth rows: an MFA login and its verify through the handlers in process, on a fresh embedded
// engine whose table holds growthSizes items at the start, each size held against the smallest.

var growthSizes = []int{10, 10_000, 50_000}

// growthGoal is the most a login or a verify may slow down from the smallest table to a larger one.
const growthGoal = 2.0

// growthRuns is how many logins and verifies each size times (growthQuickRuns with -quick).
const growthRuns, growthQuickRuns = 60, 8

// growthResult is one size's timings.
type growthResult struct {
	items         int
	login, verify []time.Duration
	err           error
}

// measureGrowth times, for each size, runs MFA logins of the setup user (a cheap hash, so that the
// engine's share shows) and the verify of each one's code, alternately.
func measureGrowth(ctx context.Context, ev events, runs int) []growthResult {
	out := make([]growthResult, len(growthSizes))
	for i, n := range growthSizes {
		out[i] = growthAt(ctx, ev, n, runs)
	}
	return out
}

func growthAt(ctx context.Context, ev events, items, runs int) growthResult {
	r := growthResult{items: items}
	e, err := localdynamo.Start(ctx, tableName)
	if err != nil {
		r.err = err
		return r
	}
	defer e.Close()
	if r.err = growthSeed(ctx, e.Client, items); r.err != nil {
		return r
	}
	p := newInProcess(e.Client, forgotCounted)
	login := withBody(ev.get("login-mfa-header.json"), map[string]string{"email": setupEmail, "password": setupPassword})
	verify := ev.get("verify.json")
	// Two of each untimed first: the first requests build the SDK's request pipeline.
	for i := range runs + 2 {
		timed := i >= 2
		t := time.Now()
		token, err := servedField(ctx, p, httpapi.LoginFunction, login, 403, "token")
		d := time.Since(t)
		if err != nil {
			r.err = fmt.Errorf("MFA login: %w", err)
			return r
		}
		body := map[string]string{"token": token, "authenticatorCode": "SMS", "bindingCode": p.sms.code()}
		event := withBody(verify, body)
		t = time.Now()
		err = wantServed(ctx, p, httpapi.VerifyFunction, event, 200)
		dv := time.Since(t)
		if err != nil {
			r.err = fmt.Errorf("verify: %w", err)
			return r
		}
		if timed {
			r.login, r.verify = append(r.login, d), append(r.verify, dv)
		}
	}
	return r
}

// growthSeed loads the MFA demo application and the setup user (4 items), then fills the table up
// to items with the kinds of item a busy gateway holds: users (by email, and by userId in the list
// index), auth tokens and MFA challenges, the last two live for an hour.
func growthSeed(ctx context.Context, db *dynamodb.Client, items int) error {
	demo, err := seed.ParseBytes(seed.Demo)
	if err != nil {
		return err
	}
	f := seed.File{Users: []seed.User{{Email: setupEmail, Name: "Bench", Password: setupPassword, Mobile: setupMobile,
		Applications: []string{demoMFAApp}}}}
	for _, a := range demo.Applications {
		if a.AppID == demoMFAApp {
			f.Applications = append(f.Applications, a)
		}
	}
	if err := f.Load(ctx, dynamo.New(db, tableName), password.New(cheapParams), time.Now()); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	const seeded = 4
	ttl := &types.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	var batch []types.WriteRequest
	for i := seeded; i < items; i++ {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		h, user := hex.EncodeToString(sum[:]), fmt.Sprintf("fill-%d", i/4)
		item := map[string]types.AttributeValue{"userId": s(user)}
		switch i % 4 {
		case 0:
			item["pk"], item["email"], item["name"] = s("USER#"+user+"@example.com"), s(user+"@example.com"), s("Fill")
			item["passwordHash"] = s("$argon2id$v=19$m=65536,t=3,p=2$" + h)
		case 1:
			item["pk"], item["email"], item["name"] = s("USERID#"+user), s(user+"@example.com"), s("Fill")
			item["gsi1pk"], item["gsi1sk"] = s("USER"), s(time.Now().UTC().Format(time.RFC3339)+"#"+user)
		case 2:
			item["pk"], item["appId"], item["ttl"] = s("TOKEN#"+h), s(demoMFAApp), ttl
		case 3:
			item["pk"], item["codeHash"], item["channel"], item["ttl"] = s("MFA#"+h), s(h), s("SMS"), ttl
		}
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		if len(batch) == 25 || i == items-1 {
			if _, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{tableName: batch},
			}); err != nil {
				return fmt.Errorf("fill: %w", err)
			}
			batch = nil
		}
	}
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(tableName), Select: types.SelectCount})
	if err != nil {
		return fmt.Errorf("count: %w", err)
	}
	if int(out.Count) != items {
		return fmt.Errorf("the table holds %d items, not %d", out.Count, items)
	}
	return nil
}

// growthRows adds the growth rows: each size's median against the smallest size's, login and verify.
func growthRows(t *table, results []growthResult) {
	if len(results) == 0 {
		return
	}
	base := results[0]
	for _, flow := range []struct {
		name string
		of   func(growthResult) []time.Duration
	}{
		{"MFA login (403, code sent)", func(r growthResult) []time.Duration { return r.login }},
		{"verify (right code, token issued)", func(r growthResult) []time.Duration { return r.verify }},
	} {
		for _, r := range results[1:] {
			what := fmt.Sprintf("%s through the handler in process, embedded engine holding %d items vs %d (floor), medians of %d",
				flow.name, r.items, base.items, len(flow.of(r)))
			goal := fmt.Sprintf("≤ %.3g×", growthGoal)
			if err := firstErr(r.err, base.err); r.err != nil || base.err != nil {
				t.missingRow(what, "failed: "+err, goal)
				continue
			}
			t.ratioRow(what, nsOf(median(flow.of(r))), nsOf(median(flow.of(base))), durf, growthGoal)
		}
	}
}
