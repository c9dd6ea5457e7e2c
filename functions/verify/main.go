// Command verify is the Lambda behind POST /api/auth/verifyMultifactorBindingCode.
// It needs no password hashing and sends no codes: it checks binding codes by their HMAC and an
// authenticator app's codes by its sealed secret, both under the server secret. Its messages are the
// emails that tell a user their second factor started to back off, or that a recovery code was used
// (SES).
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/config"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/metrics"
	"mfagateway/shared/notify"
)

func main() {
	cfg, awsCfg, log := awsclient.Boot(config.Need{Table: true, Secret: true, SESSender: true})
	svc := auth.NewService(auth.Deps{
		Store:          dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Secret:         cfg.Secret,
		PreviousSecret: cfg.PreviousSecret,
		Policy:         cfg.Policy,
		Log:            log,
		Metrics:        metrics.New(os.Stdout, nil),
		Notifier:       auth.NewNotifier(notify.NewEmail(ses.NewFromConfig(awsCfg), cfg.SESSender), nil, log),
	})
	lambda.Start(httpapi.Function(httpapi.VerifyFunction, httpapi.Handlers{Auth: httpapi.New(svc, log)}).Serve)
}
