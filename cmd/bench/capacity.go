package main

import (
	"fmt"
	"strings"
	"time"
)

// The memory sizes of the functions and the cost of a login, worked out from this run's argon2id
// verify: Lambda gives a function CPU in proportion to its memory, one whole vCPU at 1,769 MB, and the
// hash, single-threaded, is the one CPU-bound part of a login; the rest waits on DynamoDB.

// lambdaFullVCPU is the memory size at which Lambda gives a function one whole vCPU.
const lambdaFullVCPU = 1769

// The public prices the cost is worked out at (us-east-1, arm64, on demand), in USD.
const (
	lambdaGBSecond   = 0.0000133334 // per GB-second, arm64
	lambdaRequest    = 0.20 / 1e6   // per invocation
	dynamoWriteUnit  = 0.625 / 1e6  // per write request unit
	dynamoReadUnit   = 0.125 / 1e6  // per read request unit
	httpAPIRequest   = 1.00 / 1e6   // per request, HTTP API, first 300 million a month
	cognitoLiteMAU   = 0.0055       // per monthly active user, Amazon Cognito Lite, past the free tier
	cognitoEssential = 0.015        // per monthly active user, Amazon Cognito Essentials, past the free tier
)

// A login with MFA off in request units, from its round trips (shared/roundtrip): the admit
// transaction updates two counters (2 WRU each in a transaction), the BatchGetItem reads the user, the
// application and the run of wrong codes (1 RRU each, strongly consistent, under 4 KB), and the token's
// transaction puts the token and settles the network's counter (2 WRU each).
const (
	loginWriteUnits = 2*2 + 2*2
	loginReadUnits  = 3
)

// dynamoWait is what a login waits on DynamoDB besides the hash, in Lambda: two sequential round trips
// of a few milliseconds each.
const dynamoWait = 10 * time.Millisecond

// capacity is the section of docs/performance.md that sizes the functions' memory from hash, this
// run's argon2id verify times, or says why it cannot.
func capacity(hash []time.Duration) string {
	var b strings.Builder
	b.WriteString("\n## Memory by measurement, and the cost of a login\n\n")
	if len(hash) == 0 {
		b.WriteString("Not worked out: this run measured no argon2id verify.\n")
		return b.String()
	}
	h := median(hash)
	fmt.Fprintf(&b, `Lambda gives a function CPU in proportion to its memory: one whole vCPU at %d MB. The login's one
CPU-bound step is its argon2id verify, single-threaded: %s on one core of this machine (the median of
this run). On a fraction f of a vCPU it takes about %s / f; the rest of a login (two sequential
DynamoDB round trips) is taken as %s whatever the size.

| memory | vCPU | login (hash + DynamoDB) | GB-seconds per login | Lambda cost per million logins |
|---|---|---|---|---|
`, lambdaFullVCPU, fmtDur(h), fmtDur(h), fmtDur(dynamoWait))
	for _, mb := range []int{512, 1024, lambdaFullVCPU} {
		f := min(float64(mb)/lambdaFullVCPU, 1)
		d := time.Duration(float64(h)/f) + dynamoWait
		gbs := float64(mb) / 1024 * d.Seconds()
		fmt.Fprintf(&b, "| %d MB | %.2f | %s | %.4f | $%.2f |\n", mb, f, fmtDur(d), gbs, (gbs*lambdaGBSecond+lambdaRequest)*1e6)
	}
	d1024 := time.Duration(float64(h)/(1024.0/lambdaFullVCPU)) + dynamoWait
	lambda := (1024.0/1024*d1024.Seconds()*lambdaGBSecond + lambdaRequest) * 1e6
	dynamo := (loginWriteUnits*dynamoWriteUnit + loginReadUnits*dynamoReadUnit) * 1e6
	api := httpAPIRequest * 1e6
	fmt.Fprintf(&b, `
The GB-seconds barely move with the size (the hash takes the same CPU-seconds), while the latency
falls with it: the **login and account functions get 1024 MB** (the ones that hash: a login at about
%s instead of %s at 512 MB, for the same cost), the verify, applications and authorizer functions
256 MB (no hashing; they wait on DynamoDB), the hosted pages 128 MB (files served from memory).

**Cost per million logins** (MFA off, one login each, at the public prices of us-east-1, arm64, on
demand): Lambda $%.2f (1024 MB, %s) + DynamoDB $%.2f (%d write and %d read request units a login, at
$0.625 and $0.125 a million) + API Gateway HTTP API $%.2f = **$%.2f**. With MFA on, add the verify's
invocation and request units and the message itself (an SMS costs far more than the rest together).
Amazon Cognito bills monthly active users instead: a million users who each log in once a month cost
about $%.0f on its Lite tier ($%.4f a user) and $%.0f on Essentials ($%.3f a user), past the free tier.
`, fmtDur(d1024), fmtDur(time.Duration(float64(h)/(512.0/lambdaFullVCPU))+dynamoWait),
		lambda, fmtDur(d1024), dynamo, loginWriteUnits, loginReadUnits, api, lambda+dynamo+api,
		cognitoLiteMAU*1e6, cognitoLiteMAU, cognitoEssential*1e6, cognitoEssential)
	return b.String()
}
