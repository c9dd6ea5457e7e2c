// Command login is the Lambda behind POST /api/auth/login and POST /api/auth/resendMultifactorBindingCode,
// and, behind the token authorizer, GET /api/auth/me, GET /api/auth/validateToken and POST /api/auth/logout.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/config"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/metrics"
	"mfagateway/shared/notify"
	"mfagateway/shared/password"
)

func main() {
	cfg, awsCfg, log := awsclient.Boot(config.Need{Table: true, Secret: true, SESSender: true})
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	svc := auth.NewService(auth.Deps{
		Store:          store,
		Hasher:         password.New(password.Default),
		SMS:            notify.NewSMS(sns.NewFromConfig(awsCfg), cfg.SMSSenderID),
		Email:          notify.NewEmail(ses.NewFromConfig(awsCfg), cfg.SESSender),
		Secret:         cfg.Secret,
		PreviousSecret: cfg.PreviousSecret,
		Policy:         cfg.Policy,
		Log:            log,
		Metrics:        metrics.New(os.Stdout, nil),
	})
	sessions := auth.NewSessions(store, nil, log)
	lambda.Start(httpapi.Function(httpapi.LoginFunction, httpapi.Handlers{
		Auth:    httpapi.New(svc, log),
		Session: httpapi.NewSession(sessions, log),
		Guard:   httpapi.NewGuard(nil, log).Rechecking(sessions),
	}).Serve)
}
