// Command applications is the Lambda behind /odata/Applications (admins only, behind the token authorizer).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/config"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/logging"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.Need{Table: true})
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
	apps := auth.NewApplications(dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table), nil, uuid.NewString, log)
	h := httpapi.NewApplications(apps, log)
	lambda.Start(httpapi.NewGuard(nil, log).Wrap("applications", h.Handle))
}
