// Command account is the Lambda behind the account lifecycle of /odata/users: POST invite,
// updatePassword and resetPassword behind the token authorizer, and the public forgotPassword and
// changePassword. It is the one function that sets passwords, so the one that links the password
// dictionaries (shared/password/strength, some 40 ms of its cold start) and, for an invitation's
// mobile number, the numbering plan (shared/phone, some 14 ms); it sends tickets and
// notifications by SES, and a password set by ticket answers as a login would, so with MFA on it
// starts a challenge and sends its code by SNS or SES. It also serves the caller's second factors
// (/api/auth/mfa/...), whose enrolment draws a QR code (shared/qr): the one function that links a QR
// encoder.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/config"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/metrics"
	"mfagateway/shared/notify"
	"mfagateway/shared/password"
	"mfagateway/shared/password/strength"
	"mfagateway/shared/phone"
	"mfagateway/shared/qr"
)

func main() {
	cfg, awsCfg, log := awsclient.Boot(config.Need{Table: true, Secret: true, SESSender: true})
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	hasher := password.New(password.Default)
	email := notify.NewEmail(ses.NewFromConfig(awsCfg), cfg.SESSender)
	notifier := auth.NewNotifier(email, nil, log)
	svc := auth.NewService(auth.Deps{
		Store:          store,
		Hasher:         hasher,
		SMS:            notify.NewSMS(sns.NewFromConfig(awsCfg), cfg.SMSSenderID),
		Email:          email,
		Secret:         cfg.Secret,
		PreviousSecret: cfg.PreviousSecret,
		Policy:         cfg.Policy,
		Log:            log,
		Metrics:        metrics.New(os.Stdout, nil),
		Notifier:       notifier,
	})
	// The numbering plan too: an invitation's user body is read by the same rules as POST /odata/users.
	users := auth.NewUsers(auth.UsersDeps{Store: store, Hasher: hasher, Mobile: phone.Parse, NewID: uuid.NewString, Log: log,
		Passwords: auth.PasswordPolicy{MinLength: cfg.Policy.PasswordMinLength, Guessable: strength.Judge}})
	accounts := auth.NewAccounts(users, svc, store, notifier, cfg.Links)
	factors := auth.NewSecondFactors(svc, store, notifier, qr.PNG)
	lambda.Start(httpapi.Function(httpapi.AccountFunction, httpapi.Handlers{
		Accounts:      httpapi.NewAccounts(accounts, log),
		SecondFactors: httpapi.NewSecondFactors(factors, log),
		Guard:         httpapi.NewGuard(nil, log).Rechecking(auth.NewSessions(store, nil, log)),
	}).Serve)
}
