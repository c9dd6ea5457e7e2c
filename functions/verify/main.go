// Command verify is the Lambda behind POST /api/auth/verifyMultifactorBindingCode.
// It links only DynamoDB: verifying needs no password hashing and sends nothing.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/config"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
)

func main() {
	cfg, awsCfg, log := awsclient.Boot(config.Need{Table: true, Secret: true})
	svc := auth.NewService(auth.Deps{
		Store:          dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Secret:         cfg.Secret,
		PreviousSecret: cfg.PreviousSecret,
		Policy:         cfg.Policy,
		Log:            log,
	})
	lambda.Start(httpapi.Function(httpapi.VerifyFunction, httpapi.Handlers{Auth: httpapi.New(svc, log)}).Serve)
}
