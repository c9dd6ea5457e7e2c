// Command login is the Lambda behind POST /api/auth/login and POST /api/auth/resendMultifactorBindingCode.
package main

import (
	"context"
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
	"mfagateway/shared/logging"
	"mfagateway/shared/notify"
	"mfagateway/shared/password"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.Need{Table: true, Secret: true, SESSender: true})
	log := logging.New(os.Stdout, cfg.LogLevel)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	awsCfg, err := awsclient.Load(context.Background())
	if err != nil {
		log.Error("aws configuration", "error", err.Error())
		os.Exit(1)
	}
	svc := auth.NewService(auth.Deps{
		Store:  dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Hasher: password.New(password.Default),
		SMS:    notify.NewSMS(sns.NewFromConfig(awsCfg), cfg.SMSSenderID),
		Email:  notify.NewEmail(ses.NewFromConfig(awsCfg), cfg.SESSender),
		Secret: cfg.Secret,
		Policy: cfg.Policy,
		Log:    log,
	})
	lambda.Start(httpapi.New(svc, log).LoginFunction)
}
