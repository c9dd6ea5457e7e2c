// Command applications is the Lambda behind /odata/Applications and /odata/users (behind the token
// authorizer). It links the numbering plan (shared/phone) for users' mobile numbers, which the login
// function does not. It texts the code that confirms a user's new number and emails users what a
// change did to their email or number. No route of it sets a password, so it leaves out the password
// dictionaries (shared/password/strength): their package initialisers alone cost some 40 ms of every
// cold start.
package main

import (
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
	"mfagateway/shared/notify"
	"mfagateway/shared/phone"
)

func main() {
	// The secret seals the lists' page tokens, so that every instance opens the tokens of the others,
	// and is the HMAC key of the code that confirms a new mobile number.
	cfg, awsCfg, log := awsclient.Boot(config.Need{Table: true, Secret: true, SESSender: true})
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table).WithPageSecret(cfg.Secret, cfg.PreviousSecret)
	apps := auth.NewApplications(store, nil, uuid.NewString, log)
	users := auth.NewUsers(auth.UsersDeps{Store: store, Mobile: phone.Parse, NewID: uuid.NewString, Log: log,
		Passwords:      auth.PasswordPolicy{MinLength: cfg.Policy.PasswordMinLength},
		SMS:            notify.NewSMS(sns.NewFromConfig(awsCfg), cfg.SMSSenderID),
		Secret:         cfg.Secret,
		PreviousSecret: cfg.PreviousSecret,
		Policy:         cfg.Policy,
		Notifier:       auth.NewNotifier(notify.NewEmail(ses.NewFromConfig(awsCfg), cfg.SESSender), nil, log),
	})
	lambda.Start(httpapi.Function(httpapi.ApplicationsFunction, httpapi.Handlers{
		Applications: httpapi.NewApplications(apps, log),
		Users:        httpapi.NewUsers(users, log),
		Guard:        httpapi.NewGuard(nil, log).Rechecking(auth.NewSessions(store, nil, log)),
	}).Serve)
}
