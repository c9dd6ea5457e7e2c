// Command applications is the Lambda behind /odata/Applications (admins only, behind the token authorizer).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/config"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
)

func main() {
	cfg, awsCfg, log := awsclient.Boot(config.Need{Table: true})
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	apps := auth.NewApplications(store, nil, uuid.NewString, log)
	lambda.Start(httpapi.Function(httpapi.ApplicationsFunction, httpapi.Handlers{
		Applications: httpapi.NewApplications(apps, log),
		Guard:        httpapi.NewGuard(nil, log).Rechecking(auth.NewSessions(store, nil, log)),
	}).Serve)
}
